# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suite's view of the emulator: fixtures, a normalised state snapshot, and cleanup.

Everything here talks to the emulator directly (never through the fault proxy), so none of
it is counted or faulted. Each case owns the names that start with its prefix (``rel-<case>-``)
and touches nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.parse

import boto3
import botocore.config
import botocore.exceptions

AZ = "us-east-1a"
IMAGE = "ami-04d5cc9b88example"


def clients(upstream: str, region: str | None = None) -> dict:
    cfg = botocore.config.Config(retries={"max_attempts": 3, "mode": "standard"})
    kw = {"endpoint_url": upstream, "region_name": region or os.environ.get("AWS_REGION", "us-east-1"), "config": cfg}
    kw.update(aws_access_key_id="test", aws_secret_access_key="test")
    return {name: boto3.client(name, **kw) for name in ("iam", "ec2", "autoscaling")}


class Names:
    """The resource names of one case; the role vars that deploy them."""

    def __init__(self, case: str):
        self.prefix = f"rel-{case}-"
        self.role = f"{self.prefix}app"
        self.template = f"{self.prefix}lt"
        self.group = f"{self.prefix}asg"
        self.deployer = f"{self.prefix}deployer"

    def role_vars(self, **override) -> dict:
        data = {
            "asg_instance_role_name": self.role,
            "asg_instance_role_managed_policies": ["AmazonSSMManagedInstanceCore"],
            "asg_instance_role_passrole_prefix": self.prefix,
            "asg_instance_role_deployer": {"type": "user", "name": self.deployer},
            "asg_instance_role_tags": {"suite": "reliability"},
            "asg_instance_role_launch_template_name": self.template,
            "asg_instance_role_launch_template_data": {"ImageId": IMAGE, "InstanceType": "t2.micro"},
            "asg_instance_role_asg_name": self.group,
            "asg_instance_role_asg_min_size": 1,
            "asg_instance_role_asg_max_size": 2,
            "asg_instance_role_asg_desired_capacity": 1,
            "asg_instance_role_asg_availability_zones": [AZ],
            # the emulator's refresh moves a step a second (tests/reliability/run)
            "asg_instance_role_instance_refresh_poll_interval": 1,
        }
        data.update(override)
        return data


def _paged(iam, operation: str, key: str, **kw) -> list[dict]:
    return [item for page in iam.get_paginator(operation).paginate(**kw) for item in page[key]]


def _doc(value):
    """A policy document as a dict (IAM returns URL-encoded JSON on the wire; boto3 decodes some)."""
    if isinstance(value, dict):
        return value
    return json.loads(urllib.parse.unquote(value))


def ensure_deployer(upstream: str, names: Names) -> None:
    iam = clients(upstream)["iam"]
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=names.deployer)


def ensure_template(upstream: str, names: Names, instance_type: str = "t2.micro") -> None:
    """A launch template without instance profile, as a user has before adopting the role (version 1)."""
    ec2 = clients(upstream)["ec2"]
    ec2.create_launch_template(
        LaunchTemplateName=names.template, LaunchTemplateData={"ImageId": IMAGE, "InstanceType": instance_type}
    )


