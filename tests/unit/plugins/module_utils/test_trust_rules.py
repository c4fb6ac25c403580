"""The trust rules: EC2 of the partition must be let in, nobody else without a restricting condition."""

import json

import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import ec2_trust_policy
from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import (
    RESTRICTING_CONDITION_KEYS,
    restricting_condition,
    review_trust,
    trust_problems,
)

EC2 = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


def trust(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal, condition=None, **extra):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
    if condition is not None:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn"])
def test_the_default_trust_passes_in_its_partition(partition):
    assert trust_problems("opt", ec2_trust_policy(partition), partition) == (None, None)


@pytest.mark.parametrize(
    "document",
    [
        trust(allow({"Service": "lambda.amazonaws.com"})),
        trust({**EC2, "Action": "sts:TagSession"}),
        trust({**EC2, "Effect": "Deny"}),
        trust(EC2, {**EC2, "Effect": "Deny"}),
        trust(EC2, {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}),
        trust(allow({"Service": "ec2.amazonaws.com.cn"})),  # the China principal, in the aws partition
    ],
    ids=["lambda only", "no AssumeRole", "Deny only", "Allow then Deny", "Deny everyone", "cn principal in aws"],
)
def test_ec2_not_let_in_is_refused(document):
    refusal, _warnings = trust_problems("assume_role_policy_document", document, "aws")
    assert refusal.startswith("assume_role_policy_document must let the EC2 service principal ec2.amazonaws.com")


def test_ec2_in_aws_cn_is_the_cn_principal():
    refusal, _warnings = trust_problems("opt", ec2_trust_policy("aws"), "aws-cn")
    assert "ec2.amazonaws.com.cn" in refusal
    assert review_trust(trust(allow({"Service": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]})), "aws-cn")["ec2"]


