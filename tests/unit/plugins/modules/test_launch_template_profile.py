# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""launch_template_profile end to end on moto (in process): versions, check mode, API budget, failures."""

import hashlib
import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils import _launch_template_profile
from ansible_collections.cloudcred.ec2.plugins.modules import launch_template_profile

REGION = "us-east-1"
ACCOUNT = "123456789012"
PROFILE_ARN = f"arn:aws:iam::{ACCOUNT}:instance-profile/ltp-app"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
GUIDE_DATA = {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"}
API_BUDGET = 2  # calls a run that changes nothing may make
SECOND = 2  # version numbers
THIRD = 3
MUTATING = {"CreateLaunchTemplate", "CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "CreateTags", "DeleteTags"}


@pytest.fixture
def aws(moto_credentials):
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        iam.create_role(RoleName="ltp-app", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.create_instance_profile(InstanceProfileName="ltp-app")
        iam.add_role_to_instance_profile(InstanceProfileName="ltp-app", RoleName="ltp-app")
        iam.create_instance_profile(InstanceProfileName="ltp-empty")
        yield boto3.client("ec2", region_name=REGION)


def run(capsys, calls=None, **args):
    """Run main() and return its result; ``calls`` (if given) is emptied first so it holds this run's calls."""
    if calls is not None:
        calls.clear()
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        launch_template_profile.main()
    return json.loads(capsys.readouterr().out)


def versions(ec2, name):
    found = ec2.describe_launch_template_versions(LaunchTemplateName=name)["LaunchTemplateVersions"]
    return {v["VersionNumber"]: v["LaunchTemplateData"] for v in found}


def template(ec2, name):
    return ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"][0]


def template_tags(ec2, template_id):
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [template_id]}])["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


GUIDE = {"launch_template_name": "ltp-guide", "instance_profile_name": "ltp-app", "launch_template_data": GUIDE_DATA}


def test_guide_example_creates_the_template_with_imdsv2(aws, capsys, calls):
    result = run(capsys, calls, **GUIDE, version_description="version1")
    assert result["changed"] is True
    assert result["actions"] == ["CreateLaunchTemplate"]
    assert result["version_number"] == 1
    expected = {**GUIDE_DATA, "IamInstanceProfile": {"Name": "ltp-app"}, "MetadataOptions": {"HttpTokens": "required"}}
    assert versions(aws, "ltp-guide") == {1: expected}
    assert result["launch_template_data"] == expected
    assert result["launch_template"] == {
        "launch_template_id": template(aws, "ltp-guide")["LaunchTemplateId"],
        "launch_template_name": "ltp-guide",
        "default_version_number": 1,
        "latest_version_number": 1,
    }
    assert [c for c in calls if c in MUTATING] == ["CreateLaunchTemplate"]


def test_rerun_is_ok_within_the_api_budget(aws, capsys, calls):
    run(capsys, **GUIDE, tags={"team": "qa"})
    result = run(capsys, calls, **GUIDE, tags={"team": "qa"})
    assert result["changed"] is False
    assert result["actions"] == []
    assert result["version_number"] == 1
    assert len(calls) <= API_BUDGET, calls
    assert not MUTATING & set(calls)
    # the version in use already names the profile as given: no version to write, no IAM check
    assert calls == ["DescribeLaunchTemplateVersions", "DescribeTags"]
    # without tags the template's tags are not even read
    result = run(capsys, calls, **GUIDE)
    assert result["changed"] is False
    assert calls == ["DescribeLaunchTemplateVersions"]


def test_a_different_profile_is_checked_before_the_new_version(aws, capsys, calls):
    run(capsys, **GUIDE)
    result = run(capsys, calls, **{**GUIDE, "instance_profile_name": "ltp-empty"})
    assert result["failed"] is True and "instance_profile_name" in result["msg"]
    assert "GetInstanceProfile" in calls and not MUTATING & set(calls)
    assert len(versions(aws, "ltp-guide")) == 1


def test_name_and_arn_of_the_same_profile_are_equal(aws, capsys, calls):
    run(capsys, **GUIDE)
    by_arn = {
        "launch_template_name": "ltp-guide",
        "instance_profile_arn": PROFILE_ARN,
        "launch_template_data": GUIDE_DATA,
    }
    result = run(capsys, calls, **by_arn)
    assert (result["changed"], result["actions"]) == (False, [])
    assert sorted(versions(aws, "ltp-guide")) == [1]


def test_existing_template_keeps_every_field_of_its_source(aws, capsys, calls):
    vpc = aws.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = aws.create_security_group(GroupName="ltp-sg", Description="ltp", VpcId=vpc)["GroupId"]
    hand_made = {
        **GUIDE_DATA,
        "UserData": "IyEvYmluL2Jhc2gKZWNobyBoZWxsbw==",
        "SecurityGroupIds": [group],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "qa"}]}],
        "MetadataOptions": {"HttpPutResponseHopLimit": 2},
    }
    created = aws.create_launch_template(
        LaunchTemplateName="ltp-hand",
        LaunchTemplateData=hand_made,
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "owner", "Value": "ops"}]}],
    )["LaunchTemplate"]
    result = run(capsys, calls, launch_template_name="ltp-hand", instance_profile_arn=PROFILE_ARN)
    assert result["actions"] == ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"]
    assert result["version_number"] == SECOND
    assert result["launch_template"]["default_version_number"] == SECOND
    new = versions(aws, "ltp-hand")[2]
    new.pop("TagSpecifications")  # moto adds the template's own tags here: compared below
    expected = {
        **hand_made,
        "IamInstanceProfile": {"Arn": PROFILE_ARN},
        "MetadataOptions": {"HttpPutResponseHopLimit": 2, "HttpTokens": "required"},
    }
    expected.pop("TagSpecifications")
    assert new == expected
    assert {"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "qa"}]} in versions(aws, "ltp-hand")[2][
        "TagSpecifications"
    ]
    assert template(aws, "ltp-hand")["DefaultVersionNumber"] == SECOND
    assert template_tags(aws, created["LaunchTemplateId"]) == {"owner": "ops"}
    # the second run, by name this time, sees the profile it wrote by ARN
    again = run(capsys, calls, launch_template_name="ltp-hand", instance_profile_name="ltp-app")
    assert (again["changed"], again["actions"], again["version_number"]) == (False, [], 2)


