"""The emulator's instance refresh and per-instance versions, against moto in-process (mock_aws).

Run in the LocalStack venv (make unit): the plugin patches that venv's moto. The refresh is advanced by a
clock the tests move, one step per second.
"""

from types import SimpleNamespace

import boto3
import pytest
from cloudcred_localstack_autoscaling.refresh import FAIL_TAG, STEP_TAG, InstanceRefreshes, RefreshError

CONTEXT = SimpleNamespace(account_id="123456789012", region="us-east-1")
GROUP = "web"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def aws(moto_backend):
    del moto_backend
    clock = Clock()
    refreshes = InstanceRefreshes(clock=clock, step=1)
    ec2 = boto3.client("ec2", region_name="us-east-1")
    autoscaling = boto3.client("autoscaling", region_name="us-east-1")
    ec2.create_launch_template(
        LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t2.micro"}
    )
    return SimpleNamespace(clock=clock, refreshes=refreshes, ec2=ec2, autoscaling=autoscaling)


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


def new_default_version(aws, instance_type="t3.micro"):
    number = aws.ec2.create_launch_template_version(
        LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": instance_type}
    )["LaunchTemplateVersion"]["VersionNumber"]
    aws.ec2.modify_launch_template(LaunchTemplateName="web-lt", DefaultVersion=str(number))
    return str(number)


def instances(aws):
    """{instance id: launch template version} as DescribeAutoScalingGroups reports them."""
    aws.refreshes.advance(CONTEXT.account_id, CONTEXT.region)
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i["LaunchTemplate"]["Version"] for i in group["Instances"]}


def start(aws, **request):
    return aws.refreshes.StartInstanceRefresh(CONTEXT, {"AutoScalingGroupName": GROUP, **request})["InstanceRefreshId"]


def describe(aws, refresh_id):
    found = aws.refreshes.DescribeInstanceRefreshes(
        CONTEXT, {"AutoScalingGroupName": GROUP, "InstanceRefreshIds": [refresh_id]}
    )["InstanceRefreshes"]
    return found[0]


def run_to_end(aws, refresh_id, limit=20):
    """Statuses seen, one step at a time, until the refresh is no longer active."""
    seen = []
    for _attempt in range(limit):
        found = describe(aws, refresh_id)
        seen.append((found["Status"], found["PercentageComplete"], found["InstancesToUpdate"]))
        if found["Status"] not in ("Pending", "InProgress", "Cancelling", "RollbackInProgress"):
            return seen
        aws.clock.now += 1
    raise AssertionError(f"still active after {limit} steps: {seen}")


def test_instances_keep_the_version_they_were_launched_from(aws):
    make_group(aws)
    before = instances(aws)
    new_default_version(aws)
    assert set(before.values()) == {"1"}
    assert instances(aws) == before  # a new default version does not change running instances


def test_refresh_replaces_every_instance_one_at_a_time_at_100_percent(aws):
    make_group(aws, desired=2)
    old = instances(aws)
    new_default_version(aws)
    refresh_id = start(aws, Preferences={"MinHealthyPercentage": 100})
    seen = run_to_end(aws, refresh_id)
    assert seen == [("Pending", 0, 0), ("InProgress", 0, 2), ("InProgress", 50, 1), ("Successful", 100, 0)]
    now = instances(aws)
    assert set(now.values()) == {"2"}
    assert not set(now) & set(old)  # new instance ids
    assert "EndTime" in describe(aws, refresh_id)


def test_min_healthy_percentage_zero_replaces_all_at_once(aws):
    make_group(aws, desired=3)
    new_default_version(aws)
    seen = run_to_end(aws, start(aws, Preferences={"MinHealthyPercentage": 0}))
    assert seen == [("Pending", 0, 0), ("InProgress", 0, 3), ("Successful", 100, 0)]


def test_a_second_start_while_one_is_active_fails_with_instance_refresh_in_progress(aws):
    make_group(aws)
    start(aws)
    with pytest.raises(RefreshError) as error:
        start(aws)
    assert error.value.code == "InstanceRefreshInProgress"


def test_a_start_after_the_first_ended_is_accepted(aws):
    make_group(aws)
    run_to_end(aws, start(aws))
    assert start(aws)


def test_skip_matching_leaves_instances_on_the_desired_version(aws):
    make_group(aws, desired=1)
    new_default_version(aws)
    aws.autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=2)
    versions = instances(aws)
    assert sorted(versions.values()) == ["1", "2"]
    on_new = [i for i, v in versions.items() if v == "2"]
    seen = run_to_end(aws, start(aws, Preferences={"SkipMatching": True, "MinHealthyPercentage": 50}))
    assert seen[-1] == ("Successful", 100, 0)
    assert seen[1] == ("InProgress", 0, 1)
    after = instances(aws)
    assert set(after.values()) == {"2"} and set(on_new) <= set(after)


def test_without_skip_matching_every_instance_is_replaced(aws):
    make_group(aws, desired=1)
    old = instances(aws)
    seen = run_to_end(aws, start(aws))
    assert seen[1] == ("InProgress", 0, 1)
    assert not set(instances(aws)) & set(old)


