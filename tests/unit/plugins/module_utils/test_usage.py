import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils._usage import (
    auto_scaling_groups_using_instance_profile,
    auto_scaling_groups_using_launch_templates,
    group_launch_template,
    launch_templates_referencing_instance_profile,
    references_instance_profile,
)

REGION = "us-east-1"
PROFILE = "usage-app"
PROFILE_ARN = "arn:aws:iam::123456789012:instance-profile/usage-app"
OTHER = {"Name": "someone-else"}


@pytest.fixture
def aws(moto_credentials):
    # make sets AWS_ENDPOINT_URL to LocalStack; these tests must stay in-process.
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION), boto3.client("autoscaling", region_name=REGION)


def template(ec2, name, *profiles):
    """A launch template whose versions 1..n carry the given IamInstanceProfile values (None: no profile)."""

    def data(profile):
        d = {"ImageId": "ami-12c6146b", "InstanceType": "t2.micro"}
        if profile:
            d["IamInstanceProfile"] = profile
        return d

    created = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data(profiles[0]))
    template_id = created["LaunchTemplate"]["LaunchTemplateId"]
    for profile in profiles[1:]:
        ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData=data(profile))
    return template_id


def group(asg, name, spec=None, mixed=False):
    args = {"AutoScalingGroupName": name, "MinSize": 0, "MaxSize": 1, "AvailabilityZones": [f"{REGION}a"]}
    if mixed:
        args["MixedInstancesPolicy"] = {
            "LaunchTemplate": {"LaunchTemplateSpecification": spec, "Overrides": [{"InstanceType": "t3.micro"}]}
        }
    else:
        args["LaunchTemplate"] = spec
    asg.create_auto_scaling_group(**args)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"IamInstanceProfile": {"Name": PROFILE}}, True),
        ({"IamInstanceProfile": {"Arn": PROFILE_ARN}}, True),
        ({"IamInstanceProfile": {"Arn": PROFILE_ARN.replace("usage-app", "usage-app2")}}, False),
        ({"IamInstanceProfile": {"Name": "usage-app2"}}, False),
        ({"ImageId": "ami-1"}, False),
        (None, False),
    ],
)
def test_references_instance_profile(data, expected):
    assert references_instance_profile(data, PROFILE, PROFILE_ARN) is expected


def test_references_by_arn_needs_the_arn():
    assert not references_instance_profile({"IamInstanceProfile": {"Arn": PROFILE_ARN}}, PROFILE, None)


@pytest.mark.parametrize(
    ("group_data", "expected"),
    [
        ({"LaunchTemplate": {"LaunchTemplateId": "lt-1", "LaunchTemplateName": "a"}}, ("lt-1", "a", "$Default")),
        ({"LaunchTemplate": {"LaunchTemplateName": "a", "Version": "3"}}, (None, "a", "3")),
        (
            {"MixedInstancesPolicy": {"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-2"}}}},
            ("lt-2", None, "$Default"),
        ),
        ({"LaunchConfigurationName": "old-style"}, None),
        ({}, None),
    ],
)
def test_group_launch_template(group_data, expected):
    spec = group_launch_template(group_data)
    if expected is None:
        assert spec is None
    else:
        assert (spec["LaunchTemplateId"], spec["LaunchTemplateName"], spec["Version"]) == expected


def test_groups_by_version_in_use(aws):
    ec2, asg = aws
    # v1 names the profile, v2 names nobody, v3 names it by ARN; default stays v1, latest is v3.
    by_name_then_arn = template(ec2, "usage-a", {"Name": PROFILE}, None, {"Arn": PROFILE_ARN})
    group(asg, "g-default-implicit", {"LaunchTemplateId": by_name_then_arn})
    group(asg, "g-default", {"LaunchTemplateId": by_name_then_arn, "Version": "$Default"})
    group(asg, "g-latest", {"LaunchTemplateName": "usage-a", "Version": "$Latest"})
    group(asg, "g-v2", {"LaunchTemplateId": by_name_then_arn, "Version": "2"})
    group(asg, "g-v3", {"LaunchTemplateId": by_name_then_arn, "Version": "3"})
    # A template of someone else's profile, and a group on it.
    template(ec2, "usage-b", OTHER)
    group(asg, "g-other", {"LaunchTemplateName": "usage-b"})

    found = auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, PROFILE_ARN)
    assert found == ["g-default", "g-default-implicit", "g-latest", "g-v3"]


def test_group_by_arn_reference_needs_the_arn(aws):
    ec2, asg = aws
    template(ec2, "usage-arn", {"Arn": PROFILE_ARN})
    group(asg, "g-arn", {"LaunchTemplateName": "usage-arn"})
    assert auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, PROFILE_ARN) == ["g-arn"]
    assert auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, None) == []


