# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A launch configuration's settings as EC2 launch template data, and the reads that find it.

AWS is retiring launch configurations and asks everyone to move their groups to launch templates;
moving a group is when people give it an instance profile. :func:`launch_template_data` turns a
launch configuration, as ``DescribeLaunchConfigurations`` answers it, into EC2's
``RequestLaunchTemplateData``, so that the template's first version launches the same instances.
What a launch template cannot hold is returned as a named warning, never dropped silently; a field
this code does not know (AWS added it later) is warned about too.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import copy

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._errors import handles

# Fields that name the launch configuration itself, not the instances it launches.
IDENTITY_FIELDS = frozenset({"LaunchConfigurationName", "LaunchConfigurationARN", "CreatedTime"})
# The launch template's instance profile is launch_template_profile's own (instance_profile_name/_arn).
REPLACED_FIELDS = frozenset({"IamInstanceProfile"})
# Fields a launch template cannot hold, and why.
NOT_CARRIED = {
    "ClassicLinkVPCId": "EC2-Classic and ClassicLink are retired; launch templates have no ClassicLink settings",
    "ClassicLinkVPCSecurityGroups": (
        "EC2-Classic and ClassicLink are retired; launch templates have no ClassicLink settings"
    ),
}
# Same name and meaning in both shapes.
_SAME = ("ImageId", "InstanceType", "KeyName", "KernelId", "UserData", "EbsOptimized")
_EBS_FIELDS = ("SnapshotId", "VolumeSize", "VolumeType", "DeleteOnTermination", "Iops", "Encrypted", "Throughput")
_METADATA_FIELDS = ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint")
CARRIED_FIELDS = frozenset(
    _SAME
    + (
        "RamdiskId",
        "SecurityGroups",
        "BlockDeviceMappings",
        "InstanceMonitoring",
        "MetadataOptions",
        "PlacementTenancy",
        "SpotPrice",
        "AssociatePublicIpAddress",
    )
)


def _given(value) -> bool:
    # DescribeLaunchConfigurations (and emulators) answer "" and [] for settings that were never made.
    return value not in (None, "", [], {})


def _block_device_mapping(mapping: dict) -> dict:
    converted = {key: mapping[key] for key in ("DeviceName", "VirtualName") if _given(mapping.get(key))}
    # A launch configuration says NoDevice: true; a launch template suppresses a device with NoDevice: "".
    if mapping.get("NoDevice"):
        converted["NoDevice"] = ""
    ebs = {key: value for key, value in (mapping.get("Ebs") or {}).items() if key in _EBS_FIELDS and value is not None}
    if ebs:
        converted["Ebs"] = ebs
    return converted


def _is_group_id(group: str) -> bool:
    return group.startswith("sg-")


def _security_groups(groups: list, public_ip, warnings: list, name: str) -> dict:
    """``SecurityGroupIds``/``SecurityGroups``, or a network interface that also carries the public IP setting.

    EC2 refuses instance-level security groups together with network interfaces, so with
    ``AssociatePublicIpAddress`` the groups move into the primary interface (ids only there).
    """
    ids = [g for g in groups if _is_group_id(g)]
    names = [g for g in groups if not _is_group_id(g)]
    if public_ip is None:
        data = {}
        if ids:
            data["SecurityGroupIds"] = ids
        if names:
            data["SecurityGroups"] = names
        return data
    if names:
        warnings.append(
            f"launch configuration {name}: AssociatePublicIpAddress ({public_ip}) is not carried: a launch template "
            f"holds it in a network interface, whose security groups must be ids, and these are names: "
            f"{', '.join(names)}; set NetworkInterfaces in launch_template_data to keep it"
        )
        return {"SecurityGroupIds": ids, "SecurityGroups": names} if ids else {"SecurityGroups": names}
    interface = {"DeviceIndex": 0, "AssociatePublicIpAddress": public_ip, "DeleteOnTermination": True}
    if ids:
        interface["Groups"] = ids
    return {"NetworkInterfaces": [interface]}


def _unknown_field_warning(name: str, field: str, value) -> str:
    return (
        f"launch configuration {name}: {field} ({value!r}) is not carried: this version of cloudcred.ec2 does not "
        "know how a launch template holds it; set it in launch_template_data"
    )


