# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules IAM enforces, checked before any API call.

Every ``*_problem`` function returns None when the value is fine, or a message that names the
option and the rule (``"path must ..."``), so a module can ``fail_json(msg=problem)`` before it
writes anything. The limits are IAM's documented quotas (default values where a quota can be raised).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import json
import re

# IAM names of roles, instance profiles and policies: letters, digits and + = , . @ _ -
IAM_NAME_CHARS = r"[A-Za-z0-9+=,.@_-]"
ROLE_NAME_MAX = 64
INSTANCE_PROFILE_NAME_MAX = 128
POLICY_NAME_MAX = 128
PATH_MAX = 512
DESCRIPTION_MAX = 1000
TRUST_POLICY_MAX = 2048  # characters, default quota "Role trust policy length"
INLINE_POLICIES_MAX = 10240  # characters of all inline policies of one role together
MAX_SESSION_DURATION_RANGE = (3600, 43200)
MANAGED_POLICIES_WARN = 10  # default quota of managed policies attached to a role
MANAGED_POLICIES_MAX = 20  # the most the quota can be raised to
TAGS_MAX = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
# EC2's LaunchTemplateName: "3-128 characters of A-Z a-z 0-9 ( ) . - / _"
LAUNCH_TEMPLATE_NAME_CHARS = r"[A-Za-z0-9().\-/_]"
LAUNCH_TEMPLATE_NAME_RANGE = (3, 128)

_NAME = re.compile(IAM_NAME_CHARS + "+")
_LAUNCH_TEMPLATE_NAME = re.compile(LAUNCH_TEMPLATE_NAME_CHARS + "{%d,%d}" % LAUNCH_TEMPLATE_NAME_RANGE)
# ^/$ or ^/[\x21-\x7E]+/$ (printable ASCII without space)
_PATH = re.compile(r"/|/[\x21-\x7E]+/")
_POLICY_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(aws|\d{12}):policy/(.+)")
# An AWS managed policy given by name, optionally under its path: AmazonSSMManagedInstanceCore, service-role/Name
_MANAGED_NAME = re.compile(r"(" + IAM_NAME_CHARS + r"+/)*" + IAM_NAME_CHARS + r"+")
_DESCRIPTION = re.compile(r"[\t\n\r\x20-\x7E\xA1-\xFF]*")


# --- names, paths ------------------------------------------------------------------------------


def name_problem(option: str, value: str | None, max_length: int = ROLE_NAME_MAX) -> str | None:
    """``value`` is an IAM name of 1 to ``max_length`` characters of ``[A-Za-z0-9+=,.@_-]``."""
    if value is None:
        return None
    if not 1 <= len(value) <= max_length:
        return f"{option} must be 1-{max_length} characters long; got {len(value)}"
    if not _NAME.fullmatch(value):
        return f"{option} must contain only {IAM_NAME_CHARS} characters (1-{max_length} of them); got {value!r}"
    return None


def is_iam_name(value, max_length: int = ROLE_NAME_MAX) -> bool:
    """True when ``value`` is a string IAM takes as a name (or a name prefix) of 1 to ``max_length`` characters."""
    return isinstance(value, str) and name_problem("name", value, max_length) is None


def launch_template_name_problem(option: str, value: str | None) -> str | None:
    """``value`` is an EC2 launch template name: 3-128 characters of ``A-Z a-z 0-9 ( ) . - / _``."""
    if value is None or _LAUNCH_TEMPLATE_NAME.fullmatch(value):
        return None
    low, high = LAUNCH_TEMPLATE_NAME_RANGE
    return f"{option} must be {low}-{high} characters of A-Z a-z 0-9 ( ) . - / _; got {value!r}"


def path_problem(option: str, value: str | None) -> str | None:
    """``value`` is an IAM path: ``/`` or ``/`` + printable ASCII (no space) + ``/``, at most 512 characters."""
    if value is None:
        return None
    if len(value) > PATH_MAX:
        return f"{option} must be at most {PATH_MAX} characters long; got {len(value)}"
    if not _PATH.fullmatch(value):
        return (
            f"{option} must be '/' or begin and end with '/' with printable ASCII characters "
            f"(no spaces) between them, e.g. /application/; got {value!r}"
        )
    return None


