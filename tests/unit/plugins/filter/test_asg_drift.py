"""The Auto Scaling group's drift and the version it names: the role's comparison, through the filter."""

import pytest

from ansible_collections.cloudcred.ec2.plugins.filter.asg_drift import asg_drift

WANTED = {
    "launch_template_name": "my-lt",
    "min_size": 1,
    "max_size": 2,
    "desired_capacity": 1,
    "availability_zones": ["us-east-1a", "us-east-1b"],
    "tags": {"team": "qa", "cost": 42},
}


def group(**changes):
    """The group autoscaling_group_info returns for WANTED, with ``changes`` on top."""
    current = {
        "auto_scaling_group_name": "qateam-app-asg",
        "launch_template": {"launch_template_name": "my-lt", "launch_template_id": "lt-0123", "version": "$Default"},
        "min_size": 1,
        "max_size": 2,
        "desired_capacity": 1,
        "availability_zones": ["us-east-1b", "us-east-1a"],  # another order: the same zones
        "vpc_zone_identifier": "",
        "tags": [
            {"key": "cost", "value": "42", "propagate_at_launch": True, "resource_type": "auto-scaling-group"},
            {"key": "team", "value": "qa", "propagate_at_launch": True, "resource_type": "auto-scaling-group"},
        ],
    }
    current.update(changes)
    return current


def test_the_same_group_has_no_drift():
    assert asg_drift(group(), **WANTED) == {"changes": [], "version": "$Default"}


@pytest.mark.parametrize("missing", [None, {}])
def test_no_group_is_the_group_to_create(missing):
    assert asg_drift(missing, **WANTED) == {"changes": ["group"], "version": "$Default"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"launch_template": {"launch_template_name": "other", "version": "$Default"}}, ["launch_template"]),
        ({"launch_template": {"launch_template_name": "my-lt", "version": "3"}}, ["launch_template"]),
        ({"launch_template": None, "launch_configuration_name": "old-lc"}, ["launch_template"]),
        ({"min_size": 0}, ["min_size"]),
        ({"max_size": 3, "desired_capacity": 2}, ["max_size", "desired_capacity"]),
        ({"availability_zones": ["us-east-1a"]}, ["availability_zones"]),
        ({"tags": []}, ["tags"]),
        ({"tags": [{"key": "team", "value": "qa"}, {"key": "cost", "value": "41"}]}, ["tags"]),
    ],
)
def test_each_setting_that_differs_is_named(changes, expected):
    assert asg_drift(group(**changes), **WANTED)["changes"] == expected


def test_subnets_compared_as_a_set_of_the_comma_separated_string():
    wanted = {**WANTED, "availability_zones": None, "vpc_zone_identifier": ["subnet-b", "subnet-a"]}
    assert asg_drift(group(vpc_zone_identifier="subnet-a, subnet-b"), **wanted)["changes"] == []
    assert asg_drift(group(vpc_zone_identifier="subnet-a"), **wanted)["changes"] == ["vpc_zone_identifier"]


def test_a_location_not_given_is_not_compared():
    wanted = {**WANTED, "availability_zones": [], "vpc_zone_identifier": None}
    assert asg_drift(group(availability_zones=["eu-west-1c"]), **wanted)["changes"] == []


@pytest.mark.parametrize(
    ("preferences", "current", "version"),
    [
        # AutoRollback rolls back only to a number the group names: a number on the same template stays
        ({"auto_rollback": True}, {"launch_template_name": "my-lt", "version": "4"}, "4"),
        ({"AutoRollback": "yes"}, {"launch_template_name": "my-lt", "version": "4"}, "4"),
        ({"auto_rollback": True}, {"launch_template_name": "other", "version": "4"}, "$Default"),
        ({"auto_rollback": True}, {"launch_template_name": "my-lt", "version": "$Latest"}, "$Default"),
        ({"auto_rollback": False}, {"launch_template_name": "my-lt", "version": "4"}, "$Default"),
        ({}, {"launch_template_name": "my-lt", "version": "4"}, "$Default"),
    ],
)
def test_version_the_group_names(preferences, current, version):
    drift = asg_drift(group(launch_template=current), preferences=preferences, **WANTED)
    assert drift["version"] == version
    assert drift["changes"] == ([] if version == current["version"] else ["launch_template"])
