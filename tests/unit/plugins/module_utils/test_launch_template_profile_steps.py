# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_launch_template_profile: the input table, each read and each ensure_* step on moto, adoption."""

import json

import boto3
import botocore.session
import pytest
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    LaunchTemplateProfileError,
    describe_launch_template,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template_profile import (
    Clients,
    Wanted,
    desired_state,
    ensure_absent,
    ensure_default_version,
    ensure_deleted,
    ensure_no_profile,
    ensure_present,
    ensure_profile,
    ensure_tags,
    ensure_template,
    ensure_version,
    first_version_source,
    launch_configuration_source,
    module_result,
    read_state,
    run,
    source_group,
    validated_instance_profile,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAME = "ltps-unit"
PROFILE = "ltps-app"
PROFILE_ARN = f"arn:aws:iam::{ACCOUNT}:instance-profile/{PROFILE}"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
GUIDE_DATA = {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"}
CARRIED = {**GUIDE_DATA, "IamInstanceProfile": {"Name": PROFILE}, "MetadataOptions": {"HttpTokens": "required"}}
MUTATING = {
    "CreateLaunchTemplate",
    "CreateLaunchTemplateVersion",
    "ModifyLaunchTemplate",
    "CreateTags",
    "DeleteTags",
    "DeleteLaunchTemplate",
}
SECOND = 2  # version numbers
THIRD = 3


@pytest.fixture(scope="module")
def shape():
    return botocore.session.get_session().get_service_model("ec2").shape_for("RequestLaunchTemplateData")


@pytest.fixture
def aws(moto_credentials):
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        iam.create_role(RoleName=PROFILE, AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.create_instance_profile(InstanceProfileName=PROFILE)
        iam.add_role_to_instance_profile(InstanceProfileName=PROFILE, RoleName=PROFILE)
        iam.create_instance_profile(InstanceProfileName="ltps-empty")
        yield Clients(
            boto3.client("ec2", region_name=REGION), lambda service: boto3.client(service, region_name=REGION)
        )


def wanted(**overrides):
    return Wanted(**{"template_name": NAME, "template_id": None, "instance_profile": {"Name": PROFILE}, **overrides})


def make_template(aws, data, tags=None):
    args = {}
    if tags:
        tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
        args["TagSpecifications"] = [{"ResourceType": "launch-template", "Tags": tag_list}]
    return aws.ec2.create_launch_template(LaunchTemplateName=NAME, LaunchTemplateData=data, **args)["LaunchTemplate"]


def versions(aws):
    found = aws.ec2.describe_launch_template_versions(LaunchTemplateName=NAME)["LaunchTemplateVersions"]
    data = {v["VersionNumber"]: v["LaunchTemplateData"] for v in found}
    for item in data.values():
        item.pop("TagSpecifications", None)  # moto copies the template's tags into version data
    return data


def default_version(aws):
    return aws.ec2.describe_launch_templates(LaunchTemplateNames=[NAME])["LaunchTemplates"][0]["DefaultVersionNumber"]


def template_tags(aws, template_id):
    tags = aws.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [template_id]}])["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


def mutating(calls):
    return [c for c in calls if c in MUTATING]


# --- desired_state: every rule fails naming the option, before any API call ------------------------


def params(**overrides):
    return {
        "launch_template_name": NAME,
        "launch_template_id": None,
        "instance_profile_name": PROFILE,
        "instance_profile_arn": None,
        "state": "present",
        "source_version": "$Default",
        "launch_template_data": None,
        "tags": None,
        **overrides,
    }


@pytest.mark.parametrize(
    "overrides, option",
    [
        ({"launch_template_name": "bad name!"}, "launch_template_name"),
        ({"launch_template_name": None, "launch_template_id": "template-1"}, "launch_template_id"),
        ({"instance_profile_name": "a b"}, "instance_profile_name"),
        ({"instance_profile_name": None, "instance_profile_arn": "arn:aws:iam::1:x"}, "instance_profile_arn"),
        ({"instance_profile_name": None, "instance_profile_arn": PROFILE_ARN.replace(":aws:", ":aws-cn:")}, None),
        ({"source_version": "newest"}, "source_version"),
        ({"metadata_hop_limit": 65}, "metadata_hop_limit"),
        ({"tags": {"aws:reserved": "x"}}, "tags"),
        ({"launch_template_data": {"image_id": "ami-1"}}, "launch_template_data"),
        ({"launch_template_data": {"ImageID": "ami-1"}}, "launch_template_data"),
        ({"launch_template_data": {"IamInstanceProfile": {"Name": "x"}}}, "launch_template_data"),
        ({"delete_launch_template": True}, "delete_launch_template"),
    ],
)
def test_bad_input_is_refused_naming_the_option(shape, overrides, option):
    option = option or "instance_profile_arn"  # an ARN of another partition than the region's
    with pytest.raises(LaunchTemplateProfileError) as refused:
        desired_state(params(**overrides), region=REGION, shape=shape)
    assert refused.value.option == option
    assert option in str(refused.value)


def test_wanted_is_typed_and_normalised(shape):
    got = desired_state(
        params(
            tags={"team": "qa", "n": 1, "empty": None},
            source_version=2,
            launch_template_data={"InstanceType": "t2.micro", "MetadataOptions": {"HttpPutResponseHopLimit": "2"}},
        ),
        region=REGION,
        shape=shape,
    )
    assert got.tags == {"team": "qa", "n": "1", "empty": ""}
    assert got.source_version == "2"
    assert got.overlay == {"InstanceType": "t2.micro", "MetadataOptions": {"HttpPutResponseHopLimit": 2}}
    assert got.instance_profile == {"Name": PROFILE}
    assert (got.present, got.warnings) == (True, ())
    by_arn = desired_state(
        params(instance_profile_name=None, instance_profile_arn=PROFILE_ARN), region=REGION, shape=shape
    )
    assert by_arn.instance_profile == {"Arn": PROFILE_ARN}


def test_absent_warns_that_the_data_is_not_applied(shape):
    got = desired_state(params(state="absent", launch_template_data=GUIDE_DATA), region=REGION, shape=shape)
    assert got.present is False
    assert got.warnings == ("launch_template_data is not applied with state=absent",)


# --- reads ------------------------------------------------------------------------------------------------


def test_read_state_missing_and_present(aws, calls):
    assert read_state(aws.ec2, wanted(tags={})) is None
    created = make_template(aws, GUIDE_DATA, tags={"team": "qa"})
    aws.ec2.create_launch_template_version(LaunchTemplateName=NAME, LaunchTemplateData=CARRIED)
    calls.clear()
    state = read_state(aws.ec2, wanted(tags={}))
    assert calls == ["DescribeLaunchTemplateVersions", "DescribeTags"]
    assert state["launch_template"] == {
        "launch_template_id": created["LaunchTemplateId"],
        "launch_template_name": NAME,
        "default_version_number": 1,
        "latest_version_number": SECOND,
    }
    assert (state["version_number"], state["tags"]) == (1, {"team": "qa"})
    assert state["latest"]["VersionNumber"] == SECOND
    latest = read_state(aws.ec2, wanted(source_version="$Latest"))
    assert (latest["version_number"], latest["latest"], latest["tags"]) == (SECOND, None, None)
    with pytest.raises(LaunchTemplateProfileError) as refused:
        read_state(aws.ec2, wanted(source_version="7"))
    assert refused.value.option == "source_version"


def test_profile_checked_unless_told_not_to_or_already_named(aws, calls):
    profile = validated_instance_profile(aws, wanted=wanted(), state=None)
    assert (profile["InstanceProfileName"], calls) == (PROFILE, ["GetInstanceProfile"])
    calls.clear()
    assert validated_instance_profile(aws, wanted=wanted(validate_instance_profile=False), state=None) is None
    named = {"launch_template_data": {"IamInstanceProfile": {"Name": PROFILE}}}
    assert validated_instance_profile(aws, wanted=wanted(), state=named) is None
    assert calls == []
    by_arn = wanted(instance_profile={"Arn": PROFILE_ARN})
    assert validated_instance_profile(aws, wanted=by_arn, state=named)["Arn"] == PROFILE_ARN


@pytest.mark.parametrize(
    "reference, option, message",
    [
        ({"Name": "ltps-nope"}, "instance_profile_name", "does not exist"),
        ({"Name": "ltps-empty"}, "instance_profile_name", "holds no role"),
        ({"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/team/{PROFILE}"}, "instance_profile_arn", "does not match"),
    ],
)
def test_unusable_profile_is_refused(aws, reference, option, message):
    with pytest.raises(LaunchTemplateProfileError) as refused:
        validated_instance_profile(aws, wanted=wanted(instance_profile=reference), state=None)
    assert refused.value.option == option
    assert message in str(refused.value)


@pytest.fixture
def launch_configuration(aws):
    autoscaling = aws.autoscaling
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="ltps-lc",
        ImageId="ami-04d5cc9b88example",
        InstanceType="t2.micro",
        IamInstanceProfile="old-profile",
    )
    make_template(aws, GUIDE_DATA)
    on_template = {"LaunchTemplate": {"LaunchTemplateName": NAME, "Version": "$Default"}}
    for group, source in (("ltps-on-lc", {"LaunchConfigurationName": "ltps-lc"}), ("ltps-on-lt", on_template)):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=group, MinSize=0, MaxSize=1, AvailabilityZones=["us-east-1a"], **source
        )
    return "ltps-lc"