def test_check_mode_writes_nothing_and_predicts(aws, capsys, calls):
    checked = run(capsys, calls, **GUIDE, _ansible_check_mode=True, _ansible_diff=True)
    assert (checked["changed"], checked["actions"], checked["version_number"]) == (True, ["CreateLaunchTemplate"], 1)
    assert not MUTATING & set(calls)
    assert aws.describe_launch_templates()["LaunchTemplates"] == []
    assert checked["diff"]["before"] == {}
    assert checked["diff"]["after"]["MetadataOptions"] == {"HttpTokens": "required"}

    run(capsys, **GUIDE)
    changed = {**GUIDE, "launch_template_data": {"InstanceType": "t3.micro"}}
    checked = run(capsys, calls, **changed, _ansible_check_mode=True, _ansible_diff=True)
    assert checked["actions"] == ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"]
    assert checked["version_number"] == SECOND
    assert checked["launch_template"]["default_version_number"] == SECOND
    assert not MUTATING & set(calls)
    assert sorted(versions(aws, "ltp-guide")) == [1]
    assert checked["diff"]["before"]["InstanceType"] == "t2.micro"
    assert checked["diff"]["after"]["InstanceType"] == "t3.micro"

    real = run(capsys, **changed)
    assert (real["actions"], real["version_number"]) == (checked["actions"], checked["version_number"])
    assert real["launch_template_data"] == checked["launch_template_data"]


