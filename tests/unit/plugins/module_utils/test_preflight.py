import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils import _preflight
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam import decoded_policy_document as policy_document
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    read_instance_profile as describe_instance_profile,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._preflight import (
    FAIL,
    PASS,
    UNVERIFIED,
    check_caller_permissions,
    check_instance_profile,
    check_launch_template,
    check_policies,
    check_trust_policy,
    describe_role,
    option_problems,
    preflight_checks,
)

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/app/pre-app"
PROFILE = {
    "arn": "arn:aws:iam::123456789012:instance-profile/pre-app",
    "instance_profile_name": "pre-app",
    "path": "/",
    "roles": ["pre-app"],
}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def role_with_trust(document):
    return {"arn": ROLE_ARN, "role_name": "pre-app", "assume_role_policy_document": document}


def statuses(checks):
    return {c["name"]: c["status"] for c in checks}


def clients(*services):
    return [boto3.client(service, region_name=REGION) for service in services]


def invalid_option(params):
    """The first refused option's message, after checking that it is the option ``option_problems`` names."""
    found = next(((o, p) for o, p in option_problems(params) if p), None)
    if found is None:
        return None
    assert found[1].startswith(found[0])
    return found[1]


@pytest.fixture
def no_endpoint(moto_credentials, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_IAM", raising=False)


# --- input validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"name": "a" * 65}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "ok", "instance_profile_name": "bad/slash"}, "instance_profile_name"),
        ({"name": "ok", "launch_template_name": "ab"}, "launch_template_name"),
        ({"name": "ok", "launch_template_name": "no spaces allowed"}, "launch_template_name"),
    ],
)
def test_invalid_option_names_the_option(params, option):
    assert invalid_option(params).startswith(f"{option} must")


def test_valid_options():
    params = {"name": "qateam-app", "instance_profile_name": "qateam-app", "launch_template_name": "my-lt/x_(1)"}
    assert invalid_option(params) is None


# --- pure checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "status"),
    [
        (PROFILE, PASS),
        (None, FAIL),
        ({**PROFILE, "roles": []}, FAIL),
        ({**PROFILE, "roles": ["someone-else"]}, FAIL),
    ],
)
def test_check_instance_profile(profile, status):
    result = check_instance_profile(profile, "pre-app", "pre-app")
    assert result["name"] == "instance_profile"
    assert result["status"] == status
    assert (result["fix"] is None) == (status == PASS)


