# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The launch template decision as pure functions: input rules, "new version or not", the merged data."""

import datetime

import botocore.session
import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    REQUEST_SHAPE,
    carries,
    first_option_problem,
    instance_profile_arn_parts,
    launch_template_data_problem,
    merged_launch_template_data,
    profile_reference,
    request_data,
    same_data,
    same_instance_profile,
    version_differences,
    without_instance_profile,
)

ARN = "arn:aws:iam::123456789012:instance-profile/qateam-app"
PATH_ARN = "arn:aws:iam::123456789012:instance-profile/apps/qateam-app"
IAM_PROFILE = {"InstanceProfileName": "qateam-app", "Arn": ARN, "Roles": [{"RoleName": "qateam-app"}]}
BASE = {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"}
IMDS = {"MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}}


@pytest.fixture(scope="module")
def shape():
    return botocore.session.get_session().get_service_model("ec2").shape_for(REQUEST_SHAPE)


# --- input rules -------------------------------------------------------------------------------


def invalid_option(params):
    """The first refused option's message (``first_option_problem`` names the option too), or None."""
    found = first_option_problem(params)
    return found and found[1]


VALID = {
    "launch_template_name": "my-lt-with-instance-profile",
    "instance_profile_name": "qateam-app",
    "source_version": "$Default",
    "require_imdsv2": True,
    "launch_template_data": dict(BASE),
}


@pytest.mark.parametrize(
    "changes, option, rule",
    [
        ({"launch_template_name": "lt"}, "launch_template_name", "3-128"),
        ({"launch_template_name": "x" * 129}, "launch_template_name", "3-128"),
        ({"launch_template_name": "bad name!"}, "launch_template_name", "A-Z a-z 0-9"),
        ({"launch_template_name": None, "launch_template_id": "template-1"}, "launch_template_id", "lt-"),
        ({"launch_template_name": None, "launch_template_id": "lt-0123456789ABCDEF0"}, "launch_template_id", "hex"),
        ({"instance_profile_name": "bad name"}, "instance_profile_name", "1-128"),
        (
            {"instance_profile_name": None, "instance_profile_arn": "arn:aws:iam::instance-profile"},
            "instance_profile_arn",
            "arn:<partition>",
        ),
        (
            {"instance_profile_name": None, "instance_profile_arn": "arn:aws:iam::123:instance-profile/x"},
            "instance_profile_arn",
            "12-digit",
        ),
        (
            {"instance_profile_name": None, "instance_profile_arn": "arn:aws:iam::123456789012:role/x"},
            "instance_profile_arn",
            "instance-profile",
        ),
        ({"source_version": "newest"}, "source_version", "$Default, $Latest"),
        ({"source_version": "0"}, "source_version", "version number"),
        ({"source_version": "$default"}, "source_version", "$Default"),
        ({"version_description": "d" * 256}, "version_description", "255"),
        ({"tags": {"aws:owner": "x"}}, "tags", "aws:"),
        ({"tags": {"k" * 129: "v"}}, "tags", "1-128"),
        ({"tags": {"k": "v" * 257}}, "tags", "256"),
        ({"launch_template_data": ["ImageId"]}, "launch_template_data", "dict"),
        ({"launch_template_data": {"image_id": "ami-1"}}, "launch_template_data", "'ImageId'"),
        (
            {"launch_template_data": {"ImageId": "ami-1", "MetadataOptions": {"http_tokens": "required"}}},
            "launch_template_data",
            "'HttpTokens'",
        ),
        (
            {"launch_template_data": {**BASE, "IamInstanceProfile": {"Name": "other"}}},
            "launch_template_data",
            "instance_profile_name",
        ),
        (
            {"launch_template_data": {"MetadataOptions": {"HttpTokens": "optional"}}},
            "launch_template_data",
            "require_imdsv2",
        ),
        ({"metadata_hop_limit": 0}, "metadata_hop_limit", "1 to 64"),
        ({"metadata_hop_limit": 65}, "metadata_hop_limit", "1 to 64"),
        (
            {"metadata_hop_limit": 2, "launch_template_data": {"MetadataOptions": {"HttpPutResponseHopLimit": 3}}},
            "metadata_hop_limit",
            "one place",
        ),
    ],
)
def test_bad_input_names_the_option_and_the_rule(changes, option, rule):
    problem = invalid_option({**VALID, **changes})
    assert problem is not None
    assert option in problem
    assert rule in problem


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"launch_template_name": None, "launch_template_id": "lt-0123456789abcdef0"},
        {"launch_template_name": None, "launch_template_id": "lt-01234567"},
        {"launch_template_name": "team/app_(v1).lt-2"},
        {"instance_profile_name": None, "instance_profile_arn": ARN},
        {"instance_profile_name": None, "instance_profile_arn": PATH_ARN},
        {"instance_profile_name": None, "instance_profile_arn": "arn:aws-cn:iam::123456789012:instance-profile/a"},
        {"source_version": "$Latest"},
        {"source_version": "12"},
        {"require_imdsv2": False, "launch_template_data": {"MetadataOptions": {"HttpTokens": "optional"}}},
        {"tags": {"team": "qa", "n": 1}},
        {"metadata_hop_limit": 1},
        {"metadata_hop_limit": 64},
        {"metadata_hop_limit": 2, "launch_template_data": {"MetadataOptions": {"HttpPutResponseHopLimit": 2}}},
    ],
)
def test_good_input_passes(changes):
    assert invalid_option({**VALID, **changes}) is None


