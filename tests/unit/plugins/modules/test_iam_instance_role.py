# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""iam_instance_role end to end on moto (in process): the guide's example, API budget, check mode, failures."""

import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.modules import iam_instance_role

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAME = "qateam-app"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/qateam-boundary"
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
GUIDE = {
    "name": NAME,
    "permissions_boundary": BOUNDARY,
    "managed_policies": ["AmazonSSMManagedInstanceCore"],
    "inline_policies": {"s3-read": S3_READ},
    "tags": {"team": "qa"},
}
GUIDE_ACTIONS = ["CreateRole", "AttachRolePolicy", "PutRolePolicy", "CreateInstanceProfile", "AddRoleToInstanceProfile"]
READS = {"GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy", "GetInstanceProfile"}
NO_CHANGE_BUDGET = 4  # calls of a run that changes nothing, plus one GetRolePolicy per inline policy


def is_mutating(operation):
    return not operation.startswith(("Get", "List", "Describe"))


@pytest.fixture
def iam(moto_credentials):
    # AWS managed policies (AmazonSSMManagedInstanceCore, AdministratorAccess) exist as on AWS.
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        client = boto3.client("iam", region_name=REGION)
        client.create_policy(PolicyName="qateam-boundary", PolicyDocument=json.dumps(S3_READ))
        yield client


def run(capsys, calls=None, **args):
    """Run main() and return its result; ``calls`` (if given) is emptied first so it holds this run's calls."""
    if calls is not None:
        calls.clear()
    with patch_module_args({"region": REGION, "wait_timeout": 10, **args}), pytest.raises(SystemExit):
        iam_instance_role.main()
    return json.loads(capsys.readouterr().out)


def role_names(iam):
    return [r["RoleName"] for r in iam.list_roles()["Roles"]]


def profile_names(iam):
    return [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]


def test_guide_example_in_one_task(iam, capsys, calls):
    result = run(capsys, calls, **GUIDE)
    assert (result["changed"], result["actions"]) == (True, GUIDE_ACTIONS)
    assert [c for c in calls if is_mutating(c)] == GUIDE_ACTIONS
    assert "ListPolicies" not in calls  # names resolved without listing the account's policies
    role = iam.get_role(RoleName=NAME)["Role"]
    assert result["role"] == {
        "arn": role["Arn"],
        "role_name": NAME,
        "role_id": role["RoleId"],
        "path": "/",
        "description": None,
        "assume_role_policy_document": EC2_TRUST,
        "managed_policies": [SSM_CORE],
        "inline_policies": ["s3-read"],
        "permissions_boundary": BOUNDARY,
        "max_session_duration": 3600,
        "tags": {"team": "qa"},
    }
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    profile = iam.get_instance_profile(InstanceProfileName=NAME)["InstanceProfile"]
    assert result["instance_profile"] == {
        "arn": profile["Arn"],
        "instance_profile_name": NAME,
        "instance_profile_id": profile["InstanceProfileId"],
        "path": "/",
        "roles": [NAME],
        "tags": {"team": "qa"},
    }
    assert [r["RoleName"] for r in profile["Roles"]] == [NAME]
    # wait polled GetInstanceProfile until the role showed in it
    assert isinstance(result["waited"], float) and calls[-1] == "GetInstanceProfile"


def test_rerun_is_ok_within_the_api_budget(iam, capsys, calls):
    run(capsys, **GUIDE)
    result = run(capsys, calls, **GUIDE)
    assert (result["changed"], result["actions"], result["waited"]) == (False, [], 0)
    assert calls == ["GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy", "GetInstanceProfile"]
    assert len(calls) <= NO_CHANGE_BUDGET + len(GUIDE["inline_policies"])
    # without inline_policies, no inline policy document is read at all
    result = run(capsys, calls, name=NAME)
    assert (result["changed"], result["actions"]) == (False, [])
    assert len(calls) == NO_CHANGE_BUDGET and set(calls) <= READS


