"""Every input rule of the role at once, the first problem naming the VARIABLE: through the filter."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.filter.asg_instance_role_problem import asg_instance_role_problem

# playbooks/vars/example.yml, with a deployer
EXAMPLE = {
    "asg_instance_role_state": "present",
    "asg_instance_role_name": "qateam-app",
    "asg_instance_role_path": "/",
    "asg_instance_role_managed_policies": ["AmazonSSMManagedInstanceCore"],
    "asg_instance_role_inline_policies": {},
    "asg_instance_role_tags": {},
    "asg_instance_role_passrole_prefix": "qateam-",
    "asg_instance_role_deployer": {"type": "user", "name": "qa-deployer"},
    "asg_instance_role_launch_template_name": "my-lt-with-instance-profile",
    "asg_instance_role_launch_template_data": {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"},
    "asg_instance_role_require_imdsv2": True,
    "asg_instance_role_asg_name": "qateam-app-asg",
    "asg_instance_role_asg_min_size": 1,
    "asg_instance_role_asg_max_size": 2,
    "asg_instance_role_asg_desired_capacity": 1,
    "asg_instance_role_asg_availability_zones": ["us-east-1a"],
    "asg_instance_role_result": {"role": None},  # a fact of an earlier run: ignored
}


def problem(region="us-east-1", deployer_read=None, **changes):
    return asg_instance_role_problem(dict(EXAMPLE, **changes), region, deployer_read=deployer_read)


def test_the_guides_example_passes():
    assert problem() == ""


def test_only_the_required_variables_pass():
    # the role's defaults stand in for the rest
    assert (
        asg_instance_role_problem(
            {"asg_instance_role_name": "app", "asg_instance_role_launch_template_name": "lt-app"}, "us-east-1"
        )
        == ""
    )


def test_no_region():
    assert problem(region="").startswith("No AWS region: set asg_instance_role_region")


# (variable that is bad, its value, the variable the message must start with, a word of the rule)
CASES = [
    ("asg_instance_role_name", "bad name!", "asg_instance_role_name", "[A-Za-z0-9+=,.@_-]"),
    ("asg_instance_role_name", "r" * 65, "asg_instance_role_name", "1-64"),
    ("asg_instance_role_path", "team", "asg_instance_role_path", "begin and end with '/'"),
    ("asg_instance_role_managed_policies", ["arn:aws:iam:policy/Nope"], "asg_instance_role_managed_policies", "ARN"),
    (
        "asg_instance_role_managed_policies",
        ["arn:aws-cn:iam::aws:policy/X"],
        "asg_instance_role_managed_policies",
        "partition",
    ),
    (
        "asg_instance_role_permissions_boundary",
        "arn:aws:s3:::not-a-policy",
        "asg_instance_role_permissions_boundary",
        "ARN",
    ),
    ("asg_instance_role_inline_policies", {"app": "{bad json"}, "asg_instance_role_inline_policies.app", "JSON"),
    ("asg_instance_role_inline_policies", {"app": "{bad json}"}, "asg_instance_role_inline_policies.app", "JSON"),
    (
        "asg_instance_role_inline_policies",
        {"app": {"Statement": []}},
        "asg_instance_role_inline_policies.app",
        "Statement",
    ),
    (
        "asg_instance_role_inline_policies",
        {"bad name!": {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}},
        "asg_instance_role_inline_policies name",
        "[A-Za-z0-9+=,.@_-]",
    ),
    ("asg_instance_role_tags", {"k" * 129: "v"}, "asg_instance_role_tags", "1-128"),
    ("asg_instance_role_tags", {"aws:owner": "v"}, "asg_instance_role_tags", "aws:"),
    ("asg_instance_role_tags", {f"k{i}": "v" for i in range(51)}, "asg_instance_role_tags", "at most 50"),
    ("asg_instance_role_passrole_prefix", "*", "asg_instance_role_passrole_prefix", "wildcard"),
    ("asg_instance_role_passrole_prefix", "qaé-", "asg_instance_role_passrole_prefix", "[A-Za-z0-9+=,.@_-]"),
    (
        "asg_instance_role_passrole_prefix",
        "billing-",
        "asg_instance_role_passrole_prefix",
        "does not cover asg_instance_role_name",
    ),
    ("asg_instance_role_launch_template_name", "bad name!", "asg_instance_role_launch_template_name", "3-128"),
    (
        "asg_instance_role_launch_template_data",
        {"image_id": "ami-1"},
        "asg_instance_role_launch_template_data",
        "CamelCase",
    ),
    (
        "asg_instance_role_launch_template_data",
        {"ImageId": "ami-1", "IamInstanceProfile": {"Name": "other"}},
        "asg_instance_role_launch_template_data",
        "IamInstanceProfile",
    ),
    (
        "asg_instance_role_launch_template_data",
        {"MetadataOptions": {"http_put_response_hop_limit": 2}},
        "asg_instance_role_launch_template_data",
        "HttpPutResponseHopLimit",
    ),
    (
        "asg_instance_role_launch_template_data",
        {"MetadataOptions": {"HttpTokens": "optional"}},
        "asg_instance_role_launch_template_data",
        "HttpTokens",
    ),
    (
        "asg_instance_role_launch_template_data",
        {"InstanceType": 5},
        "asg_instance_role_launch_template_data",
        "InstanceType",
    ),
    ("asg_instance_role_metadata_hop_limit", 65, "asg_instance_role_metadata_hop_limit", "1 to 64"),
    (
        "asg_instance_role_asg_availability_zones",
        [],
        "asg_instance_role_asg_name is set",
        "exactly one of asg_instance_role_asg_availability_zones",
    ),
    ("asg_instance_role_asg_vpc_zone_identifier", ["subnet-1"], "asg_instance_role_asg_name is set", "exactly one of"),
    (
        "asg_instance_role_asg_min_size",
        3,
        "asg_instance_role_asg_min_size (3) <= asg_instance_role_asg_desired_capacity (1)",
        "must hold",
    ),
    (
        "asg_instance_role_asg_desired_capacity",
        "3",
        "asg_instance_role_asg_min_size (1) <= asg_instance_role_asg_desired_capacity (3)"
        " <= asg_instance_role_asg_max_size (2)",
        "must hold",
    ),
    ("asg_instance_role_asg_min_size", -1, "asg_instance_role_asg_min_size (-1)", "from 0 up"),
]


@pytest.mark.parametrize(("variable", "value", "start", "rule"), CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_a_broken_rule_names_the_variable(variable, value, start, rule):
    message = problem(**{variable: value})
    assert message.startswith(start), message
    assert rule in message, message


def test_imdsv1_allowed_once_imdsv2_is_not_required():
    data = {"ImageId": "ami-1", "MetadataOptions": {"HttpTokens": "optional"}}
    assert problem(asg_instance_role_launch_template_data=data, asg_instance_role_require_imdsv2=False) == ""


def test_prefix_need_not_cover_the_role_without_a_deployer():
    assert problem(asg_instance_role_passrole_prefix="billing-", asg_instance_role_deployer=None) == ""


def test_no_group_no_group_rules():
    assert problem(asg_instance_role_asg_name=None, asg_instance_role_asg_availability_zones=[]) == ""


def test_teardown_checks_only_the_names_it_deletes_by():
    assert problem(asg_instance_role_state="absent", asg_instance_role_launch_template_data={"image_id": "x"}) == ""
    assert problem(asg_instance_role_state="absent", asg_instance_role_name="bad name!").startswith(
        "asg_instance_role_name"
    )


def omit_of_this_ansible_core():
    """What a variable set to omit is when it reaches the role's check: an object from 2.19, a string before."""
    try:
        from ansible._internal._templating._utils import Omit  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core 2.17, 2.18: Templar's omit token, "__omit_place_holder__" and a sha1
        return "__omit_place_holder__" + "5f3d0aa7e6cf0c8b0a7e0b1d4b2e4f0e1c9d3b2a"
    return Omit