def test_arn_parts_split_path_and_name():
    assert instance_profile_arn_parts(PATH_ARN) == {
        "partition": "aws",
        "account": "123456789012",
        "path": "/apps/",
        "name": "qateam-app",
    }
    assert instance_profile_arn_parts(ARN)["path"] == "/"


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"ImageID": "ami-1"}, "did you mean 'ImageId'"),
        ({"MetadataOptions": {"HttpToken": "required"}}, "launch_template_data.MetadataOptions.HttpToken"),
        ({"SecurityGroupIds": "sg-1"}, "SecurityGroupIds must be a list"),
        (
            {"BlockDeviceMappings": [{"Ebs": {"VolumeSize": "big"}}]},
            "BlockDeviceMappings[0].Ebs.VolumeSize must be of type integer",
        ),
        ({"EbsOptimized": "maybe"}, "EbsOptimized must be of type boolean"),
    ],
)
def test_data_checked_against_ec2_shape(shape, data, expected):
    problem, _converted = launch_template_data_problem(data, shape)
    assert problem is not None
    assert expected in problem


def test_data_strings_from_jinja_become_numbers_and_booleans(shape):
    data = {"MetadataOptions": {"HttpPutResponseHopLimit": "2"}, "EbsOptimized": "true", "ImageId": "ami-1"}
    problem, converted = launch_template_data_problem(data, shape)
    assert problem is None
    assert converted == {"MetadataOptions": {"HttpPutResponseHopLimit": 2}, "EbsOptimized": True, "ImageId": "ami-1"}


# --- name vs ARN -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, wanted, profile, same",
    [
        ({"Name": "qateam-app"}, {"Name": "qateam-app"}, None, True),
        ({"Arn": ARN}, {"Name": "qateam-app"}, IAM_PROFILE, True),
        ({"Name": "qateam-app"}, {"Arn": ARN}, IAM_PROFILE, True),
        ({"Arn": ARN}, {"Arn": ARN}, IAM_PROFILE, True),
        # without the IAM read: an ARN ending in the name is that profile
        ({"Arn": ARN}, {"Name": "qateam-app"}, None, True),
        ({"Name": "qateam-app"}, {"Arn": PATH_ARN}, None, True),
        # two ARNs are compared whole, path included, even without the IAM read: one of them is stale
        ({"Arn": ARN}, {"Arn": PATH_ARN}, None, False),
        ({"Arn": PATH_ARN}, {"Arn": ARN}, None, False),
        ({"Arn": ARN}, {"Arn": ARN}, None, True),
        ({"Name": "other"}, {"Name": "qateam-app"}, IAM_PROFILE, False),
        ({"Arn": ARN.replace("qateam-app", "other")}, {"Name": "qateam-app"}, IAM_PROFILE, False),
        # a stale ARN (other path) of the name is not the profile IAM knows
        ({"Arn": PATH_ARN}, {"Name": "qateam-app"}, IAM_PROFILE, False),
        (None, {"Name": "qateam-app"}, IAM_PROFILE, False),
        ({}, {"Name": "qateam-app"}, None, False),
    ],
)
def test_same_instance_profile(current, wanted, profile, same):
    assert same_instance_profile(current, wanted, profile) is same