def test_check_mode_writes_nothing_and_predicts_the_real_run(iam, capsys, calls):
    checked = run(capsys, calls, **GUIDE, _ansible_check_mode=True, _ansible_diff=True)
    assert (checked["changed"], checked["actions"]) == (True, GUIDE_ACTIONS)
    assert not [c for c in calls if is_mutating(c)]
    assert (role_names(iam), profile_names(iam)) == ([], [])
    assert checked["role"]["arn"] is None and checked["role"]["managed_policies"] == [SSM_CORE]
    assert checked["instance_profile"]["roles"] == [NAME]
    assert checked["diff"]["before"] == {}
    assert checked["diff"]["after"]["role"]["inline_policies"] == {"s3-read": S3_READ}

    real = run(capsys, **GUIDE)
    assert real["actions"] == checked["actions"]

    changed = {**GUIDE, "managed_policies": [], "tags": {"team": "dev"}, "max_session_duration": 7200}
    checked = run(capsys, calls, **changed, _ansible_check_mode=True, _ansible_diff=True)
    assert checked["actions"] == ["UpdateRole", "TagRole", "DetachRolePolicy", "TagInstanceProfile"]
    assert not [c for c in calls if is_mutating(c)]
    assert checked["diff"]["before"]["role"]["managed_policies"] == [SSM_CORE]
    assert checked["diff"]["after"]["role"]["managed_policies"] == []
    assert checked["diff"]["after"]["role"]["max_session_duration"] == 7200  # noqa: PLR2004
    real = run(capsys, **changed)
    assert real["actions"] == checked["actions"]
    assert real["role"] == checked["role"] and real["instance_profile"] == checked["instance_profile"]


def test_missing_policy_writes_nothing(iam, capsys, calls):
    missing = f"arn:aws:iam::{ACCOUNT}:policy/qateam-typo"
    result = run(capsys, calls, **{**GUIDE, "managed_policies": ["AmazonSSMManagedInstanceCore", missing]})
    assert result["failed"] is True
    assert result["msg"] == f"these policies do not exist (nothing was written): managed_policies: {missing}"
    assert not [c for c in calls if is_mutating(c)]
    assert (role_names(iam), profile_names(iam)) == ([], [])
    result = run(capsys, calls, **{**GUIDE, "permissions_boundary": "NoSuchAwsPolicy"})
    assert "permissions_boundary: arn:aws:iam::aws:policy/NoSuchAwsPolicy" in result["msg"]
    assert role_names(iam) == []


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": "qa team"}, "name must contain only"),
        ({"path": "/qa"}, "path must be '/' or begin and end with '/'"),
        ({"max_session_duration": 100}, "max_session_duration must be between 3600 and 43200"),
        ({"assume_role_policy_document": "{oops"}, "assume_role_policy_document must be a JSON policy document"),
        ({"inline_policies": {"p": {"Version": "2012-10-17"}}}, "inline_policies.p must have a Statement"),
        ({"managed_policies": ["arn:aws:iam::42:policy/x"]}, "managed_policies must be a policy ARN"),
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags must have at most 50 tags"),
    ],
)
def test_bad_input_fails_before_any_api_call(iam, capsys, calls, args, message):
    result = run(capsys, calls, **{"name": NAME, **args})
    assert result["failed"] is True and message in result["msg"]
    assert result["option"] == message.split()[0].split(".")[0]
    assert calls == []


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": "qa team"}, "name must contain only"),
        ({"name": "r" * 65}, "name must be 1-64 characters long"),
        ({"instance_profile_name": "qa/profile"}, "instance_profile_name must contain only"),
    ],
)
def test_bad_name_with_state_absent_fails_before_any_api_call(iam, capsys, calls, args, message):
    result = run(capsys, calls, **{"name": NAME, "state": "absent", **args})
    assert result["failed"] is True and message in result["msg"]
    assert result["option"] == message.split()[0]
    assert calls == []


def test_path_of_an_existing_role_cannot_change(iam, capsys, calls):
    run(capsys, name=NAME)
    result = run(capsys, calls, name=NAME, path="/qa/")
    assert result["msg"].startswith("path: role qateam-app exists with path /, not /qa/")
    assert result["option"] == "path"
    assert not [c for c in calls if is_mutating(c)]


@pytest.mark.parametrize("strict", [False, True])
def test_administrator_access_warns_or_fails(iam, capsys, calls, strict):
    result = run(capsys, calls, name=NAME, managed_policies=["AdministratorAccess"], strict_policies=strict)
    assert any("AdministratorAccess grants every action" in w for w in result.get("warnings", [])) is not strict
    if strict:
        assert result["failed"] is True and result["msg"].startswith("strict_policies: managed_policies:")
        assert calls == [] and role_names(iam) == []
    else:
        assert result["changed"] is True and role_names(iam) == [NAME]