def _instance_settings(lc: dict) -> dict:
    """The settings that map one to one (or nearly) onto launch template keys."""
    data = {field: copy.deepcopy(lc[field]) for field in _SAME if _given(lc.get(field))}
    if _given(lc.get("RamdiskId")):
        data["RamDiskId"] = lc["RamdiskId"]  # EC2 spells it RamDiskId
    if _given(lc.get("BlockDeviceMappings")):
        data["BlockDeviceMappings"] = [_block_device_mapping(m) for m in lc["BlockDeviceMappings"]]
    if (lc.get("InstanceMonitoring") or {}).get("Enabled") is not None:
        data["Monitoring"] = {"Enabled": lc["InstanceMonitoring"]["Enabled"]}
    metadata = {k: v for k, v in (lc.get("MetadataOptions") or {}).items() if k in _METADATA_FIELDS and _given(v)}
    if metadata:
        data["MetadataOptions"] = metadata
    if _given(lc.get("PlacementTenancy")):
        data["Placement"] = {"Tenancy": lc["PlacementTenancy"]}
    if _given(lc.get("SpotPrice")):
        data["InstanceMarketOptions"] = {"MarketType": "spot", "SpotOptions": {"MaxPrice": lc["SpotPrice"]}}
    return data


def _not_carried_warnings(lc: dict) -> list[str]:
    name = lc.get("LaunchConfigurationName")
    warnings = [
        f"launch configuration {name}: {field} ({lc[field]!r}) is not carried: {why}"
        for field, why in NOT_CARRIED.items()
        if _given(lc.get(field))
    ]
    known = IDENTITY_FIELDS | REPLACED_FIELDS | CARRIED_FIELDS | set(NOT_CARRIED)
    warnings += [
        _unknown_field_warning(name, field, lc[field]) for field in sorted(set(lc) - known) if _given(lc[field])
    ]
    return warnings


def launch_template_data(launch_configuration: dict) -> tuple[dict, list[str]]:
    """``(data, warnings)``: the launch configuration's settings in EC2's ``RequestLaunchTemplateData``.

    ``UserData`` is carried as is: DescribeLaunchConfigurations answers it base64-encoded, and a
    launch template wants it base64-encoded. ``IamInstanceProfile`` is left out (the caller sets its
    own). Each setting that cannot be carried is named in ``warnings``.
    """
    lc = launch_configuration
    data, warnings = _instance_settings(lc), []
    groups = lc.get("SecurityGroups") or []
    public_ip = lc.get("AssociatePublicIpAddress")
    if groups or public_ip is not None:
        data.update(_security_groups(groups, public_ip, warnings, lc.get("LaunchConfigurationName")))
    return data, warnings + _not_carried_warnings(lc)


def settings(launch_configuration: dict) -> dict:
    """The launch configuration without the fields that name it (what diff mode shows as "before")."""
    return {k: v for k, v in launch_configuration.items() if k not in IDENTITY_FIELDS and _given(v)}


def jsonable_settings(launch_configuration: dict) -> dict:
    """:func:`settings` with timestamps as ISO 8601 strings (for results and diffs)."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in settings(launch_configuration).items()
    }


# --- AWS calls: one function per call ----------------------------------------------------------


class AnsibleLaunchConfigurationError(AnsibleAWSError):
    pass


class _AutoScalingErrorHandler(AWSErrorHandler):
    """Describe* calls of Auto Scaling answer an empty list for a missing name; DeleteLaunchConfiguration
    answers ValidationError "Launch configuration name not found"."""

    _CUSTOM_EXCEPTION = AnsibleLaunchConfigurationError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_message("not found")


@handles(_AutoScalingErrorHandler.common_error_handler, "describe launch configuration {name}")
@AWSRetry.jittered_backoff()
def describe_launch_configuration(client, name: str) -> dict | None:
    """The launch configuration named ``name`` as AWS answers it, or None when there is none."""
    found = client.describe_launch_configurations(LaunchConfigurationNames=[name])["LaunchConfigurations"]
    return found[0] if found else None


@handles(_AutoScalingErrorHandler.common_error_handler, "describe Auto Scaling group {name}")
@AWSRetry.jittered_backoff()
def describe_auto_scaling_group(client, name: str) -> dict | None:
    """The Auto Scaling group named ``name``, or None when there is none."""
    found = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return found[0] if found else None


@handles(_AutoScalingErrorHandler.common_error_handler, "describe Auto Scaling groups")
@AWSRetry.jittered_backoff()
def auto_scaling_groups_on_launch_configuration(client, name: str) -> list[str]:
    """Sorted names of the Auto Scaling groups that launch from the launch configuration ``name``."""
    groups = client.get_paginator("describe_auto_scaling_groups").paginate().build_full_result()["AutoScalingGroups"]
    return sorted(g["AutoScalingGroupName"] for g in groups if g.get("LaunchConfigurationName") == name)


@handles(_AutoScalingErrorHandler.deletion_error_handler, "delete launch configuration {name}")
@AWSRetry.jittered_backoff()
def delete_launch_configuration(client, name: str) -> bool:
    # AWS refuses (ResourceInUse) while a group uses it; the caller checks first, to keep it instead of failing.
    client.delete_launch_configuration(LaunchConfigurationName=name)
    return True
