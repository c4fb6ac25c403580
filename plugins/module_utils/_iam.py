# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM calls that amazon.aws's ``module_utils/iam.py`` does not wrap, in its style.

One boto3 call per function, wrapped by ``AWSRetry.jittered_backoff()`` and amazon.aws's
``IAMErrorHandler``: failures raise ``AnsibleIAMError``; for reads, a missing entity
(``NoSuchEntity``) is ``None``; for deletions it is ``False`` (deleting twice is harmless).
Use amazon.aws's own wrappers (``get_iam_role``, ``list_iam_role_attached_policies``,
``list_iam_instance_profiles``, ``add_role_to_iam_instance_profile``, ...) for everything else.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.cloudcred.ec2.plugins.module_utils._errors import handles


def decoded_policy_document(document) -> dict:
    """A policy document as a dict, whether the endpoint returned it decoded (boto3 decodes AWS's answers),
    as JSON, or as URL-encoded JSON (some emulators); ``{}`` for none."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    return json.loads(document if document.lstrip().startswith("{") else unquote(document))


def _policy_json(document) -> str:
    return document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))


# --- roles -------------------------------------------------------------------------------------


@handles(IAMErrorHandler.common_error_handler, "create role {name}")
@AWSRetry.jittered_backoff()
def create_iam_role(
    client,
    name,
    assume_role_policy_document,
    *,
    path="/",
    description=None,
    max_session_duration=None,
    permissions_boundary=None,
    tags=None,
):
    """CreateRole with every setting it can carry (so none needs a call of its own)."""
    args = {"RoleName": name, "Path": path, "AssumeRolePolicyDocument": _policy_json(assume_role_policy_document)}
    if description is not None:
        args["Description"] = description
    if max_session_duration is not None:
        args["MaxSessionDuration"] = max_session_duration
    if permissions_boundary:
        args["PermissionsBoundary"] = permissions_boundary
    if tags:
        args["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_role(**args)["Role"]


@handles(IAMErrorHandler.deletion_error_handler, "delete role {name}")
@AWSRetry.jittered_backoff()
def delete_iam_role(client, name):
    client.delete_role(RoleName=name)
    return True


@handles(IAMErrorHandler.common_error_handler, "update assume role policy of role {name}")
@AWSRetry.jittered_backoff()
def update_iam_assume_role_policy(client, name, document):
    client.update_assume_role_policy(RoleName=name, PolicyDocument=_policy_json(document))
    return True


@handles(IAMErrorHandler.common_error_handler, "update role {name}")
@AWSRetry.jittered_backoff()
def update_iam_role(client, name, *, description=None, max_session_duration=None):
    args = {"RoleName": name}
    if description is not None:
        args["Description"] = description
    if max_session_duration is not None:
        args["MaxSessionDuration"] = max_session_duration
    client.update_role(**args)
    return True


@handles(IAMErrorHandler.common_error_handler, "put permissions boundary {arn} on role {name}")
@AWSRetry.jittered_backoff()
def put_iam_role_permissions_boundary(client, name, arn):
    client.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=arn)
    return True


@handles(IAMErrorHandler.deletion_error_handler, "delete permissions boundary of role {name}")
@AWSRetry.jittered_backoff()
def delete_iam_role_permissions_boundary(client, name):
    client.delete_role_permissions_boundary(RoleName=name)
    return True


@handles(IAMErrorHandler.common_error_handler, "tag role {name}")
@AWSRetry.jittered_backoff()
def tag_iam_role(client, name, tags):
    client.tag_role(RoleName=name, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@handles(IAMErrorHandler.common_error_handler, "untag role {name}")
@AWSRetry.jittered_backoff()
def untag_iam_role(client, name, keys):
    client.untag_role(RoleName=name, TagKeys=list(keys))
    return True


# --- policies of a role ------------------------------------------------------------------------


@handles(IAMErrorHandler.common_error_handler, "attach policy {arn} to role {role}")
@AWSRetry.jittered_backoff()
def attach_iam_role_policy(client, arn, role):
    client.attach_role_policy(PolicyArn=arn, RoleName=role)
    return True


@handles(IAMErrorHandler.list_error_handler, "get inline policy {policy_name} of role {role}")
@AWSRetry.jittered_backoff()
def get_iam_role_policy(client, role, policy_name):
    """The inline policy's document as a dict, or None when there is no such policy."""
    return decoded_policy_document(client.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"])


@handles(IAMErrorHandler.common_error_handler, "put inline policy {policy_name} on role {role}")
@AWSRetry.jittered_backoff()
def put_iam_role_policy(client, role, policy_name, document):
    client.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=_policy_json(document))
    return True


@handles(IAMErrorHandler.deletion_error_handler, "delete inline policy {policy_name} of role {role}")
@AWSRetry.jittered_backoff()
def delete_iam_role_policy(client, role, policy_name):
    client.delete_role_policy(RoleName=role, PolicyName=policy_name)
    return True


# --- inline policies of a user, group or role (the deployer) -----------------------------------

# The calls and the name parameter for each kind of principal that can hold an inline policy.
_PRINCIPAL_POLICY_CALLS = {
    "user": ("get_user_policy", "list_user_policies", "UserName"),
    "group": ("get_group_policy", "list_group_policies", "GroupName"),
    "role": ("get_role_policy", "list_role_policies", "RoleName"),
}


@handles(IAMErrorHandler.list_error_handler, "get inline policy {policy_name} of {principal_type} {name}")
@AWSRetry.jittered_backoff()
def get_iam_principal_policy(client, principal_type, name, policy_name):
    """The inline policy's document as a dict; None when IAM says ``NoSuchEntity``, which it says both for a
    missing policy and for a missing principal."""
    get, _list, key = _PRINCIPAL_POLICY_CALLS[principal_type]
    answer = getattr(client, get)(**{key: name, "PolicyName": policy_name})
    return decoded_policy_document(answer["PolicyDocument"])


@handles(IAMErrorHandler.list_error_handler, "list inline policies of {principal_type} {name}")
@AWSRetry.jittered_backoff()
def list_iam_principal_policies(client, principal_type, name):
    """The names of the principal's inline policies (every page); None when the principal does not exist."""
    _get, list_, key = _PRINCIPAL_POLICY_CALLS[principal_type]
    return client.get_paginator(list_).paginate(**{key: name}).build_full_result()["PolicyNames"]


# --- managed policies --------------------------------------------------------------------------


@handles(IAMErrorHandler.list_error_handler, "get policy {arn}")
@AWSRetry.jittered_backoff()
def get_iam_managed_policy(client, arn):
    """GetPolicy by ARN; None when the policy does not exist (amazon.aws's ``get_iam_managed_policy_by_arn``
    raises instead)."""
    return client.get_policy(PolicyArn=arn)["Policy"]


@handles(IAMErrorHandler.list_error_handler, "get the default version of policy {arn}")
@AWSRetry.jittered_backoff()
def get_iam_policy_version_document(client, arn, version_id):
    """GetPolicyVersion's document (decoded; some endpoints return it URL-encoded), None when it is gone."""
    document = client.get_policy_version(PolicyArn=arn, VersionId=version_id)["PolicyVersion"]["Document"]
    return decoded_policy_document(document)


def get_iam_managed_policy_document(client, arn):
    """The document of the managed policy's default version (GetPolicy, GetPolicyVersion), or None when the
    policy is gone."""
    policy = get_iam_managed_policy(client, arn)
    if policy is None:
        return None
    return get_iam_policy_version_document(client, arn, policy["DefaultVersionId"])
