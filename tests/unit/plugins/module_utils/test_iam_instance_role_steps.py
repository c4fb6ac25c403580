# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_iam_instance_role: input table, each ensure_* step on moto, adoption, repair, waiting."""

import json

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, ec2_trust_policy
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    IamInstanceRoleError,
    Wanted,
    check_policies_exist,
    desired_state,
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
    policy_findings,
    read_instance_profile,
    read_role,
    refuse_path_change,
    wait_for_instance_profile_role,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAME = "iir-unit"
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
EC2_TRUST = ec2_trust_policy("aws")
POLL_THAT_SEES_IT = 3
TIMEOUT = 7
# removal from both profiles holding the role, the named profile, one managed and one inline policy, the role
ABSENT_ACTIONS = [
    "RemoveRoleFromInstanceProfile",
    "RemoveRoleFromInstanceProfile",
    "DeleteInstanceProfile",
    "DetachRolePolicy",
    "DeleteRolePolicy",
    "DeleteRole",
]


@pytest.fixture
def iam(moto_credentials):
    with mock_aws():
        yield boto3.client("iam", region_name=REGION)


def local_policy(iam, name):
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]


def wanted(**overrides):
    return Wanted(
        **{"name": NAME, "path": "/", "trust": EC2_TRUST, "profile_name": NAME, "profile_path": "/", **overrides}
    )


def params(**overrides):
    return {"name": NAME, "path": "/", **overrides}


# --- desired_state: every rule fails naming the option, before any API call ---------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "qa team"}, "name must contain only"),
        ({"name": "x" * 65}, "name must be 1-64 characters long"),
        ({"instance_profile_name": "p" * 129}, "instance_profile_name must be 1-128 characters long"),
        ({"path": "qa"}, "path must be '/' or begin and end with '/'"),
        ({"instance_profile_path": "/a b/"}, "instance_profile_path must be '/' or begin"),
        ({"description": "d" * 1001}, "description must be at most 1000 characters"),
        ({"max_session_duration": 60}, "max_session_duration must be between 3600 and 43200"),
        ({"tags": {"aws:x": "1"}}, "tags keys must not start with 'aws:'"),
        ({"wait_timeout": -1}, "wait_timeout must be 0 or more seconds"),
        ({"assume_role_policy_document": "{nope"}, "assume_role_policy_document must be a JSON policy document"),
        (
            {"assume_role_policy_document": {"Version": "2012-10-17"}},
            "assume_role_policy_document must have a Statement",
        ),
        (
            {"assume_role_policy_document": S3_READ},
            "assume_role_policy_document Statement[0] must have a Principal",
        ),
        (
            {
                "assume_role_policy_document": {
                    "Statement": [{**EC2_TRUST["Statement"][0], "Condition": {"x": "y" * 2100}}]
                }
            },
            "assume_role_policy_document must be at most 2048 characters",
        ),
        ({"inline_policies": {"bad name": S3_READ}}, "inline_policies name 'bad name': must contain only"),
        ({"inline_policies": {"p": "[]"}}, "inline_policies.p must be a policy document"),
        ({"inline_policies": {"p": EC2_TRUST}}, "inline_policies.p Statement[0] must not have a Principal"),
        (
            {
                "inline_policies": {
                    f"p{i}": {"Statement": [{**S3_READ["Statement"][0], "Resource": ["r" * 3000]}]} for i in range(4)
                }
            },
            "inline_policies must total at most 10240 characters",
        ),
        ({"managed_policies": ["arn:aws:iam::1:policy/x"]}, "managed_policies must be a policy ARN"),
        ({"managed_policies": ["arn:aws-cn:iam::aws:policy/x"]}, "managed_policies must be in the partition"),
        ({"managed_policies": ["not a name"]}, "managed_policies must be a policy ARN or the name of an AWS managed"),
        ({"managed_policies": [f"P{i}" for i in range(21)]}, "managed_policies must list at most 20 policies"),
        ({"permissions_boundary": "arn:aws:iam::aws:role/x"}, "permissions_boundary must be a policy ARN"),
    ],
)
def test_bad_input_names_option_and_rule(overrides, message):
    with pytest.raises(IamInstanceRoleError) as raised:
        desired_state(params(**overrides), "aws")
    assert message in str(raised.value)


