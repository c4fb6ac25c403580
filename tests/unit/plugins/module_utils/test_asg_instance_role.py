"""A module's refusal of an option, told of the role's variable behind it (the modules' `option` key)."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role_report import refusal, variable_of


@pytest.mark.parametrize(
    ("option", "variable"),
    [
        ("managed_policies", "asg_instance_role_managed_policies"),
        ("launch_template_data", "asg_instance_role_launch_template_data"),
        # the role names the instance profile after the role, and leaves its path to the role's
        ("instance_profile_name", "asg_instance_role_name"),
        ("instance_profile_path", "asg_instance_role_path"),
    ],
)
def test_variable_of_an_option(option, variable):
    assert variable_of(option) == variable


def test_the_message_starts_with_the_variable_instead_of_the_option():
    message = "tags keys must not start with 'aws:' (reserved for AWS); got 'aws:x'"
    assert refusal("tags", message) == "asg_instance_role_" + message
    assert refusal("instance_profile_name", "instance_profile_name must be 1-128 characters long; got 0") == (
        "asg_instance_role_name must be 1-128 characters long; got 0"
    )


def test_a_message_that_does_not_start_with_the_option_gets_the_variable_in_front():
    assert refusal("managed_policies", "NoSuchPolicyAnywhere does not exist") == (
        "asg_instance_role_managed_policies: NoSuchPolicyAnywhere does not exist"
    )


@pytest.mark.parametrize("option", [None, ""])
def test_without_an_option_the_message_stays(option):
    assert refusal(option, "Could not connect to the endpoint URL") == "Could not connect to the endpoint URL"