def test_launch_configuration_source(aws, launch_configuration, calls):
    calls.clear()
    assert launch_configuration_source(aws, wanted=wanted()) is None
    assert calls == []  # no source option: no Auto Scaling call
    by_name = launch_configuration_source(aws, wanted=wanted(source_launch_configuration=launch_configuration))

    def by_group(name):
        want = wanted(source_auto_scaling_group=name)
        return launch_configuration_source(aws, wanted=want, group=source_group(aws, wanted=want))

    assert by_name["LaunchConfigurationName"] == by_group("ltps-on-lc")["LaunchConfigurationName"]
    assert by_name["LaunchConfigurationName"] == launch_configuration
    assert by_group("ltps-on-lt") is None
    assert by_group("ltps-no-group") is None
    with pytest.raises(LaunchTemplateProfileError) as refused:
        launch_configuration_source(aws, wanted=wanted(source_launch_configuration="ltps-no-lc"))
    assert refused.value.option == "source_launch_configuration"


def test_a_group_on_a_template_is_named_as_having_no_launch_configuration(aws, launch_configuration, calls):
    """source_auto_scaling_group names a group that exists but launches from a template (as the group of the
    guide's example does once it moved): the failure says so, naming the group and the option given, not
    launch_template_data; nothing is written. A group on a launch configuration, or launch_template_data
    given with the group, still creates the template; a missing group keeps the launch_template_data message."""
    calls.clear()
    missing_template = {"template_name": "ltps-from-group"}
    with pytest.raises(LaunchTemplateProfileError) as refused:
        run(
            aws,
            wanted=wanted(source_auto_scaling_group="ltps-on-lt", **missing_template),
            writes=Writes(False),
            warn=lambda _: None,
        )
    assert refused.value.option == "source_auto_scaling_group"
    assert str(refused.value) == (
        "source_auto_scaling_group: Auto Scaling group ltps-on-lt has no launch configuration to start launch "
        f"template ltps-from-group from (it launches from launch template {NAME}); launch_template_data is "
        "required to create the template (for example ImageId and InstanceType)"
    )
    assert mutating(calls) == []

    with pytest.raises(LaunchTemplateProfileError) as no_group:
        run(
            aws,
            wanted=wanted(source_auto_scaling_group="ltps-no-group", **missing_template),
            writes=Writes(False),
            warn=lambda _: None,
        )
    assert no_group.value.option == "launch_template_data"
    assert mutating(calls) == []

    with_data = run(
        aws,
        wanted=wanted(source_auto_scaling_group="ltps-on-lt", overlay=GUIDE_DATA, **missing_template),
        writes=Writes(True),
        warn=lambda _: None,
    )
    from_lc = run(
        aws,
        wanted=wanted(source_auto_scaling_group="ltps-on-lc", **missing_template),
        writes=Writes(True),
        warn=lambda _: None,
    )
    assert with_data.changed and from_lc.changed
    assert from_lc.launch_configuration["LaunchConfigurationName"] == launch_configuration