def test_desired_state_resolves_names_and_defaults():
    state = desired_state(
        params(
            managed_policies=[
                "AmazonSSMManagedInstanceCore",
                "service-role/AmazonEC2RoleforSSM",
                "AmazonSSMManagedInstanceCore",
            ],
            permissions_boundary="PowerUserAccess",
            inline_policies={"s3-read": json.dumps(S3_READ)},
            tags={"n": 1, "empty": None},
            path="/qa/",
        ),
        "aws-cn",
    )
    assert state.managed_policies == [
        "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws-cn:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
    ]
    assert state.permissions_boundary == "arn:aws-cn:iam::aws:policy/PowerUserAccess"
    assert state.trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com.cn"}
    assert state.inline_policies == {"s3-read": S3_READ}
    assert state.tags == {"n": "1", "empty": ""}
    assert (state.profile_name, state.profile_path) == (NAME, "/qa/")
    assert state.warnings == []


def test_leave_as_is_and_remove_boundary():
    state = desired_state(params(permissions_boundary=""), "aws")
    assert (state.managed_policies, state.inline_policies, state.tags, state.permissions_boundary) == (
        None,
        None,
        None,
        "",
    )


def test_more_than_ten_managed_policies_warns():
    state = desired_state(params(managed_policies=[f"P{i}" for i in range(11)]), "aws")
    assert len(state.warnings) == 1 and "default quota is 10" in state.warnings[0]


# --- policy findings (lint stubbed: its own tests live in test_policy_lint.py) -------------------------


def fake_lint(documents):
    findings = [{"policy": label, "kind": "broad_grant", "message": "grants *"} for label in documents]
    return findings + [{"policy": "all", "kind": "catalogue_missing", "message": "no catalogue"}]


@pytest.mark.parametrize("strict", [False, True])
def test_policy_findings(strict):
    state = wanted(
        inline_policies={"admin": S3_READ},
        managed_policies=[
            "arn:aws:iam::aws:policy/AdministratorAccess",
            f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess",
        ],
    )
    warnings, failures = policy_findings(state, fake_lint, trust_given=True, strict=strict)
    expected_strict = [
        "assume_role_policy_document: grants * (broad_grant)",
        "inline_policies.admin: grants * (broad_grant)",
        "managed_policies: arn:aws:iam::aws:policy/AdministratorAccess grants every action on every resource "
        "(broad_grant)",
    ]
    if strict:
        assert failures == expected_strict
        assert warnings == ["all: no catalogue (catalogue_missing)"]
    else:
        assert failures == []
        assert warnings == expected_strict[:2] + ["all: no catalogue (catalogue_missing)"] + expected_strict[2:]


def test_policy_findings_without_documents_does_not_lint():
    def refuse(documents):
        raise AssertionError(documents)

    assert policy_findings(wanted(), refuse, trust_given=False, strict=True) == ([], [])


# --- checks before writes -------------------------------------------------------------------------------


def test_path_change_is_refused():
    role = {"path": "/old/"}
    with pytest.raises(IamInstanceRoleError) as refused:
        refuse_path_change(wanted(path="/new/"), role, None)
    assert str(refused.value).startswith("path: role iir-unit exists with path /old/")
    assert refused.value.option == "path"
    profile = {"path": "/"}
    with pytest.raises(IamInstanceRoleError) as refused:
        refuse_path_change(wanted(profile_path="/p/"), None, profile)
    assert str(refused.value).startswith("instance_profile_path:")
    assert refused.value.option == "instance_profile_path"
    assert refuse_path_change(wanted(), {"path": "/"}, profile) is None


