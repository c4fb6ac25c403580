# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/permissions.md against the calls the suite saw: service.Operation -> service:Operation.

The document has one section a component, its heading naming the component in backticks
(``cloudcred.ec2.iam_instance_role``, ..., the role ``cloudcred.ec2.asg_instance_role``), each
followed by a JSON policy. A call belongs to the module whose task made it (the proxy's mark),
and every call of a playbook run of the role belongs to the role as well.

For each component: every action seen must be in its policy (else the document is too small)
and every action in its policy must have been seen, or be one that AWS checks without an API
call of its own, or that the code calls only on AWS itself (UNSEEN, each with its reason; else
the document grants more than the code uses).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLE = "cloudcred.ec2.asg_instance_role"
PREFLIGHT = "cloudcred.ec2.instance_role_preflight"
_SIMULATOR = (
    "the policy simulator runs only against AWS itself (with an endpoint_url the caller's own policies are "
    "evaluated locally: basis 'local')"
)
_DEPLOYER_KINDS = "the same inline-policy calls for a deployer of type group or role (the suite's deployer is a user)"
_FROM_LAUNCH_CONFIGURATION = (
    "only for a group that still runs on a launch configuration when its template is made; the suite's groups start "
    "on a launch template (Molecule asg_instance_role_from_launch_configuration runs this path)"
)
# Components whose policy the suite does not exercise, each with the reason and where it is exercised instead.
NOT_RUN = {
    "cloudcred.ec2.launch_configuration": (
        "deletes a launch configuration a group moved away from; the suite's groups never had one (Molecule "
        "asg_instance_role_from_launch_configuration and tests/unit/plugins/modules/test_launch_configuration.py "
        "run it)"
    ),
}
# Actions a component needs that the suite cannot see as calls, each with the reason: AWS
# authorises them inside another call, or the code calls them only where the emulator is not.
UNSEEN = {
    ROLE: {
        "iam:PassRole": "authorised inside CreateAutoScalingGroup/UpdateAutoScalingGroup for the template's profile",
        "ec2:RunInstances": "Auto Scaling checks that the caller may launch from the launch template",
        "iam:CreateServiceLinkedRole": "the first group of an account creates AWSServiceRoleForAutoScaling",
        "iam:SimulatePrincipalPolicy": _SIMULATOR,
        **{f"iam:{verb}{kind}Policy": _DEPLOYER_KINDS for verb in ("Get", "Put", "Delete") for kind in ("Group",)},
        "iam:ListGroupPolicies": _DEPLOYER_KINDS,
        "iam:GetPolicyVersion": (
            "only when a customer managed policy is about to be attached (its document is reviewed for escalation "
            "paths); the suite's role runs attach AWS managed policies (tests/permissions runs one that does)"
        ),
        "autoscaling:DeleteLaunchConfiguration": _FROM_LAUNCH_CONFIGURATION,
        "autoscaling:DescribeLifecycleHooks": (
            "only while teardown's rescue (a DeleteAutoScalingGroup whose answer was lost) still finds the deleted "
            "group listed: amazon.aws.autoscaling_group_info reads the hooks of each group it lists; the deploy "
            "path reads the group through launch_template_profile, and in the suite's runs the group is gone at "
            "the first read"
        ),
    },
    "cloudcred.ec2.launch_template_profile": {
        "autoscaling:DescribeLaunchConfigurations": _FROM_LAUNCH_CONFIGURATION,
    },
    "cloudcred.ec2.asg_instance_role_check": {
        **{
            f"iam:{verb}{kind}Polic{end}": _DEPLOYER_KINDS
            for verb, end in (("Get", "y"), ("List", "ies"))
            for kind in ("Group", "Role")
        },
    },
    PREFLIGHT: {"iam:SimulatePrincipalPolicy": _SIMULATOR},
    "cloudcred.ec2.asg_instance_refresh": {
        "ec2:DescribeLaunchTemplates": "only when launch_template_version is omitted; the role always gives it",
        "autoscaling:UpdateAutoScalingGroup": "only with the auto_rollback preference (the suite's runs use none)",
    },
}

# Every identity may call these, or the code goes on when they are denied; listing them or not is the
# document's choice (make permissions shows the policies work without them).
NO_PERMISSION_NEEDED = {
    "sts:GetCallerIdentity",
    # amazon.aws.aws_caller_info (check mode, role not created yet) leaves out the alias when it is denied
    "iam:ListAccountAliases",
}
# The IAM action prefix of each endpoint's signing name.
SERVICE_PREFIX = {"iam": "iam", "ec2": "ec2", "autoscaling": "autoscaling", "sts": "sts"}


def action_of(operation: str) -> str:
    service, name = operation.split(".", 1)
    return f"{SERVICE_PREFIX.get(service, service)}:{name}"


def observed(runs) -> dict[str, set[str]]:
    """component -> the IAM actions its calls need."""
    seen: dict[str, set[str]] = {}
    for run in runs:
        for call in run.calls:
            if call.operation.endswith(".unknown"):
                continue
            action = action_of(call.operation)
            module = call.mark.split("|", 1)[0]
            if module.startswith("cloudcred.ec2.") and module != ROLE:
                seen.setdefault(module, set()).add(action)
            if run.kind == "role":
                seen.setdefault(ROLE, set()).add(action)
    return seen


def documented(text: str) -> dict[str, dict]:
    """component -> its policy, from each heading with a `name` and the first json block after it."""
    policies = {}
    for match in re.finditer(r"^#+ [^\n]*`(cloudcred\.ec2\.[a-z_]+)`[^\n]*\n(.*?)```json\n(.*?)```", text, re.M | re.S):
        policies[match.group(1)] = json.loads(match.group(3))
    return policies


def actions_of(policy: dict) -> set[str]:
    found = set()
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def _wide(policy: dict) -> list[str]:
    """Statements that grant wildcards: an action with * or PassRole on every role."""
    bad = []
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        bad += [a for a in actions if "*" in a]
        if "iam:PassRole" in actions and ("*" in resources or "iam:PassedToService" not in json.dumps(statement)):
            bad.append("iam:PassRole on * or without iam:PassedToService")
    return bad


def check(runs) -> list[tuple[str, bool, str]]:
    """(label, held, detail) rows."""
    if not DOC.exists():
        return [("docs/permissions.md exists", False, "missing")]
    try:
        docs = documented(DOC.read_text())
    except json.JSONDecodeError as exc:
        return [("docs/permissions.md JSON parses", False, str(exc))]
    seen = observed(runs)
    rows = []
    for component in sorted(set(docs) | set(seen)):
        label = f"{component.rsplit('.', maxsplit=1)[-1]} policy = calls"
        if component not in docs:
            rows.append((label, False, f"not documented; it calls {sorted(seen[component])}"))
            continue
        if component not in seen:
            if component in NOT_RUN:
                rows.append((label, True, f"not run by this suite: {NOT_RUN[component]}"))
            else:
                rows.append((label, False, "documented but never run by the suite"))
            continue
        doc_actions = actions_of(docs[component])
        implied = set(UNSEEN.get(component, {}))
        missing = sorted(seen[component] - doc_actions - NO_PERMISSION_NEEDED)
        extra = sorted(doc_actions - seen[component] - implied - NO_PERMISSION_NEEDED)
        wide = _wide(docs[component])
        problems = []
        if missing:
            problems.append(f"called but not documented: {missing}")
        if extra:
            problems.append(f"documented but never called: {extra}")
        if wide:
            problems.append(f"wildcards: {wide}")
        detail = f"{len(seen[component])} actions called, {len(doc_actions)} documented"
        detail += f" ({len(implied & doc_actions)} not callable here, each with a reason)"
        rows.append((label, not problems, "; ".join(problems) or detail))
    return rows


def dump(runs) -> str:
    """The actions seen per component, for writing the document."""
    return json.dumps({k: sorted(v) for k, v in sorted(observed(runs).items())}, indent=2)
