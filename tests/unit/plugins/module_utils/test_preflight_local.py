"""The preflight's caller checks where the endpoint cannot simulate: the caller's identity policies, evaluated here."""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.filter.passrole_policy import passrole_policy
from ansible_collections.cloudcred.ec2.plugins.module_utils._preflight import (
    FAIL,
    LOCAL,
    PASS,
    UNVERIFIED,
    check_caller_permissions,
    evaluate_locally,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = {"arn": f"arn:aws:iam::{ACCOUNT}:role/qateam-app", "role_name": "qateam-app"}
PASSROLE = passrole_policy("qateam-", account_id=ACCOUNT)
LAUNCH = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Launch", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags"], "Resource": "*"}
    ],
}
PASS_ROLE_CONTEXT = {"iam:PassedToService": "ec2.amazonaws.com"}


# An endpoint that cannot simulate: the caller checks are evaluated locally.
ENDPOINT = "http://127.0.0.1:4566"


@pytest.fixture
def aws(moto_credentials):
    with mock_aws():
        yield boto3.client("iam", region_name=REGION)


def deployer(iam, *, inline=None, attached=(), groups=None):
    """A user with these policies; returns (its IAM client, its STS client), signed with its own keys."""
    iam.create_user(UserName="deployer")
    for name, document in (inline or {}).items():
        iam.put_user_policy(UserName="deployer", PolicyName=name, PolicyDocument=json.dumps(document))
    for name, document in attached:
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="deployer", PolicyArn=arn)
    for group, document in (groups or {}).items():
        iam.create_group(GroupName=group)
        iam.put_group_policy(GroupName=group, PolicyName="g", PolicyDocument=json.dumps(document))
        iam.add_user_to_group(GroupName=group, UserName="deployer")
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    creds = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    return boto3.client("iam", region_name=REGION, **creds), boto3.client("sts", region_name=REGION, **creds)


def run_checks(iam, sts):
    return {c["name"]: c for c in check_caller_permissions(iam, sts, ROLE, endpoint_url=ENDPOINT)}


def test_the_guides_policies_pass_with_the_deciding_statement(aws):
    checks = run_checks(*deployer(aws, inline={"qateam-passrole": PASSROLE}, attached=[("launch", LAUNCH)]))
    assert {n: (c["status"], c["basis"]) for n, c in checks.items()} == {
        "pass_role": (PASS, LOCAL),
        "run_instances": (PASS, LOCAL),
        "create_tags": (PASS, LOCAL),
    }
    detail = checks["pass_role"]["detail"]
    assert detail.startswith(
        f"arn:aws:iam::{ACCOUNT}:user/deployer may call iam:PassRole on {ROLE['arn']}: allowed by user deployer "
        "inline policy qateam-passrole Statement[0] (Sid PassRolesOfPrefixToEC2)"
    )
    assert "SCPs, permissions boundaries, session policies" in detail
    assert f"managed policy arn:aws:iam::{ACCOUNT}:policy/launch Statement[0] (Sid Launch)" in (
        checks["run_instances"]["detail"]
    )


def test_the_issue_prefix_that_misses_the_role_fails(aws):
    checks = run_checks(*deployer(aws, inline={"p": passrole_policy("billing-", account_id=ACCOUNT)}))
    assert checks["pass_role"]["status"] == FAIL and checks["pass_role"]["basis"] == LOCAL
    assert "no statement of its 1 identity policies allows it (implicit deny)" in checks["pass_role"]["detail"]
    assert checks["pass_role"]["fix"].startswith(f"allow arn:aws:iam::{ACCOUNT}:user/deployer iam:PassRole")


def test_an_explicit_deny_wins_and_is_named(aws):
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:Pass*", "Resource": "*"}]}
    checks = run_checks(*deployer(aws, inline={"pass": PASSROLE}, groups={"no-pass": deny}))
    assert checks["pass_role"]["status"] == FAIL
    assert "denied by group no-pass inline policy g Statement[0]" in checks["pass_role"]["detail"]


def test_a_group_policy_counts(aws):
    checks = run_checks(*deployer(aws, groups={"deployers": LAUNCH}))
    assert checks["run_instances"]["status"] == PASS and "group deployers inline policy g" in (
        checks["run_instances"]["detail"]
    )


def test_the_root_user_passes(aws):
    sts = boto3.client("sts", region_name=REGION)
    root = type("Sts", (), {"get_caller_identity": lambda self: {"Arn": f"arn:aws:iam::{ACCOUNT}:root"}})()
    assert sts  # the root caller is faked: moto has no root credentials
    checks = {c["name"]: c for c in check_caller_permissions(aws, root, ROLE, endpoint_url=ENDPOINT)}
    assert {c["status"] for c in checks.values()} == {PASS}
    assert "root user" in checks["pass_role"]["detail"]


def test_a_caller_that_cannot_be_evaluated_is_unverified(aws):
    # moto's own default caller is an sts user ARN, which is neither an IAM user nor a role
    checks = run_checks(aws, boto3.client("sts", region_name=REGION))
    assert {c["status"] for c in checks.values()} == {UNVERIFIED}
    assert "cannot evaluate the caller" in checks["pass_role"]["detail"]


def statement(effect="Allow", action="iam:PassRole", resource="*", condition=None, **extra):
    found = {"Effect": effect, "Action": action, "Resource": resource, **extra}
    if condition:
        found["Condition"] = condition
    return ("p", {"Statement": [found]})


@pytest.mark.parametrize(
    ("policies", "status"),
    [
        ([statement()], PASS),
        ([statement(action="iam:*")], PASS),
        ([statement(action="IAM:passrole")], PASS),  # actions match case-insensitively
        ([statement(resource="arn:aws:iam::123456789012:role/qateam-*")], PASS),
        ([statement(resource="arn:aws:iam::123456789012:role/QATEAM-*")], FAIL),  # resources do not
        ([statement(resource="arn:aws:iam::123456789012:role/billing-*")], FAIL),
        ([statement(NotAction="s3:*", action=None)], PASS),
        ([statement(NotAction="iam:*", action=None)], FAIL),
        ([statement(NotResource="arn:aws:iam::*:role/admin*", resource=None)], PASS),
        ([statement(condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})], PASS),
        ([statement(condition={"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}})], FAIL),
        ([statement(condition={"StringLike": {"iam:PassedToService": "ec2.*"}})], PASS),
        ([statement(condition={"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})], FAIL),
        ([statement(condition={"ForAnyValue:StringEquals": {"IAM:PassedToService": ["ec2.amazonaws.com"]}})], PASS),
        ([statement(condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})], UNVERIFIED),
        ([statement(condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})], UNVERIFIED),
        ([statement(), statement(effect="Deny")], FAIL),
        ([statement(), statement(effect="Deny", condition={"Bool": {"aws:ViaAWSService": "false"}})], UNVERIFIED),
        ([statement(action="ec2:RunInstances")], FAIL),
        ([], FAIL),
    ],
)
def test_evaluation_table(policies, status):
    policies = [
        (label, {"Statement": [{k: v for k, v in s.items() if v is not None} for s in doc["Statement"]]})
        for label, doc in policies
    ]
    result, why = evaluate_locally(policies, "iam:PassRole", ROLE["arn"], PASS_ROLE_CONTEXT)
    assert result == status, why
