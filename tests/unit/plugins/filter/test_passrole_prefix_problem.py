"""The deployer's PassRole prefix must cover the role: the rule in _validation, through the filter."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.filter.passrole_prefix_problem import passrole_prefix_problem


@pytest.mark.parametrize(
    ("prefix", "name", "path", "role_path"),
    [
        ("qateam-", "qateam-app", "/", None),
        ("qateam-app", "qateam-app", "/", None),  # the default: the role name itself
        ("q", "qateam-app", "/qa/", None),
        ("team/qateam-", "qateam-app", "/", "/team/"),  # a PassRole path above the role's path
    ],
)
def test_prefix_covers_the_role(prefix, name, path, role_path):
    assert passrole_prefix_problem(prefix, name, path, role_path=role_path) == ""


@pytest.mark.parametrize(
    ("prefix", "name", "path", "role_path"),
    [
        ("qateam-", "billing-app", "/", None),
        ("QATEAM-", "qateam-app", "/", None),  # IAM matches resource ARNs case-sensitively
        ("qateam-app-", "qateam-app", "/", None),
        ("qateam-", "qateam-app", "/qa/", "/"),  # the policy covers another path
    ],
)
def test_prefix_that_misses_the_role(prefix, name, path, role_path):
    problem = passrole_prefix_problem(
        prefix,
        name,
        path,
        role_path=role_path,
        prefix_option="asg_instance_role_passrole_prefix",
        name_option="asg_instance_role_name",
    )
    assert problem.startswith(f"asg_instance_role_passrole_prefix {prefix!r} does not cover asg_instance_role_name")
    assert f"would allow role{path}{prefix}* and not role{role_path or path}{name}" in problem
