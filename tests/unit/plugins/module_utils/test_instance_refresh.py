# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instance refresh decision from the group's state, and its calls (botocore Stubber: moto has no
per-instance launch template version nor instance refresh API)."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.cloudcred.ec2.plugins.module_utils._instance_refresh import (
    RefreshError,
    aws_preferences,
    ensure_refreshed,
    failure_message,
    instance_reasons,
    progress_line,
    rollback_version,
    start_request,
)

LT = "my-lt"
GROUP = "web-asg"


def instance(instance_id, version="2", template=LT, state="InService", configuration=None):
    found = {"InstanceId": instance_id, "LifecycleState": state}
    if configuration:
        found["LaunchConfigurationName"] = configuration
    else:
        found["LaunchTemplate"] = {"LaunchTemplateId": "lt-0123456789abcdef0", "LaunchTemplateName": template}
        found["LaunchTemplate"]["Version"] = version
    return found


def group(*instances, version="$Default"):
    return {
        "AutoScalingGroupName": GROUP,
        "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "LaunchTemplateName": LT, "Version": version},
        "Instances": list(instances),
    }


# --- the decision ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "instances, expected",
    [
        ([instance("i-1"), instance("i-2")], []),
        ([instance("i-1"), instance("i-2", version="1")], ["i-2 runs launch template version 1, not 2"]),
        ([instance("i-1", configuration="old-lc")], ["i-1 runs from launch configuration old-lc"]),
        ([instance("i-1", template="other-lt")], ["i-1 runs from launch template other-lt"]),
        ([instance("i-1", version="1", state="Terminating")], []),
        ([], []),
    ],
    ids=["converged", "one behind", "launch configuration", "other template", "leaving", "no instances"],
)
def test_instance_reasons(instances, expected):
    assert instance_reasons(group(*instances), LT, 2) == expected


def test_preferences_go_to_aws_in_its_names():
    assert aws_preferences({"min_healthy_percentage": 50, "skip_matching": True, "AutoRollback": True}) == {
        "MinHealthyPercentage": 50,
        "SkipMatching": True,
        "AutoRollback": True,
    }


def test_start_request_with_auto_rollback_names_the_version_number():
    assert start_request(GROUP, LT, 3, {"AutoRollback": True}) == {
        "AutoScalingGroupName": GROUP,
        "Preferences": {"AutoRollback": True},
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateName": LT, "Version": "3"}},
    }
    assert "DesiredConfiguration" not in start_request(GROUP, LT, 3, {"MinHealthyPercentage": 90})


def test_rollback_version():
    assert rollback_version(group(instance("i-1", "1"), version="1"), LT) is None  # names a number already
    assert rollback_version(group(instance("i-1", "1"), instance("i-2", "1")), LT) == "1"
    with pytest.raises(RefreshError, match="^preferences: auto_rollback .* run from \\['1', '2'\\]"):
        rollback_version(group(instance("i-1", "1"), instance("i-2", "2")), LT)


def test_progress_and_failure_lines():
    refresh = {"instance_refresh_id": "r-1", "status": "InProgress", "percentage_complete": 50}
    assert progress_line(GROUP, {**refresh, "instances_to_update": 1}) == (
        "Instance refresh r-1 of web-asg: InProgress, 50% complete, 1 instances to update"
    )
    failed = {"instance_refresh_id": "r-1", "status": "Failed", "status_reason": "launch failed"}
    assert (
        failure_message(GROUP, failed)
        == "Instance refresh r-1 of Auto Scaling group web-asg ended Failed: launch failed"
    )
    assert progress_line(GROUP, failed).endswith("(launch failed)")


# --- the calls ---------------------------------------------------------------------------------

PARAMS = {"name": GROUP, "launch_template_name": LT, "launch_template_version": 2, "preferences": {}}


@pytest.fixture
def autoscaling():
    client = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def describe(stubber, found):
    stubber.add_response(
        "describe_auto_scaling_groups",
        {"AutoScalingGroups": [{**found, **SIZES}] if found else []},
        {"AutoScalingGroupNames": [GROUP]},
    )


SIZES = {
    "MinSize": 0,
    "MaxSize": 2,
    "DesiredCapacity": 2,
    "DefaultCooldown": 300,
    "AvailabilityZones": ["us-east-1a"],
    "HealthCheckType": "EC2",
    "CreatedTime": "2026-01-01T00:00:00Z",
}


