# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of ``cloudcred.ec2.iam_instance_role``: an EC2 role, its policies, and its instance profile.

``desired_state`` turns the module's options into a :class:`Wanted` (failing on bad input before
any API call); ``read_role``/``read_instance_profile`` read what is there; each ``ensure_*`` step
compares one aspect, makes its writes through ``Writes`` (which in check mode only records them),
and returns ``(changed, predicted_state)``. ``ensure_present`` and ``ensure_absent`` chain them.

State is kept as plain dicts with the keys the module returns (``public_role`` drops only the
inline policy documents, which the module returns by name).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import (
    add_role_to_iam_instance_profile,
    create_iam_instance_profile,
    delete_iam_instance_profile,
    detach_iam_role_policy,
    get_iam_role,
    list_iam_instance_profiles,
    list_iam_role_attached_policies,
    list_iam_role_policies,
    remove_role_from_iam_instance_profile,
    tag_iam_instance_profile,
    untag_iam_instance_profile,
)
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Refusal, ec2_trust_policy, first_refusal
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam import (
    attach_iam_role_policy,
    create_iam_role,
    decoded_policy_document,
    delete_iam_role,
    delete_iam_role_permissions_boundary,
    delete_iam_role_policy,
    get_iam_managed_policy,
    get_iam_policy_version_document,
    get_iam_role_policy,
    put_iam_role_permissions_boundary,
    put_iam_role_policy,
    tag_iam_role,
    untag_iam_role,
    update_iam_assume_role_policy,
    update_iam_role,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import trust_problems
from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import (
    INSTANCE_PROFILE_NAME_MAX,
    MANAGED_POLICIES_MAX,
    MANAGED_POLICIES_WARN,
    POLICY_NAME_MAX,
    ROLE_NAME_MAX,
    description_problem,
    inline_policies_size_problem,
    managed_policy_arn,
    managed_policy_problem,
    max_session_duration_problem,
    name_problem,
    parsed_policy_document,
    path_problem,
    policy_arn_parts,
    tags_problem,
    trust_policy_size_problem,
)

WAIT_DELAYS = (1, 2, 3, 5)  # seconds between GetInstanceProfile polls; the last repeats
# lint findings that strict_policies turns into failures
STRICT_KINDS = (
    "unknown_action",
    "broad_grant",
    "privilege_escalation",
    "permissions_management",
    "credentials_exposure",
)


class IamInstanceRoleError(Refusal):
    """A refusal of this module (bad input, missing policy, path change, role in use): nothing was written
    by the step that raised it. ``option`` names the option refused, when one is."""


@dataclass
class Wanted:
    """The module's options, validated and resolved (policy names to ARNs, documents parsed)."""

    name: str
    path: str
    trust: dict
    profile_name: str
    profile_path: str
    description: str | None = None
    max_session_duration: int | None = None
    permissions_boundary: str | None = None  # None: leave; "": remove; else an ARN
    managed_policies: list[str] | None = None  # None: leave as is
    purge_managed_policies: bool = True
    inline_policies: dict[str, dict] | None = None  # None: leave as is
    purge_inline_policies: bool = True
    tags: dict[str, str] | None = None
    purge_tags: bool = True
    warnings: list[str] = field(default_factory=list)


# --- input: validation and resolution, no API call -------------------------------------------------


def _principal_problem(option: str, document: dict, *, trust: bool) -> str | None:
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    for index, statement in enumerate(statements):
        has_principal = "Principal" in statement or "NotPrincipal" in statement
        if trust and not has_principal:
            return f"{option} Statement[{index}] must have a Principal (a trust policy says who may assume the role)"
        if not trust and has_principal:
            return (
                f"{option} Statement[{index}] must not have a Principal (an inline policy applies to the role itself)"
            )
    return None


def _trust_policy(params: dict, partition: str) -> dict:
    value = params.get("assume_role_policy_document")
    if value is None:
        return ec2_trust_policy(partition)
    option = "assume_role_policy_document"
    document, problem = parsed_policy_document(option, value)
    problem = problem or _principal_problem(option, document, trust=True)
    problem = problem or trust_policy_size_problem(option, document)
    problem = problem or trust_problems(option, document, partition)[0]
    if problem:
        raise IamInstanceRoleError(problem, option=option)
    return document


def _inline_policies(value) -> dict[str, dict] | None:
    if value is None:
        return None
    documents = {}
    for policy_name, raw in value.items():
        problem = name_problem(f"inline_policies name {policy_name!r}:", str(policy_name), POLICY_NAME_MAX)
        option = f"inline_policies.{policy_name}"
        document, problem = (None, problem) if problem else parsed_policy_document(option, raw)
        problem = problem or _principal_problem(option, document, trust=False)
        if problem:
            raise IamInstanceRoleError(problem, option="inline_policies")
        documents[str(policy_name)] = document
    problem = inline_policies_size_problem("inline_policies", documents)
    if problem:
        raise IamInstanceRoleError(problem, option="inline_policies")
    return documents


def _managed_policies(value, partition: str, warnings: list[str]) -> list[str] | None:
    if value is None:
        return None
    arns = []
    for item in value:
        problem = managed_policy_problem("managed_policies", item, partition)
        if problem:
            raise IamInstanceRoleError(problem, option="managed_policies")
        arn = managed_policy_arn(item, partition)
        if arn not in arns:
            arns.append(arn)
    if len(arns) > MANAGED_POLICIES_MAX:
        raise IamInstanceRoleError(
            f"managed_policies must list at most {MANAGED_POLICIES_MAX} policies (IAM's highest quota of managed "
            f"policies per role); got {len(arns)}",
            option="managed_policies",
        )
    if len(arns) > MANAGED_POLICIES_WARN:
        warnings.append(
            f"managed_policies lists {len(arns)} policies; IAM's default quota is {MANAGED_POLICIES_WARN} per role "
            f"(AttachRolePolicy fails unless the quota was raised, up to {MANAGED_POLICIES_MAX})"
        )
    return arns


def _permissions_boundary(value, partition: str) -> str | None:
    if not value:
        return value  # None: leave; "": remove
    problem = managed_policy_problem("permissions_boundary", value, partition)
    if problem:
        raise IamInstanceRoleError(problem, option="permissions_boundary")
    return managed_policy_arn(value, partition)


def _option_problems(params: dict):
    """``(option, problem or None)`` of the options that need no parsing, lazily, in the order they are checked."""
    yield "name", name_problem("name", params["name"], ROLE_NAME_MAX)
    profile_name = params.get("instance_profile_name")
    yield "instance_profile_name", name_problem("instance_profile_name", profile_name, INSTANCE_PROFILE_NAME_MAX)
    yield "path", path_problem("path", params.get("path"))
    yield "instance_profile_path", path_problem("instance_profile_path", params.get("instance_profile_path"))
    wait_timeout = params.get("wait_timeout")
    if wait_timeout is not None and wait_timeout < 0:
        yield "wait_timeout", f"wait_timeout must be 0 or more seconds; got {wait_timeout}"
    yield "description", description_problem("description", params.get("description"))
    duration = params.get("max_session_duration")
    yield "max_session_duration", max_session_duration_problem("max_session_duration", duration)
    yield "tags", tags_problem("tags", params.get("tags"))


def desired_state(params: dict, partition: str) -> Wanted:
    """The module's options as a :class:`Wanted`, or IamInstanceRoleError naming the option and the rule."""
    first_refusal(_option_problems(params), IamInstanceRoleError)
    path = params.get("path") or "/"
    warnings: list[str] = []
    tags = params.get("tags")
    return Wanted(
        name=params["name"],
        path=path,
        trust=_trust_policy(params, partition),
        profile_name=params.get("instance_profile_name") or params["name"],
        profile_path=params.get("instance_profile_path") or path,
        description=params.get("description"),
        max_session_duration=params.get("max_session_duration"),
        permissions_boundary=_permissions_boundary(params.get("permissions_boundary"), partition),
        managed_policies=_managed_policies(params.get("managed_policies"), partition, warnings),
        purge_managed_policies=params.get("purge_managed_policies", True),
        inline_policies=_inline_policies(params.get("inline_policies")),
        purge_inline_policies=params.get("purge_inline_policies", True),
        tags=None if tags is None else {str(k): "" if v is None else str(v) for k, v in tags.items()},
        purge_tags=params.get("purge_tags", True),
        warnings=warnings,
    )


def is_administrator_access(arn: str) -> bool:
    parts = policy_arn_parts(arn)
    return bool(parts) and parts["account"] == "aws" and parts["resource"] == "AdministratorAccess"


def _sorted_findings(findings, strict: bool, warnings: list[str], failures: list[str]) -> None:
    for finding in findings:
        message = f"{finding['policy']}: {finding['message']} ({finding['kind']})"
        (failures if strict and finding["kind"] in STRICT_KINDS else warnings).append(message)


def is_iam_full_access(arn: str) -> bool:
    parts = policy_arn_parts(arn)
    return bool(parts) and parts["account"] == "aws" and parts["resource"] == "IAMFullAccess"


def policy_findings(
    wanted: Wanted, lint, *, trust_given: bool, strict: bool, partition: str = "aws", permissions=None
) -> tuple[list[str], list[str]]:
    """``(warnings, failures)`` about what the role would be allowed to do: principals other than EC2 in
    the trust policy, lint of the policies this module writes (``lint`` is ``_policy_lint.lint_policies``),
    escalation and exposure in its inline policies (``permissions`` is ``_policy_lint.permission_findings``),
    and AdministratorAccess among the managed policies. ``failures`` is empty unless ``strict``."""
    documents = {}
    warnings, failures = [], []
    if trust_given:
        documents["assume_role_policy_document"] = wanted.trust
        other_principals = trust_problems("assume_role_policy_document", wanted.trust, partition)[1]
        if other_principals:
            (failures if strict else warnings).append(other_principals)
    for policy_name, document in (wanted.inline_policies or {}).items():
        documents[f"inline_policies.{policy_name}"] = document
    _sorted_findings(lint(documents) if documents else [], strict, warnings, failures)
    inline = {k: v for k, v in documents.items() if k.startswith("inline_policies.")}
    if permissions is not None and inline:
        _sorted_findings(permissions(inline), strict, warnings, failures)
    for arn in wanted.managed_policies or []:
        if is_administrator_access(arn):
            message = f"managed_policies: {arn} grants every action on every resource (broad_grant)"
            (failures if strict else warnings).append(message)
        elif is_iam_full_access(arn):
            message = (
                f"managed_policies: {arn} grants iam:* on every resource: a process on the instance can give "
                "itself any permission (privilege_escalation)"
            )
            (failures if strict else warnings).append(message)
    return warnings, failures


# --- reading what is there -------------------------------------------------------------------------


def _role_state(role: dict, attached: list[dict], inline_names: list[str], documents: dict[str, dict]) -> dict:
    boundary = role.get("PermissionsBoundary") or {}
    return {
        "arn": role["Arn"],
        "role_name": role["RoleName"],
        "role_id": role["RoleId"],
        "path": role["Path"],
        "description": role.get("Description"),
        "assume_role_policy_document": decoded_policy_document(role.get("AssumeRolePolicyDocument")),
        "managed_policies": sorted(p["PolicyArn"] for p in attached),
        "inline_policies": {n: documents.get(n) for n in sorted(inline_names)},
        "permissions_boundary": boundary.get("PermissionsBoundaryArn"),
        "max_session_duration": role.get("MaxSessionDuration"),
        "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
    }


class _EveryName:
    """A container that holds every name: read_role then reads every inline policy document."""

    def __contains__(self, name) -> bool:
        return True


def inline_documents_to_read(wanted: Wanted):
    """The inline policies whose documents a run reads: those it compares with ``inline_policies``, and with
    ``purge_inline_policies`` also those it would delete, so that the diff and ``removed`` show what goes before it
    goes."""
    if wanted.inline_policies is None:
        return ()
    return _EveryName() if wanted.purge_inline_policies else wanted.inline_policies


def read_role(client, name: str, *, documents_of=()) -> dict | None:
    """The role with its managed policy ARNs and inline policy names, or None when it does not exist.

    Inline policy documents are read (one GetRolePolicy each) only for the names in ``documents_of``
    that the role has; the others map to None. GetRole already carries trust policy, boundary,
    description, max session duration and tags, so a role costs 3 calls plus those documents.
    """
    role = get_iam_role(client, name)
    if role is None:
        return None
    attached = list_iam_role_attached_policies(client, name)
    inline_names = list_iam_role_policies(client, name)
    documents = {n: get_iam_role_policy(client, name, n) for n in inline_names if n in documents_of}
    return _role_state(role, attached, inline_names, documents)


def _profile_state(profile: dict) -> dict:
    return {
        "arn": profile["Arn"],
        "instance_profile_name": profile["InstanceProfileName"],
        "instance_profile_id": profile.get("InstanceProfileId"),
        "path": profile["Path"],
        "roles": [r["RoleName"] for r in profile.get("Roles") or []],
        "tags": boto3_tag_list_to_ansible_dict(profile.get("Tags") or []),
    }


def read_instance_profile(client, name: str) -> dict | None:
    """The instance profile (one GetInstanceProfile: it carries the roles and tags), or None."""
    found = list_iam_instance_profiles(client, name=name)
    return _profile_state(found[0]) if found else None


def public_role(role: dict | None) -> dict | None:
    """The role as the module returns it: inline policies by name."""
    if role is None:
        return None
    return {**role, "inline_policies": sorted(role["inline_policies"])}


def _error_code(error: AnsibleAWSError) -> str | None:
    response = getattr(error.exception, "response", None) or {}
    return (response.get("Error") or {}).get("Code")


# --- checks before any write -----------------------------------------------------------------------


def refuse_path_change(wanted: Wanted, role: dict | None, profile: dict | None) -> None:
    """Raise IamInstanceRoleError (option ``path`` or ``instance_profile_path``) when the role or the instance
    profile exists under another path than the wanted one: IAM cannot move either to another path."""
    if role is not None and role["path"] != wanted.path:
        raise IamInstanceRoleError(
            f"path: role {wanted.name} exists with path {role['path']}, not {wanted.path}; the path of a role "
            "cannot change in place (delete the role first, or give its path)",
            option="path",
        )
    if profile is not None and profile["path"] != wanted.profile_path:
        raise IamInstanceRoleError(
            f"instance_profile_path: instance profile {wanted.profile_name} exists with path {profile['path']}, "
            f"not {wanted.profile_path}; the path of an instance profile cannot change in place",
            option="instance_profile_path",
        )


def current_trust_problem(role: dict, wanted: Wanted, *, partition: str) -> str | None:
    """What is wrong with the trust policy the role has now (widened by hand, or EC2 taken out), said
    when this run replaces it; None when it passes the rules or is already the wanted one."""
    current = role["assume_role_policy_document"] or {}
    if not compare_policies(current, wanted.trust):
        return None
    refusal, others = trust_problems(f"the trust policy role {wanted.name} has now", current, partition)
    found = refusal or others
    if not found:
        return None
    return f"{found}; this run replaces it with assume_role_policy_document (UpdateAssumeRolePolicy)"


def policies_to_check(wanted: Wanted, role: dict | None) -> list[tuple[str, str]]:
    """``(option, arn)`` of the policies the run would attach or set as boundary: those not already on the role."""
    attached = set(role["managed_policies"]) if role else set()
    checks = [("managed_policies", arn) for arn in wanted.managed_policies or [] if arn not in attached]
    current_boundary = role["permissions_boundary"] if role else None
    if wanted.permissions_boundary and wanted.permissions_boundary != current_boundary:
        checks.append(("permissions_boundary", wanted.permissions_boundary))
    return checks


def check_policies_exist(client, wanted: Wanted, role: dict | None) -> dict[str, dict]:
    """GetPolicy for each policy the run would attach (or set as boundary); fail naming the missing ones.

    Returns the documents of the customer managed policies the run would attach (one GetPolicyVersion
    each), labelled ``managed_policies.<arn>``: they are what the role is about to gain. Policies already
    attached are not read, so a run that changes nothing reads none.
    """
    found = {(option, arn): get_iam_managed_policy(client, arn) for option, arn in policies_to_check(wanted, role)}
    missing = [(option, arn) for (option, arn), policy in found.items() if not policy]
    if missing:
        raise IamInstanceRoleError(
            "these policies do not exist (nothing was written): " + "; ".join(f"{o}: {arn}" for o, arn in missing),
            option=missing[0][0],
        )
    documents = {}
    for (option, arn), policy in found.items():
        if option != "managed_policies" or (policy_arn_parts(arn) or {}).get("account") == "aws":
            continue  # AWS managed policies are AWS's; AdministratorAccess is reported by name
        document = get_iam_policy_version_document(client, arn, policy["DefaultVersionId"])
        if document is not None:
            documents[f"managed_policies.{arn}"] = document
    return documents


def managed_policy_findings(documents: dict[str, dict], lint, permissions, *, strict: bool):
    """``(warnings, failures)`` for the customer managed policies a run would attach, as for inline policies."""
    warnings, failures = [], []
    if documents:
        _sorted_findings([*lint(documents), *permissions(documents)], strict, warnings, failures)
    return warnings, failures


# --- ensure_* steps: (changed, predicted state) -----------------------------------------------------


def ensure_role(role, client, *, wanted: Wanted, writes):
    """Create the role with everything CreateRole can carry; adopt one created meanwhile by someone else."""
    if role is not None:
        return False, role
    try:
        created = writes(
            "CreateRole",
            create_iam_role,
            client,
            wanted.name,
            wanted.trust,
            path=wanted.path,
            description=wanted.description,
            max_session_duration=wanted.max_session_duration,
            permissions_boundary=wanted.permissions_boundary,
            tags=wanted.tags,
        )
    except AnsibleAWSError as e:
        if _error_code(e) != "EntityAlreadyExists":
            raise
        writes.withdraw("CreateRole")
        adopted = read_role(client, wanted.name, documents_of=inline_documents_to_read(wanted))
        if adopted is None:
            raise
        refuse_path_change(wanted, adopted, None)
        return False, adopted
    created = created or {}
    return True, {
        "arn": created.get("Arn"),
        "role_name": wanted.name,
        "role_id": created.get("RoleId"),
        "path": wanted.path,
        "description": wanted.description,
        "assume_role_policy_document": wanted.trust,
        "managed_policies": [],
        "inline_policies": {},
        "permissions_boundary": wanted.permissions_boundary or None,
        "max_session_duration": wanted.max_session_duration or 3600,
        "tags": dict(wanted.tags or {}),
    }


def ensure_trust_policy(role, client, *, wanted: Wanted, writes):
    if not compare_policies(role["assume_role_policy_document"] or {}, wanted.trust):
        return False, role
    writes("UpdateAssumeRolePolicy", update_iam_assume_role_policy, client, wanted.name, wanted.trust)
    return True, {**role, "assume_role_policy_document": wanted.trust}


def ensure_role_settings(role, client, *, wanted: Wanted, writes):
    """Description and max session duration, in one UpdateRole (both sent, so neither is reset)."""
    description = role["description"] if wanted.description is None else wanted.description
    duration = role["max_session_duration"] if wanted.max_session_duration is None else wanted.max_session_duration
    if (description or "") == (role["description"] or "") and duration == role["max_session_duration"]:
        return False, role
    writes(
        "UpdateRole",
        update_iam_role,
        client,
        wanted.name,
        description=description,
        max_session_duration=duration,
    )
    return True, {**role, "description": description, "max_session_duration": duration}


def ensure_permissions_boundary(role, client, *, wanted: Wanted, writes):
    wanted_boundary = wanted.permissions_boundary
    if wanted_boundary is None or (wanted_boundary or None) == role["permissions_boundary"]:
        return False, role
    if wanted_boundary:
        writes("PutRolePermissionsBoundary", put_iam_role_permissions_boundary, client, wanted.name, wanted_boundary)
    else:
        writes("DeleteRolePermissionsBoundary", delete_iam_role_permissions_boundary, client, wanted.name)
    return True, {**role, "permissions_boundary": wanted_boundary or None}


def _tag_changes(current: dict, wanted: Wanted):
    if wanted.tags is None:
        return {}, []
    return compare_aws_tags(current or {}, wanted.tags, wanted.purge_tags)


def _tags_after(current: dict, to_set: dict, to_unset: list) -> dict:
    tags = {k: v for k, v in (current or {}).items() if k not in to_unset}
    tags.update(to_set)
    return tags


def ensure_role_tags(role, client, *, wanted: Wanted, writes):
    to_set, to_unset = _tag_changes(role["tags"], wanted)
    if not to_set and not to_unset:
        return False, role
    if to_unset:
        writes("UntagRole", untag_iam_role, client, wanted.name, to_unset)
    if to_set:
        writes("TagRole", tag_iam_role, client, wanted.name, to_set)
    return True, {**role, "tags": _tags_after(role["tags"], to_set, to_unset)}


def ensure_managed_policies(role, client, *, wanted: Wanted, writes):
    """Attach the missing ones first (the role never has fewer permissions than both sets share), then detach."""
    if wanted.managed_policies is None:
        return False, role
    attached = role["managed_policies"]
    to_attach = [arn for arn in wanted.managed_policies if arn not in attached]
    to_detach = [arn for arn in attached if arn not in wanted.managed_policies] if wanted.purge_managed_policies else []
    for arn in to_attach:
        writes("AttachRolePolicy", attach_iam_role_policy, client, arn, wanted.name)
    for arn in to_detach:
        writes("DetachRolePolicy", detach_iam_role_policy, client, arn, wanted.name)
    if not to_attach and not to_detach:
        return False, role
    return True, {**role, "managed_policies": sorted(set(attached) - set(to_detach) | set(to_attach))}


def ensure_inline_policies(role, client, *, wanted: Wanted, writes):
    if wanted.inline_policies is None:
        return False, role
    current = role["inline_policies"]
    to_put = [
        n
        for n, document in wanted.inline_policies.items()
        if n not in current or current[n] is None or compare_policies(current[n], document)
    ]
    to_delete = [n for n in current if n not in wanted.inline_policies] if wanted.purge_inline_policies else []
    for policy_name in to_put:
        writes(
            "PutRolePolicy", put_iam_role_policy, client, wanted.name, policy_name, wanted.inline_policies[policy_name]
        )
    for policy_name in to_delete:
        writes("DeleteRolePolicy", delete_iam_role_policy, client, wanted.name, policy_name)
    if not to_put and not to_delete:
        return False, role
    policies = {n: d for n, d in current.items() if n not in to_delete}
    policies.update({n: wanted.inline_policies[n] for n in to_put})
    return True, {**role, "inline_policies": dict(sorted(policies.items()))}


def ensure_instance_profile(profile, client, *, wanted: Wanted, writes):
    """Create the profile (tags ride along); adopt one created meanwhile by someone else."""
    if profile is not None:
        return False, profile
    try:
        created = writes(
            "CreateInstanceProfile",
            create_iam_instance_profile,
            client,
            wanted.profile_name,
            wanted.profile_path,
            wanted.tags,
        )
    except AnsibleAWSError as e:
        if _error_code(e) != "EntityAlreadyExists":
            raise
        writes.withdraw("CreateInstanceProfile")
        adopted = read_instance_profile(client, wanted.profile_name)
        if adopted is None:
            raise
        refuse_path_change(wanted, None, adopted)
        return False, adopted
    if created:
        return True, {**_profile_state(created), "tags": dict(wanted.tags or {})}
    return True, {
        "arn": None,
        "instance_profile_name": wanted.profile_name,
        "instance_profile_id": None,
        "path": wanted.profile_path,
        "roles": [],
        "tags": dict(wanted.tags or {}),
    }


def ensure_instance_profile_tags(profile, client, *, wanted: Wanted, writes):
    to_set, to_unset = _tag_changes(profile["tags"], wanted)
    if not to_set and not to_unset:
        return False, profile
    if to_unset:
        writes("UntagInstanceProfile", untag_iam_instance_profile, client, wanted.profile_name, to_unset)
    if to_set:
        writes("TagInstanceProfile", tag_iam_instance_profile, client, wanted.profile_name, to_set)
    return True, {**profile, "tags": _tags_after(profile["tags"], to_set, to_unset)}


def ensure_instance_profile_role(profile, client, *, wanted: Wanted, writes, warn):
    """The profile holds exactly this role (a profile holds at most one): another role is taken out, with a warning.

    A concurrent run may add the role between our read and our AddRoleToInstanceProfile, which IAM then
    refuses with LimitExceeded (the profile is full). When the profile holds this role after all, that
    is the wanted state and not an error; when it holds another role, the error stands.
    """
    roles = profile["roles"]
    if roles == [wanted.name]:
        return False, profile
    others = [r for r in roles if r != wanted.name]
    for other in others:
        warn(
            f"instance profile {wanted.profile_name} held role {other}; it now holds {wanted.name} "
            "(instances launched with the profile get the new role's credentials)"
        )
        writes(
            "RemoveRoleFromInstanceProfile", remove_role_from_iam_instance_profile, client, wanted.profile_name, other
        )
    if wanted.name not in roles:
        try:
            writes(
                "AddRoleToInstanceProfile", add_role_to_iam_instance_profile, client, wanted.profile_name, wanted.name
            )
        except AnsibleAWSError as e:
            if _error_code(e) != "LimitExceeded":
                raise
            current = read_instance_profile(client, wanted.profile_name)
            if current is None or current["roles"] != [wanted.name]:
                raise
            writes.withdraw("AddRoleToInstanceProfile")
            return bool(others), current
    return True, {**profile, "roles": [wanted.name]}


def wait_for_instance_profile_role(
    client, *, profile_name: str, role_name: str, timeout: int, sleep=time.sleep, clock=time.monotonic
):
    """Poll GetInstanceProfile until IAM returns the profile with the role in it; seconds waited.

    IAM is eventually consistent: right after AddRoleToInstanceProfile, EC2 may not find the role
    in the profile yet. Raises IamInstanceRoleError after ``timeout`` seconds.
    """
    start = clock()
    attempt = 0
    while True:
        profile = read_instance_profile(client, profile_name)
        if profile and role_name in profile["roles"]:
            return round(clock() - start, 1)
        elapsed = clock() - start
        if elapsed >= timeout:
            raise IamInstanceRoleError(
                f"instance profile {profile_name} did not show role {role_name} within wait_timeout={timeout} seconds"
            )
        sleep(min(WAIT_DELAYS[min(attempt, len(WAIT_DELAYS) - 1)], max(timeout - elapsed, 0.1)))
        attempt += 1


def ensure_present(
    client, *, wanted: Wanted, writes, warn, wait: bool, wait_timeout: int, partition: str = "aws", review=None
):
    """Every step of state=present; returns ``(changed, original, final, waited)``.

    ``review(documents)`` sees the customer managed policy documents the run would attach, before any
    write; it may raise IamInstanceRoleError to stop the run.

    ``original`` and ``final`` are ``{"role": ..., "instance_profile": ...}`` (before the run, and
    after it, predicted in check mode).
    """
    role = read_role(client, wanted.name, documents_of=inline_documents_to_read(wanted))
    profile = read_instance_profile(client, wanted.profile_name)
    original = {"role": role, "instance_profile": profile}
    refuse_path_change(wanted, role, profile)
    attaching = check_policies_exist(client, wanted, role)
    if review is not None:
        review(attaching)
    if role is not None:
        found_trust = current_trust_problem(role, wanted, partition=partition)
        if found_trust:
            warn(found_trust)

    changed = False
    for step in (
        ensure_role,
        ensure_trust_policy,
        ensure_role_settings,
        ensure_permissions_boundary,
        ensure_role_tags,
        ensure_managed_policies,
        ensure_inline_policies,
    ):
        step_changed, role = step(role, client, wanted=wanted, writes=writes)
        changed |= step_changed
    for step in (ensure_instance_profile, ensure_instance_profile_tags):
        step_changed, profile = step(profile, client, wanted=wanted, writes=writes)
        changed |= step_changed
    role_changed, profile = ensure_instance_profile_role(profile, client, wanted=wanted, writes=writes, warn=warn)
    changed |= role_changed

    waited = 0.0
    if wait and role_changed and not writes.check_mode:
        waited = wait_for_instance_profile_role(
            client, profile_name=wanted.profile_name, role_name=wanted.name, timeout=wait_timeout
        )
    return changed, original, {"role": role, "instance_profile": profile}, waited


def removed(original: dict, final: dict) -> dict:
    """What a run of state=present deletes (in check mode, would delete), with its content, from ``original`` and
    ``final`` as :func:`ensure_present` returns them: ``managed_policies`` (ARNs), ``inline_policies`` (name:
    document), ``tags`` (of the role) and ``instance_profile_tags``; a kind with nothing removed is left out."""
    role, final_role = original["role"] or {}, final["role"] or {}
    profile, final_profile = original["instance_profile"] or {}, final["instance_profile"] or {}
    kinds = {
        "managed_policies": [a for a in role.get("managed_policies", []) if a not in final_role["managed_policies"]],
        "inline_policies": {
            n: d for n, d in role.get("inline_policies", {}).items() if n not in final_role["inline_policies"]
        },
        "tags": {k: v for k, v in role.get("tags", {}).items() if k not in final_role["tags"]},
        "instance_profile_tags": {k: v for k, v in profile.get("tags", {}).items() if k not in final_profile["tags"]},
    }
    return {kind: value for kind, value in kinds.items() if value}


# --- state: absent -------------------------------------------------------------------------------------


def check_not_in_use(profiles, groups_using) -> None:
    """Fail, naming them, when Auto Scaling groups or launch configurations launch with any of the instance profiles.

    ``groups_using`` names groups, and launch configurations as ``launch configuration <name>``.
    """
    in_use = {}
    for profile in profiles:
        for group in groups_using(profile["instance_profile_name"], profile["arn"]):
            in_use.setdefault(group, profile["instance_profile_name"])
    if in_use:
        groups = ", ".join(f"{g} (instance profile {p})" for g, p in sorted(in_use.items()))
        fix = "Move the groups to another launch template version"
        if any(user.startswith("launch configuration ") for user in in_use):
            fix += ", delete the launch configurations (or move their groups to a launch template)"
        raise IamInstanceRoleError(
            f"Auto Scaling group(s) launch with the instance profile: {groups}; nothing was deleted. "
            f"{fix}, or set force: true"
        )


def ensure_absent(client, *, name: str, profile_name: str, force: bool, groups_using, writes, warn):
    """Take the role out of every profile, delete the named profile, its policies, then the role.

    ``groups_using(profile_name, profile_arn)`` names the Auto Scaling groups whose launch template
    version in use references a profile; without ``force`` any such group fails the run before any write.
    Returns ``(changed, original)``; absent and already gone is ``(False, {"role": None, ...})``.
    """
    role = read_role(client, name)
    holding = [_profile_state(p) for p in list_iam_instance_profiles(client, role=name)] if role else []
    named = read_instance_profile(client, profile_name)
    original = {"role": role, "instance_profile": named}

    affected = {p["instance_profile_name"]: p for p in holding}
    if named:
        affected[named["instance_profile_name"]] = named
    if not force:
        check_not_in_use(affected.values(), groups_using)

    for profile in holding:
        writes(
            "RemoveRoleFromInstanceProfile",
            remove_role_from_iam_instance_profile,
            client,
            profile["instance_profile_name"],
            name,
        )
    if named:
        for other in (r for r in named["roles"] if r != name):
            warn(f"instance profile {profile_name} held role {other}; it is deleted with state=absent")
            writes("RemoveRoleFromInstanceProfile", remove_role_from_iam_instance_profile, client, profile_name, other)
        writes("DeleteInstanceProfile", delete_iam_instance_profile, client, profile_name)
    if role:
        for arn in role["managed_policies"]:
            writes("DetachRolePolicy", detach_iam_role_policy, client, arn, name)
        for policy_name in role["inline_policies"]:
            writes("DeleteRolePolicy", delete_iam_role_policy, client, name, policy_name)
        writes("DeleteRole", delete_iam_role, client, name)
    return writes.changed, original
