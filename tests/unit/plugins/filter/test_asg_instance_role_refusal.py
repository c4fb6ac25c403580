"""The role's rescue: a module's failed result told as the role's variable, through the filter."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.filter.asg_instance_role_refusal import asg_instance_role_refusal

PATH_MOVED = (
    "path: role qateam-app exists with path /apps/, not /; the path of a role cannot change in place "
    "(delete the role first, or give its path)"
)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        # iam_instance_role's messages start with the option: the variable takes its place
        (
            {"failed": True, "option": "path", "msg": PATH_MOVED},
            "asg_instance_role_path" + PATH_MOVED[len("path") :],
        ),
        (
            {"failed": True, "option": "instance_profile_path", "msg": "instance_profile_path: exists with /a/"},
            "asg_instance_role_path: exists with /a/",
        ),
        # any other message gets the variable in front
        (
            {
                "failed": True,
                "option": "managed_policies",
                "msg": "these policies do not exist (nothing was written): managed_policies: arn:aws:iam::aws:policy/X",
            },
            "asg_instance_role_managed_policies: these policies do not exist (nothing was written): "
            "managed_policies: arn:aws:iam::aws:policy/X",
        ),
        # no option (an AWS error): the message as it is
        ({"failed": True, "msg": "AccessDenied"}, "AccessDenied"),
        ({"failed": True, "option": None, "msg": "AccessDenied"}, "AccessDenied"),
    ],
    ids=["option at the start", "profile path is the role's path", "option elsewhere", "no option", "option null"],
)
def test_a_failed_result_names_the_variable(result, message):
    assert asg_instance_role_refusal(result) == message


def test_the_filter_is_registered():
    from ansible_collections.cloudcred.ec2.plugins.filter.asg_instance_role_refusal import (  # pylint: disable=import-outside-toplevel
        FilterModule,
    )

    assert FilterModule().filters() == {"asg_instance_role_refusal": asg_instance_role_refusal}