def snapshot(upstream: str, names: Names) -> dict:
    """Everything under the case's prefix, with ids and dates removed and the prefix replaced.

    Two snapshots of runs with different prefixes compare equal when the runs made the same
    resources; counts (roles, profiles, versions, groups) are part of it, so a duplicate or an
    orphan shows as a difference.
    """
    c = clients(upstream)
    iam = c["iam"]
    state: dict = {
        "roles": {},
        "instance_profiles": {},
        "policies": {},
        "launch_templates": {},
        "groups": {},
        "deployer": None,
        "deployer_attached": None,
    }
    for role in _paged(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        if not name.startswith(names.prefix):
            continue
        full = iam.get_role(RoleName=name)["Role"]
        state["roles"][name] = {
            "path": full["Path"],
            "description": full.get("Description"),
            "trust": _doc(full["AssumeRolePolicyDocument"]),
            "managed": sorted(
                p["PolicyArn"] for p in _paged(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
            ),
            "inline": {
                p: _doc(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
                for p in _paged(iam, "list_role_policies", "PolicyNames", RoleName=name)
            },
            "boundary": (full.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "max_session_duration": full.get("MaxSessionDuration"),
            "tags": {t["Key"]: t["Value"] for t in full.get("Tags", [])},
        }
    for profile in _paged(iam, "list_instance_profiles", "InstanceProfiles"):
        if profile["InstanceProfileName"].startswith(names.prefix):
            state["instance_profiles"][profile["InstanceProfileName"]] = {
                "path": profile["Path"],
                "roles": sorted(r["RoleName"] for r in profile["Roles"]),
                "tags": _profile_tags(iam, profile["InstanceProfileName"]),
            }
    state["policies"] = _customer_policies(iam, names.prefix)
    for template in c["ec2"].describe_launch_templates()["LaunchTemplates"]:
        if not template["LaunchTemplateName"].startswith(names.prefix):
            continue
        versions = c["ec2"].describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])[
            "LaunchTemplateVersions"
        ]
        state["launch_templates"][template["LaunchTemplateName"]] = {
            "default": template["DefaultVersionNumber"],
            "latest": template["LatestVersionNumber"],
            "versions": {
                str(v["VersionNumber"]): v["LaunchTemplateData"]
                for v in sorted(versions, key=lambda v: v["VersionNumber"])
            },
            "tags": _template_tags(c["ec2"], template["LaunchTemplateId"]),
        }
    for group in c["autoscaling"].describe_auto_scaling_groups()["AutoScalingGroups"]:
        if not group["AutoScalingGroupName"].startswith(names.prefix):
            continue
        spec = dict(group.get("LaunchTemplate") or {})
        spec.pop("LaunchTemplateId", None)
        state["groups"][group["AutoScalingGroupName"]] = {
            "launch_template": spec,
            "min": group["MinSize"],
            "max": group["MaxSize"],
            "desired": group["DesiredCapacity"],
            "zones": sorted(group["AvailabilityZones"]),
            "tags": {t["Key"]: t["Value"] for t in group.get("Tags", [])},
            "instance_refreshes": _refreshes(c["autoscaling"], group),
        }
    with contextlib.suppress(botocore.exceptions.ClientError):
        state["deployer"] = {
            p: _doc(iam.get_user_policy(UserName=names.deployer, PolicyName=p)["PolicyDocument"])
            for p in iam.list_user_policies(UserName=names.deployer)["PolicyNames"]
        }
    with contextlib.suppress(botocore.exceptions.ClientError):
        attached = _paged(iam, "list_attached_user_policies", "AttachedPolicies", UserName=names.deployer)
        state["deployer_attached"] = sorted(p["PolicyArn"] for p in attached)
    text = json.dumps(state, sort_keys=True, default=str)
    text = re.sub(r"lt-[0-9a-f]{8,}", "lt-ID", text).replace(names.prefix, "rel-CASE-")
    return json.loads(text)


def _profile_tags(iam, name: str) -> dict:
    return {t["Key"]: t["Value"] for t in _paged(iam, "list_instance_profile_tags", "Tags", InstanceProfileName=name)}


def _customer_policies(iam, prefix: str) -> dict:
    """The case's customer managed policies: path, the default version's document, and where attached."""
    found = {}
    for policy in _paged(iam, "list_policies", "Policies", Scope="Local"):
        if not policy["PolicyName"].startswith(prefix):
            continue
        arn = policy["Arn"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        entities = iam.list_entities_for_policy(PolicyArn=arn)
        found[policy["PolicyName"]] = {
            "path": policy["Path"],
            "document": _doc(version["Document"]),
            "versions": len(iam.list_policy_versions(PolicyArn=arn)["Versions"]),
            "roles": sorted(r["RoleName"] for r in entities["PolicyRoles"]),
            "users": sorted(u["UserName"] for u in entities["PolicyUsers"]),
        }
    return found


def _template_tags(ec2, template_id: str) -> dict:
    """The template's tags as DescribeTags has them (the emulator's DescribeLaunchTemplates keeps
    showing the tags of the creation after CreateTags/DeleteTags; AWS shows the same in both)."""
    found = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [template_id]}])["Tags"]
    return {t["Key"]: t["Value"] for t in found}


