# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance refresh of an Auto Scaling group: decided from the group's state, started, followed.

A refresh is needed when an instance of the group runs from another launch template, from a launch
configuration, or from a version other than the one the template's default resolves to. The decision reads
what the instances were launched from (DescribeAutoScalingGroups ``Instances[].LaunchTemplate.Version``), not
what a run wrote, so a run killed between the new version and the refresh is finished by the next one.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict, snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.autoscaling import (
    AutoScalingErrorHandler,
    describe_instance_refreshes,
)
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Refusal
from ansible_collections.cloudcred.ec2.plugins.module_utils._errors import handles

# DescribeInstanceRefreshes statuses (API_InstanceRefresh). Baking: "waiting the specified bake time after an
# instance refresh has finished updating instances", still active.
ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
SUCCESSFUL = "Successful"
UNSUCCESSFUL = ("Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")
# Instances on their way out do not count: the group replaces them anyway.
_LEAVING = ("Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated", "Detaching", "Detached")


def instance_reasons(group: dict, launch_template_name: str, version: int | str) -> list[str]:
    """Why the group's instances need a refresh, one sentence per instance; [] when every one runs ``version``
    of ``launch_template_name``. ``group`` is DescribeAutoScalingGroups' answer for one group."""
    reasons = []
    for instance in sorted(group.get("Instances") or [], key=lambda i: i["InstanceId"]):
        if instance.get("LifecycleState") in _LEAVING:
            continue
        template = instance.get("LaunchTemplate") or {}
        if instance.get("LaunchConfigurationName") or not template:
            source = instance.get("LaunchConfigurationName")
            reasons.append(f"{instance['InstanceId']} runs from launch configuration {source or '(unknown)'}")
        elif template.get("LaunchTemplateName") != launch_template_name:
            reasons.append(f"{instance['InstanceId']} runs from launch template {template.get('LaunchTemplateName')}")
        elif str(template.get("Version")) != str(version):
            reasons.append(
                f"{instance['InstanceId']} runs launch template version {template.get('Version')}, not {version}"
            )
    return reasons


def instances_of(group: dict | None) -> list[dict]:
    """The group's instances and what each runs from, as the module returns them."""
    found = []
    for instance in sorted((group or {}).get("Instances") or [], key=lambda i: i["InstanceId"]):
        template = instance.get("LaunchTemplate") or {}
        found.append(
            {
                "instance_id": instance["InstanceId"],
                "lifecycle_state": instance.get("LifecycleState"),
                "launch_template_name": template.get("LaunchTemplateName"),
                "launch_template_version": template.get("Version"),
                "launch_configuration_name": instance.get("LaunchConfigurationName"),
            }
        )
    return found


def active_refresh(refreshes: list[dict]) -> dict | None:
    """The refresh of DescribeInstanceRefreshes' list that is still active (AWS allows one), or None."""
    return next((r for r in refreshes if r.get("Status") in ACTIVE), None)


def aws_preferences(preferences: dict | None) -> dict:
    """The role's preferences (snake_case, as amazon.aws takes them, or AWS's CamelCase) in AWS's names."""
    converted = {}
    for key, value in (preferences or {}).items():
        # AWS's own names as given; converting them would lower their inner capitals (AutoRollback -> Autorollback).
        converted.update({key: value} if key[:1].isupper() else snake_dict_to_camel_dict({key: value}, True))
    return converted


def rollback_version(group: dict, launch_template_name: str) -> str | None:
    """The version number to put the group on before a refresh with AutoRollback, or None when it names one.

    AWS rolls back to the group's own numbered version only ("the rollback option is not available if the
    Auto Scaling group is configured to use the $Latest or $Default launch template version"): the version
    its instances run from now.
    """
    current = group.get("LaunchTemplate") or {}
    if current.get("LaunchTemplateName") == launch_template_name and str(current.get("Version", "")).isdigit():
        return None
    running = {
        str((i.get("LaunchTemplate") or {}).get("Version"))
        for i in group.get("Instances") or []
        if i.get("LifecycleState") not in _LEAVING
        and (i.get("LaunchTemplate") or {}).get("LaunchTemplateName") == launch_template_name
        and not i.get("LaunchConfigurationName")
    }
    others = [
        i
        for i in group.get("Instances") or []
        if (i.get("LaunchTemplate") or {}).get("LaunchTemplateName") != launch_template_name
    ]
    if len(running) != 1 or others:
        raise RefreshError(
            f"preferences: auto_rollback returns the instances of {group['AutoScalingGroupName']} to one version "
            f"number of {launch_template_name}, but they run from {sorted(running) or 'none'}"
            + (" and from other launch templates or configurations" if others else "")
            + "; refresh once without auto_rollback first",
            option="preferences",
        )
    return running.pop()


def start_request(group_name: str, launch_template_name: str, version: int | str, preferences: dict) -> dict:
    """StartInstanceRefresh's parameters.

    With AutoRollback, AWS requires a desired configuration with a numbered launch template version (the
    rollback returns to the group's own numbered version; "the rollback option is not available if the Auto
    Scaling group is configured to use the $Latest or $Default launch template version"); on success AWS
    moves the group to the desired configuration.
    """
    request = {"AutoScalingGroupName": group_name, "Preferences": preferences}
    if preferences.get("AutoRollback"):
        request["DesiredConfiguration"] = {
            "LaunchTemplate": {"LaunchTemplateName": launch_template_name, "Version": str(version)}
        }
    return request


