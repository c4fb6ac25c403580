# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""launch_configuration on moto: deleted once no group uses it, kept (with a warning) while one does."""

import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.modules import launch_configuration

REGION = "us-east-1"


@pytest.fixture
def autoscaling(moto_credentials):
    with mock_aws():
        client = boto3.client("autoscaling", region_name=REGION)
        for name in ("lc-free", "lc-used"):
            client.create_launch_configuration(LaunchConfigurationName=name, ImageId="ami-1", InstanceType="t2.micro")
        client.create_auto_scaling_group(
            AutoScalingGroupName="g-used",
            LaunchConfigurationName="lc-used",
            MinSize=0,
            MaxSize=1,
            AvailabilityZones=[f"{REGION}a"],
        )
        yield client


def run(capsys, calls=None, **args):
    if calls is not None:
        calls.clear()
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        launch_configuration.main()
    return json.loads(capsys.readouterr().out)


def names(client):
    return sorted(
        lc["LaunchConfigurationName"] for lc in client.describe_launch_configurations()["LaunchConfigurations"]
    )


def test_unused_is_deleted_check_mode_first(autoscaling, capsys, calls):
    check = run(capsys, calls, name="lc-free", _ansible_check_mode=True, _ansible_diff=True)
    assert (check["changed"], check["actions"], check["launch_configuration"]) == (
        True,
        ["DeleteLaunchConfiguration"],
        "lc-free",
    )
    assert check["diff"]["before"]["ImageId"] == "ami-1" and check["diff"]["after"] == {}
    assert "DeleteLaunchConfiguration" not in calls and names(autoscaling) == ["lc-free", "lc-used"]
    result = run(capsys, name="lc-free")
    assert (result["changed"], result["actions"]) == (True, ["DeleteLaunchConfiguration"])
    assert names(autoscaling) == ["lc-used"]
    again = run(capsys, calls, name="lc-free")
    assert (again["changed"], again["actions"], again["launch_configuration"]) == (False, [], None)


def test_used_is_kept_naming_the_group(autoscaling, capsys, calls):
    result = run(capsys, calls, name="lc-used")
    assert (result["changed"], result["actions"], result["auto_scaling_groups"]) == (False, [], ["g-used"])
    assert any("g-used" in w for w in result["warnings"])
    assert "DeleteLaunchConfiguration" not in calls and "lc-used" in names(autoscaling)


def test_a_group_being_moved_off_it_does_not_count(autoscaling, capsys):
    check = run(capsys, name="lc-used", except_auto_scaling_groups=["g-used"], _ansible_check_mode=True)
    assert (check["changed"], check["actions"]) == (True, ["DeleteLaunchConfiguration"])
    assert "lc-used" in names(autoscaling)
