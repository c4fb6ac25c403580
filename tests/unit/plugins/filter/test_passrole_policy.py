# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The passrole_policy filter: the guide's policy per partition and path, bad input refused by name."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudcred.ec2.plugins.filter.passrole_policy import FilterModule, passrole_policy

GUIDE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PassRolesOfPrefixToEC2",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::123456789012:role/qateam-*",
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        }
    ],
}


def test_the_guides_policy():
    assert passrole_policy("qateam-", account_id="123456789012") == GUIDE


@pytest.mark.parametrize(
    ("partition", "path", "resource"),
    [
        ("aws-cn", "/", "arn:aws-cn:iam::123456789012:role/qateam-*"),
        ("aws-us-gov", "/apps/", "arn:aws-us-gov:iam::123456789012:role/apps/qateam-*"),
    ],
)
def test_partition_and_path_shape_the_resource(partition, path, resource):
    policy = passrole_policy("qateam-", account_id=123456789012, partition=partition, path=path)
    statement = policy["Statement"][0]
    assert statement["Resource"] == resource
    assert statement["Condition"] == GUIDE["Statement"][0]["Condition"]


@pytest.mark.parametrize(
    ("prefix", "kwargs", "named"),
    [
        ("", {"account_id": "123456789012"}, "prefix"),
        ("qa team", {"account_id": "123456789012"}, "prefix"),
        ("qateam-", {}, "account_id"),
        ("qateam-", {"account_id": "12345"}, "account_id"),
        # the message lists the partitions there are (a mutant joining them otherwise lived: docs/testing.md)
        (
            "qateam-",
            {"account_id": "123456789012", "partition": "aws-eu"},
            "partition must be one of aws, aws-cn, aws-us-gov, got 'aws-eu'",
        ),
        ("qateam-", {"account_id": "123456789012", "path": "apps"}, "path"),
        # exactly 12 ASCII digits: not one followed by a newline ($ matched before it), not other scripts' digits
        ("qateam-", {"account_id": "123456789012\n"}, "account_id must be 12 digits"),
        ("qateam-", {"account_id": "\uff11" * 12}, "account_id must be 12 digits"),
        # a path with a wildcard or a policy variable would make the grant reach roles under other paths
        ("q", {"account_id": "123456789012", "path": "/*/"}, r"path '/\*/' contains '\*'"),
        ("q", {"account_id": "123456789012", "path": "/a?/"}, r"path '/a\?/' contains '\?'"),
        ("q", {"account_id": "123456789012", "path": "/${aws:username}/"}, r"contains '\$\{'"),
    ],
)
def test_bad_input_is_refused_naming_it(prefix, kwargs, named):
    with pytest.raises(AnsibleFilterError, match=named):
        passrole_policy(prefix, **kwargs)


@pytest.mark.parametrize("prefix", ["qaé-", "qa\u0661-", "r" * 65])
def test_a_prefix_iam_would_not_take_as_a_role_name_is_refused(prefix):
    # IAM names are ASCII ([A-Za-z0-9+=,.@_-]): a Unicode letter or digit that Python's \w matches is not one.
    with pytest.raises(AnsibleFilterError, match="prefix must be 1-64 characters"):
        passrole_policy(prefix, account_id="123456789012")


def test_registered_under_its_name():
    assert FilterModule().filters()["passrole_policy"] is passrole_policy