def test_strict_policies_fails_on_a_broad_inline_grant(iam, capsys, calls):
    broad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    result = run(capsys, calls, name=NAME, inline_policies={"all": broad}, strict_policies=True)
    assert result["failed"] is True and "inline_policies.all" in result["msg"] and "broad_grant" in result["msg"]
    assert calls == []
    warned = run(capsys, calls, name=NAME, inline_policies={"all": broad})
    assert any(w.startswith("inline_policies.all:") for w in warned["warnings"])


def test_drift_is_put_back(iam, capsys):
    run(capsys, **GUIDE)
    other_trust = {**EC2_TRUST, "Statement": [{**EC2_TRUST["Statement"][0], "Principal": {"AWS": ACCOUNT}}]}
    iam.update_assume_role_policy(RoleName=NAME, PolicyDocument=json.dumps(other_trust))
    iam.detach_role_policy(RoleName=NAME, PolicyArn=SSM_CORE)
    iam.put_role_policy(RoleName=NAME, PolicyName="by-hand", PolicyDocument=json.dumps(S3_READ))
    iam.delete_role_permissions_boundary(RoleName=NAME)
    iam.remove_role_from_instance_profile(InstanceProfileName=NAME, RoleName=NAME)
    result = run(capsys, **GUIDE)
    assert result["actions"] == [
        "UpdateAssumeRolePolicy",
        "PutRolePermissionsBoundary",
        "AttachRolePolicy",
        "DeleteRolePolicy",
        "AddRoleToInstanceProfile",
    ]
    again = run(capsys, **GUIDE)
    assert (again["changed"], again["actions"]) == (False, [])


def test_create_role_race_is_adopted(iam, capsys, monkeypatch):
    """Someone else creates the role between our GetRole and our CreateRole: converge, do not fail."""
    real_get_role = iam_instance_role_module_utils().get_iam_role
    seen = []

    def get_role_then_race(client, name):
        found = real_get_role(client, name)
        if not seen:
            seen.append(name)
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
            iam.create_instance_profile(InstanceProfileName=name)
        return found

    monkeypatch.setattr(iam_instance_role_module_utils(), "get_iam_role", get_role_then_race)
    result = run(capsys, name=NAME, managed_policies=["AmazonSSMManagedInstanceCore"])
    assert result["changed"] is True
    assert result["actions"] == ["AttachRolePolicy", "AddRoleToInstanceProfile"]
    assert result["role"]["managed_policies"] == [SSM_CORE] and result["instance_profile"]["roles"] == [NAME]


def iam_instance_role_module_utils():
    from ansible_collections.cloudcred.ec2.plugins.module_utils import _iam_instance_role

    return _iam_instance_role


def test_absent_returns_what_was_there_and_leaves_no_profile(iam, capsys, calls):
    created = run(capsys, **GUIDE)
    checked = run(capsys, calls, name=NAME, state="absent", _ansible_check_mode=True)
    assert checked["actions"] == [
        "RemoveRoleFromInstanceProfile",
        "DeleteInstanceProfile",
        "DetachRolePolicy",
        "DeleteRolePolicy",
        "DeleteRole",
    ]
    assert not [c for c in calls if is_mutating(c)] and role_names(iam) == [NAME]
    result = run(capsys, calls, name=NAME, state="absent", _ansible_diff=True)
    assert (result["changed"], result["actions"]) == (True, checked["actions"])
    assert result["role"] == created["role"] and result["instance_profile"] == created["instance_profile"]
    assert result["diff"]["after"] == {}
    assert (role_names(iam), profile_names(iam)) == ([], [])
    again = run(capsys, name=NAME, state="absent")
    assert (again["changed"], again["actions"], again["role"], again["instance_profile"]) == (False, [], None, None)