@pytest.mark.parametrize(
    "statement",
    [
        allow("*"),
        allow({"AWS": "*"}),
        allow({"AWS": ["arn:aws:iam::123456789012:root", "*"]}),
        allow({"Service": "*"}),
        allow({"Federated": "*"}, Action="sts:AssumeRoleWithWebIdentity"),
        {"Effect": "Allow", "Principal": "*", "Action": "sts:*"},
        {"Effect": "Allow", "Principal": "*", "Action": "*"},
        {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
        # conditions that do not restrict who comes in
        allow("*", {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}),
        allow("*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}),
        allow("*", {"Null": {"aws:PrincipalOrgID": "false"}}),
        allow("*", {"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["o-a/r-b/ou-c/"]}}),
        allow("*", {"StringLike": {"aws:PrincipalArn": "*"}}),
        allow("*", {"StringEquals": {"aws:PrincipalTag/team": "qa"}}),
        allow("*", {"StringEquals": {"sts:ExternalId": "secret"}}),
        allow("*", {"Bool": {"aws:SecureTransport": "true"}}),
    ],
    ids=[
        "star",
        "AWS star",
        "AWS list with star",
        "Service star",
        "Federated star",
        "sts:* to star",
        "* to star",
        "NotPrincipal",
        "StringNotEquals account",
        "IfExists org",
        "Null",
        "ForAllValues org paths",
        "ARN wildcard only",
        "principal tag",
        "external id",
        "secure transport",
    ],
)
def test_public_trust_is_refused_even_with_ec2(statement):
    refusal, _warnings = trust_problems("assume_role_policy_document", trust(EC2, statement), "aws")
    assert refusal.startswith("assume_role_policy_document: Statement[1]")
    assert "lets any principal" in refusal and "without a condition that restricts it" in refusal


def test_public_statement_named_by_sid():
    refusal, _warnings = trust_problems("opt", trust(EC2, allow({"AWS": "*"}, Sid="Anyone")), "aws")
    assert "Statement[1] (Sid Anyone) lets any principal (AWS: *)" in refusal


@pytest.mark.parametrize("key", RESTRICTING_CONDITION_KEYS)
@pytest.mark.parametrize("operator", ["StringEquals", "StringLike", "ForAnyValue:StringLike", "ArnLike"])
def test_each_restricting_condition_accepts_a_public_principal(key, operator):
    statement = allow({"AWS": "*"}, {operator: {key: ["o-exampleorgid", "123456789012"]}})
    assert restricting_condition(statement) == key
    refusal, warning = trust_problems("opt", trust(EC2, statement), "aws")
    assert refusal is None
    assert warning == f"opt also lets AWS:* ({key}) assume the role, besides EC2"


def test_condition_keys_are_case_insensitive():
    assert restricting_condition(allow("*", {"stringequals": {"AWS:PRINCIPALORGID": "o-a"}})) == "aws:PrincipalOrgID"


@pytest.mark.parametrize(
    ("principal", "named"),
    [
        ({"Service": "lambda.amazonaws.com"}, "Service:lambda.amazonaws.com"),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "AWS:arn:aws:iam::123456789012:root"),
        ({"AWS": "123456789012"}, "AWS:123456789012"),
        ({"Federated": "cognito-identity.amazonaws.com"}, "Federated:cognito-identity.amazonaws.com"),
    ],
)
def test_other_principals_warn_naming_them(principal, named):
    refusal, warning = trust_problems("opt", trust(EC2, allow(principal)), "aws")
    assert refusal is None
    assert warning == f"opt also lets {named} assume the role, besides EC2"


def test_ec2_in_a_list_with_others():
    document = trust(allow({"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]}))
    assert trust_problems("opt", document, "aws") == (
        None,
        "opt also lets Service:ssm.amazonaws.com assume the role, besides EC2",
    )


def test_statements_that_do_not_assume_are_not_principals():
    document = trust(EC2, {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:TagSession"})
    assert trust_problems("opt", document, "aws") == (None, None)


# --- conditions that look restricting but let anyone in: wildcards and policy variables -----------------

OPEN_CONDITIONS = {
    "org id o-*": {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
    "org id o-??????????": {"StringLike": {"aws:PrincipalOrgID": "o-??????????"}},
    "org id prefix": {"StringLike": {"aws:PrincipalOrgID": "o-abc123def4*"}},
    "ARN arn:*": {"ArnLike": {"aws:PrincipalArn": "arn:*"}},
    "ARN any account's roles": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
    "ARN account partly wild": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1234567890??:role/ci"}},
    # StringLike's * crosses colons, and an IAM path may hold ":" (role/:iam::123456789012:/x in any account)
    "ARN wild before the account": {"StringLike": {"aws:PrincipalArn": "arn:*:iam::123456789012:role/*"}},
    "ARN *:*": {"StringLike": {"aws:PrincipalArn": "*:*"}},
    "source ARN without account": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
    "account *0*": {"StringLike": {"aws:PrincipalAccount": "*0*"}},
    "account 12 wild digits": {"StringLike": {"aws:SourceAccount": "????????????"}},
    "org paths o-*/*": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/*"}},
    "org paths without the slash": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123def4*"}},
    "account is itself": {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
    "ARN is itself": {"ArnEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}},
    "org id is itself, with a default": {"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalOrgID, 'o-a'}"}},
    "one open value among literals": {"StringLike": {"aws:PrincipalAccount": ["123456789012", "*0*"]}},
}


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}], ids=["star", "AWS star"])
@pytest.mark.parametrize("condition", OPEN_CONDITIONS.values(), ids=OPEN_CONDITIONS.keys())
def test_wildcard_or_variable_condition_is_public_and_refused(condition, principal):
    ((operator, entries),) = condition.items()
    ((key, values),) = entries.items()
    statement = allow(principal, condition)
    assert restricting_condition(statement) is None
    refusal, warning = trust_problems("assume_role_policy_document", trust(EC2, statement), "aws")
    assert warning is None
    assert refusal.startswith("assume_role_policy_document: Statement[1] lets any principal")
    assert "without a condition that restricts it" in refusal
    # the refusal quotes the value that was not enough
    open_value = [v for v in (values if isinstance(values, list) else [values]) if v != "123456789012"][0]
    assert f'{operator} {key} "{open_value}"' in refusal


RESTRICTING_CONDITIONS = {
    "org id": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}},
    "org paths of one org": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123def4/*"}},
    "org paths of one OU": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123def4/r-ab12/ou-ab12-1*/"}},
    "account": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
    "roles of one account, ArnLike": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}},
    "roles of one account, StringLike": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}},
    "one account, any principal": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}},
    "sessions of one account": {"ArnLike": {"aws:PrincipalArn": "arn:aws:sts::123456789012:assumed-role/ci-?/*"}},
    "variable after the account": {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/${aws:PrincipalTag/team}-*"}
    },
    "source ARN of one account": {"ArnLike": {"aws:SourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}},
    "source org paths": {"ForAnyValue:StringLike": {"aws:SourceOrgPaths": "o-abc123def4/*"}},
    "two literal accounts": {"StringEquals": {"aws:PrincipalAccount": ["123456789012", "210987654321"]}},
    "one open key, one restricting": {
        "StringLike": {"aws:PrincipalOrgID": "o-*", "aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}
    },
}


@pytest.mark.parametrize("condition", RESTRICTING_CONDITIONS.values(), ids=RESTRICTING_CONDITIONS.keys())
def test_pattern_that_pins_an_org_or_account_restricts(condition):
    statement = allow({"AWS": "*"}, condition)
    key = restricting_condition(statement)
    assert key is not None
    refusal, warning = trust_problems("opt", trust(EC2, statement), "aws")
    assert refusal is None
    assert warning == f"opt also lets AWS:* ({key}) assume the role, besides EC2"


def test_the_ci_roles_of_one_account_restrict_by_their_arn():
    statement = allow("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}})
    assert restricting_condition(statement) == "aws:PrincipalArn"


# --- principals that are neither "*" nor an object ------------------------------------------------------

INVALID_PRINCIPALS = {
    "list holding *": {"Principal": ["*"]},
    "list of an ARN": {"Principal": ["arn:aws:iam::123456789012:root"]},
    "bare ARN": {"Principal": "arn:aws:iam::123456789012:root"},
    "bare service": {"Principal": "lambda.amazonaws.com"},
    "object of an object": {"Principal": {"AWS": {"arn": "arn:aws:iam::123456789012:root"}}},
    "NotPrincipal list": {"NotPrincipal": ["arn:aws:iam::123456789012:root"]},
}


@pytest.mark.parametrize("element", INVALID_PRINCIPALS.values(), ids=INVALID_PRINCIPALS.keys())
def test_principal_that_is_not_an_object_is_refused_as_invalid(element):
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", **element}
    review = review_trust(trust(EC2, statement), "aws")
    assert len(review["invalid"]) == 1
    refusal, warning = trust_problems("assume_role_policy_document", trust(EC2, statement), "aws")
    assert warning is None
    ((name, value),) = element.items()
    assert refusal.startswith(f"assume_role_policy_document: Statement[1] {name} {json.dumps(value)} is invalid")


def test_list_principal_is_refused_whatever_the_action():
    document = trust(EC2, {"Effect": "Deny", "Principal": ["*"], "Action": "sts:TagSession"})
    refusal, _warning = trust_problems("opt", document, "aws")
    assert refusal == (
        'opt: Statement[1] Principal ["*"] is invalid: it must be "*" or an object such as '
        '{"AWS": "arn:aws:iam::123456789012:root"} or {"Service": "ec2.amazonaws.com"}'
    )
