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
    drift = asg_drift(group(), **WANTED)
    assert (drift["changes"], drift["version"], drift["lines"]) == ([], "$Default", [])
    assert drift["before"] == drift["after"]


@pytest.mark.parametrize("missing", [None, {}])
def test_no_group_is_the_group_to_create(missing):
    drift = asg_drift(missing, **WANTED)
    assert (drift["changes"], drift["version"], drift["before"]) == (["group"], "$Default", {})
    assert drift["sizes"] == {"min_size": 1, "max_size": 2, "desired_capacity": 1}
    assert drift["lines"] == [
        "launch_template: my-lt version $Default",
        "min_size: 1",
        "max_size: 2",
        "desired_capacity: 1",
        "availability_zones: ['us-east-1a', 'us-east-1b']",
        "tags: {'team': 'qa', 'cost': '42'}",
    ]


SIZES_NOT_GIVEN = {**WANTED, "min_size": None, "max_size": None, "desired_capacity": None}


def test_an_existing_group_keeps_the_sizes_it_was_not_given():
    """The user guide's 'Many applications' inventory gives no sizes: a live group is never scaled to 0."""
    drift = asg_drift(group(min_size=2, max_size=5, desired_capacity=3), **SIZES_NOT_GIVEN)
    assert drift["changes"] == [] and drift["sizes"] == {}
    assert {name: drift["after"][name] for name in ("min_size", "max_size", "desired_capacity")} == {
        "min_size": 2,
        "max_size": 5,
        "desired_capacity": 3,
    }


def test_one_size_given_is_the_only_one_written():
    drift = asg_drift(group(min_size=2, max_size=5, desired_capacity=3), **{**SIZES_NOT_GIVEN, "desired_capacity": 4})
    assert drift["changes"] == ["desired_capacity"] and drift["sizes"] == {"desired_capacity": 4}
    assert drift["lines"] == ["desired_capacity: 3 -> 4"]


def test_a_group_to_create_without_sizes_gets_the_documented_defaults():
    drift = asg_drift(None, **SIZES_NOT_GIVEN)
    assert drift["sizes"] == {"min_size": 0, "max_size": 1, "desired_capacity": 0}
    assert drift["sizes"] == {name: drift["after"][name] for name in drift["sizes"]}


def test_the_check_mode_lines_show_each_change_with_its_values():
    changed = group(
        min_size=0,
        launch_template={"launch_template_name": "my-lt", "version": "3"},
        tags=[{"key": "team", "value": "qa"}],
    )
    assert asg_drift(changed, **WANTED)["lines"] == [
        "launch_template: my-lt version 3 -> my-lt version $Default",
        "min_size: 0 -> 1",
        "tags: {'team': 'qa'} -> {'team': 'qa', 'cost': '42'}",
    ]


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


# --- tags the role was not told about (issue 27): kept unless purge_tags, and listed with values when removed -------

HAND_TAG = {"key": "owner", "value": "alice", "propagate_at_launch": False, "resource_type": "auto-scaling-group"}


def test_without_purge_a_tag_set_by_hand_is_kept_and_no_drift():
    current = group(tags=[*group()["tags"], HAND_TAG])
    drift = asg_drift(current, **WANTED, purge_tags=False)
    assert (drift["changes"], drift["removed_tags"]) == ([], {})
    assert drift["after"]["tags"] == {"cost": "42", "team": "qa", "owner": "alice"}


def test_without_purge_a_wanted_tag_is_still_added_or_changed():
    drift = asg_drift(group(), **{**WANTED, "tags": {"team": "ops"}}, purge_tags=False)
    assert drift["changes"] == ["tags"]
    assert drift["after"]["tags"] == {"cost": "42", "team": "ops"}
    assert drift["removed_tags"] == {}


def test_with_purge_the_tag_set_by_hand_is_removed_and_named_with_its_value():
    current = group(tags=[*group()["tags"], HAND_TAG])
    drift = asg_drift(current, **WANTED, purge_tags=True)
    assert drift["changes"] == ["tags"]
    assert drift["removed_tags"] == {"owner": "alice"}
    assert drift["lines"] == ["tags: {'cost': '42', 'team': 'qa', 'owner': 'alice'} -> {'team': 'qa', 'cost': '42'}"]


def test_purge_tags_given_as_a_string_as_awx_passes_it():
    current = group(tags=[*group()["tags"], HAND_TAG])
    assert asg_drift(current, **WANTED, purge_tags="false")["changes"] == []
    assert asg_drift(current, **WANTED, purge_tags="true")["changes"] == ["tags"]


@pytest.mark.parametrize(
    "launched_from, shown",
    [
        ({"launch_template": None, "launch_configuration_name": "qateam-app-lc"}, "launch configuration qateam-app-lc"),
        ({"launch_template": None, "mixed_instances_policy": {"launch_template": {}}}, "a mixed instances policy"),
        ({"launch_template": None}, "(nothing)"),
    ],
)
def test_a_group_not_on_a_template_shows_what_it_launches_from(launched_from, shown):
    drift = asg_drift(group(**launched_from), **WANTED)
    assert drift["before"]["launch_template"] == shown
    assert drift["lines"] == [f"launch_template: {shown} -> my-lt version $Default"]
