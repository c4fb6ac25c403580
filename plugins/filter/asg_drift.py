# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.asg_drift: how an Auto Scaling group differs from the wanted one. The rule is in
module_utils/_group_drift."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: asg_drift
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.1.0
short_description: What differs between an Auto Scaling group and the wanted one, and the version it should name
description:
  - Compares an Auto Scaling group, as M(amazon.aws.autoscaling_group_info) returns it, with the settings
    M(amazon.aws.autoscaling_group) would be given, so that the module runs only when something differs
    (it calls C(UpdateAutoScalingGroup) on every run and reports an existing group changed in check mode).
  - The group should name the launch template's C($Default) version, so that a new default version reaches it
    without touching it. With C(auto_rollback) in O(preferences), a version number the group already names on the
    same template stays, as AWS rolls back only to a number the group names.
  - The role P(cloudcred.ec2.asg_instance_role#role) calls it before it ensures the group.
options:
  _input:
    description:
      - The group, one item of M(amazon.aws.autoscaling_group_info)'s
        RV(amazon.aws.autoscaling_group_info#module:results); null when there is no group.
    type: dict
    required: true
  launch_template_name:
    description: The launch template the group should launch from.
    type: str
    required: true
  min_size:
    description:
      - The wanted minimum size; compared and written only when given.
      - Not given, an existing group keeps its own; a group to create gets C(min_size=0), C(max_size=1),
        C(desired_capacity=0) (RV(_value.sizes)).
    type: int
  max_size:
    description:
      - The wanted maximum size; compared and written only when given.
      - Not given, an existing group keeps its own; a group to create gets C(min_size=0), C(max_size=1),
        C(desired_capacity=0) (RV(_value.sizes)).
    type: int
  desired_capacity:
    description:
      - The wanted desired capacity; compared and written only when given.
      - Not given, an existing group keeps its own; a group to create gets C(min_size=0), C(max_size=1),
        C(desired_capacity=0) (RV(_value.sizes)).
    type: int
  availability_zones:
    description: The wanted Availability Zones (compared when given, in any order).
    type: list
    elements: str
  vpc_zone_identifier:
    description: The wanted subnet ids (compared when given, in any order).
    type: list
    elements: str
  tags:
    description: The wanted tags (values compared as strings); with O(purge_tags), all of them.
    type: dict
    default: {}
  purge_tags:
    description:
      - The group's tags not in O(tags) are removed, as M(amazon.aws.autoscaling_group)'s C(purge_tags) does (and
        with its default). V(false) keeps them; O(tags) are then compared as a subset.
    type: bool
    default: true
  preferences:
    description: The instance refresh preferences; only C(auto_rollback) (or C(AutoRollback)) matters here.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Read the group
  amazon.aws.autoscaling_group_info:
    name: "^qateam-app-asg$"
  register: group_info

- name: Ensure the group only when it differs
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    launch_template:
      launch_template_name: my-lt-with-instance-profile
      version: "{{ drift.version }}"
    min_size: "{{ drift.sizes.min_size | default(omit) }}"
    max_size: "{{ drift.sizes.max_size | default(omit) }}"
    desired_capacity: "{{ drift.sizes.desired_capacity | default(omit) }}"
    availability_zones: [us-east-1a]
  when: drift.changes | length > 0
  vars:
    drift: >-
      {{ group_info.results | first | default(None) | cloudcred.ec2.asg_drift(
           launch_template_name='my-lt-with-instance-profile', min_size=1, max_size=2, desired_capacity=1,
           availability_zones=['us-east-1a']) }}
"""

RETURN = r"""
_value:
  description: What differs, and the launch template version the group should name.
  type: dict
  contains:
    changes:
      description:
        - The settings that differ, in the order of M(amazon.aws.autoscaling_group)'s options
          (C(launch_template), C(min_size), C(max_size), C(desired_capacity), C(availability_zones),
          C(vpc_zone_identifier), C(tags)); V([group]) when there is no group; empty when nothing differs.
      type: list
      elements: str
      sample: [launch_template, max_size]
    version:
      description: V($Default), or with C(auto_rollback) the version number the group names now.
      type: str
      sample: $Default
    sizes:
      description:
        - The sizes the group write should name; a size not given is left out for an existing group (it keeps
          its own), and is the creation default for a group to create.
      type: dict
      sample: {min_size: 1, max_size: 2, desired_capacity: 1}
    before:
      description: The group's settings now (empty without a group).
      type: dict
    after:
      description: The group's settings after the write.
      type: dict
    removed_tags:
      description: The group's tags the write removes (O(purge_tags)), key to value; listed before they go.
      type: dict
      sample: {owner: alice}
    lines:
      description:
        - "One line per change with its values, such as V(min_size: 1 -> 0)."
        - For a group to create, its settings.
      type: list
      elements: str
      sample: ["min_size: 1 -> 0", "desired_capacity: 1 -> 0"]
"""

from ansible_collections.cloudcred.ec2.plugins.module_utils._group_drift import group_drift


def asg_drift(
    group,
    *,
    launch_template_name,
    min_size=None,
    max_size=None,
    desired_capacity=None,
    availability_zones=None,
    vpc_zone_identifier=None,
    tags=None,
    purge_tags=True,
    preferences=None,
):
    return group_drift(
        group or None,
        preferences=preferences,
        launch_template_name=launch_template_name,
        min_size=min_size,
        max_size=max_size,
        desired_capacity=desired_capacity,
        availability_zones=availability_zones,
        vpc_zone_identifier=vpc_zone_identifier,
        tags=tags,
        purge_tags=purge_tags,
    )


class FilterModule:
    def filters(self):
        return {"asg_drift": asg_drift}