def test_missing_policies_fail_and_attached_ones_are_not_read(iam, monkeypatch):
    mine = local_policy(iam, "iir-mine")
    missing = f"arn:aws:iam::{ACCOUNT}:policy/iir-missing"
    state = wanted(managed_policies=[mine, missing], permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/iir-nob")
    with pytest.raises(IamInstanceRoleError) as raised:
        check_policies_exist(iam, state, None)
    assert str(raised.value) == (
        f"these policies do not exist (nothing was written): managed_policies: {missing}; "
        f"permissions_boundary: arn:aws:iam::{ACCOUNT}:policy/iir-nob"
    )
    asked = []
    monkeypatch.setattr(iam, "get_policy", lambda **kw: asked.append(kw) or {"Policy": {}})
    check_policies_exist(
        iam, wanted(managed_policies=[mine]), {"managed_policies": [mine], "permissions_boundary": None}
    )
    assert asked == []


# --- ensure_* steps --------------------------------------------------------------------------------------


def created_role(iam, **overrides):
    state = wanted(**overrides)
    changed, role = ensure_role(None, iam, wanted=state, writes=Writes(False))
    assert changed
    return role


def test_ensure_role_creates_with_everything_create_role_carries(iam):
    boundary = local_policy(iam, "iir-boundary")
    writes = Writes(False)
    state = wanted(description="qa", max_session_duration=7200, permissions_boundary=boundary, tags={"team": "qa"})
    changed, role = ensure_role(None, iam, wanted=state, writes=writes)
    assert (changed, writes.actions) == (True, ["CreateRole"])
    assert read_role(iam, NAME) == {**role, "arn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}"}
    assert role["permissions_boundary"] == boundary and role["tags"] == {"team": "qa"}
    # and then the other role steps see nothing to do
    for step in (ensure_trust_policy, ensure_role_settings, ensure_permissions_boundary, ensure_role_tags):
        assert step(role, iam, wanted=state, writes=writes) == (False, role)
    assert writes.actions == ["CreateRole"]


def test_ensure_role_check_mode_predicts_without_calling(iam):
    writes = Writes(True)
    changed, role = ensure_role(None, iam, wanted=wanted(), writes=writes)
    assert (changed, writes.actions, role["arn"], role["role_name"]) == (True, ["CreateRole"], None, NAME)
    assert iam.list_roles()["Roles"] == []


def test_create_role_entity_already_exists_is_adopted(iam):
    iam.create_role(RoleName=NAME, AssumeRolePolicyDocument=json.dumps(S3_TRUST_OTHER), Description="theirs")
    iam.put_role_policy(RoleName=NAME, PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))
    writes = Writes(False)
    state = wanted(inline_policies={"s3-read": S3_READ})
    changed, role = ensure_role(None, iam, wanted=state, writes=writes)  # as if it appeared after our read
    assert (changed, writes.actions) == (False, [])
    assert role["description"] == "theirs" and role["inline_policies"] == {"s3-read": S3_READ}
    # converging goes on from the adopted role
    assert ensure_trust_policy(role, iam, wanted=state, writes=writes)[0] is True
    assert ensure_inline_policies(role, iam, wanted=state, writes=writes)[0] is False
    assert writes.actions == ["UpdateAssumeRolePolicy"]