def test_first_version_source_names_the_replaced_profile(aws, launch_configuration):
    found = launch_configuration_source(aws, wanted=wanted(source_launch_configuration=launch_configuration))
    data, warnings = first_version_source(found, wanted())
    assert (data["ImageId"], data["InstanceType"]) == ("ami-04d5cc9b88example", "t2.micro")
    assert "IamInstanceProfile" not in data
    assert any("IamInstanceProfile old-profile is replaced by ltps-app" in w for w in warnings)
    _data, same = first_version_source(found, wanted(instance_profile={"Name": "old-profile"}))
    assert not any("is replaced by" in w for w in same)


# --- ensure_template: create, refuse, adopt ------------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])
def test_ensure_template_creates_version_1_with_everything(aws, calls, check_mode):
    writes = Writes(check_mode)
    want = wanted(overlay=GUIDE_DATA, tags={"team": "qa"}, version_description="v1")
    changed, state = ensure_template(None, aws, wanted=want, writes=writes)
    assert (changed, writes.actions, mutating(calls)) == (
        True,
        ["CreateLaunchTemplate"],
        [] if check_mode else ["CreateLaunchTemplate"],
    )
    assert state["launch_template_data"] == CARRIED
    assert (state["version_number"], state["tags"], state["latest"]) == (1, {"team": "qa"}, None)
    if check_mode:
        assert state["launch_template"]["launch_template_id"] is None
        return
    assert versions(aws) == {1: CARRIED}
    assert template_tags(aws, state["launch_template"]["launch_template_id"]) == {"team": "qa"}