def auto_scaling_group_on_profile(profile_arn):
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_launch_template(
        LaunchTemplateName="qateam-lt",
        LaunchTemplateData={
            "ImageId": "ami-12c6146b",
            "InstanceType": "t2.micro",
            "IamInstanceProfile": {"Arn": profile_arn},
        },
    )
    boto3.client("autoscaling", region_name=REGION).create_auto_scaling_group(
        AutoScalingGroupName="qateam-app-asg",
        LaunchTemplate={"LaunchTemplateName": "qateam-lt"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[f"{REGION}a"],
    )


def test_absent_refuses_while_an_auto_scaling_group_uses_the_profile(iam, capsys, calls):
    created = run(capsys, **GUIDE)
    auto_scaling_group_on_profile(created["instance_profile"]["arn"])
    result = run(capsys, calls, name=NAME, state="absent")
    assert result["failed"] is True
    assert "qateam-app-asg (instance profile qateam-app)" in result["msg"] and "force: true" in result["msg"]
    assert not [c for c in calls if is_mutating(c)]
    assert role_names(iam) == [NAME]
    forced = run(capsys, calls, name=NAME, state="absent", force=True)
    assert forced["changed"] is True and "DescribeAutoScalingGroups" not in calls
    assert (role_names(iam), profile_names(iam)) == ([], [])


def test_absent_refuses_while_a_launch_configuration_names_the_profile(iam, capsys, calls):
    created = run(capsys, **GUIDE)
    boto3.client("autoscaling", region_name=REGION).create_launch_configuration(
        LaunchConfigurationName="qateam-app-lc",
        ImageId="ami-12c6146b",
        InstanceType="t2.micro",
        IamInstanceProfile=created["instance_profile"]["arn"],
    )
    result = run(capsys, calls, name=NAME, state="absent")
    assert result["failed"] is True
    assert "launch configuration qateam-app-lc (instance profile qateam-app)" in result["msg"]
    assert "delete the launch configurations" in result["msg"]
    assert "DescribeLaunchConfigurations" in calls and not [c for c in calls if is_mutating(c)]
    assert role_names(iam) == [NAME]


def test_profile_holding_another_role_is_repaired(iam, capsys):
    iam.create_role(RoleName="someone-else", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_instance_profile(InstanceProfileName=NAME)
    iam.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName="someone-else")
    result = run(capsys, name=NAME)
    assert result["actions"] == ["CreateRole", "RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile"]
    assert any("held role someone-else" in w for w in result["warnings"])
    roles = iam.get_instance_profile(InstanceProfileName=NAME)["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == [NAME]


# --- trust rules: refused before any call, warned, strict, existing roles ---------------------------------

PUBLIC = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}


def trust(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(
    ("document", "message"),
    [
        (trust(PUBLIC), "assume_role_policy_document: Statement[0] lets any principal (AWS: *)"),
        (trust(EC2_TRUST["Statement"][0], PUBLIC), "assume_role_policy_document: Statement[1] lets any principal"),
        (trust(LAMBDA), "assume_role_policy_document must let the EC2 service principal ec2.amazonaws.com"),
        (
            trust(EC2_TRUST["Statement"][0], {**PUBLIC, "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}),
            "assume_role_policy_document: Statement[1] lets any principal (AWS: *) assume the role "
            '(StringLike aws:PrincipalOrgID "o-*" names no single organization',
        ),
        (
            trust(EC2_TRUST["Statement"][0], {**PUBLIC, "Principal": ["*"]}),
            'assume_role_policy_document: Statement[1] Principal ["*"] is invalid',
        ),
    ],
    ids=["public", "EC2 and public", "lambda only", "org id o-*", "list principal"],
)
def test_refused_before_any_call_strict_or_not(iam, capsys, calls, document, message, strict):  # noqa: PLR0917
    result = run(capsys, calls, name=NAME, assume_role_policy_document=json.dumps(document), strict_policies=strict)
    assert result["failed"] is True and result["msg"].startswith(message)
    assert calls == [] and role_names(iam) == []


def test_other_principal_warns_and_strict_fails(iam, capsys, calls):
    document = trust(EC2_TRUST["Statement"][0], LAMBDA)
    strict = run(capsys, calls, name=NAME, assume_role_policy_document=document, strict_policies=True)
    assert strict["failed"] is True
    assert strict["msg"] == (
        "strict_policies: assume_role_policy_document also lets Service:lambda.amazonaws.com assume the role, "
        "besides EC2"
    )
    assert calls == []
    warned = run(capsys, calls, name=NAME, assume_role_policy_document=document)
    assert warned["changed"] is True
    assert "assume_role_policy_document also lets Service:lambda.amazonaws.com assume the role, besides EC2" in (
        warned["warnings"]
    )


def test_restricted_public_principal_is_accepted_with_a_warning(iam, capsys, calls):
    org = {**PUBLIC, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}}
    result = run(capsys, calls, name=NAME, assume_role_policy_document=trust(EC2_TRUST["Statement"][0], org))
    assert result["changed"] is True and role_names(iam) == [NAME]
    assert any("AWS:* (aws:PrincipalOrgID)" in w for w in result["warnings"])


@pytest.mark.parametrize("check_mode", [True, False])
def test_hand_widened_trust_is_reported_and_repaired(iam, capsys, calls, check_mode):
    run(capsys, name=NAME)
    iam.update_assume_role_policy(RoleName=NAME, PolicyDocument=json.dumps(trust(EC2_TRUST["Statement"][0], PUBLIC)))
    result = run(capsys, calls, name=NAME, _ansible_check_mode=check_mode)
    assert result["actions"] == ["UpdateAssumeRolePolicy"]
    assert any(
        w.startswith("the trust policy role qateam-app has now: Statement[1] lets any principal (AWS: *)")
        and w.endswith("this run replaces it with assume_role_policy_document (UpdateAssumeRolePolicy)")
        for w in result["warnings"]
    )
    current = iam.get_role(RoleName=NAME)["Role"]["AssumeRolePolicyDocument"]
    assert (current == EC2_TRUST) is not check_mode
    if not check_mode:
        again = run(capsys, calls, name=NAME)
        assert again["changed"] is False and "warnings" not in again


# --- escalation and exposure in the role's own policies ------------------------------------------------------

LAUNCH_ANY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Launch", "Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}
    ],
}
ESCALATION_WARNING = (
    "inline_policies.launch: iam:PassRole + ec2:RunInstances on every resource lets a process on the instance launch "
    "an EC2 instance with any role, gaining its permissions (iam:PassRole in inline_policies.launch Statement[0] "
    "(Sid Launch); ec2:RunInstances in inline_policies.launch Statement[0] (Sid Launch)) (privilege_escalation)"
)


