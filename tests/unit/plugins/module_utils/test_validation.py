# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_validation: IAM's input rules, case by case (None means accepted)."""

import json

import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import (
    description_problem,
    inline_policies_size_problem,
    managed_policy_arn,
    managed_policy_problem,
    max_session_duration_problem,
    name_problem,
    parsed_policy_document,
    path_problem,
    policy_arn_parts,
    policy_arn_problem,
    policy_size,
    tags_problem,
    trust_policy_size_problem,
)

ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


@pytest.mark.parametrize(
    "value, max_length, expected",
    [
        ("qateam-app", 64, None),
        ("A+=,.@_-z09", 64, None),
        ("a" * 64, 64, None),
        ("a" * 65, 64, "name must be 1-64 characters long; got 65"),
        ("a" * 128, 128, None),
        ("", 64, "name must be 1-64 characters long; got 0"),
        ("qa team", 64, "name must contain only"),
        ("qa/team", 64, "name must contain only"),
        ("rôle", 64, "name must contain only"),
        (None, 64, None),
    ],
)
def test_name(value, max_length, expected):
    problem = name_problem("name", value, max_length)
    assert problem == expected if expected is None else expected in problem


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/", None),
        ("/qa/", None),
        ("/qa/team/", None),
        ("/a~!$%^&*()[]{}/", None),
        ("/" + "a" * 510 + "/", None),
        ("/" + "a" * 511 + "/", "path must be at most 512 characters long; got 513"),
        ("qa/", "path must be '/' or begin and end with '/'"),
        ("/qa", "path must be '/' or begin and end with '/'"),
        ("//", "path must be '/' or begin and end with '/'"),
        ("/q a/", "path must be '/' or begin and end with '/'"),
        ("", "path must be '/' or begin and end with '/'"),
    ],
)
def test_path(value, expected):
    problem = path_problem("path", value)
    assert problem == expected if expected is None else expected in problem


@pytest.mark.parametrize(
    "value, expected",
    [
        (3600, None),
        (43200, None),
        (None, None),
        (3599, "max_session_duration must be between 3600 and 43200 seconds (1 to 12 hours); got 3599"),
        (43201, "max_session_duration must be between 3600 and 43200 seconds (1 to 12 hours); got 43201"),
    ],
)
def test_max_session_duration(value, expected):
    assert max_session_duration_problem("max_session_duration", value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("EC2 role\nfor QA", None), ("x" * 1000, None), ("x" * 1001, "at most 1000"), ("emoji \U0001f600", "Latin-1")],
)
def test_description(value, expected):
    problem = description_problem("description", value)
    assert problem == expected if expected is None else expected in problem


@pytest.mark.parametrize(
    "arn, partition, expected",
    [
        ("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "aws", None),
        ("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM", "aws", None),
        ("arn:aws:iam::123456789012:policy/qa/boundary", "aws", None),
        ("arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore", "aws-cn", None),
        ("arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore", "aws", "partition of the region (aws)"),
        ("arn:aws:iam::12345:policy/boundary", "aws", "must be a policy ARN"),
        ("arn:aws:iam::123456789012:role/boundary", "aws", "must be a policy ARN"),
        ("arn:aws:s3:::bucket", "aws", "must be a policy ARN"),
        ("arn:aws:iam::aws:policy/", "aws", "must be a policy ARN"),
        ("arn:aws:iam::aws:policy/a b", "aws", "must be a policy ARN"),
    ],
)
def test_policy_arn(arn, partition, expected):
    problem = policy_arn_problem("permissions_boundary", arn, partition)
    assert problem == expected if expected is None else expected in problem and "permissions_boundary" in problem


def test_policy_arn_parts():
    assert policy_arn_parts("arn:aws-us-gov:iam::123456789012:policy/qa/x") == {
        "partition": "aws-us-gov",
        "account": "123456789012",
        "resource": "qa/x",
    }
    assert policy_arn_parts("AmazonSSMManagedInstanceCore") is None


@pytest.mark.parametrize(
    "value, partition, arn",
    [
        ("AmazonSSMManagedInstanceCore", "aws", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
        ("AmazonSSMManagedInstanceCore", "aws-cn", "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore"),
        ("service-role/AmazonEC2RoleforSSM", "aws", "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"),
        ("/job-function/ViewOnlyAccess", "aws-us-gov", "arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess"),
        ("arn:aws:iam::123456789012:policy/mine", "aws", "arn:aws:iam::123456789012:policy/mine"),
    ],
)
def test_managed_policy_names_become_arns(value, partition, arn):
    assert managed_policy_problem("managed_policies", value, partition) is None
    assert managed_policy_arn(value, partition) == arn


@pytest.mark.parametrize("value", ["", "Amazon SSM", "a//b", "arn:aws:iam::aws:role/x", "ümlaut"])
def test_managed_policy_refused(value):
    problem = managed_policy_problem("managed_policies", value, "aws")
    assert problem and problem.startswith("managed_policies must be a policy ARN")


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"Version": "2012-10-17", "Statement": [ALLOW]}, None),
        ({"Statement": ALLOW}, None),
        (json.dumps({"Version": "2012-10-17", "Statement": [ALLOW]}), None),
        ("{not json", "p must be a JSON policy document"),
        ("[1, 2]", "p must be a policy document (a JSON object); got list"),
        (42, "p must be a policy document (a JSON object); got int"),
        ({"Version": "2012-10-17"}, "p must have a Statement"),
        ({"Statement": []}, "p must have a Statement"),
        ({"Statement": ["x"]}, "p Statement[0] must be an object"),
        ({"Statement": [{**ALLOW, "Effect": "allow"}]}, "p Statement[0] must have Effect Allow or Deny"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "p Statement[0] must have Action or NotAction"),
        ({"Statement": [ALLOW], "Statment": []}, "p has unknown top-level key(s) Statment"),
    ],
)
def test_policy_document(value, expected):
    document, problem = parsed_policy_document("p", value)
    assert problem == expected if expected is None else problem.startswith(expected)
    assert (document is None) == (expected is not None)


def test_policy_size_ignores_whitespace():
    document = {"Statement": [ALLOW]}
    assert policy_size(document) == len(json.dumps(document).replace(" ", ""))


def test_trust_and_inline_size_limits():
    big = {"Statement": [{**ALLOW, "Resource": ["arn:aws:s3:::b/" + "x" * 100] * 20}]}
    assert trust_policy_size_problem("assume_role_policy_document", {"Statement": [ALLOW]}) is None
    problem = trust_policy_size_problem("assume_role_policy_document", big)
    assert problem.startswith("assume_role_policy_document must be at most 2048 characters")
    five = {f"p{i}": big for i in range(5)}
    assert inline_policies_size_problem("inline_policies", dict(list(five.items())[:4])) is None
    assert "10240" in inline_policies_size_problem("inline_policies", five)


@pytest.mark.parametrize(
    "tags, expected",
    [
        ({"team": "qa", "empty": ""}, None),
        (None, None),
        ({f"k{i}": "v" for i in range(50)}, None),
        ({f"k{i}": "v" for i in range(51)}, "tags must have at most 50 tags; got 51"),
        ({"k" * 129: "v"}, "tags keys must be 1-128 characters long"),
        ({"": "v"}, "tags keys must be 1-128 characters long"),
        ({"aws:cloudformation": "v"}, "tags keys must not start with 'aws:'"),
        ({"k": "v" * 257}, "tags values must be at most 256 characters long"),
    ],
)
def test_tags(tags, expected):
    problem = tags_problem("tags", tags)
    assert problem == expected if expected is None else problem.startswith(expected)