# --- the decision: new version or not ----------------------------------------------------------

DECISIONS = [
    # (id, source data, wanted profile, IAM profile, require_imdsv2, overlay, expected reasons)
    (
        "carries all by name",
        {**BASE, **IMDS, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        dict(BASE),
        [],
    ),
    (
        "carries by ARN, asked by name",
        {**BASE, **IMDS, "IamInstanceProfile": {"Arn": ARN}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        None,
        [],
    ),
    (
        "carries by name, asked by ARN",
        {**BASE, **IMDS, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Arn": ARN},
        IAM_PROFILE,
        True,
        None,
        [],
    ),
    ("no profile", {**BASE, **IMDS}, {"Name": "qateam-app"}, IAM_PROFILE, True, None, ["IamInstanceProfile"]),
    (
        "other profile",
        {**BASE, **IMDS, "IamInstanceProfile": {"Name": "old"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        None,
        ["IamInstanceProfile"],
    ),
    (
        "IMDSv1 allowed",
        {**BASE, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        None,
        ["MetadataOptions.HttpTokens"],
    ),
    (
        "IMDS optional",
        {**BASE, "MetadataOptions": {"HttpTokens": "optional"}, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        None,
        ["MetadataOptions.HttpTokens"],
    ),
    (
        "IMDS not required, not asked",
        {**BASE, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        False,
        None,
        [],
    ),
    (
        "overlay differs",
        {**BASE, **IMDS, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        {"InstanceType": "t3.micro"},
        ["InstanceType"],
    ),
    (
        "overlay key missing",
        {**BASE, **IMDS, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        {"KeyName": "qa"},
        ["KeyName"],
    ),
    (
        "overlay equal, sg order differs",
        {**BASE, **IMDS, "SecurityGroupIds": ["sg-2", "sg-1"], "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        {"SecurityGroupIds": ["sg-1", "sg-2"]},
        [],
    ),
    (
        "overlay nested subset",
        {**BASE, **IMDS, "IamInstanceProfile": {"Name": "qateam-app"}},
        {"Name": "qateam-app"},
        IAM_PROFILE,
        True,
        {"MetadataOptions": {"HttpPutResponseHopLimit": 2}},
        [],
    ),
    (
        "everything differs",
        {},
        {"Arn": ARN},
        IAM_PROFILE,
        True,
        dict(BASE),
        ["IamInstanceProfile", "MetadataOptions.HttpTokens", "ImageId", "InstanceType"],
    ),
]


@pytest.mark.parametrize(
    "case",
    DECISIONS,
    ids=[case[0] for case in DECISIONS],
)
def test_new_version_or_not(case):
    _label, source, wanted, profile, imdsv2, overlay, expected = case
    reasons = version_differences(
        source, wanted_profile=wanted, profile=profile, require_imdsv2=imdsv2, overlay=overlay
    )
    assert reasons == expected
    if reasons:
        # the version the module would make is one that needs no successor: one version per change
        merged = merged_launch_template_data(source, wanted_profile=wanted, require_imdsv2=imdsv2, overlay=overlay)
        assert (
            version_differences(merged, wanted_profile=wanted, profile=profile, require_imdsv2=imdsv2, overlay=overlay)
            == []
        )


def test_merged_data_keeps_every_source_field_and_the_hop_limit():
    source = {
        **BASE,
        "UserData": "IyEvYmluL2Jhc2gKZWNobyBoaQ==",
        "SecurityGroupIds": ["sg-1"],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "qa"}]}],
        "MetadataOptions": {"HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"},
    }
    merged = merged_launch_template_data(
        source, wanted_profile={"Name": "qateam-app"}, overlay={"InstanceType": "t3.micro"}
    )
    assert merged == {
        **source,
        "InstanceType": "t3.micro",
        "IamInstanceProfile": {"Name": "qateam-app"},
        "MetadataOptions": {"HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled", "HttpTokens": "required"},
    }
    assert source["InstanceType"] == "t2.micro"  # the source is not modified


@pytest.mark.parametrize(
    "source_options, hops, expected",
    [
        ({"HttpTokens": "required", "HttpPutResponseHopLimit": 2}, 2, []),
        ({"HttpTokens": "required"}, 2, ["MetadataOptions.HttpPutResponseHopLimit"]),
        ({"HttpTokens": "required", "HttpPutResponseHopLimit": 1}, 2, ["MetadataOptions.HttpPutResponseHopLimit"]),
        ({"HttpTokens": "required", "HttpPutResponseHopLimit": 3}, None, []),  # not given: left as it is
    ],
)
def test_hop_limit_owned_only_when_given(source_options, hops, expected):
    source = {**BASE, "MetadataOptions": source_options, "IamInstanceProfile": {"Name": "qateam-app"}}
    wanted = {"wanted_profile": {"Name": "qateam-app"}, "metadata_hop_limit": hops}
    assert version_differences(source, **wanted) == expected
    merged = merged_launch_template_data(source, **wanted)
    assert merged["MetadataOptions"] == {
        **source_options,
        **({} if hops is None else {"HttpPutResponseHopLimit": hops}),
    }
    assert version_differences(merged, **wanted) == []


def test_hop_limit_with_imdsv2_off_keeps_the_tokens_setting():
    source = {**BASE, "MetadataOptions": {"HttpTokens": "optional"}}
    merged = merged_launch_template_data(
        source, wanted_profile={"Arn": ARN}, require_imdsv2=False, metadata_hop_limit=2
    )
    assert merged["MetadataOptions"] == {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2}


def test_merged_data_with_imdsv2_off_leaves_metadata_options():
    source = {**BASE, "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 3}}
    merged = merged_launch_template_data(source, wanted_profile={"Arn": ARN}, require_imdsv2=False)
    assert merged["MetadataOptions"] == {"HttpTokens": "optional", "HttpPutResponseHopLimit": 3}
    assert merged["IamInstanceProfile"] == {"Arn": ARN}


def test_overlay_replaces_top_level_keys_then_imdsv2_merges():
    source = {**BASE, "MetadataOptions": {"HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"}}
    merged = merged_launch_template_data(
        source, wanted_profile={"Name": "a"}, overlay={"MetadataOptions": {"HttpPutResponseHopLimit": 1}}
    )
    assert merged["MetadataOptions"] == {"HttpPutResponseHopLimit": 1, "HttpTokens": "required"}


def test_absent_removes_only_the_profile():
    source = {**BASE, **IMDS, "IamInstanceProfile": {"Name": "qateam-app"}}
    assert without_instance_profile(source) == {**BASE, **IMDS}
    assert "IamInstanceProfile" in source


def test_request_data_drops_answer_only_fields_and_template_tags(shape):
    answer = {
        **BASE,
        "MetadataOptions": {"HttpTokens": "required", "State": "applied"},
        "Operator": {"Managed": False, "Principal": "x"},
        "TagSpecifications": [
            {"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "qa"}]},
            {"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "qa"}]},
        ],
    }
    assert request_data(answer, shape) == {
        **BASE,
        "MetadataOptions": {"HttpTokens": "required"},
        "Operator": {"Principal": "x"},
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "qa"}]}],
    }
    only_template_tags = {**BASE, "TagSpecifications": answer["TagSpecifications"][:1]}
    assert request_data(only_template_tags) == BASE


@pytest.mark.parametrize(
    "current, wanted, result",
    [
        ({"a": 1, "b": 2}, {"a": 1}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [2, 1], True),
        ([1, 2], [1], False),
        ([{"a": 1, "x": 0}, {"b": 2}], [{"a": 1}, {"b": 2}], True),
        ([{"b": 2}, {"a": 1}], [{"a": 1}, {"b": 2}], False),
        ("t2.micro", "t2.micro", True),
        (None, "x", False),
        (datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc), "2030-01-01T00:00:00+00:00", True),
    ],
)
def test_carries(current, wanted, result):
    assert carries(current, wanted) is result


def test_same_data_is_both_ways():
    assert same_data({**BASE, "KeyName": "k"}, dict(BASE)) is False
    assert same_data(dict(BASE), {"InstanceType": "t2.micro", "ImageId": "ami-04d5cc9b88example"}) is True


def test_profile_reference_as_given():
    assert profile_reference("qateam-app", None) == {"Name": "qateam-app"}
    assert profile_reference(None, ARN) == {"Arn": ARN}
