"""CreateAutoScalingGroup on a name in use: AWS's AlreadyExists, not moto's silent replacement."""

from types import SimpleNamespace

import boto3
import pytest
from cloudcred_localstack_autoscaling.groups import refuse_existing_group
from localstack.aws.api import CommonServiceException

CONTEXT = SimpleNamespace(account_id="123456789012", region="us-east-1")


@pytest.fixture
def autoscaling(moto_backend):
    del moto_backend
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ec2.create_launch_template(
        LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t2.micro"}
    )
    client = boto3.client("autoscaling", region_name="us-east-1")
    client.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    return client


def test_a_name_in_use_is_refused_with_already_exists(autoscaling):
    del autoscaling
    with pytest.raises(CommonServiceException) as refused:
        refuse_existing_group(CONTEXT, "web")
    assert refused.value.code == "AlreadyExists"
    assert (
        refused.value.message
        == "AutoScalingGroup by this name already exists - A group with the name web already exists"
    )


def test_a_new_name_or_another_region_passes(autoscaling):
    del autoscaling
    refuse_existing_group(CONTEXT, "api")
    refuse_existing_group(SimpleNamespace(account_id=CONTEXT.account_id, region="eu-west-1"), "web")
