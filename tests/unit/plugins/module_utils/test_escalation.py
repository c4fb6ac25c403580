"""Escalation and exposure in a role's own policies: each path, each exposure, and what is not one."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import (
    CREDENTIALS_ACTIONS,
    CREDENTIALS_EXPOSURE,
    ESCALATION_METHODS,
    PERMISSIONS_MANAGEMENT,
    PRIVILEGE_ESCALATION,
    permission_findings,
)


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resource="*", **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def kinds(findings):
    return [f["kind"] for f in findings]


@pytest.mark.parametrize(("purpose", "actions"), ESCALATION_METHODS, ids=[method[0] for method in ESCALATION_METHODS])
def test_each_escalation_method_is_found_with_its_actions(purpose, actions):
    findings = permission_findings({"inline_policies.p": policy(allow(list(actions)))})
    escalation = [f for f in findings if f["kind"] == PRIVILEGE_ESCALATION]
    assert [f["actions"] for f in escalation if purpose in f["message"]] == [list(actions)]
    assert all(f["policy"] == "inline_policies.p" for f in escalation)


@pytest.mark.parametrize(("purpose", "actions"), [m for m in ESCALATION_METHODS if len(m[1]) > 1])
def test_a_path_needs_all_its_actions(purpose, actions):
    findings = permission_findings({"inline_policies.p": policy(allow(list(actions[1:])))})
    assert not [f for f in findings if purpose in f["message"]]


def test_the_issue_example_names_policy_statement_and_actions():
    document = policy(allow("s3:GetObject"), allow(["iam:PassRole", "ec2:RunInstances"], Sid="Launch"))
    (finding,) = permission_findings({"inline_policies.launch": document})
    assert finding["policy"] == "inline_policies.launch" and finding["actions"] == ["iam:PassRole", "ec2:RunInstances"]
    assert finding["message"] == (
        "iam:PassRole + ec2:RunInstances on every resource lets a process on the instance launch an EC2 instance "
        "with any role, gaining its permissions (iam:PassRole in inline_policies.launch Statement[1] (Sid Launch); "
        "ec2:RunInstances in inline_policies.launch Statement[1] (Sid Launch))"
    )


def test_a_path_across_policies_names_each():
    documents = {
        "inline_policies.a": policy(allow("iam:PassRole")),
        "managed_policies.arn:aws:iam::123456789012:policy/b": policy(allow("ec2:Run*")),
    }
    (finding,) = [f for f in permission_findings(documents) if f["kind"] == PRIVILEGE_ESCALATION]
    assert finding["policy"] == "inline_policies.a, managed_policies.arn:aws:iam::123456789012:policy/b"


@pytest.mark.parametrize(
    "resource",
    ["*", "arn:aws:iam::123456789012:role/*", ["arn:aws:s3:::x", "*"], "arn:aws:iam::*:*"],
)
@pytest.mark.parametrize("action", ["iam:PassRole", "sts:AssumeRole"])
def test_pass_and_assume_on_every_role(resource, action):
    actions = [action, "ec2:RunInstances"] if action == "iam:PassRole" else [action]
    assert PRIVILEGE_ESCALATION in kinds(permission_findings({"p": policy(allow(actions, resource))}))


@pytest.mark.parametrize(
    "document",
    [
        # passing or assuming one named role is a design choice, not a path to any role
        policy(allow(["iam:PassRole", "ec2:RunInstances"], "arn:aws:iam::123456789012:role/qateam-app")),
        policy(allow("sts:AssumeRole", "arn:aws:iam::123456789012:role/reader")),
        policy(allow(["iam:PassRole"], "arn:aws:iam::123456789012:role/qateam-*"), allow("ec2:RunInstances")),
        # reads, Deny, and what an application role usually has
        policy(allow(["iam:Get*", "iam:List*", "s3:GetObject", "ssm:GetParameter", "ecr:GetAuthorizationToken"])),
        policy({"Effect": "Deny", "Action": ["iam:*", "sts:AssumeRole"], "Resource": "*"}),
        policy(allow(["s3:PutBucketPolicy", "kms:CreateGrant"], "arn:aws:s3:::qateam-bucket")),
        # broad grants are reported as such by lint_policies, not again here
        policy(allow("*")),
        policy(allow("iam:*")),
        policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
    ],
    ids=[
        "pass one role",
        "assume one role",
        "pass a prefix",
        "reads",
        "deny",
        "permissions management on one bucket",
        "star",
        "iam star",
        "NotAction",
    ],
)
def test_not_findings(document):
    assert permission_findings({"inline_policies.p": document}) == []


@pytest.mark.parametrize("action", ["s3:PutBucketPolicy", "kms:PutKeyPolicy", "kms:CreateGrant", "s3:Put*Policy"])
def test_permissions_management_on_every_resource(action):
    (finding,) = permission_findings({"inline_policies.p": policy(allow(action, Sid="Share"))})
    assert finding["kind"] == PERMISSIONS_MANAGEMENT
    assert finding["message"].startswith("Statement[0] (Sid Share) allows permissions management on every resource (")


def test_permissions_management_counts_what_it_does_not_name():
    (finding,) = permission_findings({"p": policy(allow("s3:*"))})
    assert " more)" in finding["message"] and "s3:PutBucketPolicy" not in finding["message"].split("(")[0]


def test_escalation_actions_are_not_listed_again_as_permissions_management():
    findings = permission_findings({"p": policy(allow(["iam:PutRolePolicy", "iam:CreatePolicy"]))})
    assert kinds(findings) == [PRIVILEGE_ESCALATION, PERMISSIONS_MANAGEMENT]
    assert "iam:PutRolePolicy" not in findings[1]["message"] and "iam:CreatePolicy" in findings[1]["message"]


@pytest.mark.parametrize("action", CREDENTIALS_ACTIONS)
def test_credentials_exposure(action):
    findings = permission_findings({"p": policy(allow(action))})
    exposure = [f for f in findings if f["kind"] == CREDENTIALS_EXPOSURE]
    assert len(exposure) == 1 and action in exposure[0]["message"]
