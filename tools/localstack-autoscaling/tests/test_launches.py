"""A group's launches: the instance profile on each instance, failed launches as AWS's scaling activities,
retries with back-off, versions with UserData, and a refresh whose replacements cannot launch.

Against moto in-process (mock_aws), with a clock the tests move; the plugin's patches are installed by
InstanceRefreshes, as in LocalStack. The retries the plugin runs before each Auto Scaling call are called here
by hand (``retry``).
"""

import base64
import time
from types import SimpleNamespace

import boto3
import pytest
from cloudcred_localstack_autoscaling import launches
from cloudcred_localstack_autoscaling.launches import DELAY_ENV, IMAGE_TAG, RETRY_ENV, DescribeScalingActivities
from cloudcred_localstack_autoscaling.refresh import LAUNCH_TIMEOUT_ENV, InstanceRefreshes

CONTEXT = SimpleNamespace(account_id="123456789012", region="us-east-1")
GROUP = "web"
IMAGE = "ami-12c6146b"  # one of moto's images
PAIR = 2  # the groups' desired capacity where it is two


class Clock:
    def __init__(self):
        self.now = time.time()  # profiles carry moto's real creation time

    def __call__(self):
        return self.now


@pytest.fixture
def aws(moto_backend, monkeypatch):
    del moto_backend
    for name in (DELAY_ENV, RETRY_ENV, LAUNCH_TIMEOUT_ENV):
        monkeypatch.delenv(name, raising=False)
    clock = Clock()
    refreshes = InstanceRefreshes(clock=clock, step=1)
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="app")
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    iam.create_instance_profile(InstanceProfileName="empty")
    return SimpleNamespace(
        clock=clock,
        refreshes=refreshes,
        iam=iam,
        ec2=boto3.client("ec2", region_name="us-east-1"),
        autoscaling=boto3.client("autoscaling", region_name="us-east-1"),
    )


def template(aws, profile=None, image=IMAGE, **extra):
    data = {"ImageId": image, "InstanceType": "t2.micro", **extra}
    if profile is not None:
        data["IamInstanceProfile"] = profile
    aws.ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData=data)


def make_group(aws, *, desired=2, version="$Default", tags=()):
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=GROUP,
        LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": version},
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=desired,
        AvailabilityZones=["us-east-1a"],
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": False} for k, v in tags],
    )


def group_instances(aws):
    found = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    return found["Instances"]


def described(aws, ids):
    if not ids:
        return []
    reservations = aws.ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def activities(aws):
    return DescribeScalingActivities(CONTEXT, {"AutoScalingGroupName": GROUP})["Activities"]


def recorded(aws):
    """The group's activities as recorded, without the retry that DescribeScalingActivities runs first."""
    from moto.autoscaling.models import autoscaling_backends

    backend = autoscaling_backends[CONTEXT.account_id][CONTEXT.region]
    return [a for a in launches.activities(backend) if a["AutoScalingGroupName"] == GROUP]


def retry(aws):
    launches.retry_due(CONTEXT.account_id, CONTEXT.region)


def profile_arn(aws, name="app"):
    return aws.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


# --- the profile on each instance ------------------------------------------------------------------------
@pytest.mark.parametrize("by", ["Name", "Arn"])
def test_instances_carry_the_profile_of_their_template_version(aws, by):
    profile = profile_arn(aws)
    template(aws, {by: profile["InstanceProfileName"] if by == "Name" else profile["Arn"]})
    make_group(aws, desired=2)
    ids = [i["InstanceId"] for i in group_instances(aws)]
    assert len(ids) == PAIR
    for instance in described(aws, ids):
        assert instance["IamInstanceProfile"] == {"Arn": profile["Arn"], "Id": profile["InstanceProfileId"]}
    associations = aws.ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    assert sorted(a["InstanceId"] for a in associations) == sorted(ids)
    assert {a["IamInstanceProfile"]["Arn"] for a in associations} == {profile["Arn"]}
    assert {a["State"] for a in associations} == {"associated"}
    assert [a["StatusCode"] for a in activities(aws)] == ["Successful", "Successful"]
    assert activities(aws)[0]["Description"].startswith("Launching a new EC2 instance: i-")


def test_instances_carry_the_profile_of_the_version_they_launched_from(aws):
    template(aws)  # version 1: no profile
    aws.ec2.create_launch_template_version(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": "app"}},
    )
    make_group(aws, desired=1, version="2")
    instance = described(aws, [group_instances(aws)[0]["InstanceId"]])[0]
    assert instance["IamInstanceProfile"]["Arn"] == profile_arn(aws)["Arn"]
    assert instance["InstanceType"] == "t3.micro"
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["aws:ec2launchtemplate:version"] == "2"  # moto said the default version, 1