def progress_line(group_name: str, refresh: dict) -> str:
    """One line a user reads while waiting (``refresh`` in snake_case): status, percentage, instances left."""
    line = (
        f"Instance refresh {refresh.get('instance_refresh_id')} of {group_name}: {refresh.get('status')}, "
        f"{refresh.get('percentage_complete') or 0}% complete, {refresh.get('instances_to_update') or 0} "
        "instances to update"
    )
    if refresh.get("status_reason") and refresh.get("status") not in ACTIVE:
        line += f" ({refresh['status_reason']})"
    return line


def failure_message(group_name: str, refresh: dict) -> str:
    """The error of a refresh that did not succeed (snake_case): group, id, status and AWS's reason."""
    return (
        f"Instance refresh {refresh.get('instance_refresh_id')} of Auto Scaling group {group_name} ended "
        f"{refresh.get('status')}: {refresh.get('status_reason') or 'AWS gave no reason'}"
    )


def snake(refresh: dict | None) -> dict | None:
    """A refresh as the module returns it (snake_case, times as ISO strings)."""
    if refresh is None:
        return None
    shaped = camel_dict_to_snake_dict(refresh)
    for key in ("start_time", "end_time"):
        if hasattr(shaped.get(key), "isoformat"):
            shaped[key] = shaped[key].isoformat()
    return shaped


# --- AWS calls: one function per call ----------------------------------------------------------


@handles(AutoScalingErrorHandler.list_error_handler, "describe Auto Scaling group {name}", None)
@AWSRetry.jittered_backoff()
def describe_group(client, name: str) -> dict | None:
    """The group as DescribeAutoScalingGroups has it, None when there is none."""
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


@handles(AutoScalingErrorHandler.common_error_handler, "describe launch template {name}")
@AWSRetry.jittered_backoff()
def default_version_number(ec2, name: str) -> int:
    return ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"][0]["DefaultVersionNumber"]


class RefreshInProgress(Exception):
    """StartInstanceRefresh answered InstanceRefreshInProgress: another refresh of the group is active."""


# amazon.aws's start_instance_refresh retries InstanceRefreshInProgress for minutes; here it is an answer.
@handles(AutoScalingErrorHandler.common_error_handler, "start an instance refresh of {request[AutoScalingGroupName]}")
@AWSRetry.jittered_backoff()
def start_instance_refresh(client, request: dict) -> str:
    try:
        return client.start_instance_refresh(**request)["InstanceRefreshId"]
    except is_boto3_error_code("InstanceRefreshInProgress"):
        raise RefreshInProgress(request["AutoScalingGroupName"]) from None


@handles(
    AutoScalingErrorHandler.common_error_handler, "put Auto Scaling group {name} on launch template version {version}"
)
@AWSRetry.jittered_backoff()
def name_group_version(client, name: str, launch_template_name: str, version: str) -> None:
    launch_template = {"LaunchTemplateName": launch_template_name, "Version": str(version)}
    client.update_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate=launch_template)


def refreshes_of(client, name: str) -> list[dict]:
    return describe_instance_refreshes(client, auto_scaling_group_name=name).get("InstanceRefreshes", [])


# --- the decision and the start ------------------------------------------------------------------


def ensure_refreshed(client, ec2, params: dict, check_mode: bool) -> dict:
    """Decide from the group's state, and start a refresh when needed (the action plugin waits for it).

    Returns the module's result: ``needed``, ``reasons``, ``actions``, ``instance_refresh`` (the one started,
    or one already active, which the caller waits for and then asks again), ``in_progress``.
    """
    name = params["name"]
    template_name = params["launch_template_name"]
    result = {"changed": False, "actions": [], "needed": False, "reasons": [], "instance_refresh": None}
    result.update(in_progress=False, instances=[])
    group = describe_group(client, name)
    if group is None:
        if check_mode:  # the group would be created: its first instances launch from the version in use
            return result
        raise RefreshError(f"name: Auto Scaling group {name} does not exist", option="name")
    result["instances"] = instances_of(group)
    version = params["launch_template_version"] or default_version_number(ec2, template_name)
    result["reasons"] = instance_reasons(group, template_name, version)
    result["needed"] = bool(result["reasons"])
    if not result["needed"]:
        return result
    preferences = aws_preferences(params["preferences"])
    request = start_request(name, template_name, version, preferences)
    pin = rollback_version(group, template_name) if preferences.get("AutoRollback") else None
    try:
        if pin is not None and not active_refresh(refreshes_of(client, name)):
            result["actions"].append("UpdateAutoScalingGroup")
            if not check_mode:
                name_group_version(client, name, template_name, pin)
        if check_mode:
            # A refresh already active would be waited for first; the prediction says so.
            active = active_refresh(refreshes_of(client, name))
            if active:
                return {**result, "instance_refresh": snake(active), "in_progress": True}
        else:
            refresh_id = start_instance_refresh(client, request)
            result["instance_refresh"] = {"instance_refresh_id": refresh_id, "status": "Pending"}
    except RefreshInProgress:
        active = active_refresh(refreshes_of(client, name))
        return {**result, "instance_refresh": snake(active), "in_progress": active is not None}
    return {**result, "changed": True, "actions": result["actions"] + ["StartInstanceRefresh"]}


class RefreshError(Refusal):
    """A state the module cannot act on; the message and ``option`` name the option."""
