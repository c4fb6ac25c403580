"""The fact asg_instance_role_result a deploy publishes, from its tasks' results: through the filter."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.filter.asg_instance_role_result import asg_instance_role_result

ROLE_RUN = {
    "changed": False,
    "actions": [],
    "role": {"arn": "arn:aws:iam::123456789012:role/qateam-app", "role_name": "qateam-app"},
    "instance_profile": {"arn": "arn:aws:iam::123456789012:instance-profile/qateam-app", "roles": ["qateam-app"]},
}
TEMPLATE_RUN = {
    "changed": False,
    "launch_template": {"launch_template_id": "lt-0123", "launch_template_name": "my-lt", "default_version_number": 2},
    "version_number": 2,
}
WANTED = {
    "launch_template_name": "my-lt",
    "min_size": "1",  # as the role's variables may give them: strings
    "max_size": 2,
    "desired_capacity": "1",
    "availability_zones": ["us-east-1a"],
    "vpc_zone_identifier": None,
    "tags": {},
}
# cloudcred.ec2.asg_drift's sizes after the run (an existing group's own where WANTED gives none)
AFTER = {"min_size": 1, "max_size": 2, "desired_capacity": 1}
ARN_READ = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/qateam-app-asg"
ARN_WRITTEN = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:2:autoScalingGroupName/qateam-app-asg"
READ = {"auto_scaling_group_name": "qateam-app-asg", "auto_scaling_group_arn": ARN_READ}
WRITE = {"changed": True, "auto_scaling_group_arn": ARN_WRITTEN}
SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
NO_REFRESH = {"needed": False, "reasons": [], "status": None, "status_reason": None, "waited_for": []}


def result(*, drift_changes=(), read="read", write="skipped", refresh="skipped", check_mode=False):
    """The filter's answer for the group of WANTED ("read": READ, "skipped": SKIPPED; no dict defaults)."""
    read = READ if read == "read" else read
    write = SKIPPED if write == "skipped" else write
    refresh = SKIPPED if refresh == "skipped" else refresh
    return asg_instance_role_result(
        ROLE_RUN,
        TEMPLATE_RUN,
        auto_scaling_group_name="qateam-app-asg",
        auto_scaling_group=WANTED,
        auto_scaling_group_drift={"changes": list(drift_changes), "version": "$Default", "after": AFTER},
        auto_scaling_group_read=read,
        auto_scaling_group_write=write,
        instance_refresh=refresh,
        check_mode=check_mode,
    )


def test_the_role_the_profile_and_the_template_version():
    published = result()
    assert published["role"] is ROLE_RUN["role"]
    assert published["instance_profile"] is ROLE_RUN["instance_profile"]
    assert published["launch_template"] is TEMPLATE_RUN["launch_template"]
    assert published["version_number"] == TEMPLATE_RUN["version_number"]


@pytest.mark.parametrize("name", [None, ""])
def test_without_a_group_the_group_is_null(name):
    published = asg_instance_role_result(ROLE_RUN, TEMPLATE_RUN, auto_scaling_group_name=name)
    assert published == {
        "role": ROLE_RUN["role"],
        "instance_profile": ROLE_RUN["instance_profile"],
        "launch_template": TEMPLATE_RUN["launch_template"],
        "version_number": 2,
        "auto_scaling_group": None,
        "removed": {},
    }


def test_a_group_that_did_not_change_is_the_one_read():
    assert result()["auto_scaling_group"] == {
        "auto_scaling_group_name": "qateam-app-asg",
        "auto_scaling_group_arn": ARN_READ,
        "launch_template": {"launch_template_name": "my-lt", "version": "$Default"},
        "min_size": 1,
        "max_size": 2,
        "desired_capacity": 1,
        "availability_zones": ["us-east-1a"],
        "vpc_zone_identifier": None,
        "changes": [],
        "instance_refresh_id": None,
        "instance_refresh": NO_REFRESH,
        "instances": [],
    }


def test_a_group_written_in_this_run_has_the_written_arn():
    group = result(drift_changes=["group"], read=None, write=WRITE)["auto_scaling_group"]
    assert group["auto_scaling_group_arn"] == ARN_WRITTEN
    assert group["changes"] == ["group"]