@pytest.mark.parametrize("omit", [omit_of_this_ansible_core(), "__omit_place_holder__0123456789abcdef"])
def test_a_variable_set_to_omit_is_unset(omit):
    # AWX's extra vars set asg_instance_role_managed_policies and _permissions_boundary to "{{ ... or omit }}"
    assert problem(asg_instance_role_managed_policies=omit, asg_instance_role_permissions_boundary=omit) == ""


# --- the deployer, as amazon.aws.iam_policy_info read it ----------------------------------------------------------

READ_OK = {"changed": False, "all_policy_names": ["qateam-app-passrole"], "policies": [], "failed": False}
# What amazon.aws.iam_policy_info returns for a user that does not exist (failed_when: false keeps the run going).
READ_MISSING = {
    "changed": False,
    "failed": False,
    "msg": "An error occurred (NoSuchEntity): The user with name qa-deployer cannot be found.",
}
READ_DENIED = {
    "changed": False,
    "failed": False,
    "msg": "An error occurred (AccessDenied) when calling ListUserPolicies",
}


@pytest.mark.parametrize(
    "read",
    [
        READ_OK,
        # the principal's policy names are what tells that it exists (it may hold no policy of that name)
        {"changed": False, "all_policy_names": []},
        {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"},
        None,
    ],
    ids=["read", "no policies", "skipped", "not given"],
)
def test_a_deployer_read_or_not_read_is_no_problem(read):
    assert problem(deployer_read=read) == ""


def test_a_deployer_that_does_not_exist_is_named():
    assert problem(deployer_read=READ_MISSING) == (
        "asg_instance_role_deployer: the user qa-deployer does not exist; "
        "create it first or leave asg_instance_role_deployer out"
    )


def test_a_deployer_that_cannot_be_read_says_why():
    assert problem(deployer_read=READ_DENIED) == READ_DENIED["msg"]
    assert problem(deployer_read={"changed": False, "failed": False}) == "unreadable"


def test_the_variables_come_before_the_deployer():
    # the billing-app and qateam-: the prefix is named, even though the deployer is missing too
    assert problem(asg_instance_role_name="billing-app", deployer_read=READ_MISSING).startswith(
        "asg_instance_role_passrole_prefix"
    )


def test_the_deployer_does_not_matter_without_one_or_on_teardown():
    assert problem(asg_instance_role_deployer=None, deployer_read=READ_MISSING) == ""
    assert problem(asg_instance_role_state="absent", deployer_read=READ_MISSING) == ""


@pytest.mark.parametrize("path", ["/*/", "/team?/", "/${aws:username}/"])
def test_a_role_path_with_a_wildcard_or_a_policy_variable_is_refused_naming_the_variable(path):
    # With prefix q, role/*/q* would let the deployer pass every role of any path whose name starts with q.
    found = problem(asg_instance_role_path=path, asg_instance_role_passrole_prefix="q", asg_instance_role_name="qa")
    assert found.startswith(f"asg_instance_role_path {path!r} contains"), found