def description_problem(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > DESCRIPTION_MAX:
        return f"{option} must be at most {DESCRIPTION_MAX} characters long; got {len(value)}"
    if not _DESCRIPTION.fullmatch(value):
        return f"{option} may contain only printable Latin-1 characters, tabs and newlines"
    return None


def max_session_duration_problem(option: str, value: int | None) -> str | None:
    low, high = MAX_SESSION_DURATION_RANGE
    if value is None or low <= value <= high:
        return None
    return f"{option} must be between {low} and {high} seconds (1 to 12 hours); got {value}"


# --- ARNs and managed policy names -------------------------------------------------------------


def policy_arn_parts(arn: str) -> dict | None:
    """``partition``, ``account`` (``aws`` for AWS managed policies) and ``resource`` (path + name) of a
    managed policy ARN, or None when ``arn`` is not one."""
    match = _POLICY_ARN.fullmatch(arn or "")
    if not match:
        return None
    return {"partition": match.group(1), "account": match.group(2), "resource": match.group(3)}


def is_policy_arn(value: str) -> bool:
    return (value or "").startswith("arn:")


def policy_arn_problem(option: str, arn: str, partition: str | None = None) -> str | None:
    """``arn`` is ``arn:<partition>:iam::(aws|<12 digits>):policy/[<path>/]<name>`` (in ``partition`` if given)."""
    parts = policy_arn_parts(arn)
    if parts is None or not _MANAGED_NAME.fullmatch(parts["resource"]):
        return (
            f"{option} must be a policy ARN arn:<partition>:iam::(aws|<12-digit account>):policy/[path/]name; "
            f"got {arn!r}"
        )
    if partition and parts["partition"] != partition:
        return f"{option} must be in the partition of the region ({partition}); got {arn!r}"
    return None


def managed_policy_arn(value: str, partition: str) -> str:
    """The ARN of a managed policy given as an ARN, or as the name of an AWS managed policy.

    ``AmazonSSMManagedInstanceCore`` is ``arn:<partition>:iam::aws:policy/AmazonSSMManagedInstanceCore``
    and ``service-role/AmazonEC2RoleforSSM`` is ``arn:<partition>:iam::aws:policy/service-role/AmazonEC2RoleforSSM``:
    no ListPolicies over the account is needed to find them.
    """
    if is_policy_arn(value):
        return value
    return f"arn:{partition}:iam::aws:policy/{value.strip('/')}"


def managed_policy_problem(option: str, value: str, partition: str | None = None) -> str | None:
    """``value`` is a policy ARN, or an AWS managed policy name (``Name`` or ``path/Name``)."""
    if is_policy_arn(value):
        return policy_arn_problem(option, value, partition)
    if not value or len(value) > POLICY_NAME_MAX + PATH_MAX or not _MANAGED_NAME.fullmatch(value.strip("/")):
        return (
            f"{option} must be a policy ARN or the name of an AWS managed policy "
            f"(e.g. AmazonSSMManagedInstanceCore or service-role/Name); got {value!r}"
        )
    return None


# --- policy documents --------------------------------------------------------------------------


def _statement_problem(option: str, index: int, statement) -> str | None:
    if not isinstance(statement, dict):
        return f"{option} Statement[{index}] must be an object"
    if statement.get("Effect") not in ("Allow", "Deny"):
        return f"{option} Statement[{index}] must have Effect Allow or Deny"
    if "Action" not in statement and "NotAction" not in statement:
        return f"{option} Statement[{index}] must have Action or NotAction"
    return None


def _document_problem(option: str, document) -> str | None:
    if not isinstance(document, dict):
        return f"{option} must be a policy document (a JSON object); got {type(document).__name__}"
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return f"{option} must have a Statement (an object or a non-empty list of objects)"
    for index, statement in enumerate(statements):
        problem = _statement_problem(option, index, statement)
        if problem:
            return problem
    unknown = sorted(set(document) - {"Version", "Id", "Statement"})
    if unknown:
        return f"{option} has unknown top-level key(s) {', '.join(unknown)} (allowed: Version, Id, Statement)"
    return None


def parsed_policy_document(option: str, value) -> tuple[dict | None, str | None]:
    """A policy document given as a dict or a JSON string, parsed: ``(document, None)`` or ``(None, problem)``.

    The document must be a JSON object with a ``Statement`` (an object or a non-empty list of objects),
    each statement with ``Effect`` Allow/Deny and ``Action`` or ``NotAction``.
    """
    document = value
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except ValueError as e:
            return None, f"{option} must be a JSON policy document: {e}"
    problem = _document_problem(option, document)
    return (None, problem) if problem else (document, None)


def policy_size(document: dict) -> int:
    """Characters IAM counts for a policy: its JSON without insignificant whitespace."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def trust_policy_size_problem(option: str, document: dict) -> str | None:
    size = policy_size(document)
    if size > TRUST_POLICY_MAX:
        return f"{option} must be at most {TRUST_POLICY_MAX} characters without whitespace (IAM quota); got {size}"
    return None


def inline_policies_size_problem(option: str, documents: dict[str, dict]) -> str | None:
    """All inline policies of a role together stay within IAM's 10,240 characters."""
    size = sum(policy_size(d) for d in documents.values())
    if size > INLINE_POLICIES_MAX:
        return (
            f"{option} must total at most {INLINE_POLICIES_MAX} characters without whitespace "
            f"(IAM quota for the inline policies of a role); got {size}"
        )
    return None


# --- tags --------------------------------------------------------------------------------------


def tags_problem(option: str, tags: dict | None) -> str | None:
    """At most 50 tags, keys 1-128 characters not starting with ``aws:``, values at most 256 characters."""
    if tags is None:
        return None
    if len(tags) > TAGS_MAX:
        return f"{option} must have at most {TAGS_MAX} tags; got {len(tags)}"
    for raw_key, value in tags.items():
        key = str(raw_key)
        if not 1 <= len(key) <= TAG_KEY_MAX:
            return f"{option} keys must be 1-{TAG_KEY_MAX} characters long; got {key!r}"
        if key.lower().startswith("aws:"):
            return f"{option} keys must not start with 'aws:' (reserved for AWS); got {key!r}"
        if value is not None and len(str(value)) > TAG_VALUE_MAX:
            return f"{option} values must be at most {TAG_VALUE_MAX} characters long; {key!r} has {len(str(value))}"
    return None


# --- the deployer's PassRole policy ------------------------------------------------------------


# Characters that IAM allows in a path but that a policy's Resource reads as a wildcard (* and ?) or as the start of
# a policy variable (${...}): in the deployer's PassRole resource role<path><prefix>* they would match roles under
# other paths, so the grant would reach beyond the prefix.
POLICY_WILDCARDS = ("*", "?", "${")


def passrole_path_problem(option: str, value) -> str | None:
    """``value`` goes into a PassRole resource as the roles' path: an IAM path without POLICY_WILDCARDS."""
    if not isinstance(value, str):
        return path_problem(option, str(value))
    found = [wildcard for wildcard in POLICY_WILDCARDS if wildcard in value]
    if found:
        return (
            f"{option} {value!r} contains {' and '.join(repr(w) for w in found)}: in the deployer's PassRole resource "
            f"role{value}<prefix>* that is a wildcard or a policy variable, which would let the deployer pass roles "
            "under other paths; give a path without *, ? or ${"
        )
    return path_problem(option, value)


def passrole_prefix_problem(
    prefix: str,
    role_name: str,
    *,
    path: str = "/",
    role_path: str | None = None,
    prefix_option: str = "prefix",
    name_option: str = "name",
) -> str | None:
    """The PassRole policy of ``prefix`` (resource ``role<path><prefix>*``) covers the role ``<role_path><role_name>``.

    Otherwise the deployer gets a policy that does not let it pass the role, and AWS refuses its
    CreateAutoScalingGroup / RunInstances with the role's instance profile. The prefix holds no
    wildcard (names cannot), so IAM's case-sensitive match of the resource is a prefix test.
    """
    role_path = path if role_path is None else role_path
    if (role_path + role_name).startswith(path + prefix):
        return None
    example = role_name.split("-", maxsplit=1)[0] + "-" if "-" in role_name else role_name
    return (
        f"{prefix_option} {prefix!r} does not cover {name_option} {role_name!r}: the deployer's PassRole policy "
        f"would allow role{path}{prefix}* and not role{role_path}{role_name}, so AWS would refuse to launch "
        f"instances with its instance profile; give a prefix that starts the role name (e.g. "
        f"{example!r}) or leave {prefix_option} out "
        "(it defaults to the role name)"
    )