def test_adopted_role_with_another_path_fails(iam):
    iam.create_role(RoleName=NAME, Path="/other/", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    with pytest.raises(IamInstanceRoleError, match="^path: role iir-unit exists with path /other/"):
        ensure_role(None, iam, wanted=wanted(), writes=Writes(False))


S3_TRUST_OTHER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.mark.parametrize("check_mode", [False, True])
def test_ensure_trust_policy_puts_ec2_back(iam, check_mode):
    role = created_role(iam, trust=S3_TRUST_OTHER)
    writes = Writes(check_mode)
    changed, after = ensure_trust_policy(role, iam, wanted=wanted(), writes=writes)
    assert (changed, writes.actions, after["assume_role_policy_document"]) == (
        True,
        ["UpdateAssumeRolePolicy"],
        EC2_TRUST,
    )
    stored = read_role(iam, NAME)["assume_role_policy_document"]
    assert stored == (S3_TRUST_OTHER if check_mode else EC2_TRUST)


def test_ensure_trust_policy_ignores_form_differences(iam):
    role = created_role(iam)
    same = {"Version": "2012-10-17", "Statement": [{**EC2_TRUST["Statement"][0], "Action": ["sts:AssumeRole"]}]}
    assert ensure_trust_policy(role, iam, wanted=wanted(trust=same), writes=Writes(False))[0] is False


@pytest.mark.parametrize(
    "current, given, expected_call",
    [
        ({"description": "a", "max_session_duration": 3600}, {"description": "a"}, None),
        ({"description": "a", "max_session_duration": 3600}, {}, None),
        ({"description": "a", "max_session_duration": 3600}, {"description": "b"}, ("b", 3600)),
        ({"description": "a", "max_session_duration": 3600}, {"max_session_duration": 7200}, ("a", 7200)),
        ({"description": None, "max_session_duration": 3600}, {"max_session_duration": 7200}, (None, 7200)),
    ],
)
def test_ensure_role_settings(iam, current, given, expected_call):
    role = created_role(iam, description=current["description"])
    role = {**role, **current}
    writes = Writes(False)
    changed, after = ensure_role_settings(role, iam, wanted=wanted(**given), writes=writes)
    assert changed is (expected_call is not None)
    assert writes.actions == (["UpdateRole"] if expected_call else [])
    if expected_call:
        stored = read_role(iam, NAME)
        assert (stored["description"], stored["max_session_duration"]) == expected_call
        assert (after["description"], after["max_session_duration"]) == expected_call


def test_ensure_permissions_boundary_put_change_remove_leave(iam):
    first, second = local_policy(iam, "iir-b1"), local_policy(iam, "iir-b2")
    role = created_role(iam)
    steps = [
        (first, ["PutRolePermissionsBoundary"]),
        (first, []),
        (second, ["PutRolePermissionsBoundary"]),
        (None, []),
        ("", ["DeleteRolePermissionsBoundary"]),
        ("", []),
    ]
    for boundary, actions in steps:
        writes = Writes(False)
        changed, role = ensure_permissions_boundary(
            role, iam, wanted=wanted(permissions_boundary=boundary), writes=writes
        )
        assert (changed, writes.actions) == (bool(actions), actions), boundary
        assert read_role(iam, NAME)["permissions_boundary"] == role["permissions_boundary"]


@pytest.mark.parametrize(
    "tags, purge, actions, result",
    [
        ({"a": "1", "b": "2"}, True, [], {"a": "1", "b": "2"}),
        ({"a": "1"}, True, ["UntagRole"], {"a": "1"}),
        ({"a": "1"}, False, [], {"a": "1", "b": "2"}),
        ({"a": "9", "c": "3"}, True, ["UntagRole", "TagRole"], {"a": "9", "c": "3"}),
        (None, True, [], {"a": "1", "b": "2"}),
        ({}, True, ["UntagRole"], {}),
    ],
)
def test_ensure_role_tags(iam, tags, purge, actions, result):
    role = created_role(iam, tags={"a": "1", "b": "2"})
    writes = Writes(False)
    changed, after = ensure_role_tags(role, iam, wanted=wanted(tags=tags, purge_tags=purge), writes=writes)
    assert (changed, writes.actions, after["tags"]) == (bool(actions), actions, result)
    assert read_role(iam, NAME)["tags"] == result


@pytest.mark.parametrize(
    "given, purge, actions, attached",
    [
        (["p1", "p2"], True, [], ["p1", "p2"]),
        (["p2", "p3"], True, ["AttachRolePolicy", "DetachRolePolicy"], ["p2", "p3"]),
        (["p3"], False, ["AttachRolePolicy"], ["p1", "p2", "p3"]),
        ([], True, ["DetachRolePolicy", "DetachRolePolicy"], []),
        (None, True, [], ["p1", "p2"]),
    ],
)
def test_ensure_managed_policies(iam, given, purge, actions, attached):
    arns = {n: local_policy(iam, n) for n in ("p1", "p2", "p3")}
    role = created_role(iam)
    setup = Writes(False)
    _setup_changed, role = ensure_managed_policies(
        role, iam, wanted=wanted(managed_policies=[arns["p1"], arns["p2"]]), writes=setup
    )
    writes = Writes(False)
    state = wanted(managed_policies=None if given is None else [arns[n] for n in given], purge_managed_policies=purge)
    changed, after = ensure_managed_policies(role, iam, wanted=state, writes=writes)
    assert (changed, writes.actions) == (bool(actions), actions)
    assert after["managed_policies"] == read_role(iam, NAME)["managed_policies"] == sorted(arns[n] for n in attached)


@pytest.mark.parametrize(
    "given, purge, actions, names",
    [
        ({"s3-read": S3_READ, "other": S3_READ}, True, [], ["other", "s3-read"]),
        (
            {"s3-read": {**S3_READ, "Statement": [{**S3_READ["Statement"][0], "Resource": "arn:aws:s3:::b/*"}]}},
            True,
            ["PutRolePolicy", "DeleteRolePolicy"],
            ["s3-read"],
        ),
        ({"new": S3_READ}, False, ["PutRolePolicy"], ["new", "other", "s3-read"]),
        ({}, True, ["DeleteRolePolicy", "DeleteRolePolicy"], []),
        (None, True, [], ["other", "s3-read"]),
    ],
)
def test_ensure_inline_policies(iam, given, purge, actions, names):
    created_role(iam)
    for policy_name in ("s3-read", "other"):
        iam.put_role_policy(RoleName=NAME, PolicyName=policy_name, PolicyDocument=json.dumps(S3_READ))
    role = read_role(iam, NAME, documents_of=given or ())
    writes = Writes(False)
    changed, after = ensure_inline_policies(
        role, iam, wanted=wanted(inline_policies=given, purge_inline_policies=purge), writes=writes
    )
    assert (changed, writes.actions) == (bool(actions), actions)
    assert sorted(after["inline_policies"]) == sorted(read_role(iam, NAME)["inline_policies"]) == names
    for policy_name, document in (given or {}).items():
        assert iam.get_role_policy(RoleName=NAME, PolicyName=policy_name)["PolicyDocument"] == document


def test_ensure_instance_profile_create_tags_and_adopt(iam):
    writes = Writes(False)
    changed, profile = ensure_instance_profile(None, iam, wanted=wanted(tags={"team": "qa"}), writes=writes)
    assert (changed, writes.actions, profile["roles"], profile["tags"]) == (
        True,
        ["CreateInstanceProfile"],
        [],
        {"team": "qa"},
    )
    assert read_instance_profile(iam, NAME) == profile
    # Someone else made it between our read and our create: adopted, not an error, and not an action of ours.
    writes = Writes(False)
    changed, adopted = ensure_instance_profile(None, iam, wanted=wanted(), writes=writes)
    assert (changed, writes.actions, adopted) == (False, [], profile)
    changed, tagged = ensure_instance_profile_tags(adopted, iam, wanted=wanted(tags={"team": "dev"}), writes=writes)
    assert (changed, writes.actions) == (True, ["TagInstanceProfile"])
    assert read_instance_profile(iam, NAME)["tags"] == tagged["tags"] == {"team": "dev"}


def test_profile_holding_another_role_is_repaired_with_a_warning(iam):
    created_role(iam)
    iam.create_role(RoleName="iir-intruder", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_instance_profile(InstanceProfileName=NAME)
    iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName="iir-intruder")
    warnings, writes = [], Writes(False)
    profile = read_instance_profile(iam, NAME)
    changed, after = ensure_instance_profile_role(profile, iam, wanted=wanted(), writes=writes, warn=warnings.append)
    assert (changed, writes.actions) == (True, ["RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile"])
    assert read_instance_profile(iam, NAME)["roles"] == after["roles"] == [NAME]
    assert len(warnings) == 1 and "held role iir-intruder" in warnings[0]
    assert (
        ensure_instance_profile_role(after, iam, wanted=wanted(), writes=Writes(False), warn=warnings.append)[0]
        is False
    )


class RacingWrites(Writes):
    """Writes in which a concurrent run puts ``role`` into the profile just before our AddRoleToInstanceProfile."""

    def __init__(self, iam, role):
        super().__init__(False)
        self.iam, self.role = iam, role

    def __call__(self, operation, call, *args, **kwargs):
        if operation == "AddRoleToInstanceProfile":
            self.iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName=self.role)
        return super().__call__(operation, call, *args, **kwargs)