def test_ensure_template_starts_from_the_source_and_leaves_an_existing_one(aws):
    writes = Writes(False)
    source = {**GUIDE_DATA, "KeyName": "qateam-key", "MetadataOptions": {"HttpPutResponseHopLimit": 1}}
    changed, state = ensure_template(None, aws, wanted=wanted(metadata_hop_limit=2), writes=writes, source=source)
    assert changed is True
    assert versions(aws)[1] == {
        **GUIDE_DATA,
        "KeyName": "qateam-key",
        "IamInstanceProfile": {"Name": PROFILE},
        "MetadataOptions": {"HttpPutResponseHopLimit": 2, "HttpTokens": "required"},
    }
    again = Writes(False)
    assert ensure_template(state, aws, wanted=wanted(), writes=again) == (False, state)
    assert again.actions == []


@pytest.mark.parametrize(
    "want, option",
    [
        (wanted(template_name=None, template_id="lt-0123456789abcdef0", overlay=GUIDE_DATA), "launch_template_id"),
        (wanted(), "launch_template_data"),
    ],
)
def test_ensure_template_refuses_what_it_cannot_create(aws, calls, want, option):
    writes = Writes(False)
    with pytest.raises(LaunchTemplateProfileError) as refused:
        ensure_template(None, aws, wanted=want, writes=writes)
    assert refused.value.option == option
    assert (writes.actions, mutating(calls)) == ([], [])