def _trust(effect="Allow", principal=None, action="sts:AssumeRole", condition=None):
    statement = {"Effect": effect, "Principal": principal or {"Service": "ec2.amazonaws.com"}, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize(
    ("document", "status"),
    [
        (EC2_TRUST, PASS),
        (_trust(principal={"Service": "ec2.amazonaws.com.cn"}), FAIL),  # the aws-cn principal, in aws
        (_trust(principal="*"), FAIL),
        (_trust(principal={"AWS": ["123456789012", "*"]}), FAIL),
        (_trust(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-a"}}), FAIL),  # EC2 is in no org
        (_trust(principal={"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}), PASS),
        (_trust(action=["sts:TagSession", "sts:*"]), PASS),
        (_trust(action="STS:AssumeRole"), PASS),
        (_trust(condition={"StringEquals": {"aws:SourceAccount": "123456789012"}}), PASS),
        (_trust(principal={"Service": "lambda.amazonaws.com"}), FAIL),
        (_trust(action="sts:AssumeRoleWithWebIdentity"), FAIL),
        (_trust(effect="Deny"), FAIL),
        ({"Statement": EC2_TRUST["Statement"] + _trust(effect="Deny")["Statement"]}, FAIL),
        ({}, FAIL),
    ],
)
def test_check_trust_policy(document, status):
    assert check_trust_policy(role_with_trust(document), "pre-app")["status"] == status


def test_check_trust_policy_in_aws_cn_and_other_principals():
    cn = {**role_with_trust(_trust(principal={"Service": "ec2.amazonaws.com.cn"})), "arn": "arn:aws-cn:iam::1:role/x"}
    assert check_trust_policy(cn, "pre-app")["status"] == PASS
    both = _trust(principal={"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]})
    assert "also lets Service:lambda.amazonaws.com" in check_trust_policy(role_with_trust(both), "pre-app")["detail"]


def test_check_trust_policy_missing_role():
    result = check_trust_policy(None, "pre-app")
    assert result["status"] == FAIL
    assert "does not exist" in result["detail"]


def test_trust_conditions_are_shown():
    document = _trust(condition={"StringEquals": {"aws:SourceAccount": "123456789012"}})
    assert "aws:SourceAccount" in check_trust_policy(role_with_trust(document), "pre-app")["detail"]


@pytest.mark.parametrize(
    ("actions", "status", "text"),
    [
        (["s3:GetObject"], PASS, "exists"),
        (["s3:GetObjcet"], FAIL, "did you mean s3:GetObject?"),
        (["iam:*"], PASS, "broad grants"),
        (["iam:PassRole", "ec2:RunInstances"], PASS, "launch an EC2 instance with any role"),
    ],
)
def test_check_policies(actions, status, text):
    documents = {"inline_policies.p": {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}
    result = check_policies(documents, "pre-app")
    assert result["status"] == status
    assert text in result["detail"]


def test_check_policies_without_catalogue(monkeypatch):
    monkeypatch.setattr(
        _preflight,
        "lint_policies",
        lambda documents: [
            {"policy": "p", "kind": "catalogue_missing", "message": "IAM action names were not checked"}
        ],
    )
    result = check_policies({"p": {}}, "pre-app")
    assert result["status"] == UNVERIFIED
    assert "not checked" in result["detail"]


@pytest.mark.parametrize(
    ("version", "status"),
    [
        ({"VersionNumber": 2, "LaunchTemplateData": {"IamInstanceProfile": {"Name": "pre-app"}}}, PASS),
        ({"VersionNumber": 2, "LaunchTemplateData": {"IamInstanceProfile": {"Arn": PROFILE["arn"]}}}, PASS),
        ({"VersionNumber": 2, "LaunchTemplateData": {"IamInstanceProfile": {"Name": "other"}}}, FAIL),
        ({"VersionNumber": 2, "LaunchTemplateData": {}}, FAIL),
        (None, FAIL),
    ],
)
def test_check_launch_template(version, status):
    result = check_launch_template(version, "lt", PROFILE, "pre-app")
    assert result["status"] == status
    if status == FAIL:
        assert "cloudcred.ec2.launch_template_profile" in result["fix"]


@pytest.mark.parametrize(
    "document",
    [
        EC2_TRUST,
        '{"Version": "2012-10-17", "Statement": []}',
        "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D",
    ],
)
def test_policy_document_forms(document):
    assert policy_document(document)["Version"] == "2012-10-17"


# --- the simulator ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint_url", "variable", "shown"),
    [
        ("http://127.0.0.1:4566", None, "endpoint_url"),
        (None, "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL"),
        (None, "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_IAM"),
    ],
)
def test_custom_endpoint_makes_simulator_checks_unverified_without_calls(
    no_endpoint, monkeypatch, endpoint_url, variable, shown
):
    if variable:
        monkeypatch.setenv(variable, "http://localhost:4566")
    iam = boto3.client("iam", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    with Stubber(iam) as iam_stub, Stubber(sts) as sts_stub:
        # No response queued: any call would raise.
        checks = check_caller_permissions(iam, sts, role_with_trust(EC2_TRUST), endpoint_url=endpoint_url)
        iam_stub.assert_no_pending_responses()
        sts_stub.assert_no_pending_responses()
    assert statuses(checks) == {"pass_role": UNVERIFIED, "run_instances": UNVERIFIED, "create_tags": UNVERIFIED}
    assert all(shown in c["detail"] and "not simulated" in c["detail"] for c in checks)
    assert all(c["fix"] for c in checks)


def _decision(action, decision, missing=None):
    result = {"EvalActionName": action, "EvalDecision": decision}
    if missing:
        result["MissingContextValues"] = missing
    return {"EvaluationResults": [result]}


def _stubbed_simulation(caller_arn, decisions, role_path="/"):
    """IAM and STS clients on AWS's own endpoint, stubbed for one preflight simulation."""
    iam = boto3.client("iam", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    sts_stub, iam_stub = Stubber(sts), Stubber(iam)
    sts_stub.add_response(
        "get_caller_identity", {"Arn": caller_arn, "Account": "123456789012", "UserId": "AIDAEXAMPLE"}
    )
    simulated = caller_arn
    if ":assumed-role/" in caller_arn:
        role_name = caller_arn.split("/")[1]
        simulated = f"arn:aws:iam::123456789012:role{role_path}{role_name}"
        iam_stub.add_response(
            "get_role",
            {
                "Role": {
                    "Path": role_path,
                    "RoleName": role_name,
                    "RoleId": "AROAEXAMPLEEXAMPLE1",
                    "Arn": simulated,
                    "CreateDate": "2024-01-01T00:00:00Z",
                }
            },
            {"RoleName": role_name},
        )
    passed_to = [
        {"ContextKeyName": "iam:PassedToService", "ContextKeyValues": ["ec2.amazonaws.com"], "ContextKeyType": "string"}
    ]
    create_action = [
        {"ContextKeyName": "ec2:CreateAction", "ContextKeyValues": ["RunInstances"], "ContextKeyType": "string"}
    ]
    for (action, resource, context), decision in zip(
        [("iam:PassRole", ROLE_ARN, passed_to), ("ec2:RunInstances", "*", []), ("ec2:CreateTags", "*", create_action)],
        decisions,
        strict=True,
    ):
        iam_stub.add_response(
            "simulate_principal_policy",
            _decision(action, *decision) if isinstance(decision, tuple) else _decision(action, decision),
            {
                "PolicySourceArn": simulated,
                "ActionNames": [action],
                "ResourceArns": [resource],
                "ContextEntries": context,
            },
        )
    return iam, sts, iam_stub, sts_stub


@pytest.mark.parametrize(
    ("caller", "role_path"),
    [
        ("arn:aws:iam::123456789012:user/deployer", "/"),
        ("arn:aws:sts::123456789012:assumed-role/deployer/session-1", "/ci/"),
    ],
)
def test_simulator_on_aws(no_endpoint, caller, role_path):
    iam, sts, iam_stub, sts_stub = _stubbed_simulation(
        caller, ["allowed", ("implicitDeny", ["ec2:Region"]), "explicitDeny"], role_path
    )
    with iam_stub, sts_stub:
        checks = check_caller_permissions(iam, sts, role_with_trust(EC2_TRUST))
        iam_stub.assert_no_pending_responses()
    assert statuses(checks) == {"pass_role": PASS, "run_instances": FAIL, "create_tags": FAIL}
    assert "ec2:Region" in checks[1]["detail"]
    assert "explicitDeny" in checks[2]["detail"]
    if "assumed-role" in caller:
        assert f"role{role_path}deployer" in checks[0]["detail"]


def test_simulator_access_denied_is_unverified(no_endpoint):
    iam = boto3.client("iam", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    with Stubber(iam) as iam_stub, Stubber(sts) as sts_stub:
        sts_stub.add_response(
            "get_caller_identity", {"Arn": "arn:aws:iam::123456789012:user/d", "Account": "1", "UserId": "A"}
        )
        for _permission in ("pass_role", "run_instances", "create_tags"):
            iam_stub.add_client_error("simulate_principal_policy", "AccessDenied", "not allowed", 403)
        checks = check_caller_permissions(iam, sts, role_with_trust(EC2_TRUST))
    assert statuses(checks) == {"pass_role": UNVERIFIED, "run_instances": UNVERIFIED, "create_tags": UNVERIFIED}
    assert all("AccessDenied" in c["detail"] for c in checks)


def test_root_caller_is_unverified(no_endpoint):
    iam = boto3.client("iam", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    with Stubber(iam), Stubber(sts) as sts_stub:
        sts_stub.add_response(
            "get_caller_identity", {"Arn": "arn:aws:iam::123456789012:root", "Account": "1", "UserId": "1"}
        )
        checks = check_caller_permissions(iam, sts, role_with_trust(EC2_TRUST))
    assert {c["status"] for c in checks} == {UNVERIFIED}


# --- end to end on moto -------------------------------------------------------------------------


@pytest.fixture
def iam_world(no_endpoint):
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        import json

        iam.create_role(
            RoleName="pre-app",
            Path="/app/",
            AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
            Tags=[{"Key": "team", "Value": "qa"}],
        )
        iam.put_role_policy(
            RoleName="pre-app",
            PolicyName="s3-read",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjcet", "Resource": "*"}]}
            ),
        )
        iam.create_instance_profile(InstanceProfileName="pre-app")
        iam.add_role_to_instance_profile(InstanceProfileName="pre-app", RoleName="pre-app")
        yield iam


def test_describe_role_and_profile(iam_world):
    role = describe_role(iam_world, "pre-app")
    assert role["arn"] == ROLE_ARN
    assert role["path"] == "/app/"
    assert role["assume_role_policy_document"] == EC2_TRUST
    assert role["inline_policies"] == ["s3-read"]
    assert role["managed_policies"] == []
    assert role["permissions_boundary"] is None
    assert role["tags"] == {"team": "qa"}
    assert describe_instance_profile(iam_world, "pre-app")["roles"] == ["pre-app"]
    assert describe_role(iam_world, "nobody") is None
    assert describe_instance_profile(iam_world, "nobody") is None


def test_preflight_checks_with_endpoint(iam_world):
    checks = preflight_checks(
        *clients("iam", "sts", "ec2"),
        role_name="pre-app",
        profile_name="pre-app",
        launch_template_name="pre-missing-lt",
        endpoint_url="http://127.0.0.1:4566",
    )
    assert [c["name"] for c in checks] == [
        "instance_profile",
        "trust_policy",
        "policies",
        "pass_role",
        "run_instances",
        "create_tags",
        "launch_template",
    ]
    assert statuses(checks) == {
        "instance_profile": PASS,
        "trust_policy": PASS,
        "policies": FAIL,
        "pass_role": UNVERIFIED,
        "run_instances": UNVERIFIED,
        "create_tags": UNVERIFIED,
        "launch_template": FAIL,
    }


def test_preflight_checks_missing_role(iam_world):
    checks = preflight_checks(
        *clients("iam", "sts", "ec2"), role_name="nobody", profile_name="nobody", endpoint_url="http://127.0.0.1:4566"
    )
    assert statuses(checks) == {
        "instance_profile": FAIL,
        "trust_policy": FAIL,
        "pass_role": UNVERIFIED,
        "run_instances": UNVERIFIED,
        "create_tags": UNVERIFIED,
    }


def test_check_trust_policy_fails_on_an_invalid_principal_beside_ec2():
    # IAM refuses Principal ["*"]; an emulator may keep it. EC2 may assume the role, yet the check fails, naming it.
    document = {"Statement": EC2_TRUST["Statement"] + _trust(principal=["*"])["Statement"]}
    found = check_trust_policy(role_with_trust(document), "pre-app")
    assert found["status"] == FAIL
    assert "invalid" in found["detail"]
