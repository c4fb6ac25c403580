# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""launch_template_profile on moto: a missing template's first version made from a launch configuration."""

import base64
import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.modules import launch_template_profile

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
USER_DATA = "#!/bin/bash\necho qateam > /tmp/hello\n"
MUTATING = {"CreateLaunchTemplate", "CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "CreateTags", "DeleteTags"}
FROM_GROUP = {
    "launch_template_name": "lc-lt",
    "instance_profile_name": "lc-app",
    "source_auto_scaling_group": "qateam-app-asg",
}


@pytest.fixture
def aws(moto_credentials):
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        iam.create_role(RoleName="lc-app", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.create_instance_profile(InstanceProfileName="lc-app")
        iam.add_role_to_instance_profile(InstanceProfileName="lc-app", RoleName="lc-app")
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        group_id = ec2.create_security_group(GroupName="lc-sg", Description="lc", VpcId=vpc)["GroupId"]
        ec2.create_key_pair(KeyName="qateam-key")
        autoscaling = boto3.client("autoscaling", region_name=REGION)
        # botocore base64-encodes UserData of CreateLaunchConfiguration, as the AWS CLI does
        autoscaling.create_launch_configuration(
            LaunchConfigurationName="qateam-app-lc",
            ImageId="ami-04d5cc9b88example",
            InstanceType="t2.micro",
            KeyName="qateam-key",
            SecurityGroups=[group_id],
            UserData=USER_DATA,
            InstanceMonitoring={"Enabled": False},
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}],
            IamInstanceProfile="old-profile",
        )
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="qateam-app-asg",
            LaunchConfigurationName="qateam-app-lc",
            MinSize=0,
            MaxSize=1,
            AvailabilityZones=["us-east-1a"],
        )
        yield {"ec2": ec2, "security_group": group_id}


def run(capsys, calls=None, **args):
    if calls is not None:
        calls.clear()
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        launch_template_profile.main()
    return json.loads(capsys.readouterr().out)


def versions(ec2, name):
    found = ec2.describe_launch_template_versions(LaunchTemplateName=name)["LaunchTemplateVersions"]
    return {v["VersionNumber"]: v["LaunchTemplateData"] for v in found}


def test_first_version_from_the_groups_launch_configuration(aws, capsys, calls):
    check = run(capsys, calls, **FROM_GROUP, _ansible_check_mode=True, _ansible_diff=True)
    assert (check["changed"], check["actions"]) == (True, ["CreateLaunchTemplate"])
    assert not MUTATING & set(calls)
    assert check["source_launch_configuration"] == "qateam-app-lc"
    # the diff shows what the launch configuration held and what the template will hold
    assert check["diff"]["before_header"] == "launch configuration qateam-app-lc"
    assert check["diff"]["before"]["KeyName"] == "qateam-key"
    assert check["diff"]["after"]["KeyName"] == "qateam-key"
    assert any("IamInstanceProfile old-profile is replaced by lc-app" in w for w in check.get("warnings", []))

    result = run(capsys, calls, **FROM_GROUP)
    assert (result["changed"], result["actions"]) == (True, ["CreateLaunchTemplate"])
    assert result["launch_template_data"] == check["launch_template_data"]
    data = versions(aws["ec2"], "lc-lt")[1]
    data.pop("TagSpecifications", None)
    assert data == {
        "ImageId": "ami-04d5cc9b88example",
        "InstanceType": "t2.micro",
        "KeyName": "qateam-key",
        # moto answers AssociatePublicIpAddress: false (and EbsOptimized: false) for a launch configuration
        # made without them; false must survive, so it rides on the primary interface with the groups
        "NetworkInterfaces": [
            {
                "DeviceIndex": 0,
                "AssociatePublicIpAddress": False,
                "DeleteOnTermination": True,
                "Groups": [aws["security_group"]],
            }
        ],
        "EbsOptimized": False,
        "UserData": base64.b64encode(USER_DATA.encode()).decode(),
        "Monitoring": {"Enabled": False},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}],
        "IamInstanceProfile": {"Name": "lc-app"},
        "MetadataOptions": {"HttpTokens": "required"},
    }
    assert base64.b64decode(data["UserData"]).decode() == USER_DATA  # encoded once, not twice

    # the template exists now: the launch configuration is not read again, nothing is written
    again = run(capsys, calls, **FROM_GROUP)
    assert (again["changed"], again["actions"], again["source_launch_configuration"]) == (False, [], None)
    # The group is read on every run (and returned, for the role's comparison); its launch configuration only
    # while the template is missing.
    assert "DescribeLaunchConfigurations" not in calls and calls.count("DescribeAutoScalingGroups") == 1
    assert again["auto_scaling_group"]["auto_scaling_group_name"] == "qateam-app-asg"


def test_launch_template_data_goes_on_top_and_the_hop_limit_after(aws, capsys):
    result = run(capsys, **FROM_GROUP, launch_template_data={"InstanceType": "t3.small"}, metadata_hop_limit=2)
    data = versions(aws["ec2"], "lc-lt")[1]
    assert data["InstanceType"] == "t3.small" and data["KeyName"] == "qateam-key"
    assert data["MetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}
    assert result["changed"] is True


def test_by_launch_configuration_name(aws, capsys):
    result = run(
        capsys,
        launch_template_name="lc-lt",
        instance_profile_name="lc-app",
        source_launch_configuration="qateam-app-lc",
    )
    assert result["source_launch_configuration"] == "qateam-app-lc"
    assert versions(aws["ec2"], "lc-lt")[1]["KeyName"] == "qateam-key"


def test_missing_launch_configuration_fails_naming_the_option(aws, capsys, calls):
    result = run(
        capsys, calls, launch_template_name="lc-lt", instance_profile_name="lc-app", source_launch_configuration="nope"
    )
    assert result["failed"] is True and "source_launch_configuration" in result["msg"] and "nope" in result["msg"]
    assert not MUTATING & set(calls)


def test_a_group_without_launch_configuration_gives_nothing(aws, capsys, calls):
    result = run(
        capsys,
        calls,
        launch_template_name="lc-lt",
        instance_profile_name="lc-app",
        source_auto_scaling_group="no-such-group",
    )
    assert result["failed"] is True and "launch_template_data is required" in result["msg"]
    assert not MUTATING & set(calls)