def _refreshes(autoscaling, group: dict) -> int:
    """Instance refreshes started on this group (not on an earlier group of the same name).

    A crash must not make a rerun start a second refresh, nor leave one unstarted.
    """
    with contextlib.suppress(botocore.exceptions.ClientError):
        found = autoscaling.describe_instance_refreshes(AutoScalingGroupName=group["AutoScalingGroupName"])
        return sum(1 for r in found["InstanceRefreshes"] if r["StartTime"] >= group["CreatedTime"])
    return -1


def diff(expected: dict, actual: dict, path: str = "") -> list[str]:
    """Readable differences between two snapshots (first few)."""
    out: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append(f"{path}/{key}: missing")
            elif key not in expected:
                out.append(f"{path}/{key}: extra {json.dumps(actual[key], default=str)[:160]}")
            else:
                out.extend(diff(expected[key], actual[key], f"{path}/{key}"))
    elif expected != actual:
        out.append(f"{path}: {json.dumps(expected, default=str)[:120]} != {json.dumps(actual, default=str)[:120]}")
    return out


def _delete_role(iam, name: str) -> None:
    for pol in _paged(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        iam.detach_role_policy(RoleName=name, PolicyArn=pol["PolicyArn"])
    for pol in _paged(iam, "list_role_policies", "PolicyNames", RoleName=name):
        iam.delete_role_policy(RoleName=name, PolicyName=pol)
    iam.delete_role(RoleName=name)


def _delete_user(iam, name: str) -> None:
    for pol in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=pol)
    for pol in _paged(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name):
        iam.detach_user_policy(UserName=name, PolicyArn=pol["PolicyArn"])
    iam.delete_user(UserName=name)


def _delete_fleet(c: dict, prefix: str) -> None:
    for group in c["autoscaling"].describe_auto_scaling_groups()["AutoScalingGroups"]:
        if group["AutoScalingGroupName"].startswith(prefix):
            with contextlib.suppress(botocore.exceptions.ClientError):
                c["autoscaling"].delete_auto_scaling_group(
                    AutoScalingGroupName=group["AutoScalingGroupName"], ForceDelete=True
                )
    for template in c["ec2"].describe_launch_templates()["LaunchTemplates"]:
        if template["LaunchTemplateName"].startswith(prefix):
            c["ec2"].delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])


def cleanup(upstream: str, names: Names) -> None:
    """Delete everything under the case's prefix: groups, templates, profiles, roles, users."""
    c = clients(upstream)
    iam = c["iam"]
    _delete_fleet(c, names.prefix)
    for profile in _paged(iam, "list_instance_profiles", "InstanceProfiles"):
        if profile["InstanceProfileName"].startswith(names.prefix):
            for role in profile["Roles"]:
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=role["RoleName"]
                )
            iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for role in _paged(iam, "list_roles", "Roles"):
        if role["RoleName"].startswith(names.prefix):
            _delete_role(iam, role["RoleName"])
    for user in _paged(iam, "list_users", "Users"):
        if user["UserName"].startswith(names.prefix):
            _delete_user(iam, user["UserName"])
    for policy in _paged(iam, "list_policies", "Policies", Scope="Local"):
        if policy["PolicyName"].startswith(names.prefix):
            iam.delete_policy(PolicyArn=policy["Arn"])
