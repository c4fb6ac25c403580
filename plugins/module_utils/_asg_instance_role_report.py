# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the role cloudcred.ec2.asg_instance_role tells its user, made here so that it is tested.

:func:`refusal`: a module's refusal of an option, told as the role's variable behind it (:func:`variable_of`).
:func:`role_result`: the fact ``asg_instance_role_result`` a deploy publishes.
The role calls both through filters in tasks that run on every deploy, so this file imports nothing (no boto3).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

PREFIX = "asg_instance_role_"

# The module options the role fills from a variable of another name: the instance profile is named after the role,
# and its path is the role's (iam_instance_role's defaults, which the role leaves to the module).
_VARIABLE_OF_OPTION = {"instance_profile_name": PREFIX + "name", "instance_profile_path": PREFIX + "path"}


def variable_of(option: str) -> str:
    """The role's variable behind a module option it passes on."""
    return _VARIABLE_OF_OPTION.get(option, PREFIX + option)


def refusal(option: str | None, message: str) -> str:
    """A module's refusal of ``option``, told of the variable: the modules' messages start with the option's name
    (``tags keys must ...``), which becomes the variable's; any other message gets the variable in front. Without
    an option (an AWS error, an unreachable endpoint), the message as it is."""
    if not option:
        return message
    variable = variable_of(option)
    if message.startswith(option):
        return variable + message[len(option) :]
    return f"{variable}: {message}"


# --- the published fact -----------------------------------------------------------------------------------------


def _instance_refresh(refresh: dict | None) -> dict:
    """What cloudcred.ec2.asg_instance_refresh returned (nothing when it was skipped): whether a refresh was
    needed, why (one sentence per instance), the refresh as it ended, and the refreshes of others waited for."""
    refresh = refresh or {}
    run = refresh.get("instance_refresh") or {}
    return {
        "needed": refresh.get("needed", False),
        "reasons": refresh.get("reasons", []),
        "status": run.get("status"),
        "status_reason": run.get("status_reason"),
        "waited_for": refresh.get("waited_for", []),
    }


def group_result(
    name: str,
    wanted: dict,
    *,
    drift: dict,
    read: dict | None,
    write: dict | None,
    refresh: dict | None,
    check_mode: bool,
) -> dict:
    """The Auto Scaling group ``name`` as it now is, or in check mode would be.

    ``wanted``: the group's settings (``launch_template_name``, sizes, ``availability_zones``,
    ``vpc_zone_identifier``); ``drift``: cloudcred.ec2.asg_drift's answer; ``read``: the group as
    autoscaling_group_info read it (None: none); ``write``: amazon.aws.autoscaling_group's result, used only when
    this run wrote the group (drift and not check mode: a write of an earlier run of the role may still be
    registered); ``refresh``: cloudcred.ec2.asg_instance_refresh's result (None or skipped: no refresh step).
    """
    wrote = bool(drift["changes"]) and not check_mode
    arn = ((write or {}) if wrote else {}).get("auto_scaling_group_arn") or (read or {}).get("auto_scaling_group_arn")
    refresh = refresh or {}
    return {
        "auto_scaling_group_name": name,
        "auto_scaling_group_arn": arn,
        "launch_template": {"launch_template_name": wanted["launch_template_name"], "version": drift["version"]},
        # the sizes after the run: those given, else the group's own, else (a new group) the creation defaults
        **{name: int(drift["after"][name]) for name in ("min_size", "max_size", "desired_capacity")},
        "availability_zones": wanted.get("availability_zones"),
        "vpc_zone_identifier": wanted.get("vpc_zone_identifier"),
        "changes": drift["changes"],
        "instance_refresh_id": (refresh.get("instance_refresh") or {}).get("instance_refresh_id"),
        "instance_refresh": _instance_refresh(refresh),
        "instances": refresh.get("instances", []),
    }


def removed(role: dict, drift: dict | None) -> dict:
    """What the run removed (in check mode, would remove), with its content, only with the purge variables:
    iam_instance_role's ``removed`` (``managed_policies``, ``inline_policies``, ``tags``, ``instance_profile_tags``)
    and the group's tags (``auto_scaling_group_tags``, from the drift); a kind with nothing is left out."""
    group_tags = (drift or {}).get("removed_tags") or {}
    return {**(role.get("removed") or {}), **({"auto_scaling_group_tags": group_tags} if group_tags else {})}


def role_result(role: dict, template: dict, *, group: dict | None, drift: dict | None = None) -> dict:
    """``asg_instance_role_result``: from iam_instance_role's result the role and the instance profile, from
    launch_template_profile's the launch template and the version that carries the profile, the group
    (:func:`group_result`; None without a group) and what the run removed (:func:`removed`)."""
    return {
        "role": role["role"],
        "instance_profile": role["instance_profile"],
        "launch_template": template["launch_template"],
        "version_number": template["version_number"],
        "auto_scaling_group": group,
        "removed": removed(role, drift if group is not None else None),
    }