def test_group_with_mixed_instances_policy(aws):
    ec2, asg = aws
    template_id = template(ec2, "usage-mixed", {"Name": PROFILE})
    group(asg, "g-mixed", {"LaunchTemplateId": template_id, "Version": "$Latest"}, mixed=True)
    assert auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, PROFILE_ARN) == ["g-mixed"]


def test_group_without_launch_template_is_ignored(aws):
    ec2, asg = aws
    asg.create_launch_configuration(
        LaunchConfigurationName="usage-lc", ImageId="ami-12c6146b", InstanceType="t2.micro", IamInstanceProfile=PROFILE
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="g-lc",
        LaunchConfigurationName="usage-lc",
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    # Nothing to look up: no EC2 call at all (the stubbed client has no answer queued: any call would raise).
    with Stubber(ec2) as no_ec2_calls:
        assert auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, PROFILE_ARN) == []
        no_ec2_calls.assert_no_pending_responses()


def test_one_version_lookup_per_distinct_template_version(aws, monkeypatch):
    from ansible_collections.cloudcred.ec2.plugins.module_utils import _usage

    ec2, asg = aws
    template_id = template(ec2, "usage-calls", {"Name": PROFILE}, {"Name": PROFILE})
    for i in range(3):
        group(asg, f"g-calls-{i}", {"LaunchTemplateId": template_id, "Version": "$Latest"})
    group(asg, "g-calls-default", {"LaunchTemplateId": template_id})

    calls = []
    real = _usage.describe_launch_template_versions

    def counting(client, versions, **kwargs):
        calls.append((tuple(versions), kwargs.get("template_id"), kwargs.get("template_name")))
        return real(client, versions, **kwargs)

    monkeypatch.setattr(_usage, "describe_launch_template_versions", counting)
    found = auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, PROFILE_ARN)
    assert found == ["g-calls-0", "g-calls-1", "g-calls-2", "g-calls-default"]
    assert sorted(calls) == [(("$Default",), template_id, None), (("$Latest",), template_id, None)]


def test_group_on_deleted_template_is_not_an_error(aws):
    ec2, asg = aws
    template_id = template(ec2, "usage-gone", {"Name": PROFILE})
    group(asg, "g-gone", {"LaunchTemplateId": template_id})
    ec2.delete_launch_template(LaunchTemplateId=template_id)
    assert auto_scaling_groups_using_instance_profile(asg, ec2, PROFILE, PROFILE_ARN) == []


def test_launch_templates_referencing_instance_profile(aws):
    ec2, _asg = aws
    # default v1 by name, latest v3 by ARN: both listed.
    both = template(ec2, "usage-both", {"Name": PROFILE}, None, {"Arn": PROFILE_ARN})
    # only v1: default == latest, listed once.
    single = template(ec2, "usage-single", {"Name": PROFILE})
    # default v1 names nobody, latest v2 names it.
    latest_only = template(ec2, "usage-latest", None, {"Name": PROFILE})
    # an old version names it but neither default nor latest does.
    template(ec2, "usage-old", {"Name": PROFILE}, OTHER)
    ec2.modify_launch_template(LaunchTemplateName="usage-old", DefaultVersion="2")
    template(ec2, "usage-none", OTHER)

    found = launch_templates_referencing_instance_profile(ec2, PROFILE, PROFILE_ARN)
    assert found == [
        {"launch_template_id": both, "launch_template_name": "usage-both", "versions": [1, 3]},
        {"launch_template_id": latest_only, "launch_template_name": "usage-latest", "versions": [2]},
        {"launch_template_id": single, "launch_template_name": "usage-single", "versions": [1]},
    ]


def test_launch_templates_beyond_one_default_page(aws):
    ec2, _asg = aws
    for i in range(20):
        template(ec2, f"usage-many-{i:02d}", {"Name": PROFILE})
    found = launch_templates_referencing_instance_profile(ec2, PROFILE, PROFILE_ARN)
    assert [t["launch_template_name"] for t in found] == [f"usage-many-{i:02d}" for i in range(20)]


def test_auto_scaling_groups_using_launch_templates(aws):
    ec2, asg = aws
    first = template(ec2, "usage-t1", OTHER)
    second = template(ec2, "usage-t2", OTHER)
    third = template(ec2, "usage-t3", OTHER)
    group(asg, "g-t1", {"LaunchTemplateId": first, "Version": "1"})
    group(asg, "g-t2", {"LaunchTemplateName": "usage-t2"}, mixed=True)
    group(asg, "g-t3", {"LaunchTemplateId": third})
    assert auto_scaling_groups_using_launch_templates(asg, [first, second]) == ["g-t1", "g-t2"]
    assert auto_scaling_groups_using_launch_templates(asg, [], ["usage-t3"]) == ["g-t3"]
    # No template to look for: no Auto Scaling call at all.
    with Stubber(asg):
        assert auto_scaling_groups_using_launch_templates(asg, []) == []
