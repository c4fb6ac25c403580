# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each AWS limit exactly at the limit and one past it, and launch template data inside lists.

These kill the mutants that `make mutation` left alive (docs/testing.md): ``<=`` turned into ``<``,
``>`` into ``>=``, the list branch of the data checks, the IMDSv2 default, ``Deny``/``NotAction``/``Id``.
"""

import datetime

import botocore.session
import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils import _validation as v
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    REQUEST_SHAPE,
    carries,
    first_option_problem,
    launch_template_data_input_problem,
    launch_template_data_problem,
)


def invalid_option(params):
    """The first refused option's message (``first_option_problem`` names the option too), or None."""
    found = first_option_problem(params)
    return found and found[1]


VALID = {"launch_template_name": "my-lt-with-instance-profile", "instance_profile_name": "qateam-app"}


@pytest.fixture(scope="module")
def shape():
    return botocore.session.get_session().get_service_model("ec2").shape_for(REQUEST_SHAPE)


def _template_problem(**params):
    return invalid_option({**VALID, **params})


# --- tags: IAM's and EC2's limits are the same (128 / 256) -----------------------------------


@pytest.mark.parametrize("length, ok", [(v.TAG_KEY_MAX, True), (v.TAG_KEY_MAX + 1, False)])
def test_tag_key_length_limit(length, ok):
    tags = {"k" * length: "v"}
    assert (v.tags_problem("tags", tags) is None) is ok
    assert (_template_problem(tags=tags) is None) is ok


@pytest.mark.parametrize("length, ok", [(v.TAG_VALUE_MAX, True), (v.TAG_VALUE_MAX + 1, False)])
def test_tag_value_length_limit(length, ok):
    tags = {"team": "v" * length}
    assert (v.tags_problem("tags", tags) is None) is ok
    assert (_template_problem(tags=tags) is None) is ok


def test_template_tag_without_value_is_an_empty_value():
    # EC2 takes a tag with an empty value; None must count as "", not as a value of its own.
    assert _template_problem(tags={"team": None}) is None


@pytest.mark.parametrize("length, ok", [(255, True), (256, False)])
def test_version_description_limit(length, ok):
    # EC2's VersionDescription: "Constraints: Up to 255 characters".
    assert (_template_problem(version_description="d" * length) is None) is ok


# --- policy sizes: IAM counts characters without whitespace ------------------------------------


def _document_of_size(size: int) -> dict:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Sid": ""}]}
    document["Statement"][0]["Sid"] = "S" * (size - v.policy_size(document))
    assert v.policy_size(document) == size
    return document


@pytest.mark.parametrize("size, ok", [(v.TRUST_POLICY_MAX, True), (v.TRUST_POLICY_MAX + 1, False)])
def test_trust_policy_size_limit(size, ok):
    assert (v.trust_policy_size_problem("assume_role_policy_document", _document_of_size(size)) is None) is ok


@pytest.mark.parametrize("size, ok", [(v.INLINE_POLICIES_MAX, True), (v.INLINE_POLICIES_MAX + 1, False)])
def test_inline_policies_size_limit(size, ok):
    documents = {"only": _document_of_size(size)}
    assert (v.inline_policies_size_problem("inline_policies", documents) is None) is ok


@pytest.mark.parametrize(
    "length, ok", [(v.POLICY_NAME_MAX + v.PATH_MAX, True), (v.POLICY_NAME_MAX + v.PATH_MAX + 1, False)]
)
def test_managed_policy_name_length_limit(length, ok):
    value = "a" * length
    assert (v.managed_policy_problem("managed_policies", value) is None) is ok


@pytest.mark.parametrize("value", ["", None])
def test_managed_policy_name_empty_is_refused(value):
    assert v.managed_policy_problem("managed_policies", value)


# --- policy documents: what IAM's grammar allows ------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    ],
    ids=["Deny", "NotAction only"],
)
def test_policy_document_statements_iam_accepts(statement):
    document, problem = v.parsed_policy_document("inline_policies", {"Version": "2012-10-17", "Statement": [statement]})
    assert problem is None and document["Statement"] == [statement]


def test_policy_document_with_id_is_accepted():
    document = {"Version": "2012-10-17", "Id": "qateam", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    assert v.parsed_policy_document("inline_policies", document) == (document, None)


# --- launch template data inside lists ------------------------------------------------------------


def test_snake_case_key_inside_a_list_is_named_with_its_index():
    data = {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda"}, {"device_name": "/dev/xvdb"}]}
    problem = launch_template_data_input_problem(data)
    assert problem is not None
    assert "BlockDeviceMappings[1].'device_name'" in problem and "'DeviceName'" in problem


def test_unknown_key_inside_a_list_is_named_against_the_shape(shape):
    data = {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSise": 8}}]}
    problem, _converted = launch_template_data_problem(data, shape)
    assert problem is not None
    assert "BlockDeviceMappings[0].Ebs.VolumeSise" in problem and "'VolumeSize'" in problem


def test_numbers_and_booleans_inside_lists_are_converted(shape):
    data = {
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": "8", "DeleteOnTermination": "true"}},
            {"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 16, "Encrypted": "False"}},
        ],
        "SecurityGroupIds": ["sg-1", "sg-2"],
    }
    problem, converted = launch_template_data_problem(data, shape)
    assert problem is None
    assert converted["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "DeleteOnTermination": True}},
        {"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 16, "Encrypted": False}},
    ]
    assert converted["SecurityGroupIds"] == ["sg-1", "sg-2"]


@pytest.mark.parametrize(
    "data, kind",
    [
        ({"CpuOptions": {"CoreCount": "two"}}, "integer"),
        ({"EbsOptimized": 1}, "boolean"),
        ({"CpuOptions": {"CoreCount": True}}, "integer"),
        ({"InstanceType": 5}, "string"),
        ({"InstanceMarketOptions": {"SpotOptions": {"MaxPrice": 0.5}}}, "string"),
        ({"InstanceRequirements": {"MemoryGiBPerVCpu": {"Min": "lots"}}}, "double"),
    ],
)
def test_mistyped_values_are_refused_with_their_type(shape, data, kind):
    problem, _converted = launch_template_data_problem(data, shape)
    assert problem is not None and f"must be of type {kind}" in problem


def test_a_double_takes_integers_and_floats(shape):
    data = {"InstanceRequirements": {"MemoryGiBPerVCpu": {"Min": 2, "Max": 4.5}}}
    assert launch_template_data_problem(data, shape) == (None, data)


def test_imdsv1_data_is_refused_when_require_imdsv2_is_not_given():
    # require_imdsv2 defaults to true: data that keeps IMDSv1 needs an explicit require_imdsv2: false.
    params = {**VALID, "launch_template_data": {"MetadataOptions": {"HttpTokens": "optional"}}}
    assert invalid_option(params) is not None
    assert invalid_option({**params, "require_imdsv2": False}) is None


# --- carries: what EC2 answers against what was asked ---------------------------------------------


def test_a_date_carries_only_its_own_value():
    day = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.timezone.utc)
    assert carries(day, day.isoformat())
    assert not carries(day, "2026-11-30T12:00:00+00:00")


@pytest.mark.parametrize("current", [None, "sg-1", {"0": "sg-1"}])
def test_a_list_is_not_carried_by_something_else(current):
    assert not carries(current, ["sg-1"])