def test_inline_escalation_warns_and_strict_fails_before_any_call(iam, capsys, calls):
    strict = run(capsys, calls, name=NAME, inline_policies={"launch": LAUNCH_ANY}, strict_policies=True)
    assert strict["failed"] is True and strict["msg"] == f"strict_policies: {ESCALATION_WARNING}"
    assert calls == [] and role_names(iam) == []
    warned = run(capsys, calls, name=NAME, inline_policies={"launch": LAUNCH_ANY})
    assert warned["changed"] is True and ESCALATION_WARNING in warned["warnings"]


@pytest.fixture
def escalating_policy(iam):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"}],
    }
    return iam.create_policy(PolicyName="qateam-escalates", PolicyDocument=json.dumps(document))["Policy"]["Arn"]


def test_managed_escalation_strict_fails_before_any_write(iam, capsys, calls, escalating_policy):
    result = run(capsys, calls, name=NAME, managed_policies=[escalating_policy], strict_policies=True)
    assert result["failed"] is True
    assert result["msg"].startswith(f"strict_policies: managed_policies.{escalating_policy}: iam:PutRolePolicy lets")
    assert "GetPolicyVersion" in calls and not [c for c in calls if is_mutating(c)]


def test_managed_escalation_warns_when_attached_and_is_not_read_again(iam, capsys, calls, escalating_policy):
    first = run(capsys, calls, name=NAME, managed_policies=[escalating_policy])
    assert first["actions"] == ["CreateRole", "AttachRolePolicy", "CreateInstanceProfile", "AddRoleToInstanceProfile"]
    assert any(w.startswith(f"managed_policies.{escalating_policy}: iam:PutRolePolicy") for w in first["warnings"])
    again = run(capsys, calls, name=NAME, managed_policies=[escalating_policy])
    assert again["changed"] is False and "warnings" not in again
    assert "GetPolicyVersion" not in calls and "GetPolicy" not in calls


def test_aws_managed_policies_are_not_read(iam, capsys, calls):
    result = run(capsys, calls, name=NAME, managed_policies=["AmazonSSMManagedInstanceCore"])
    assert result["changed"] is True and "GetPolicyVersion" not in calls


@pytest.mark.parametrize("strict", [False, True])
def test_iam_full_access_warns_or_fails(iam, capsys, calls, strict):
    result = run(capsys, calls, name=NAME, managed_policies=["IAMFullAccess"], strict_policies=strict)
    message = "managed_policies: arn:aws:iam::aws:policy/IAMFullAccess grants iam:* on every resource"
    if strict:
        assert result["failed"] is True and result["msg"].startswith(f"strict_policies: {message}") and calls == []
    else:
        assert any(w.startswith(message) for w in result["warnings"])
