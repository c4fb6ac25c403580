# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's resources on the emulator: reset between runs, and what a teardown left.

Everything here talks to the emulator directly (not through the recording proxy), so none of
it is counted. Only names the benchmark uses are touched, in the account given (LocalStack takes
a 12-digit access key id for the account id: each side of the benchmark has its own account).
"""

from __future__ import annotations

import contextlib
import os

import boto3
import botocore.config
import botocore.exceptions

JOB_PREFIXES = ("qateam-", "qa-deployer", "bench-scale-", "my-lt-with-instance-profile")
DEPLOYER = "qateam-deployer"
# Made once by bench/baseline/fixtures.yml (the boundary job), and by ensure_user (qa-deployer, the equal
# job's deployer); cleanup(keep_fixtures=True) leaves them.
FIXTURES = (DEPLOYER, "qateam-boundary", "qa-deployer")


def _mine(name: str) -> bool:
    return name.startswith(JOB_PREFIXES)


def clients(upstream: str, account: str) -> dict:
    cfg = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"})
    session = boto3.Session(
        aws_access_key_id=account,
        aws_secret_access_key="test",  # noqa: S106 - the emulator's
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )
    return {name: session.client(name, endpoint_url=upstream, config=cfg) for name in ("iam", "ec2", "autoscaling")}


def _groups(c) -> list[str]:
    groups = c["autoscaling"].describe_auto_scaling_groups()["AutoScalingGroups"]
    return [g["AutoScalingGroupName"] for g in groups if _mine(g["AutoScalingGroupName"])]


def _templates(c) -> list[dict]:
    return [t for t in c["ec2"].describe_launch_templates()["LaunchTemplates"] if _mine(t["LaunchTemplateName"])]


def _paged(c, operation: str, key: str, **kw) -> list[dict]:
    return [item for page in c["iam"].get_paginator(operation).paginate(**kw) for item in page[key]]


def _delete_role(iam, name: str) -> None:
    for pol in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=pol["PolicyArn"])
    for pol in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=pol)
    iam.delete_role(RoleName=name)


def _delete_user(iam, name: str) -> None:
    for pol in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=pol)
    for pol in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=name, PolicyArn=pol["PolicyArn"])
    iam.delete_user(UserName=name)


def _delete_policy(iam, arn: str) -> None:
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


def _delete_profile(iam, profile: dict) -> None:
    for role in profile["Roles"]:
        iam.remove_role_from_instance_profile(
            InstanceProfileName=profile["InstanceProfileName"], RoleName=role["RoleName"]
        )
    iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])


def _delete_user_unless_fixture(iam, user: dict, keep_fixtures: bool) -> None:
    """Delete the user; a kept fixture only loses its inline policies (the job's PassRole policy)."""
    if keep_fixtures and user["UserName"] in FIXTURES:
        for pol in iam.list_user_policies(UserName=user["UserName"])["PolicyNames"]:
            iam.delete_user_policy(UserName=user["UserName"], PolicyName=pol)
    else:
        _delete_user(iam, user["UserName"])


def cleanup(upstream: str, account: str, *, keep_fixtures: bool = False) -> None:
    """Delete every benchmark resource: groups, templates, profiles, roles, users, policies.

    With ``keep_fixtures``, the deployer user and the boundary policy stay (the deployer's
    inline policies go).
    """
    c = clients(upstream, account)
    iam = c["iam"]
    for name in _groups(c):
        c["autoscaling"].delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    for template in _templates(c):
        c["ec2"].delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
    kept = FIXTURES if keep_fixtures else ()
    iam_kinds = (
        ("list_instance_profiles", "InstanceProfiles", {}, "InstanceProfileName", lambda p: _delete_profile(iam, p)),
        ("list_roles", "Roles", {}, "RoleName", lambda r: _delete_role(iam, r["RoleName"])),
        ("list_users", "Users", {}, "UserName", lambda u: _delete_user_unless_fixture(iam, u, keep_fixtures)),
        ("list_policies", "Policies", {"Scope": "Local"}, "PolicyName", lambda p: _delete_policy(iam, p["Arn"])),
    )
    # Profiles before roles, users before the policies they could hold.
    for operation, key, kw, name_key, delete in iam_kinds:
        for item in _paged(c, operation, key, **kw):
            if _mine(item[name_key]) and not (operation == "list_policies" and item[name_key] in kept):
                delete(item)


def ensure_user(upstream: str, account: str, name: str) -> None:
    """The IAM user ``name`` (a deployer the job references but does not create), made if missing."""
    iam = clients(upstream, account)["iam"]
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=name)


def leftovers(upstream: str, account: str, *, deployer: str = DEPLOYER) -> list[str]:
    """Job resources still there after a teardown (the fixtures, boundary and deployer, excepted)."""
    c = clients(upstream, account)
    left = [f"group {name}" for name in _groups(c)]
    left += [f"launch template {t['LaunchTemplateName']}" for t in _templates(c)]
    left += [
        f"instance profile {p['InstanceProfileName']}"
        for p in _paged(c, "list_instance_profiles", "InstanceProfiles")
        if _mine(p["InstanceProfileName"])
    ]
    left += [f"role {r['RoleName']}" for r in _paged(c, "list_roles", "Roles") if _mine(r["RoleName"])]
    with contextlib.suppress(botocore.exceptions.ClientError):
        left += [f"deployer policy {p}" for p in c["iam"].list_user_policies(UserName=deployer)["PolicyNames"]]
    return left