def test_launch_configuration_instances_carry_its_profile(aws):
    aws.autoscaling.create_launch_configuration(
        LaunchConfigurationName="web-lc", ImageId=IMAGE, InstanceType="t2.micro", IamInstanceProfile="app"
    )
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=GROUP,
        LaunchConfigurationName="web-lc",
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=1,
        AvailabilityZones=["us-east-1a"],
    )
    instance = described(aws, [group_instances(aws)[0]["InstanceId"]])[0]
    assert instance["IamInstanceProfile"]["Arn"] == profile_arn(aws)["Arn"]


# --- failed launches ------------------------------------------------------------------------------------
def test_a_missing_profile_fails_the_launch_as_aws_reports_it(aws):
    template(aws, {"Name": "nope"})
    make_group(aws, desired=2)  # the API call succeeds
    assert group_instances(aws) == []
    assert aws.ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
    failed = activities(aws)[0]
    assert failed["StatusCode"] == "Failed"
    assert failed["StatusMessage"] == (
        "Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name."
        " Launching EC2 instance failed."
    )
    assert failed["Description"] == "Launching a new EC2 instance.  Status Reason: " + failed["StatusMessage"]
    assert "in response to a difference between desired and actual capacity, increasing the capacity from 0 to 2" in (
        failed["Cause"]
    )


def test_a_missing_profile_arn_is_named_as_an_arn(aws):
    arn = "arn:aws:iam::123456789012:instance-profile/nope"
    template(aws, {"Arn": arn})
    make_group(aws, desired=1)
    assert activities(aws)[0]["StatusMessage"] == (
        f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN."
        " Launching EC2 instance failed."
    )


def test_a_profile_without_a_role_fails_the_launch(aws):
    template(aws, {"Name": "empty"})
    make_group(aws, desired=1)
    assert group_instances(aws) == []
    assert activities(aws)[0]["StatusMessage"] == (
        f'IAM Instance Profile "{profile_arn(aws, "empty")["Arn"]}" has no associated IAM Roles.'
        " Launching EC2 instance failed."
    )


def test_a_young_profile_fails_until_it_propagates_then_the_group_launches_with_back_off(aws, monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "10")
    monkeypatch.setenv(RETRY_ENV, "2")
    template(aws, {"Name": "app"})
    make_group(aws, desired=2)
    assert group_instances(aws) == []
    attempts = [aws.clock.now]
    for _second in range(6):  # 2, 4, 8 s later: back-off doubles
        aws.clock.now += 1
        before = len(recorded(aws))
        retry(aws)
        if len(recorded(aws)) > before:
            attempts.append(aws.clock.now)
    waits = [round(b - a) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert waits == [2, 4]
    aws.clock.now = attempts[0] + 11  # the profile is visible; the next attempt is due at +14
    retry(aws)
    assert group_instances(aws) == []
    aws.clock.now = attempts[0] + 14
    retry(aws)
    assert len(group_instances(aws)) == PAIR
    codes = [a["StatusCode"] for a in activities(aws)]
    assert codes == ["Successful", "Successful", "Failed", "Failed", "Failed"]
    retry(aws)
    assert len(group_instances(aws)) == PAIR  # at capacity: nothing more


def test_the_default_delay_is_zero(aws):
    template(aws, {"Name": "app"})
    make_group(aws, desired=1)
    assert len(group_instances(aws)) == 1


def test_an_image_fails_only_with_the_switch(aws):
    template(aws, image="ami-00000000")
    make_group(aws, desired=1)
    assert len(group_instances(aws)) == 1  # moto does not check images, nor does the emulator by default
    aws.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=GROUP, ForceDelete=True)
    make_group(aws, desired=1, tags=[(IMAGE_TAG, "must-exist")])
    assert group_instances(aws) == []
    assert activities(aws)[0]["StatusMessage"] == (
        "The AMI ID ami-00000000 does not exist. Launching EC2 instance failed."
    )


def test_the_switch_missing_fails_any_image(aws):
    template(aws)
    make_group(aws, desired=1, tags=[(IMAGE_TAG, "missing")])
    assert group_instances(aws) == []
    assert activities(aws)[0]["StatusMessage"] == f"The AMI ID {IMAGE} does not exist. Launching EC2 instance failed."


