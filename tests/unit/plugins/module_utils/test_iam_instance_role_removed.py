# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_iam_instance_role: what a run removes is read and named with its content, on moto, and nothing is
removed unless a purge option says so (issue 27: taking over a role made by hand)."""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, ec2_trust_policy
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    Wanted,
    ensure_present,
    inline_documents_to_read,
    removed,
)

NAME = "iir-removed"
KEEP = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
BY_HAND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
SSM = "arn:aws:iam::123456789012:policy/ssm-core"
READ_ONLY = "arn:aws:iam::123456789012:policy/read-only"


@pytest.fixture
def iam(moto_credentials):
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        # A role made by hand: two inline policies, two managed policies, tags on role and profile.
        client.create_role(
            RoleName=NAME,
            AssumeRolePolicyDocument=json.dumps(ec2_trust_policy("aws")),
            Tags=[{"Key": "team", "Value": "qa"}, {"Key": "owner", "Value": "alice"}],
        )
        client.put_role_policy(RoleName=NAME, PolicyName="keep", PolicyDocument=json.dumps(KEEP))
        client.put_role_policy(RoleName=NAME, PolicyName="by-hand", PolicyDocument=json.dumps(BY_HAND))
        for arn in (SSM, READ_ONLY):
            client.create_policy(PolicyName=arn.rsplit("/", maxsplit=1)[-1], PolicyDocument=json.dumps(KEEP))
            client.attach_role_policy(RoleName=NAME, PolicyArn=arn)
        client.create_instance_profile(
            InstanceProfileName=NAME, Tags=[{"Key": "team", "Value": "qa"}, {"Key": "owner", "Value": "alice"}]
        )
        client.add_role_to_instance_profile(InstanceProfileName=NAME, RoleName=NAME)
        yield client


def wanted(purge: bool) -> Wanted:
    return Wanted(
        name=NAME,
        path="/",
        trust=ec2_trust_policy("aws"),
        profile_name=NAME,
        profile_path="/",
        managed_policies=[SSM],
        inline_policies={"keep": KEEP},
        tags={"team": "qa"},
        purge_managed_policies=purge,
        purge_inline_policies=purge,
        purge_tags=purge,
    )


def run(iam, want, *, check_mode):
    writes = Writes(check_mode)
    changed, original, final, _waited = ensure_present(
        iam, wanted=want, writes=writes, warn=lambda message: None, wait=False, wait_timeout=0
    )
    return changed, original, final, writes.actions


@pytest.mark.parametrize("check_mode", [True, False])
def test_purging_names_each_removal_with_its_content(iam, check_mode):
    changed, original, final, actions = run(iam, wanted(True), check_mode=check_mode)
    assert changed is True
    assert removed(original, final) == {
        "managed_policies": [READ_ONLY],
        "inline_policies": {"by-hand": BY_HAND},
        "tags": {"owner": "alice"},
        "instance_profile_tags": {"owner": "alice"},
    }
    # The diff's before (the module's) holds the deleted policy's document, not null.
    assert original["role"]["inline_policies"]["by-hand"] == BY_HAND
    assert actions == ["UntagRole", "DetachRolePolicy", "DeleteRolePolicy", "UntagInstanceProfile"]
    left = iam.list_role_policies(RoleName=NAME)["PolicyNames"]
    assert sorted(left) == (["by-hand", "keep"] if check_mode else ["keep"])


def test_without_purge_nothing_is_removed_or_read_beyond_the_wanted(iam):
    changed, original, final, actions = run(iam, wanted(False), check_mode=False)
    assert (changed, actions) == (False, [])
    assert removed(original, final) == {}
    # Not purging, the hand-made policy's document is not read (one GetRolePolicy less per policy).
    assert original["role"]["inline_policies"] == {"by-hand": None, "keep": KEEP}
    assert sorted(iam.list_role_policies(RoleName=NAME)["PolicyNames"]) == ["by-hand", "keep"]
    assert len(iam.list_attached_role_policies(RoleName=NAME)["AttachedPolicies"]) == len([SSM, READ_ONLY])


def test_documents_read_follow_the_purge_option():
    assert "any-name" in inline_documents_to_read(wanted(True))
    assert "any-name" not in inline_documents_to_read(wanted(False))
    assert "keep" in inline_documents_to_read(wanted(False))
    not_given = Wanted(name=NAME, path="/", trust={}, profile_name=NAME, profile_path="/")
    assert "keep" not in inline_documents_to_read(not_given)


def test_a_new_role_removes_nothing(moto_credentials):
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_policy(PolicyName="ssm-core", PolicyDocument=json.dumps(KEEP))
        changed, original, final, _actions = run(client, wanted(True), check_mode=False)
    assert changed is True and original["role"] is None
    assert removed(original, final) == {}
