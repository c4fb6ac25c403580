# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How an Auto Scaling group differs from the one the role cloudcred.ec2.asg_instance_role wants.

:func:`group_drift`: the settings that differ between the group, as ``amazon.aws.autoscaling_group_info`` reads
it, and the wanted one, and the launch template version the group should name. The role evaluates it in the
conditions of several tasks, so this file imports nothing but ansible's boolean parser (no boto3).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

DEFAULT_VERSION = "$Default"


def group_version(group: dict | None, *, launch_template_name: str, preferences: dict | None) -> str:
    """The launch template version the group should name: ``$Default``, so that a new default version reaches the
    group without touching it; but with AutoRollback AWS rolls back only to a version NUMBER the group names, and
    the refresh module puts the group on one before such a refresh (AWS moves it to the new number when the refresh
    succeeds), so a number the group names on the same template then stays."""
    preferences = preferences or {}
    if not boolean(preferences.get("auto_rollback", preferences.get("AutoRollback", False)), strict=False):
        return DEFAULT_VERSION
    current = (group or {}).get("launch_template") or {}
    version = str(current.get("version", ""))
    if current.get("launch_template_name") == launch_template_name and version.isdigit():
        return version
    return DEFAULT_VERSION


def _subnets(value: str | None) -> list[str]:
    """DescribeAutoScalingGroups' VPCZoneIdentifier is one comma-separated string."""
    return sorted(part.strip() for part in (value or "").split(",") if part.strip())


def group_changes(group: dict | None, *, version: str, wanted: dict) -> list[str]:
    """What differs between the group and ``wanted`` (the role's group settings, by their option names), in the
    order of amazon.aws.autoscaling_group's options; ``["group"]`` when there is no group."""
    if group is None:
        return ["group"]
    template = group.get("launch_template") or {}
    tags = {str(k): str(v) for k, v in (wanted.get("tags") or {}).items()}
    differs = {
        "launch_template": template.get("launch_template_name") != wanted["launch_template_name"]
        or str(template.get("version", "")) != version,
        "min_size": int(group.get("min_size", 0)) != int(wanted["min_size"]),
        "max_size": int(group.get("max_size", 0)) != int(wanted["max_size"]),
        "desired_capacity": int(group.get("desired_capacity", 0)) != int(wanted["desired_capacity"]),
        "availability_zones": bool(wanted.get("availability_zones"))
        and sorted(group.get("availability_zones") or []) != sorted(wanted["availability_zones"]),
        "vpc_zone_identifier": bool(wanted.get("vpc_zone_identifier"))
        and _subnets(group.get("vpc_zone_identifier")) != sorted(wanted["vpc_zone_identifier"]),
        "tags": {t["key"]: t["value"] for t in group.get("tags") or []} != tags,
    }
    return [name for name, changed in differs.items() if changed]


def group_drift(group: dict | None, *, preferences: dict | None = None, **wanted) -> dict:
    """``changes`` (see :func:`group_changes`) and ``version`` (see :func:`group_version`) of a group."""
    version = group_version(group, launch_template_name=wanted["launch_template_name"], preferences=preferences)
    return {"changes": group_changes(group, version=version, wanted=wanted), "version": version}