@pytest.mark.parametrize(
    "held, changed, actions",
    [
        ([], False, []),
        (["iir-intruder"], True, ["RemoveRoleFromInstanceProfile"]),
    ],
    ids=["empty profile", "after taking another role out"],
)
def test_role_added_to_the_profile_meanwhile_is_done(iam, held, changed, actions):
    created_role(iam)
    iam.create_role(RoleName="iir-intruder", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_instance_profile(InstanceProfileName=NAME)
    for role_name in held:
        iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName=role_name)
    profile = read_instance_profile(iam, NAME)
    writes, warnings = RacingWrites(iam, NAME), []
    # IAM refuses our add with LimitExceeded (the profile is full), but it holds our role: done, not an error
    result = ensure_instance_profile_role(profile, iam, wanted=wanted(), writes=writes, warn=warnings.append)
    assert (result[0], writes.actions, len(warnings)) == (changed, actions, len(held))
    assert result[1] == read_instance_profile(iam, NAME) and result[1]["roles"] == [NAME]


def test_another_role_added_to_the_profile_meanwhile_still_fails(iam):
    created_role(iam)
    iam.create_role(RoleName="iir-intruder", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_instance_profile(InstanceProfileName=NAME)
    profile = read_instance_profile(iam, NAME)
    writes = RacingWrites(iam, "iir-intruder")
    with pytest.raises(AnsibleAWSError, match="LimitExceeded"):
        ensure_instance_profile_role(profile, iam, wanted=wanted(), writes=writes, warn=None)
    assert writes.actions == ["AddRoleToInstanceProfile"]
    assert read_instance_profile(iam, NAME)["roles"] == ["iir-intruder"]


# --- wait ----------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_polls_until_the_role_shows(iam, monkeypatch):
    created_role(iam)
    iam.create_instance_profile(InstanceProfileName=NAME)
    clock = FakeClock()
    polls = []
    real = iam.get_instance_profile

    def eventually(**kwargs):
        polls.append(kwargs)
        if len(polls) == POLL_THAT_SEES_IT:
            iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName=NAME)
        return real(**kwargs)

    monkeypatch.setattr(iam, "get_instance_profile", eventually)
    waited = wait_for_instance_profile_role(
        iam, profile_name=NAME, role_name=NAME, timeout=60, sleep=clock.sleep, clock=clock
    )
    assert (waited, clock.sleeps, len(polls)) == (3.0, [1, 2], 3)


