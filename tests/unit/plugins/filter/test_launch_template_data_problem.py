# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter launch_template_data_problem: the module's data rules, at every depth, before any call."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.filter.launch_template_data_problem import (
    FilterModule,
    launch_template_data_problem,
)

GOOD = {
    "ImageId": "ami-04d5cc9b88example",
    "InstanceType": "t2.micro",
    "MetadataOptions": {"HttpPutResponseHopLimit": 2},
}


@pytest.mark.parametrize(
    "data, imdsv2, expected",
    [
        (GOOD, True, ""),
        ({"MetadataOptions": {"HttpTokens": "optional"}}, False, ""),
        (
            {"ImageId": "ami-1", "MetadataOptions": {"http_put_response_hop_limit": 2}},
            True,
            "launch_template_data must use the EC2 API's CamelCase keys (as in the CLI's --launch-template-data): "
            "MetadataOptions.'http_put_response_hop_limit' should be 'HttpPutResponseHopLimit'",
        ),
        ({"image_id": "ami-1"}, True, "launch_template_data must use the EC2 API's CamelCase keys"),
        ({"IamInstanceProfile": {"Name": "x"}}, True, "launch_template_data must not contain IamInstanceProfile"),
        ({"MetadataOptions": {"HttpTokens": "optional"}}, True, "launch_template_data.MetadataOptions.HttpTokens"),
        ({"ImageID": "ami-1"}, True, "launch_template_data key 'ImageID' is not a key of EC2's"),
        (
            {"MetadataOptions": {"HttpPutResponseHopLimit": "two"}},
            True,
            "launch_template_data.MetadataOptions.HttpPutResponseHopLimit must be of type integer",
        ),
        ("ImageId", True, "launch_template_data must be a dict"),
    ],
)
def test_problem_names_the_option_and_the_key(data, imdsv2, expected):
    problem = launch_template_data_problem(data, require_imdsv2=imdsv2)
    assert problem.startswith(expected) if expected else problem == ""
    assert problem == "" or problem.startswith("launch_template_data")


def test_imdsv2_is_required_unless_said_otherwise():
    # the role passes require_imdsv2 itself; the filter's own default is the module's (true)
    assert launch_template_data_problem({"MetadataOptions": {"HttpTokens": "optional"}}).startswith(
        "launch_template_data.MetadataOptions.HttpTokens is 'optional' but require_imdsv2 is true"
    )


def test_registered_under_its_name():
    assert FilterModule().filters() == {"launch_template_data_problem": launch_template_data_problem}
