import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.modules import instance_role_info

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}


def run_module(capsys, **args):
    """Run the module's main() and return its result dict (exit_json and fail_json both exit)."""
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        instance_role_info.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def aws(moto_credentials):
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        asg = boto3.client("autoscaling", region_name=REGION)
        iam.create_role(RoleName="info-app", AssumeRolePolicyDocument=json.dumps(TRUST))
        policy = iam.create_policy(PolicyName="info-logs", PolicyDocument=json.dumps(LOGS))["Policy"]
        iam.attach_role_policy(RoleName="info-app", PolicyArn=policy["Arn"])
        profile = iam.create_instance_profile(InstanceProfileName="info-app")["InstanceProfile"]
        iam.add_role_to_instance_profile(InstanceProfileName="info-app", RoleName="info-app")
        data = {"ImageId": "ami-12c6146b", "InstanceType": "t2.micro"}
        by_arn = ec2.create_launch_template(
            LaunchTemplateName="info-by-arn", LaunchTemplateData={**data, "IamInstanceProfile": {"Arn": profile["Arn"]}}
        )["LaunchTemplate"]
        ec2.create_launch_template(
            LaunchTemplateName="info-by-name", LaunchTemplateData={**data, "IamInstanceProfile": {"Name": "info-app"}}
        )
        ec2.create_launch_template(LaunchTemplateName="info-unrelated", LaunchTemplateData=data)
        for group, template in (("g-arn", "info-by-arn"), ("g-unrelated", "info-unrelated")):
            asg.create_auto_scaling_group(
                AutoScalingGroupName=group,
                LaunchTemplate={"LaunchTemplateName": template},
                MinSize=0,
                MaxSize=1,
                AvailabilityZones=[f"{REGION}a"],
            )
        # launch configurations name the profile by name or ARN (a plain string); "info-app-other" only starts alike
        for lc, reference in (("lc-by-name", "info-app"), ("lc-by-arn", profile["Arn"]), ("lc-other", "info-app-x")):
            asg.create_launch_configuration(
                LaunchConfigurationName=lc,
                ImageId="ami-12c6146b",
                InstanceType="t2.micro",
                IamInstanceProfile=reference,
            )
        asg.create_launch_configuration(
            LaunchConfigurationName="lc-none", ImageId="ami-12c6146b", InstanceType="t2.micro"
        )
        yield {"profile": profile, "by_arn": by_arn}


def test_info_lists_templates_and_groups(aws, capsys):
    result = run_module(capsys, name="info-app")
    assert result["changed"] is False
    assert result["role"]["role_name"] == "info-app"
    assert result["role"]["managed_policies"] == ["arn:aws:iam::123456789012:policy/info-logs"]
    assert result["role"]["assume_role_policy_document"] == TRUST
    assert result["instance_profile"] == {
        "arn": aws["profile"]["Arn"],
        "instance_profile_name": "info-app",
        "instance_profile_id": aws["profile"]["InstanceProfileId"],
        "path": "/",
        "roles": ["info-app"],
        "tags": {},
    }
    assert [t["launch_template_name"] for t in result["launch_templates"]] == ["info-by-arn", "info-by-name"]
    assert result["launch_templates"][0]["launch_template_id"] == aws["by_arn"]["LaunchTemplateId"]
    assert result["launch_templates"][0]["versions"] == [1]
    assert result["auto_scaling_groups"] == ["g-arn"]
    assert result["launch_configurations"] == ["lc-by-arn", "lc-by-name"]


def test_info_in_check_mode_is_the_same(aws, capsys):
    normal = run_module(capsys, name="info-app")
    checked = run_module(capsys, name="info-app", _ansible_check_mode=True)
    assert checked["changed"] is False
    assert {k: checked[k] for k in ("role", "launch_templates", "auto_scaling_groups")} == {
        k: normal[k] for k in ("role", "launch_templates", "auto_scaling_groups")
    }


def test_info_missing_role(aws, capsys):
    result = run_module(capsys, name="info-nobody")
    assert result["role"] is None
    assert result["instance_profile"] is None
    assert result["launch_templates"] == []
    assert result["auto_scaling_groups"] == []
    assert result["launch_configurations"] == []


def test_info_other_profile_name(aws, capsys):
    result = run_module(capsys, name="info-app", instance_profile_name="info-nobody")
    assert result["role"]["role_name"] == "info-app"
    assert result["instance_profile"] is None
    assert result["launch_templates"] == []


@pytest.mark.parametrize(
    ("args", "option"),
    [({"name": "bad name"}, "name"), ({"name": "ok", "instance_profile_name": "x" * 129}, "instance_profile_name")],
)
def test_bad_names_fail_before_any_call(capsys, monkeypatch, args, option):
    # No mock_aws and an unreachable endpoint: any AWS call would fail differently.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = run_module(capsys, **args)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{option} must")
    assert result["option"] == option
