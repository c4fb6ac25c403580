# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IAM wrappers of ``_iam.py`` on moto: what each call sends, "missing" as None/False, and errors raised."""

import json
from urllib.parse import quote

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils import _iam

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"


@pytest.fixture
def iam(moto_credentials):
    with mock_aws():
        yield boto3.client("iam", region_name=REGION)


def test_create_role_carries_every_setting(iam):
    created = _iam.create_iam_role(
        iam,
        "unit-app",
        TRUST,
        path="/apps/",
        description="the app",
        max_session_duration=7200,
        permissions_boundary=BOUNDARY,
        tags={"team": "qa"},
    )
    assert created["RoleName"] == "unit-app"
    role = iam.get_role(RoleName="unit-app")["Role"]
    assert (role["Path"], role["Description"], role["MaxSessionDuration"]) == ("/apps/", "the app", 7200)
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert role["Tags"] == [{"Key": "team", "Value": "qa"}]
    assert _iam.decoded_policy_document(role["AssumeRolePolicyDocument"]) == TRUST


def test_create_role_without_settings_sends_none_of_them(iam):
    _iam.create_iam_role(iam, "unit-bare", json.dumps(TRUST))
    role = iam.get_role(RoleName="unit-bare")["Role"]
    assert (role["Path"], role["MaxSessionDuration"]) == ("/", 3600)
    assert "PermissionsBoundary" not in role and not role.get("Tags") and not role.get("Description")


def test_create_an_existing_role_raises(iam):
    _iam.create_iam_role(iam, "unit-twice", TRUST)
    with pytest.raises(AnsibleIAMError) as raised:
        _iam.create_iam_role(iam, "unit-twice", TRUST)
    assert "create role unit-twice" in raised.value.message


def test_role_settings_boundary_tags_and_trust(iam):
    _iam.create_iam_role(iam, "unit-set", TRUST)
    assert _iam.update_iam_role(iam, "unit-set", description="new", max_session_duration=3700) is True
    assert _iam.put_iam_role_permissions_boundary(iam, "unit-set", BOUNDARY) is True
    assert _iam.tag_iam_role(iam, "unit-set", {"a": "1", "b": "2"}) is True
    assert _iam.untag_iam_role(iam, "unit-set", ["a"]) is True
    trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Sid": "Ec2"}]}
    assert _iam.update_iam_assume_role_policy(iam, "unit-set", trust) is True
    role = iam.get_role(RoleName="unit-set")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("new", 3700)
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert role["Tags"] == [{"Key": "b", "Value": "2"}]
    assert _iam.decoded_policy_document(role["AssumeRolePolicyDocument"]) == trust
    assert _iam.delete_iam_role_permissions_boundary(iam, "unit-set") is True
    assert "PermissionsBoundary" not in iam.get_role(RoleName="unit-set")["Role"]


def test_update_role_sends_only_what_is_given(moto_credentials):
    # What goes on the wire (emulators differ in what an omitted Description does, so ensure_role_settings
    # always sends both; the wrapper must not invent either).
    client = boto3.client("iam", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("update_role", {}, {"RoleName": "unit-upd", "MaxSessionDuration": 3600})
        stub.add_response("update_role", {}, {"RoleName": "unit-upd", "Description": ""})
        assert _iam.update_iam_role(client, "unit-upd", max_session_duration=3600) is True
        assert _iam.update_iam_role(client, "unit-upd", description="") is True
        stub.assert_no_pending_responses()


def test_inline_policy_put_get_delete_and_missing_is_none(iam):
    _iam.create_iam_role(iam, "unit-inline", TRUST)
    assert _iam.get_iam_role_policy(iam, "unit-inline", "s3-read") is None
    assert _iam.put_iam_role_policy(iam, "unit-inline", "s3-read", S3_READ) is True
    assert _iam.get_iam_role_policy(iam, "unit-inline", "s3-read") == S3_READ
    assert _iam.delete_iam_role_policy(iam, "unit-inline", "s3-read") is True
    # Deleting twice is harmless: the second deletion finds nothing and says so.
    assert _iam.delete_iam_role_policy(iam, "unit-inline", "s3-read") is False


def test_managed_policy_reads_and_attach(iam):
    arn = iam.create_policy(PolicyName="unit-logs", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    assert _iam.get_iam_managed_policy(iam, arn)["Arn"] == arn
    assert _iam.get_iam_managed_policy(iam, "arn:aws:iam::123456789012:policy/nope") is None
    assert _iam.get_iam_policy_version_document(iam, arn, "v1") == S3_READ
    assert _iam.get_iam_managed_policy_document(iam, arn) == S3_READ
    assert _iam.get_iam_managed_policy_document(iam, "arn:aws:iam::123456789012:policy/nope") is None
    _iam.create_iam_role(iam, "unit-attach", TRUST)
    assert _iam.attach_iam_role_policy(iam, arn, "unit-attach") is True
    attached = iam.list_attached_role_policies(RoleName="unit-attach")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]


def test_delete_role_twice_is_harmless(iam):
    _iam.create_iam_role(iam, "unit-gone", TRUST)
    assert _iam.delete_iam_role(iam, "unit-gone") is True
    assert _iam.delete_iam_role(iam, "unit-gone") is False
    assert _iam.delete_iam_role_permissions_boundary(iam, "unit-gone") is False


@pytest.mark.parametrize(
    "document",
    [S3_READ, json.dumps(S3_READ), quote(json.dumps(S3_READ)), "  " + json.dumps(S3_READ)],
    ids=["dict", "json", "url-encoded", "json-with-space"],
)
def test_decoded_policy_document_forms(document):
    assert _iam.decoded_policy_document(document) == S3_READ


@pytest.mark.parametrize("document", [None, "", {}])
def test_decoded_policy_document_of_nothing_is_empty(document):
    assert _iam.decoded_policy_document(document) == {}
