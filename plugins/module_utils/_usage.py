# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where an instance profile is used: launch template versions and the Auto Scaling groups on them.

Every function takes the boto3 clients it calls (``autoscaling``, ``ec2``) and raises
``AnsibleAWSError`` (from amazon.aws) when AWS refuses a call. DescribeLaunchTemplateVersions is
``_launch_template``'s. A launch template or version that vanished between two
calls counts as "does not reference the profile", not as an error.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.autoscaling import AutoScalingErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._errors import handles
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    DEFAULT_VERSION,
    LATEST_VERSION,
    describe_launch_template_versions,
)

# --- AWS calls: one function per call ----------------------------------------------------------


@handles(AutoScalingErrorHandler.list_error_handler, "describe Auto Scaling groups", [])
@AWSRetry.jittered_backoff()
def _describe_auto_scaling_groups(client):
    paginator = client.get_paginator("describe_auto_scaling_groups")
    return paginator.paginate().build_full_result()["AutoScalingGroups"]


@handles(AutoScalingErrorHandler.list_error_handler, "describe launch configurations", [])
@AWSRetry.jittered_backoff()
def _describe_launch_configurations(client):
    paginator = client.get_paginator("describe_launch_configurations")
    return paginator.paginate().build_full_result()["LaunchConfigurations"]


# --- pure helpers ------------------------------------------------------------------------------


def references_instance_profile(launch_template_data: dict | None, profile_name: str, profile_arn: str | None) -> bool:
    """True when launch template data names the instance profile, by name or by ARN.

    EC2 keeps the reference as it was given (``IamInstanceProfile.Name`` or ``.Arn``), so both
    forms of the same profile must count.
    """
    reference = (launch_template_data or {}).get("IamInstanceProfile") or {}
    if profile_name and reference.get("Name") == profile_name:
        return True
    return bool(profile_arn) and reference.get("Arn") == profile_arn


def launch_configuration_names_profile(launch_configuration: dict, profile_name: str, profile_arn: str | None) -> bool:
    """True when a launch configuration's ``IamInstanceProfile`` (a name or an ARN, as it was given) is the profile."""
    reference = launch_configuration.get("IamInstanceProfile") or ""
    return bool(reference) and reference in (profile_name, profile_arn)