def test_a_write_without_an_arn_falls_back_to_the_read():
    group = result(drift_changes=["max_size"], write={"changed": True})["auto_scaling_group"]
    assert group["auto_scaling_group_arn"] == ARN_READ


def test_a_write_of_an_earlier_run_does_not_count():
    # the write task was not reached in this run (nothing differs): its register is another run's
    assert result(write=WRITE)["auto_scaling_group"]["auto_scaling_group_arn"] == ARN_READ


@pytest.mark.parametrize(("read", "arn"), [(None, None), (READ, ARN_READ)], ids=["to create", "to update"])
def test_check_mode_predicts_the_group_without_writing(read, arn):
    group = result(drift_changes=["group"] if read is None else ["max_size"], read=read, check_mode=True)
    assert group["auto_scaling_group"]["auto_scaling_group_arn"] == arn
    assert group["auto_scaling_group"]["changes"] == (["group"] if read is None else ["max_size"])


def test_check_mode_ignores_a_write_of_an_earlier_run():
    group = result(drift_changes=["max_size"], write=WRITE, check_mode=True)["auto_scaling_group"]
    assert group["auto_scaling_group_arn"] == ARN_READ


@pytest.mark.parametrize("refresh", [SKIPPED, None, {"changed": False, "needed": False, "instance_refresh": None}])
def test_no_refresh_run(refresh):
    group = result(refresh=refresh)["auto_scaling_group"]
    assert group["instance_refresh"] == NO_REFRESH
    assert group["instance_refresh_id"] is None
    assert group["instances"] == []


def test_a_refresh_run():
    instances = [{"instance_id": "i-1", "launch_template_version": "1"}]
    refresh = {
        "changed": True,
        "needed": True,
        "reasons": ["i-1 runs version 1, not 2"],
        "waited_for": ["r-0"],
        "instances": instances,
        "instance_refresh": {"instance_refresh_id": "r-1", "status": "Successful", "status_reason": "done"},
    }
    group = result(refresh=refresh)["auto_scaling_group"]
    assert group["instance_refresh_id"] == "r-1"
    assert group["instance_refresh"] == {
        "needed": True,
        "reasons": ["i-1 runs version 1, not 2"],
        "status": "Successful",
        "status_reason": "done",
        "waited_for": ["r-0"],
    }
    assert group["instances"] == instances


def test_the_filter_is_registered():
    from ansible_collections.cloudcred.ec2.plugins.filter.asg_instance_role_result import (  # pylint: disable=import-outside-toplevel
        FilterModule,
    )

    assert FilterModule().filters() == {"asg_instance_role_result": asg_instance_role_result}


# --- what the run removed (issue 27): the role's, with content, and the group's tags --------------------------------

ROLE_REMOVED = {"inline_policies": {"by-hand": {"Version": "2012-10-17", "Statement": []}}, "tags": {"owner": "a"}}


def test_nothing_removed_is_an_empty_dict():
    assert result()["removed"] == {}


def test_the_role_removals_and_the_group_tags_are_published_with_their_content():
    published = asg_instance_role_result(
        {**ROLE_RUN, "removed": ROLE_REMOVED},
        TEMPLATE_RUN,
        auto_scaling_group_name="qateam-app-asg",
        auto_scaling_group=WANTED,
        auto_scaling_group_drift={
            "changes": ["tags"],
            "version": "$Default",
            "after": AFTER,
            "removed_tags": {"cost-center": "42"},
        },
        auto_scaling_group_read=READ,
        check_mode=True,
    )
    assert published["removed"] == {**ROLE_REMOVED, "auto_scaling_group_tags": {"cost-center": "42"}}


def test_without_a_group_its_drift_is_not_counted():
    published = asg_instance_role_result(
        {**ROLE_RUN, "removed": ROLE_REMOVED},
        TEMPLATE_RUN,
        auto_scaling_group_name="",
        auto_scaling_group_drift={"removed_tags": {"cost-center": "42"}},
    )
    assert published["removed"] == ROLE_REMOVED