def with_states(found):
    for i in found["Instances"]:
        i.update(AvailabilityZone="us-east-1a", HealthStatus="Healthy", ProtectedFromScaleIn=False)
    return found


def test_converged_group_reads_once_and_starts_nothing(autoscaling):
    client, stubber = autoscaling
    describe(stubber, with_states(group(instance("i-1"), instance("i-2"))))
    result = ensure_refreshed(client, None, PARAMS, check_mode=False)
    assert result["changed"] is False and result["needed"] is False and result["actions"] == []
    assert [i["launch_template_version"] for i in result["instances"]] == ["2", "2"]


def test_instances_behind_start_a_refresh(autoscaling):
    client, stubber = autoscaling
    describe(stubber, with_states(group(instance("i-1", "1"), instance("i-2"))))
    stubber.add_response(
        "start_instance_refresh",
        {"InstanceRefreshId": "r-1"},
        {"AutoScalingGroupName": GROUP, "Preferences": {"MinHealthyPercentage": 50}},
    )
    result = ensure_refreshed(client, None, {**PARAMS, "preferences": {"min_healthy_percentage": 50}}, False)
    assert result["changed"] and result["actions"] == ["StartInstanceRefresh"]
    assert result["reasons"] == ["i-1 runs launch template version 1, not 2"]
    assert result["instance_refresh"] == {"instance_refresh_id": "r-1", "status": "Pending"}


def test_check_mode_predicts_the_start_without_it(autoscaling):
    client, stubber = autoscaling
    describe(stubber, with_states(group(instance("i-1", "1"))))
    stubber.add_response("describe_instance_refreshes", {"InstanceRefreshes": []}, {"AutoScalingGroupName": GROUP})
    result = ensure_refreshed(client, None, PARAMS, check_mode=True)
    assert result["changed"] and result["actions"] == ["StartInstanceRefresh"] and result["instance_refresh"] is None


def test_check_mode_on_a_group_to_be_created_predicts_no_refresh(autoscaling):
    client, stubber = autoscaling
    describe(stubber, None)
    assert ensure_refreshed(client, None, PARAMS, check_mode=True)["needed"] is False


def test_a_missing_group_fails_naming_the_option(autoscaling):
    client, stubber = autoscaling
    describe(stubber, None)
    with pytest.raises(RefreshError, match="^name: Auto Scaling group web-asg does not exist"):
        ensure_refreshed(client, None, PARAMS, check_mode=False)


def test_a_refresh_in_progress_is_reported_to_be_waited_for(autoscaling):
    client, stubber = autoscaling
    describe(stubber, with_states(group(instance("i-1", "1"))))
    stubber.add_client_error("start_instance_refresh", "InstanceRefreshInProgress", "already", 400)
    active = {"InstanceRefreshId": "r-0", "AutoScalingGroupName": GROUP, "Status": "InProgress"}
    ended = {"InstanceRefreshId": "r-old", "AutoScalingGroupName": GROUP, "Status": "Successful"}
    stubber.add_response(
        "describe_instance_refreshes", {"InstanceRefreshes": [active, ended]}, {"AutoScalingGroupName": GROUP}
    )
    result = ensure_refreshed(client, None, PARAMS, check_mode=False)
    assert result["in_progress"] is True and result["changed"] is False
    assert result["instance_refresh"]["instance_refresh_id"] == "r-0"


def test_auto_rollback_puts_a_default_group_on_its_instances_version_first(autoscaling):
    client, stubber = autoscaling
    describe(stubber, with_states(group(instance("i-1", "1"))))
    stubber.add_response("describe_instance_refreshes", {"InstanceRefreshes": []}, {"AutoScalingGroupName": GROUP})
    stubber.add_response(
        "update_auto_scaling_group",
        {},
        {"AutoScalingGroupName": GROUP, "LaunchTemplate": {"LaunchTemplateName": LT, "Version": "1"}},
    )
    request = start_request(GROUP, LT, 2, {"AutoRollback": True})
    stubber.add_response("start_instance_refresh", {"InstanceRefreshId": "r-2"}, request)
    result = ensure_refreshed(client, None, {**PARAMS, "preferences": {"auto_rollback": True}}, False)
    assert result["actions"] == ["UpdateAutoScalingGroup", "StartInstanceRefresh"]