def group_launch_template(group: dict) -> dict | None:
    """The launch template specification an Auto Scaling group launches from, or None.

    It is the group's ``LaunchTemplate``, or for a mixed instances policy its
    ``LaunchTemplate.LaunchTemplateSpecification``. A missing ``Version`` means ``$Default``.
    Groups on a launch configuration (or on nothing) give None.
    """
    spec = group.get("LaunchTemplate")
    if not spec:
        policy = group.get("MixedInstancesPolicy") or {}
        spec = (policy.get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    if not spec or not (spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName")):
        return None
    return {
        "LaunchTemplateId": spec.get("LaunchTemplateId"),
        "LaunchTemplateName": spec.get("LaunchTemplateName"),
        "Version": str(spec.get("Version") or DEFAULT_VERSION),
    }


def _template_key(spec: dict) -> tuple[str, str]:
    # AWS answers with both id and name; a spec given by name alone is keyed by its name.
    if spec.get("LaunchTemplateId"):
        return ("id", spec["LaunchTemplateId"])
    return ("name", spec["LaunchTemplateName"])


# --- what the modules import -------------------------------------------------------------------


def auto_scaling_groups_using_instance_profile(
    autoscaling, ec2, profile_name: str, profile_arn: str | None
) -> list[str]:
    """Sorted names of the Auto Scaling groups whose launch template version in use references the profile.

    "In use" is the version the group names (``$Default``, ``$Latest`` or a number; none means
    ``$Default``), from the group's launch template or its mixed instances policy. The
    reference may be the profile's name or its ARN.

    Calls: one paginated DescribeAutoScalingGroups, then one DescribeLaunchTemplateVersions per
    distinct (template, version) pair that the groups use.
    """
    groups = _describe_auto_scaling_groups(autoscaling)
    groups_by_version: dict[tuple, list[str]] = {}
    for group in groups:
        spec = group_launch_template(group)
        if spec is None:
            continue
        key = (_template_key(spec), spec["Version"])
        groups_by_version.setdefault(key, []).append(group["AutoScalingGroupName"])
    if not groups_by_version:
        return []

    names = set()
    for ((kind, template), version), group_names in groups_by_version.items():
        found = describe_launch_template_versions(
            ec2,
            [version],
            template_id=template if kind == "id" else None,
            template_name=template if kind == "name" else None,
        )
        if any(
            references_instance_profile(v.get("LaunchTemplateData"), profile_name, profile_arn) for v in found or []
        ):
            names.update(group_names)
    return sorted(names)


def launch_templates_referencing_instance_profile(ec2, profile_name: str, profile_arn: str | None) -> list[dict]:
    """Launch templates whose default or latest version references the profile (by name or ARN).

    Each item: ``launch_template_id``, ``launch_template_name`` and ``versions``, the sorted
    numbers of the default and latest versions that reference it (one number when they are the
    same version). Sorted by template name.

    Calls: one paginated account-wide DescribeLaunchTemplateVersions for ``$Default`` and ``$Latest``.
    Older versions are not read: no Auto Scaling group or launch uses them unless it names the
    number, and :func:`auto_scaling_groups_using_instance_profile` covers those groups.
    """
    found = describe_launch_template_versions(ec2, [DEFAULT_VERSION, LATEST_VERSION]) or []
    templates: dict[str, dict] = {}
    for version in found:
        if not references_instance_profile(version.get("LaunchTemplateData"), profile_name, profile_arn):
            continue
        item = templates.setdefault(
            version["LaunchTemplateId"],
            {
                "launch_template_id": version["LaunchTemplateId"],
                "launch_template_name": version.get("LaunchTemplateName"),
                "versions": [],
            },
        )
        if version["VersionNumber"] not in item["versions"]:
            item["versions"].append(version["VersionNumber"])
    for item in templates.values():
        item["versions"].sort()
    return sorted(templates.values(), key=lambda t: (t["launch_template_name"] or "", t["launch_template_id"]))


def launch_configurations_naming_instance_profile(autoscaling, profile_name: str, profile_arn: str | None) -> list[str]:
    """Sorted names of the launch configurations whose ``IamInstanceProfile`` is the profile (by name or ARN).

    Launch configurations cannot change, so as long as one names the profile, a group on it (or one
    made later) launches with it. Calls: one paginated DescribeLaunchConfigurations.
    """
    found = _describe_launch_configurations(autoscaling)
    return sorted(
        lc["LaunchConfigurationName"]
        for lc in found
        if launch_configuration_names_profile(lc, profile_name, profile_arn)
    )


def instance_profile_users(autoscaling, ec2, profile_name: str, profile_arn: str | None) -> list[str]:
    """What launches with the profile: the groups of :func:`auto_scaling_groups_using_instance_profile`,
    then ``launch configuration <name>`` for each of :func:`launch_configurations_naming_instance_profile`."""
    groups = auto_scaling_groups_using_instance_profile(autoscaling, ec2, profile_name, profile_arn)
    configurations = launch_configurations_naming_instance_profile(autoscaling, profile_name, profile_arn)
    return groups + [f"launch configuration {name}" for name in configurations]


def auto_scaling_groups_using_launch_templates(
    autoscaling, launch_template_ids: list[str], launch_template_names: list[str] | None = None
) -> list[str]:
    """Sorted names of the Auto Scaling groups that launch from any of the templates, whatever version.

    A group matches by its launch template's id, or by name when ``launch_template_names`` is
    given (a group created with a name only may be reported without the id). Includes groups
    with a mixed instances policy. Calls: one paginated DescribeAutoScalingGroups.
    """
    ids = set(launch_template_ids or [])
    names = set(launch_template_names or [])
    if not ids and not names:
        return []
    matches = set()
    for group in _describe_auto_scaling_groups(autoscaling):
        spec = group_launch_template(group)
        if spec and (spec["LaunchTemplateId"] in ids or spec["LaunchTemplateName"] in names):
            matches.add(group["AutoScalingGroupName"])
    return sorted(matches)


def launch_template_version(
    ec2, version: str = DEFAULT_VERSION, template_id: str | None = None, template_name: str | None = None
) -> dict | None:
    """One launch template version (``$Default``, ``$Latest`` or a number) as EC2 returns it, or None when
    the template or the version does not exist. One DescribeLaunchTemplateVersions call."""
    found = describe_launch_template_versions(ec2, [str(version)], template_id=template_id, template_name=template_name)
    return found[0] if found else None