def test_ensure_template_adopts_one_created_meanwhile(aws, calls):
    """The run read no template; another run creates it before our CreateLaunchTemplate (name taken)."""
    theirs = make_template(aws, GUIDE_DATA, tags={"team": "qa"})
    calls.clear()
    writes = Writes(False)
    changed, state = ensure_template(None, aws, wanted=wanted(overlay=GUIDE_DATA, tags={}), writes=writes)
    assert (changed, writes.actions) == (False, [])
    assert mutating(calls) == ["CreateLaunchTemplate"]  # refused by EC2, so not listed
    assert state["launch_template"]["launch_template_id"] == theirs["LaunchTemplateId"]
    assert (state["version_number"], state["tags"]) == (1, {"team": "qa"})
    assert versions(aws) == {1: GUIDE_DATA}


# --- ensure_version / ensure_profile / ensure_no_profile ------------------------------------------------------


def existing(aws, data, **want):
    make_template(aws, data)
    return read_state(aws.ec2, wanted(**want))


def test_ensure_profile_writes_nothing_when_the_version_carries_everything(aws, calls):
    state = existing(aws, CARRIED)
    calls.clear()
    writes = Writes(False)
    assert ensure_profile(state, aws, wanted=wanted(overlay={"InstanceType": "t2.micro"}), writes=writes) == (
        False,
        state,
    )
    assert (writes.actions, calls) == ([], [])


@pytest.mark.parametrize(
    "want, reason",
    [
        ({"instance_profile": {"Name": "ltps-other"}}, "another profile"),
        ({"overlay": {"InstanceType": "t3.micro"}}, "another instance type"),
        ({"metadata_hop_limit": 2}, "a hop limit"),
    ],
    ids=["profile", "overlay", "hop-limit"],
)
def test_ensure_profile_makes_one_version_with_the_merged_data(aws, want, reason):
    state = existing(aws, {**CARRIED, "KeyName": "kept"})
    writes = Writes(False)
    changed, final = ensure_profile(state, aws, wanted=wanted(**want), writes=writes)
    assert (changed, writes.actions) == (True, ["CreateLaunchTemplateVersion"]), reason
    assert (final["version_number"], final["launch_template"]["latest_version_number"]) == (SECOND, SECOND)
    expected = {**CARRIED, "KeyName": "kept", **want.get("overlay", {})}
    expected["IamInstanceProfile"] = want.get("instance_profile", {"Name": PROFILE})
    if "metadata_hop_limit" in want:
        expected["MetadataOptions"] = {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}
    assert versions(aws)[SECOND] == expected
    assert default_version(aws) == 1  # ensure_default_version's job


def test_ensure_profile_takes_the_arn_of_the_same_profile_as_carried(aws, calls):
    state = existing(aws, CARRIED)
    by_arn = wanted(instance_profile={"Arn": PROFILE_ARN})
    profile = validated_instance_profile(aws, wanted=by_arn, state=state)
    writes = Writes(False)
    assert ensure_profile(state, aws, wanted=by_arn, writes=writes, instance_profile=profile)[0] is False
    assert writes.actions == []


def test_ensure_profile_decides_by_iams_answer_when_it_has_one(aws):
    """A version naming an ARN of another path ends in the same name: without IAM's answer that counts as the
    profile (names are unique in an account); with it, only IAM's ARN does, so a new version is made."""
    stale = {**CARRIED, "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/old/{PROFILE}"}}
    state = existing(aws, stale)
    profile = validated_instance_profile(aws, wanted=wanted(), state=state)
    unchecked, checked = Writes(False), Writes(False)
    assert ensure_profile(state, aws, wanted=wanted(), writes=unchecked)[0] is False
    assert ensure_profile(state, aws, wanted=wanted(), writes=checked, instance_profile=profile)[0] is True
    assert (unchecked.actions, checked.actions) == ([], ["CreateLaunchTemplateVersion"])
    assert versions(aws)[SECOND]["IamInstanceProfile"] == {"Name": PROFILE}