def test_wait_is_bounded_by_its_timeout(iam):
    iam.create_instance_profile(InstanceProfileName=NAME)
    clock = FakeClock()
    with pytest.raises(IamInstanceRoleError, match="within wait_timeout=7 seconds"):
        wait_for_instance_profile_role(
            iam, profile_name=NAME, role_name=NAME, timeout=TIMEOUT, sleep=clock.sleep, clock=clock
        )
    assert clock.now == TIMEOUT and clock.sleeps == [1, 2, 3, 1]


# --- absent ----------------------------------------------------------------------------------------------


def full_role(iam):
    arn = local_policy(iam, "iir-p")
    created_role(iam)
    iam.attach_role_policy(RoleName=NAME, PolicyArn=arn)
    iam.put_role_policy(RoleName=NAME, PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))
    iam.create_instance_profile(InstanceProfileName=NAME)
    iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName=NAME)
    iam.create_instance_profile(InstanceProfileName="iir-second")
    iam.add_role_to_instance_profile(InstanceProfileName="iir-second", RoleName=NAME)
    return arn


def test_absent_in_order_and_no_orphan_profile(iam):
    full_role(iam)
    writes = Writes(False)
    changed, original = ensure_absent(
        iam, name=NAME, profile_name=NAME, force=False, groups_using=lambda n, a: [], writes=writes, warn=None
    )
    assert changed is True
    assert writes.actions == ABSENT_ACTIONS
    assert original["role"]["role_name"] == NAME and original["instance_profile"]["roles"] == [NAME]
    assert iam.list_roles()["Roles"] == []
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]] == ["iir-second"]
    assert iam.get_instance_profile(InstanceProfileName="iir-second")["InstanceProfile"]["Roles"] == []
    again = Writes(False)
    assert ensure_absent(
        iam, name=NAME, profile_name=NAME, force=False, groups_using=None, writes=again, warn=None
    ) == (
        False,
        {"role": None, "instance_profile": None},
    )


