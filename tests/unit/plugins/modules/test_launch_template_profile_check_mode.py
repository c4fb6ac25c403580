# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""launch_template_profile in check mode on every change path, end to end on moto.

Each case: set up the templates, run the module in check mode, and assert that it reports the
change with the actions the real run then makes, that no mutating call reached botocore (the
``calls`` fixture) and that the emulator's launch templates, every version's data and the tags are
unchanged. The real run follows, and its result is the one check mode predicted.
"""

import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.modules import launch_template_profile

REGION = "us-east-1"
NAME = "ltp-check"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
DATA = {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"}
WITH_PROFILE = {**DATA, "IamInstanceProfile": {"Name": "ltp-app"}, "MetadataOptions": {"HttpTokens": "required"}}
PRESENT = {"launch_template_name": NAME, "instance_profile_name": "ltp-app"}
READS = ("Describe", "Get", "List")


@pytest.fixture
def ec2(moto_credentials):
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        for profile in ("ltp-app", "ltp-next"):
            iam.create_role(RoleName=profile, AssumeRolePolicyDocument=json.dumps(TRUST))
            iam.create_instance_profile(InstanceProfileName=profile)
            iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=profile)
        yield boto3.client("ec2", region_name=REGION)


def run(capsys, calls, **args):
    calls.clear()
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        launch_template_profile.main()
    return json.loads(capsys.readouterr().out)


def ec2_state(ec2):
    """Every launch template with its default version, every version's data and its tags."""
    state = {}
    for template in ec2.describe_launch_templates()["LaunchTemplates"]:
        template_id = template["LaunchTemplateId"]
        found = ec2.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [template_id]}])["Tags"]
        state[template["LaunchTemplateName"]] = {
            "default": template["DefaultVersionNumber"],
            "latest": template["LatestVersionNumber"],
            "versions": {v["VersionNumber"]: v["LaunchTemplateData"] for v in found},
            "tags": sorted((t["Key"], t["Value"]) for t in tags),
        }
    return state


def with_template(data, tags=None):
    def setup(ec2):
        extra = {}
        if tags:
            tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
            extra["TagSpecifications"] = [{"ResourceType": "launch-template", "Tags": tag_list}]
        ec2.create_launch_template(LaunchTemplateName=NAME, LaunchTemplateData=data, **extra)

    return setup


CASES = {
    "create the template (with tags)": (
        lambda ec2: None,
        {**PRESENT, "launch_template_data": DATA, "tags": {"team": "qa"}},
        ["CreateLaunchTemplate"],
    ),
    "new version for the profile": (
        with_template(DATA),
        PRESENT,
        ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"],
    ),
    "new version for another profile": (
        with_template(WITH_PROFILE),
        {**PRESENT, "instance_profile_name": "ltp-next"},
        ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"],
    ),
    "new version for launch_template_data": (
        with_template(WITH_PROFILE),
        {**PRESENT, "launch_template_data": {"InstanceType": "t3.micro"}},
        ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"],
    ),
    "new version without setting the default": (
        with_template(DATA),
        {**PRESENT, "set_default_version": False},
        ["CreateLaunchTemplateVersion"],
    ),
    "template tags set": (with_template(WITH_PROFILE), {**PRESENT, "tags": {"team": "qa"}}, ["CreateTags"]),
    "template tags set and purged": (
        with_template(WITH_PROFILE, {"old": "1"}),
        {**PRESENT, "tags": {"team": "qa"}},
        ["DeleteTags", "CreateTags"],
    ),
    "absent: version without the profile": (
        with_template(WITH_PROFILE),
        {"launch_template_name": NAME, "state": "absent"},
        ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate"],
    ),
    "absent: tags": (
        with_template(DATA, {"old": "1"}),
        {"launch_template_name": NAME, "state": "absent", "tags": {}},
        ["DeleteTags"],
    ),
    "delete the template": (
        with_template(WITH_PROFILE),
        {"launch_template_name": NAME, "state": "absent", "delete_launch_template": True},
        ["DeleteLaunchTemplate"],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_check_mode_writes_nothing_and_predicts_the_real_run(ec2, capsys, calls, case):
    setup, args, actions = case
    setup(ec2)
    before = ec2_state(ec2)
    checked = run(capsys, calls, **args, _ansible_check_mode=True)
    assert (checked.get("failed"), checked["changed"], checked["actions"]) == (None, True, actions)
    assert [c for c in calls if not c.startswith(READS)] == []
    assert ec2_state(ec2) == before

    real = run(capsys, calls, **args)
    assert (real["changed"], real["actions"]) == (True, actions)
    assert [c for c in calls if not c.startswith(READS)] == actions
    assert ec2_state(ec2) != before
    assert (checked["version_number"], checked["launch_template_data"]) == (
        real["version_number"],
        real["launch_template_data"],
    )
    for key in ("default_version_number", "latest_version_number", "launch_template_name"):
        assert (checked["launch_template"] or {}).get(key) == (real["launch_template"] or {}).get(key), key