@pytest.mark.parametrize(
    "profile, message",
    [
        (
            {"instance_profile_name": "ltp-missing"},
            "instance_profile_name: instance profile ltp-missing does not exist",
        ),
        ({"instance_profile_name": "ltp-empty"}, "holds no role"),
        (
            {"instance_profile_arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/ltp-missing"},
            "instance_profile_arn: instance profile",
        ),
        ({"instance_profile_arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/apps/ltp-app"}, "does not match"),
    ],
)
def test_unusable_profile_fails_before_any_write(aws, capsys, calls, profile, message):
    run(capsys, **GUIDE)
    args = {"launch_template_name": "ltp-guide", **profile}
    result = run(capsys, calls, **args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert result["actions"] == []
    assert not MUTATING & set(calls)
    assert sorted(versions(aws, "ltp-guide")) == [1]
    # and nothing is created for a missing template either
    result = run(capsys, calls, launch_template_name="ltp-new", launch_template_data=GUIDE_DATA, **profile)
    assert result["failed"] is True
    assert not MUTATING & set(calls)


def test_unvalidated_profile_makes_no_iam_call(aws, capsys, calls):
    result = run(capsys, calls, **{**GUIDE, "instance_profile_name": "ltp-missing"}, validate_instance_profile=False)
    assert result["changed"] is True
    assert "GetInstanceProfile" not in calls


def test_require_imdsv2_false_leaves_metadata_options(aws, capsys):
    aws.create_launch_template(
        LaunchTemplateName="ltp-v1",
        LaunchTemplateData={**GUIDE_DATA, "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 3}},
    )
    result = run(capsys, launch_template_name="ltp-v1", instance_profile_name="ltp-app", require_imdsv2=False)
    assert result["version_number"] == SECOND
    assert versions(aws, "ltp-v1")[2]["MetadataOptions"] == {"HttpTokens": "optional", "HttpPutResponseHopLimit": 3}
    again = run(capsys, launch_template_name="ltp-v1", instance_profile_name="ltp-app", require_imdsv2=False)
    assert again["changed"] is False
    # asking for IMDSv2 later is one more version, with the hop limit kept
    imds = run(capsys, launch_template_name="ltp-v1", instance_profile_name="ltp-app")
    assert imds["version_number"] == THIRD
    assert versions(aws, "ltp-v1")[3]["MetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 3}


def test_metadata_hop_limit_makes_one_version_then_nothing(aws, capsys, calls):
    run(capsys, **GUIDE)
    check = run(capsys, calls, **GUIDE, metadata_hop_limit=2, _ansible_check_mode=True, _ansible_diff=True)
    assert (check["changed"], check["actions"], check["version_number"]) == (
        True,
        ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"],
        SECOND,
    )
    assert check["diff"]["after"]["MetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}
    assert not MUTATING & set(calls) and sorted(versions(aws, "ltp-guide")) == [1]
    result = run(capsys, **GUIDE, metadata_hop_limit=2)
    assert (result["changed"], result["version_number"]) == (True, SECOND)
    assert versions(aws, "ltp-guide")[SECOND]["MetadataOptions"] == {
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 2,
    }
    again = run(capsys, calls, **GUIDE, metadata_hop_limit=2)
    assert (again["changed"], again["actions"]) == (False, [])
    # not given: the hop limit another run set is left as it is
    left = run(capsys, **GUIDE)
    assert (left["changed"], left["launch_template_data"]["MetadataOptions"]["HttpPutResponseHopLimit"]) == (False, 2)
    down = run(capsys, **GUIDE, metadata_hop_limit=1)
    assert (down["changed"], down["version_number"]) == (True, THIRD)


def test_source_latest_and_set_default_version_false_stay_idempotent(aws, capsys, calls):
    aws.create_launch_template(LaunchTemplateName="ltp-latest", LaunchTemplateData=GUIDE_DATA)
    args = {"launch_template_name": "ltp-latest", "instance_profile_name": "ltp-app", "set_default_version": False}
    first = run(capsys, calls, **args)
    assert first["actions"] == ["CreateLaunchTemplateVersion"]
    assert first["launch_template"]["default_version_number"] == 1
    # $Default still lacks the profile: the version made before is reused, not made again
    second = run(capsys, calls, **args)
    assert (second["changed"], second["actions"], second["version_number"]) == (False, [], 2)
    latest = run(capsys, calls, **args, source_version="$Latest")
    assert (latest["changed"], latest["version_number"]) == (False, 2)
    # making it the default later is only ModifyLaunchTemplate
    default = run(capsys, calls, **{**args, "set_default_version": True})
    assert (default["actions"], default["version_number"]) == (["ModifyLaunchTemplate"], 2)
    assert sorted(versions(aws, "ltp-latest")) == [1, 2]


def test_numbered_source_version(aws, capsys):
    aws.create_launch_template(LaunchTemplateName="ltp-num", LaunchTemplateData=GUIDE_DATA)
    aws.create_launch_template_version(LaunchTemplateName="ltp-num", LaunchTemplateData={"ImageId": "ami-other"})
    result = run(capsys, launch_template_name="ltp-num", instance_profile_name="ltp-app", source_version="1")
    assert result["version_number"] == THIRD
    assert versions(aws, "ltp-num")[3]["InstanceType"] == "t2.micro"
    missing = run(capsys, launch_template_name="ltp-num", instance_profile_name="ltp-app", source_version="9")
    assert missing["failed"] is True
    assert "source_version 9 does not exist" in missing["msg"]


def test_absent_makes_a_version_without_the_profile(aws, capsys, calls):
    assert run(capsys, launch_template_name="ltp-guide", state="absent")["changed"] is False  # template missing
    run(capsys, **GUIDE)
    result = run(capsys, calls, launch_template_name="ltp-guide", state="absent")
    assert result["actions"] == ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"]
    assert "IamInstanceProfile" not in versions(aws, "ltp-guide")[2]
    assert versions(aws, "ltp-guide")[2]["MetadataOptions"] == {"HttpTokens": "required"}
    assert "GetInstanceProfile" not in calls
    again = run(capsys, calls, launch_template_name="ltp-guide", state="absent")
    assert (again["changed"], again["actions"], again["version_number"]) == (False, [], 2)


def test_tags_set_and_purged(aws, capsys):
    created = run(capsys, **GUIDE, tags={"team": "qa", "old": "1"})
    template_id = created["launch_template"]["launch_template_id"]
    assert template_tags(aws, template_id) == {"team": "qa", "old": "1"}
    result = run(capsys, **GUIDE, tags={"team": "dev"})
    assert result["actions"] == ["DeleteTags", "CreateTags"]
    assert template_tags(aws, template_id) == {"team": "dev"}
    kept = run(capsys, **GUIDE, tags={"extra": "x"}, purge_tags=False)
    assert kept["actions"] == ["CreateTags"]
    assert run(capsys, **GUIDE, tags={"team": "dev", "extra": "x"})["changed"] is False


WITH_PROFILE = {**GUIDE_DATA, "IamInstanceProfile": {"Name": "ltp-app"}, "MetadataOptions": {"HttpTokens": "required"}}
RACES = {
    "the same template": {"data": WITH_PROFILE, "tags": {"team": "qa"}, "actions": [], "versions": [1]},
    "an untagged template without the profile": {
        "data": GUIDE_DATA,
        "tags": {},
        "actions": ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "CreateTags"],
        "versions": [1, SECOND],
    },
}


@pytest.mark.parametrize("theirs", RACES.values(), ids=RACES.keys())
def test_template_created_meanwhile_is_adopted(aws, capsys, calls, monkeypatch, theirs):
    """Another run creates the template after our read, just before our CreateLaunchTemplate (name taken)."""
    real_create = _launch_template_profile.create_launch_template

    def racing_create(client, name, *args, **kwargs):
        tags = [{"Key": k, "Value": v} for k, v in theirs["tags"].items()]
        specs = [{"ResourceType": "launch-template", "Tags": tags}] if tags else []
        aws.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=theirs["data"], TagSpecifications=specs)
        return real_create(client, name, *args, **kwargs)

    monkeypatch.setattr(_launch_template_profile, "create_launch_template", racing_create)
    result = run(capsys, calls, **GUIDE, tags={"team": "qa"}, _ansible_diff=True)
    assert result.get("failed") is not True, result.get("msg")
    actions, numbers = theirs["actions"], theirs["versions"]
    assert (result["changed"], result["actions"]) == (bool(actions), actions)
    assert sorted(versions(aws, "ltp-guide")) == numbers
    in_use = versions(aws, "ltp-guide")[numbers[-1]]
    in_use.pop("TagSpecifications", None)  # moto copies the template's tags into version data
    assert in_use == result["launch_template_data"] == WITH_PROFILE
    assert result["version_number"] == result["launch_template"]["default_version_number"] == numbers[-1]
    assert result["launch_template"]["launch_template_id"] == template(aws, "ltp-guide")["LaunchTemplateId"]
    assert template_tags(aws, result["launch_template"]["launch_template_id"]) == {"team": "qa"}
    # the diff starts from the adopted template, not from nothing
    assert result["diff"]["before_header"] == "launch template ltp-guide version 1"
    # theirs, our refused one (made once, not listed), then only the writes the adopting run lists
    assert [c for c in calls if c in MUTATING] == ["CreateLaunchTemplate", "CreateLaunchTemplate", *actions]


def test_creating_needs_launch_template_data(aws, capsys, calls):
    result = run(capsys, calls, launch_template_name="ltp-nodata", instance_profile_name="ltp-app")
    assert result["failed"] is True
    assert "launch_template_data is required to create it" in result["msg"]
    missing_id = run(capsys, launch_template_id="lt-0123456789abcdef0", instance_profile_name="ltp-app")
    assert "give launch_template_name" in missing_id["msg"]
    assert not MUTATING & set(calls)


@pytest.mark.parametrize(
    "args, option",
    [
        ({"launch_template_name": "bad name!", "instance_profile_name": "ltp-app"}, "launch_template_name"),
        ({"launch_template_id": "template-1", "instance_profile_name": "ltp-app"}, "launch_template_id"),
        ({"instance_profile_name": "ltp-app"}, "launch_template_name"),
        (
            {
                "launch_template_name": "ltp-x",
                "launch_template_id": "lt-0123456789abcdef0",
                "instance_profile_name": "a",
            },
            "launch_template_id",
        ),
        ({"launch_template_name": "ltp-x"}, "instance_profile_name"),
        (
            {"launch_template_name": "ltp-x", "instance_profile_name": "a", "instance_profile_arn": PROFILE_ARN},
            "instance_profile_arn",
        ),
        (
            {
                "launch_template_name": "ltp-x",
                "instance_profile_arn": "arn:aws-cn:iam::123456789012:instance-profile/a",
            },
            "instance_profile_arn",
        ),
        ({"launch_template_name": "ltp-x", "instance_profile_name": "a", "source_version": "newest"}, "source_version"),
        (
            {
                "launch_template_name": "ltp-x",
                "instance_profile_name": "a",
                "launch_template_data": {"image_id": "ami-1"},
            },
            "launch_template_data",
        ),
        (
            {
                "launch_template_name": "ltp-x",
                "instance_profile_name": "a",
                "launch_template_data": {"ImageID": "ami-1"},
            },
            "launch_template_data",
        ),
        (
            {"launch_template_name": "ltp-x", "instance_profile_name": "a", "metadata_hop_limit": 65},
            "metadata_hop_limit",
        ),
    ],
)
def test_bad_input_fails_before_any_call(capsys, calls, monkeypatch, args, option):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = run(capsys, calls, **args)
    assert result["failed"] is True
    assert option in result["msg"]
    # AnsibleModule itself refuses what breaks the argument spec's rules (required_one_of, mutually_exclusive,
    # required_if) before the module runs; every other refusal is the module's and names the option.
    spec_rule = any(rule in result["msg"] for rule in ("one of the following", "mutually exclusive", "but any of"))
    assert spec_rule or result["option"] == option
    assert calls == []


USER_DATA = "IyEvYmluL2Jhc2gKZXhwb3J0IEpPSU5fVE9LRU49czNjcjN0"  # "#!/bin/bash\nexport JOIN_TOKEN=s3cr3t"
MASKED = {"sha256": hashlib.sha256(USER_DATA.encode()).hexdigest(), "length": len(USER_DATA)}


def test_user_data_is_masked_in_the_result_and_the_diff(aws, capsys):
    """User data often carries bootstrap tokens; results print at -v and diffs with --diff."""
    data = {**GUIDE_DATA, "UserData": USER_DATA}
    with patch_module_args(
        {
            "region": REGION,
            "launch_template_name": "ltp-secret",
            "instance_profile_name": "ltp-app",
            "launch_template_data": data,
            "_ansible_diff": True,
        }
    ), pytest.raises(SystemExit):
        launch_template_profile.main()
    printed = capsys.readouterr().out
    result = json.loads(printed)
    assert result["changed"] and result["launch_template_data"]["UserData"] == MASKED
    assert result["diff"]["after"]["UserData"] == MASKED
    # the value is nowhere in what the module printed, except the module_args it was given (not in the result)
    assert USER_DATA not in json.dumps({k: v for k, v in result.items() if k != "invocation"})
    assert versions(aws, "ltp-secret")[1]["UserData"] == USER_DATA  # the template itself carries it


def test_show_user_data_shows_it(aws, capsys):
    data = {**GUIDE_DATA, "UserData": USER_DATA}
    result = run(
        capsys,
        launch_template_name="ltp-shown",
        instance_profile_name="ltp-app",
        launch_template_data=data,
        show_user_data=True,
    )
    assert result["launch_template_data"]["UserData"] == USER_DATA
