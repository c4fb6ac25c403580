# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""launch_template_profile delete_launch_template on moto: one DeleteLaunchTemplate, refused while a group uses it."""

import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.modules import launch_template_profile

REGION = "us-east-1"
GUIDE_DATA = {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"}
DELETE = {"launch_template_name": "ltp-del", "state": "absent", "delete_launch_template": True}
READS = ("Describe", "Get", "List")


@pytest.fixture
def ec2(moto_credentials):
    with mock_aws():
        client = boto3.client("ec2", region_name=REGION)
        client.create_launch_template(LaunchTemplateName="ltp-del", LaunchTemplateData=GUIDE_DATA)
        client.create_launch_template_version(
            LaunchTemplateName="ltp-del", LaunchTemplateData={**GUIDE_DATA, "InstanceType": "t3.micro"}
        )
        yield client


def run(capsys, calls=None, check_mode=False, **args):
    if calls is not None:
        calls.clear()
    module_args = {"region": REGION, **args}
    if check_mode:
        module_args["_ansible_check_mode"] = True
    with patch_module_args(module_args), pytest.raises(SystemExit):
        launch_template_profile.main()
    return json.loads(capsys.readouterr().out)


def templates(ec2):
    return [t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]]


def writes(calls):
    return [c for c in calls if not c.startswith(READS)]


def test_deletes_every_version_in_one_call(ec2, capsys, calls):
    result = run(capsys, calls, **DELETE)
    assert (result["changed"], result["actions"]) == (True, ["DeleteLaunchTemplate"])
    assert writes(calls) == ["DeleteLaunchTemplate"]
    assert result["launch_template"] is None and result["version_number"] is None
    assert "ltp-del" not in templates(ec2)
    again = run(capsys, calls, **DELETE)
    assert (again["changed"], again["actions"], writes(calls)) == (False, [], [])


def test_check_mode_predicts_and_keeps_the_template(ec2, capsys, calls):
    result = run(capsys, calls, check_mode=True, **DELETE)
    assert (result["changed"], result["actions"]) == (True, ["DeleteLaunchTemplate"])
    assert writes(calls) == []
    assert "ltp-del" in templates(ec2)


def test_refused_while_a_group_launches_from_it(ec2, capsys, calls):
    boto3.client("autoscaling", region_name=REGION).create_auto_scaling_group(
        AutoScalingGroupName="ltp-del-asg",
        LaunchTemplate={"LaunchTemplateName": "ltp-del", "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    result = run(capsys, calls, **DELETE)
    assert result["failed"] is True
    assert "delete_launch_template" in result["msg"] and "ltp-del-asg" in result["msg"]
    assert writes(calls) == []
    assert "ltp-del" in templates(ec2)


def test_only_with_state_absent(capsys, calls):
    result = run(
        capsys,
        calls,
        launch_template_name="ltp-del",
        instance_profile_name="ltp-app",
        delete_launch_template=True,
    )
    assert result["failed"] is True
    assert result["msg"] == "delete_launch_template is only for state=absent"
    assert calls == []