def test_ensure_version_reuses_a_latest_version_with_exactly_that_data(aws, shape):
    make_template(aws, GUIDE_DATA)
    aws.ec2.create_launch_template_version(LaunchTemplateName=NAME, LaunchTemplateData=CARRIED)
    state = read_state(aws.ec2, wanted())
    writes = Writes(False)
    changed, final = ensure_version(state, aws, data=CARRIED, wanted=wanted(), writes=writes)
    assert (changed, writes.actions, final["version_number"]) == (False, [], SECOND)
    other = {**CARRIED, "InstanceType": "t3.micro"}
    check = Writes(True)
    changed, predicted = ensure_version(state, aws, data=other, wanted=wanted(), writes=check)
    assert (changed, check.actions) == (True, ["CreateLaunchTemplateVersion"])
    assert (predicted["version_number"], predicted["launch_template_data"]) == (THIRD, other)
    assert sorted(versions(aws)) == [1, SECOND]


def test_ensure_no_profile(aws):
    state = existing(aws, {**CARRIED, "KeyName": "kept"})
    writes = Writes(False)
    changed, final = ensure_no_profile(state, aws, wanted=wanted(present=False), writes=writes)
    assert (changed, writes.actions, final["version_number"]) == (True, ["CreateLaunchTemplateVersion"], SECOND)
    assert versions(aws)[SECOND] == {**GUIDE_DATA, "KeyName": "kept", "MetadataOptions": {"HttpTokens": "required"}}
    again = read_state(aws.ec2, wanted(source_version="$Latest"))
    assert ensure_no_profile(again, aws, wanted=wanted(present=False), writes=Writes(False)) == (False, again)


# --- ensure_default_version / ensure_tags -----------------------------------------------------------------


def test_ensure_default_version(aws):
    make_template(aws, GUIDE_DATA)
    aws.ec2.create_launch_template_version(LaunchTemplateName=NAME, LaunchTemplateData=CARRIED)
    state = read_state(aws.ec2, wanted(source_version="$Latest"))
    left = Writes(False)
    assert ensure_default_version(state, aws, wanted=wanted(set_default_version=False), writes=left) == (False, state)
    writes = Writes(False)
    changed, final = ensure_default_version(state, aws, wanted=wanted(), writes=writes)
    assert (changed, left.actions, writes.actions) == (True, [], ["ModifyLaunchTemplate"])
    assert final["launch_template"]["default_version_number"] == default_version(aws) == SECOND
    assert ensure_default_version(final, aws, wanted=wanted(), writes=Writes(False))[0] is False


@pytest.mark.parametrize(
    "tags, purge, actions, after",
    [
        (None, True, [], {"team": "qa", "old": "1"}),
        ({"team": "qa", "old": "1"}, True, [], {"team": "qa", "old": "1"}),
        ({"team": "dev"}, True, ["DeleteTags", "CreateTags"], {"team": "dev"}),
        ({"extra": "x"}, False, ["CreateTags"], {"team": "qa", "old": "1", "extra": "x"}),
        ({}, True, ["DeleteTags"], {}),
    ],
)
def test_ensure_tags(aws, tags, purge, actions, after):
    template_id = make_template(aws, GUIDE_DATA, tags={"team": "qa", "old": "1"})["LaunchTemplateId"]
    want = wanted(tags=tags, purge_tags=purge)
    state = read_state(aws.ec2, want)
    writes = Writes(False)
    changed, final = ensure_tags(state, aws, wanted=want, writes=writes)
    assert (changed, writes.actions) == (bool(actions), actions)
    assert template_tags(aws, template_id) == after
    assert final["tags"] == (None if tags is None else after)


# --- the chains, and deletion -----------------------------------------------------------------------------


def test_ensure_present_chains_profile_default_and_tags(aws):
    want = wanted(overlay=GUIDE_DATA, tags={"team": "qa"})
    state = existing(aws, GUIDE_DATA, tags={})
    writes = Writes(False)
    changed, final = ensure_present(state, aws, wanted=want, writes=writes)
    assert (changed, writes.actions) == (True, ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "CreateTags"])
    assert final["launch_template"]["default_version_number"] == final["version_number"] == SECOND
    again = read_state(aws.ec2, want)
    rerun = Writes(False)
    assert ensure_present(again, aws, wanted=want, writes=rerun)[0] is False
    assert rerun.actions == []


