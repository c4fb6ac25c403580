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


# The sizes a NEW group gets when the role is not given them (documented in meta/argument_specs.yml): no instance
# until asked for. An EXISTING group keeps each size that is not given: the role never shrinks a group it was not
# told the size of.
CREATE_SIZES = {"min_size": 0, "max_size": 1, "desired_capacity": 0}
SIZES = tuple(CREATE_SIZES)


def sizes_to_write(group: dict | None, wanted: dict) -> dict:
    """The sizes the group write names: those given; for a group to create, CREATE_SIZES for the others (a size
    given that way fits them: min <= desired <= max is the caller's rule)."""
    given = {name: int(wanted[name]) for name in SIZES if wanted.get(name) is not None}
    return given if group is not None else {**CREATE_SIZES, **given}


def _tags(group: dict | None) -> dict:
    return {t["key"]: t["value"] for t in (group or {}).get("tags") or []}


def tags_after(group: dict | None, wanted: dict) -> dict:
    """The group's tags after the write: the wanted ones, and with ``purge_tags`` false (the role's default) also
    the group's others, which the role was not told about and leaves alone."""
    tags = {str(k): str(v) for k, v in (wanted.get("tags") or {}).items()}
    if boolean(wanted.get("purge_tags", False), strict=False):
        return tags
    return {**_tags(group), **tags}


def group_changes(group: dict | None, *, version: str, wanted: dict) -> list[str]:
    """What differs between the group and ``wanted`` (the role's group settings, by their option names; a size that
    is None is not given, and not compared), in the order of amazon.aws.autoscaling_group's options; ``["group"]``
    when there is no group."""
    if group is None:
        return ["group"]
    template = group.get("launch_template") or {}
    sizes = sizes_to_write(group, wanted)
    differs = {
        "launch_template": template.get("launch_template_name") != wanted["launch_template_name"]
        or str(template.get("version", "")) != version,
        **{name: name in sizes and int(group.get(name, 0)) != sizes[name] for name in SIZES},
        "availability_zones": bool(wanted.get("availability_zones"))
        and sorted(group.get("availability_zones") or []) != sorted(wanted["availability_zones"]),
        "vpc_zone_identifier": bool(wanted.get("vpc_zone_identifier"))
        and _subnets(group.get("vpc_zone_identifier")) != sorted(wanted["vpc_zone_identifier"]),
        "tags": _tags(group) != tags_after(group, wanted),
    }
    return [name for name, changed in differs.items() if changed]


def _launched_from(group: dict) -> str:
    """What the group launches from, as the diff shows it: a template and version, else its launch configuration (a
    group the role moves to a template), else a mixed instances policy (neither is in the group's own keys)."""
    template = group.get("launch_template") or {}
    if template.get("launch_template_name"):
        return f"{template['launch_template_name']} version {template.get('version')}"
    if group.get("launch_configuration_name"):
        return f"launch configuration {group['launch_configuration_name']}"
    return "a mixed instances policy" if group.get("mixed_instances_policy") else "(nothing)"


def _settings(group: dict | None, version: str, wanted: dict, sizes: dict) -> tuple[dict, dict]:
    """The group's settings before and after the write, as a diff shows them (values, not only names)."""
    before = {}
    if group is not None:
        before = {
            "launch_template": _launched_from(group),
            **{name: int(group.get(name, 0)) for name in SIZES},
            "availability_zones": sorted(group.get("availability_zones") or []),
            "vpc_zone_identifier": _subnets(group.get("vpc_zone_identifier")),
            "tags": _tags(group),
        }
    locations = {
        name: sorted(wanted[name]) for name in ("availability_zones", "vpc_zone_identifier") if wanted.get(name)
    }
    after = {  # in amazon.aws.autoscaling_group's order of options
        "launch_template": f"{wanted['launch_template_name']} version {version}",
        **{name: sizes.get(name, before.get(name)) for name in SIZES},
        **{name: locations.get(name, before.get(name)) for name in ("availability_zones", "vpc_zone_identifier")},
        "tags": tags_after(group, wanted),
    }
    return before, after


def change_lines(changes: list[str], before: dict, after: dict) -> list[str]:
    """One line per changed setting, with its value before and after (``min_size: 1 -> 0``)."""
    if changes == ["group"]:
        return [f"{name}: {after[name]}" for name in after if after[name] not in (None, [], {})]
    return [f"{name}: {before.get(name)} -> {after.get(name)}" for name in changes]


def group_drift(group: dict | None, *, preferences: dict | None = None, **wanted) -> dict:
    """``changes`` (see :func:`group_changes`), ``version`` (see :func:`group_version`), ``sizes`` (the sizes the
    write names, :func:`sizes_to_write`), ``before``/``after``/``lines``: the group's settings as a diff and a
    check-mode message show them, and ``removed_tags``."""
    version = group_version(group, launch_template_name=wanted["launch_template_name"], preferences=preferences)
    changes = group_changes(group, version=version, wanted=wanted)
    sizes = sizes_to_write(group, wanted)
    before, after = _settings(group, version, wanted, sizes)
    return {
        "changes": changes,
        "version": version,
        "sizes": sizes,
        "before": before,
        "after": after,
        "lines": change_lines(changes, before, after),
        # the tags the write removes (purge_tags), with their values, listed before they go
        "removed_tags": {k: v for k, v in before.get("tags", {}).items() if k not in after["tags"]},
    }