def test_cancel_stops_replacing_and_keeps_what_was_replaced(aws):
    make_group(aws, desired=2)
    new_default_version(aws)
    refresh_id = start(aws, Preferences={"MinHealthyPercentage": 100})
    aws.clock.now += 2  # Pending -> InProgress -> one instance replaced
    assert aws.refreshes.CancelInstanceRefresh(CONTEXT, {"AutoScalingGroupName": GROUP}) == {
        "InstanceRefreshId": refresh_id
    }
    assert describe(aws, refresh_id)["Status"] == "Cancelling"
    assert run_to_end(aws, refresh_id)[-1][0] == "Cancelled"
    assert sorted(instances(aws).values()) == ["1", "2"]


def test_cancel_without_an_active_refresh_fails(aws):
    make_group(aws)
    with pytest.raises(RefreshError) as error:
        aws.refreshes.CancelInstanceRefresh(CONTEXT, {"AutoScalingGroupName": GROUP})
    assert error.value.code == "ActiveInstanceRefreshNotFound"


def test_the_switch_fails_the_refresh_after_its_first_batch(aws):
    make_group(aws, desired=2, tags=[(FAIL_TAG, "fail")])
    new_default_version(aws)
    refresh_id = start(aws, Preferences={"MinHealthyPercentage": 50})
    seen = run_to_end(aws, refresh_id)
    assert [status for status, _percentage, _left in seen] == ["Pending", "InProgress", "InProgress", "Failed"]
    found = describe(aws, refresh_id)
    assert FAIL_TAG in found["StatusReason"]
    assert sorted(instances(aws).values()) == ["1", "2"]  # no rollback asked: one replaced, one not


def pin_group(aws, version):
    aws.autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=GROUP, LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": version}
    )


def test_auto_rollback_puts_instances_back_on_the_previous_version(aws):
    make_group(aws, desired=2, version="1", tags=[(FAIL_TAG, "fail")])
    new = new_default_version(aws)
    refresh_id = start(
        aws,
        Preferences={"MinHealthyPercentage": 50, "AutoRollback": True},
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": new}},
    )
    seen = run_to_end(aws, refresh_id)
    assert [status for status, _percentage, _left in seen] == [
        "Pending",
        "InProgress",
        "InProgress",
        "RollbackInProgress",
        "RollbackSuccessful",
    ]
    found = describe(aws, refresh_id)
    assert found["PercentageComplete"] == 0 and found["RollbackDetails"]["RollbackReason"]
    assert set(instances(aws).values()) == {"1"}
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    assert group["LaunchTemplate"]["Version"] == "1"


def test_a_failing_rollback_ends_rollback_failed(aws):
    make_group(aws, desired=2, version="1", tags=[(FAIL_TAG, "fail-rollback")])
    new = new_default_version(aws)
    refresh_id = start(
        aws,
        Preferences={"MinHealthyPercentage": 50, "AutoRollback": True},
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": new}},
    )
    assert run_to_end(aws, refresh_id)[-1][0] == "RollbackFailed"


def test_success_with_a_desired_configuration_moves_the_group_to_it(aws):
    make_group(aws, desired=1, version="1")
    new = new_default_version(aws)
    refresh_id = start(
        aws,
        Preferences={"AutoRollback": True},
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": new}},
    )
    assert run_to_end(aws, refresh_id)[-1][0] == "Successful"
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    assert group["LaunchTemplate"]["Version"] == new
    assert set(instances(aws).values()) == {new}


@pytest.mark.parametrize(
    "group_version, desired",
    [("$Default", {"LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "2"}}), ("1", None)],
    ids=["group on $Default", "no desired configuration"],
)
def test_auto_rollback_is_refused_where_aws_refuses_it(aws, group_version, desired):
    make_group(aws, version=group_version)
    new_default_version(aws)
    request = {"Preferences": {"AutoRollback": True}}
    if desired:
        request["DesiredConfiguration"] = desired
    with pytest.raises(RefreshError) as error:
        start(aws, **request)
    assert error.value.code == "ValidationError" and "AutoRollback" in error.value.message


def test_unknown_group_is_a_validation_error(aws):
    with pytest.raises(RefreshError) as error:
        start(aws)
    assert error.value.code == "ValidationError"


def test_a_deleted_group_takes_its_refreshes_with_it(aws):
    make_group(aws)
    start(aws)
    aws.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=GROUP, ForceDelete=True)
    make_group(aws)
    assert aws.refreshes.DescribeInstanceRefreshes(CONTEXT, {"AutoScalingGroupName": GROUP}) == {
        "InstanceRefreshes": []
    }
    assert start(aws)


def test_a_group_tag_sets_the_pace_of_its_refreshes(aws):
    make_group(aws, desired=1, tags=[(STEP_TAG, "10")])
    refresh_id = start(aws)
    aws.clock.now += 9
    assert describe(aws, refresh_id)["Status"] == "Pending"  # one step is 10 s here, not 1
    aws.clock.now += 1
    assert describe(aws, refresh_id)["Status"] == "InProgress"