def test_ensure_absent(aws):
    absent = wanted(present=False)
    assert ensure_absent(None, aws, wanted=absent, writes=Writes(False)) == (False, None)
    state = existing(aws, CARRIED)
    writes = Writes(False)
    changed, final = ensure_absent(state, aws, wanted=absent, writes=writes)
    assert (changed, writes.actions) == (True, ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"])
    assert "IamInstanceProfile" not in versions(aws)[default_version(aws)]
    assert ensure_absent(read_state(aws.ec2, absent), aws, wanted=absent, writes=Writes(False))[0] is False


def test_ensure_deleted(aws, calls):
    deleting = wanted(present=False, delete_launch_template=True)
    assert ensure_deleted(None, aws, wanted=deleting, writes=Writes(False)) == (False, None)
    state = existing(aws, GUIDE_DATA)
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ltps-asg",
        LaunchTemplate={"LaunchTemplateName": NAME, "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    calls.clear()
    with pytest.raises(LaunchTemplateProfileError) as refused:
        ensure_deleted(state, aws, wanted=deleting, writes=Writes(False))
    assert refused.value.option == "delete_launch_template"
    assert "ltps-asg" in str(refused.value)
    assert mutating(calls) == []
    aws.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="ltps-asg", ForceDelete=True)
    writes = Writes(False)
    assert ensure_deleted(state, aws, wanted=deleting, writes=writes) == (True, None)
    assert writes.actions == ["DeleteLaunchTemplate"]
    assert (
        describe_launch_template(
            aws.ec2, template_id=None, template_name=NAME, source_version="$Default", with_tags=False
        )
        is None
    )


def test_run_reports_the_adopted_template_as_before(aws, monkeypatch):
    """run() on a race: the diff's "before" is the adopted template, and no launch configuration is reported."""
    from ansible_collections.cloudcred.ec2.plugins.module_utils import _launch_template_profile as steps

    real_read = steps.read_state
    reads = []

    def read_then_race(ec2, want):
        reads.append(want)
        found = real_read(ec2, want)
        if len(reads) == 1:
            make_template(aws, CARRIED)  # after our read, before our CreateLaunchTemplate
        return found

    monkeypatch.setattr(steps, "read_state", read_then_race)
    warnings = []
    writes = Writes(False)
    outcome = run(aws, wanted=wanted(overlay=GUIDE_DATA), writes=writes, warn=warnings.append)
    assert (outcome.changed, writes.actions, warnings) == (False, [], [])
    assert outcome.before["version_number"] == outcome.final["version_number"] == 1
    assert outcome.launch_configuration is None


def test_source_group_is_read_once_per_run_and_returned_as_autoscaling_group_info_gives_it(
    aws, launch_configuration, calls
):
    """The role compares the returned group with the one it wants instead of reading it in a module run of its own:
    read on every run (the template exists here, so not for a launch configuration), before any write."""
    assert source_group(aws, wanted=wanted()) is None
    calls.clear()
    want = wanted(source_auto_scaling_group="ltps-on-lt", overlay=GUIDE_DATA)
    writes = Writes(True)
    outcome = run(aws, wanted=want, writes=writes, warn=lambda _: None)
    assert calls.count("DescribeAutoScalingGroups") == 1
    group = module_result(outcome, None)["auto_scaling_group"]
    assert group["auto_scaling_group_name"] == "ltps-on-lt"
    assert group["launch_template"]["launch_template_name"] == NAME
    assert (group["min_size"], group["max_size"], group["availability_zones"]) == (0, 1, ["us-east-1a"])
    assert isinstance(group["created_time"], str)  # a timestamp, as text: the result must be JSON
    json.dumps(group)
    missing = run(aws, wanted=wanted(source_auto_scaling_group="ltps-no-group"), writes=writes, warn=lambda _: None)
    assert module_result(missing, None)["auto_scaling_group"] is None