def test_describe_scaling_activities_pages_and_filters(aws):
    template(aws)
    make_group(aws, desired=3)
    first = DescribeScalingActivities(CONTEXT, {"AutoScalingGroupName": GROUP, "MaxRecords": PAIR})
    assert len(first["Activities"]) == PAIR
    rest = DescribeScalingActivities(
        CONTEXT, {"AutoScalingGroupName": GROUP, "MaxRecords": 2, "NextToken": first["NextToken"]}
    )
    assert len(rest["Activities"]) == 1 and "NextToken" not in rest
    one = first["Activities"][0]["ActivityId"]
    assert [a["ActivityId"] for a in DescribeScalingActivities(CONTEXT, {"ActivityIds": [one]})["Activities"]] == [one]
    assert DescribeScalingActivities(CONTEXT, {"AutoScalingGroupName": "other"})["Activities"] == []


# --- UserData --------------------------------------------------------------------------------------------
def test_a_version_with_user_data_launches(aws):
    template(aws)
    script = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()
    aws.ec2.create_launch_template_version(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro", "UserData": script},
    )
    make_group(aws, desired=1, version="2")  # moto: AssertionError in LaunchTemplateVersion.user_data
    instance_id = group_instances(aws)[0]["InstanceId"]
    found = aws.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    assert base64.b64decode(found["UserData"]["Value"]) == b"#!/bin/sh\necho hello\n"


# --- a refresh whose replacements cannot launch -------------------------------------------------------------
def test_a_refresh_whose_replacements_cannot_launch_waits_saying_why_then_fails(aws, monkeypatch):
    monkeypatch.setenv(LAUNCH_TIMEOUT_ENV, "5")
    template(aws, {"Name": "app"})
    make_group(aws, desired=1)
    aws.ec2.create_launch_template_version(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": "gone"}},
    )
    refresh_id = aws.refreshes.StartInstanceRefresh(
        CONTEXT,
        {
            "AutoScalingGroupName": GROUP,
            "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "2"}},
        },
    )["InstanceRefreshId"]
    seen = []
    for _second in range(10):
        aws.clock.now += 1
        aws.refreshes.advance(CONTEXT.account_id, CONTEXT.region)
        retry(aws)
        found = aws.refreshes.DescribeInstanceRefreshes(CONTEXT, {"AutoScalingGroupName": GROUP})["InstanceRefreshes"][
            0
        ]
        seen.append(
            (found["Status"], found["PercentageComplete"], found["InstancesToUpdate"], found.get("StatusReason", ""))
        )
        if found["Status"] == "Failed":
            break
    assert seen[-1][0] == "Failed", seen
    in_progress = [s for s in seen if s[0] == "InProgress" and s[3]]
    assert in_progress and "Waiting for 1 replacement instance(s) to launch" in in_progress[0][3]
    assert "Invalid IAM Instance Profile name" in in_progress[0][3]
    assert [s[1:3] for s in in_progress] == [(0, 1)] * len(in_progress)  # never 100% with one to launch
    assert "failed to launch" in seen[-1][3]
    assert refresh_id
    assert group_instances(aws) == []  # the old instance was replaced by none: the group is short of capacity
    assert activities(aws)[0]["StatusCode"] == "Failed"


def test_a_refresh_waits_through_a_young_profile_and_succeeds(aws, monkeypatch):
    template(aws, {"Name": "app"})
    make_group(aws, desired=1)
    monkeypatch.setenv(DELAY_ENV, "4")
    aws.iam.create_instance_profile(InstanceProfileName="new")
    aws.iam.add_role_to_instance_profile(InstanceProfileName="new", RoleName="app")
    aws.ec2.create_launch_template_version(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": "new"}},
    )
    aws.ec2.modify_launch_template(LaunchTemplateName="web-lt", DefaultVersion="2")
    aws.clock.now = time.time()
    aws.refreshes.StartInstanceRefresh(CONTEXT, {"AutoScalingGroupName": GROUP})
    statuses = []
    for _second in range(12):
        aws.clock.now += 1
        aws.refreshes.advance(CONTEXT.account_id, CONTEXT.region)
        found = aws.refreshes.DescribeInstanceRefreshes(CONTEXT, {"AutoScalingGroupName": GROUP})["InstanceRefreshes"][
            0
        ]
        statuses.append(found["Status"])
        if found["Status"] != "InProgress" and found["Status"] != "Pending":
            break
    assert statuses[-1] == "Successful", statuses
    instance = described(aws, [group_instances(aws)[0]["InstanceId"]])[0]
    assert instance["IamInstanceProfile"]["Arn"] == profile_arn(aws, "new")["Arn"]
    assert "Failed" in [a["StatusCode"] for a in activities(aws)]