def test_absent_takes_other_roles_out_of_the_named_profile_before_deleting_it(iam):
    """IAM refuses DeleteInstanceProfile while the profile holds a role (DeleteConflict); the profile named
    by the run may hold another role than ours (a hand repair, an earlier name): out it goes, with a warning."""
    created_role(iam)
    iam.create_role(RoleName="iir-intruder", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_instance_profile(InstanceProfileName=NAME)
    iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName="iir-intruder")
    warnings, writes = [], Writes(False)
    changed, original = ensure_absent(
        iam, name=NAME, profile_name=NAME, force=True, groups_using=None, writes=writes, warn=warnings.append
    )
    assert changed is True and original["instance_profile"]["roles"] == ["iir-intruder"]
    assert writes.actions == ["RemoveRoleFromInstanceProfile", "DeleteInstanceProfile", "DeleteRole"]
    assert len(warnings) == 1 and "held role iir-intruder" in warnings[0]
    assert read_instance_profile(iam, NAME) is None and read_role(iam, NAME) is None
    # the other role itself stays: only its place in the profile being deleted is taken
    assert read_role(iam, "iir-intruder") is not None


def test_absent_removes_an_orphan_profile(iam):
    iam.create_instance_profile(InstanceProfileName=NAME)
    writes = Writes(False)
    changed, original = ensure_absent(
        iam, name=NAME, profile_name=NAME, force=True, groups_using=None, writes=writes, warn=None
    )
    assert (changed, writes.actions, original["role"]) == (True, ["DeleteInstanceProfile"], None)


@pytest.mark.parametrize("force", [False, True])
def test_absent_in_use_fails_unless_forced(iam, force):
    full_role(iam)
    asked = []

    def groups_using(profile_name, profile_arn):
        asked.append((profile_name, profile_arn))
        return ["iir-asg"] if profile_name == NAME else []

    writes = Writes(False)
    if force:
        ensure_absent(
            iam, name=NAME, profile_name=NAME, force=True, groups_using=groups_using, writes=writes, warn=None
        )
        assert asked == [] and "DeleteRole" in writes.actions
        return
    with pytest.raises(IamInstanceRoleError, match=r"iir-asg \(instance profile iir-unit\).*force: true"):
        ensure_absent(
            iam, name=NAME, profile_name=NAME, force=False, groups_using=groups_using, writes=writes, warn=None
        )
    assert writes.actions == []
    assert sorted(asked) == [
        ("iir-second", f"arn:aws:iam::{ACCOUNT}:instance-profile/iir-second"),
        (NAME, f"arn:aws:iam::{ACCOUNT}:instance-profile/{NAME}"),
    ]
    assert read_role(iam, NAME) is not None


def test_absent_check_mode_predicts_and_writes_nothing(iam):
    full_role(iam)
    writes = Writes(True)
    changed, original = ensure_absent(
        iam, name=NAME, profile_name=NAME, force=True, groups_using=None, writes=writes, warn=None
    )
    assert changed and writes.actions == ABSENT_ACTIONS
    assert original["role"]["role_name"] == NAME
    assert read_role(iam, NAME)["managed_policies"] and read_instance_profile(iam, NAME)["roles"] == [NAME]
