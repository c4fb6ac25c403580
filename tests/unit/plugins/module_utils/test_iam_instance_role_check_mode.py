# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode of every ensure_* step of iam_instance_role, on every change path, on moto.

Each case sets up the emulator, runs the step with ``Writes(True)`` and asserts three things: the
step reports the change with the actions a real run makes, no mutating API call reached botocore
(the ``calls`` fixture records every operation), and the emulator's whole IAM state is unchanged.
Then the same step runs for real on the same setup: the same actions, and the state check mode
predicted is the state IAM then holds.
"""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, ec2_trust_policy
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    Wanted,
    ensure_absent,
    ensure_inline_policies,
    ensure_instance_profile,
    ensure_instance_profile_role,
    ensure_instance_profile_tags,
    ensure_managed_policies,
    ensure_permissions_boundary,
    ensure_role,
    ensure_role_settings,
    ensure_role_tags,
    ensure_trust_policy,
    read_instance_profile,
    read_role,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAME = "iir-check"
OTHER = "iir-other"
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
EC2_TRUST = ec2_trust_policy("aws")
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
P1 = f"arn:aws:iam::{ACCOUNT}:policy/iir-p1"
P2 = f"arn:aws:iam::{ACCOUNT}:policy/iir-p2"


def is_mutating(operation):
    return not operation.startswith(("Get", "List"))


@pytest.fixture
def iam(moto_credentials):
    with mock_aws():
        client = boto3.client("iam", region_name=REGION)
        for name in ("iir-p1", "iir-p2"):
            client.create_policy(PolicyName=name, PolicyDocument=json.dumps(S3_READ))
        yield client


def iam_state(iam):
    """Everything IAM holds that a step could change: roles with every attribute, profiles, policies."""
    roles = {}
    for listed in iam.list_roles()["Roles"]:
        name = listed["RoleName"]
        role = iam.get_role(RoleName=name)["Role"]
        role.pop("RoleLastUsed", None)
        roles[name] = {
            "role": role,
            "attached": sorted(
                p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            ),
            "inline": {
                p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
            },
        }
    profiles = {
        p["InstanceProfileName"]: {
            "path": p["Path"],
            "roles": [r["RoleName"] for r in p["Roles"]],
            "tags": iam.get_instance_profile(InstanceProfileName=p["InstanceProfileName"])["InstanceProfile"].get(
                "Tags"
            ),
        }
        for p in iam.list_instance_profiles()["InstanceProfiles"]
    }
    policies = sorted(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"])
    return {"roles": roles, "profiles": profiles, "policies": policies}


def wanted(**overrides):
    return Wanted(
        **{"name": NAME, "path": "/", "trust": EC2_TRUST, "profile_name": NAME, "profile_path": "/", **overrides}
    )


def make_role(iam, *, name=NAME, trust=None, **extra):
    trust = EC2_TRUST if trust is None else trust
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)


def make_profile(iam, *roles, tags=None):
    iam.create_instance_profile(
        InstanceProfileName=NAME, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    )
    for role_name in roles:
        iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName=role_name)


# --- the table: (id, setup, step, wanted options, actions) ----------------------------------------------

ROLE_STEP_CASES = [
    ("create role", lambda iam: None, ensure_role, {"tags": {"team": "qa"}}, ["CreateRole"]),
    (
        "update trust",
        lambda iam: make_role(iam, trust=LAMBDA_TRUST),
        ensure_trust_policy,
        {},
        ["UpdateAssumeRolePolicy"],
    ),
    (
        "update description and max session",
        lambda iam: make_role(iam, Description="old"),
        ensure_role_settings,
        {"description": "new", "max_session_duration": 7200},
        ["UpdateRole"],
    ),
    (
        "put boundary",
        make_role,
        ensure_permissions_boundary,
        {"permissions_boundary": P1},
        ["PutRolePermissionsBoundary"],
    ),
    (
        "change boundary",
        lambda iam: make_role(iam, PermissionsBoundary=P1),
        ensure_permissions_boundary,
        {"permissions_boundary": P2},
        ["PutRolePermissionsBoundary"],
    ),
    (
        "remove boundary",
        lambda iam: make_role(iam, PermissionsBoundary=P1),
        ensure_permissions_boundary,
        {"permissions_boundary": ""},
        ["DeleteRolePermissionsBoundary"],
    ),
    (
        "set and unset role tags",
        lambda iam: make_role(iam, Tags=[{"Key": "old", "Value": "1"}]),
        ensure_role_tags,
        {"tags": {"team": "qa"}},
        ["UntagRole", "TagRole"],
    ),
    (
        "attach and detach managed policies",
        lambda iam: (make_role(iam), iam.attach_role_policy(RoleName=NAME, PolicyArn=P1)),
        ensure_managed_policies,
        {"managed_policies": [P2]},
        ["AttachRolePolicy", "DetachRolePolicy"],
    ),
    (
        "put and delete inline policies",
        lambda iam: (
            make_role(iam),
            iam.put_role_policy(RoleName=NAME, PolicyName="old", PolicyDocument=json.dumps(S3_READ)),
        ),
        ensure_inline_policies,
        {"inline_policies": {"s3-read": S3_READ}},
        ["PutRolePolicy", "DeleteRolePolicy"],
    ),
]

PROFILE_STEP_CASES = [
    ("create profile", make_role, ensure_instance_profile, {"tags": {"team": "qa"}}, ["CreateInstanceProfile"]),
    (
        "set and unset profile tags",
        lambda iam: (make_role(iam), make_profile(iam, NAME, tags={"old": "1"})),
        ensure_instance_profile_tags,
        {"tags": {"team": "qa"}},
        ["UntagInstanceProfile", "TagInstanceProfile"],
    ),
    (
        "add the role to an empty profile",
        lambda iam: (make_role(iam), make_profile(iam)),
        ensure_instance_profile_role,
        {},
        ["AddRoleToInstanceProfile"],
    ),
    (
        "repair a profile holding another role",
        lambda iam: (make_role(iam), make_role(iam, name=OTHER), make_profile(iam, OTHER)),
        ensure_instance_profile_role,
        {},
        ["RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile"],
    ),
]


def run_step(iam, step, state, options, writes):
    kwargs = {"wanted": wanted(**options), "writes": writes}
    if step is ensure_instance_profile_role:
        kwargs["warn"] = lambda message: None
    return step(state, iam, **kwargs)


def comparable(state):
    """A predicted state without what only AWS can know (ids, ARNs of what check mode did not create)."""
    if state is None:
        return None
    return {k: v for k, v in state.items() if k not in ("arn", "role_id", "instance_profile_id")}


def check_then_real(iam, calls, read, case):
    """``case`` is ``(setup, step, options, actions)`` from the tables above."""
    setup, step, options, actions = case
    setup(iam)
    before = iam_state(iam)
    current = read(iam)
    calls.clear()
    writes = Writes(True)
    changed, predicted = run_step(iam, step, current, options, writes)
    assert (changed, writes.actions) == (True, actions)
    assert [c for c in calls if is_mutating(c)] == []
    assert iam_state(iam) == before

    real = Writes(False)
    real_changed, after = run_step(iam, step, read(iam), options, real)
    assert (real_changed, real.actions) == (True, actions)
    assert iam_state(iam) != before
    assert comparable(predicted) == comparable(after) == comparable(read(iam))


@pytest.mark.parametrize("case", [c[1:] for c in ROLE_STEP_CASES], ids=[c[0] for c in ROLE_STEP_CASES])
def test_role_step_in_check_mode_writes_nothing_and_predicts(iam, calls, case):
    def read(client):
        return read_role(client, NAME, documents_of=case[2].get("inline_policies") or ())

    check_then_real(iam, calls, read, case)


@pytest.mark.parametrize("case", [c[1:] for c in PROFILE_STEP_CASES], ids=[c[0] for c in PROFILE_STEP_CASES])
def test_profile_step_in_check_mode_writes_nothing_and_predicts(iam, calls, case):
    check_then_real(iam, calls, lambda client: read_instance_profile(client, NAME), case)


def test_absent_in_check_mode_writes_nothing_and_predicts(iam, calls):
    """The delete path: the named profile holds another role, the role has policies of both kinds."""
    make_role(iam, PermissionsBoundary=P1, Tags=[{"Key": "team", "Value": "qa"}])
    make_role(iam, name=OTHER)
    iam.attach_role_policy(RoleName=NAME, PolicyArn=P2)
    iam.put_role_policy(RoleName=NAME, PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))
    make_profile(iam, OTHER)
    before = iam_state(iam)
    actions = [
        "RemoveRoleFromInstanceProfile",
        "DeleteInstanceProfile",
        "DetachRolePolicy",
        "DeleteRolePolicy",
        "DeleteRole",
    ]

    def absent(writes):
        return ensure_absent(
            iam, name=NAME, profile_name=NAME, force=True, groups_using=None, writes=writes, warn=lambda m: None
        )

    calls.clear()
    checked = Writes(True)
    assert absent(checked)[0] is True and checked.actions == actions
    assert [c for c in calls if is_mutating(c)] == []
    assert iam_state(iam) == before

    real = Writes(False)
    assert absent(real)[0] is True and real.actions == actions
    after = iam_state(iam)
    assert (list(after["roles"]), after["profiles"]) == ([OTHER], {})
