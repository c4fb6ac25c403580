# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.asg_instance_role_result: the fact asg_instance_role_result of a deploy, from the results of
the role's tasks. The rule is in module_utils/_asg_instance_role_report."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: asg_instance_role_result
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.1.0
short_description: The fact a deploy of the role asg_instance_role publishes, from its tasks' results
description:
  - Builds C(asg_instance_role_result), the fact P(cloudcred.ec2.asg_instance_role#role) sets after a deploy, from
    the results of M(cloudcred.ec2.iam_instance_role), M(cloudcred.ec2.launch_template_profile),
    M(amazon.aws.autoscaling_group_info), M(amazon.aws.autoscaling_group) and M(cloudcred.ec2.asg_instance_refresh).
  - The group is described as it now is, or in check mode as it would be. A result of
    M(amazon.aws.autoscaling_group) counts only when the group was written in this run (O(auto_scaling_group_drift)
    has changes and O(check_mode) is false); otherwise the group's ARN is the one read.
options:
  _input:
    description: The result of M(cloudcred.ec2.iam_instance_role) (its RV(cloudcred.ec2.iam_instance_role#module:role)
      and RV(cloudcred.ec2.iam_instance_role#module:instance_profile)).
    type: dict
    required: true
  launch_template:
    description: The result of M(cloudcred.ec2.launch_template_profile).
    type: dict
    required: true
  auto_scaling_group_name:
    description: The group's name; empty or null when the role manages no group.
    type: str
  auto_scaling_group:
    description:
      - The wanted group's settings by M(amazon.aws.autoscaling_group)'s option names, as given to
        P(cloudcred.ec2.asg_drift#filter) (C(launch_template_name), C(min_size), C(max_size), C(desired_capacity),
        C(availability_zones), C(vpc_zone_identifier)). Required with O(auto_scaling_group_name).
    type: dict
  auto_scaling_group_drift:
    description: The answer of P(cloudcred.ec2.asg_drift#filter) for the group. Required with
      O(auto_scaling_group_name).
    type: dict
  auto_scaling_group_read:
    description: The group as M(amazon.aws.autoscaling_group_info) read it; null when there was none.
    type: dict
  auto_scaling_group_write:
    description: The result of M(amazon.aws.autoscaling_group), if it ran.
    type: dict
  instance_refresh:
    description: The result of M(cloudcred.ec2.asg_instance_refresh); skipped or null when it did not run.
    type: dict
  check_mode:
    description: Whether the run is in check mode.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Publish the result
  ansible.builtin.set_fact:
    asg_instance_role_result: >-
      {{ role_run | cloudcred.ec2.asg_instance_role_result(
           launch_template=template_run, auto_scaling_group_name='qateam-app-asg',
           auto_scaling_group={'launch_template_name': 'my-lt-with-instance-profile', 'min_size': 1, 'max_size': 2,
                               'desired_capacity': 1, 'availability_zones': ['us-east-1a']},
           auto_scaling_group_drift=drift, auto_scaling_group_read=group_info.results | first | default(None),
           auto_scaling_group_write=group_write, instance_refresh=refresh, check_mode=ansible_check_mode) }}
"""

RETURN = r"""
_value:
  description: The fact C(asg_instance_role_result).
  type: dict
  contains:
    role:
      description: The role, as M(cloudcred.ec2.iam_instance_role) returns it.
      type: dict
    instance_profile:
      description: The instance profile, as M(cloudcred.ec2.iam_instance_role) returns it.
      type: dict
    launch_template:
      description: The launch template, as M(cloudcred.ec2.launch_template_profile) returns it.
      type: dict
    version_number:
      description: The launch template version that carries the instance profile.
      type: int
    auto_scaling_group:
      description: The group as it now is (in check mode, would be); null without a group.
      type: dict
      contains:
        auto_scaling_group_name:
          description: Its name.
          type: str
        auto_scaling_group_arn:
          description: Its ARN; null when it does not exist yet (check mode).
          type: str
        launch_template:
          description: C(launch_template_name) and the C(version) the group names.
          type: dict
        min_size:
          description: The minimum size.
          type: int
        max_size:
          description: The maximum size.
          type: int
        desired_capacity:
          description: The desired capacity.
          type: int
        availability_zones:
          description: The Availability Zones as given; null when not given.
          type: list
          elements: str
        vpc_zone_identifier:
          description: The subnets as given; null when not given.
          type: list
          elements: str
        changes:
          description: What differed (P(cloudcred.ec2.asg_drift#filter)).
          type: list
          elements: str
        instance_refresh_id:
          description: The id of the instance refresh the refresh step started or found; null when none.
          type: str
        instance_refresh:
          description: C(needed), C(reasons), C(status), C(status_reason) and C(waited_for) of the refresh step.
          type: dict
        instances:
          description: The group's instances as the refresh step saw them.
          type: list
          elements: dict
    removed:
      description:
        - What the run removed (in check mode, would remove), with its content, so that it can be reviewed or put
          back; V({}) when nothing. Only the purge variables remove anything.
        - C(managed_policies) (ARNs), C(inline_policies) (name to document), C(tags) (the role's),
          C(instance_profile_tags) and C(auto_scaling_group_tags) (key to value); a kind with nothing is left out.
          The launch template's removed tags are in the template task's diff.
      type: dict
      sample: {inline_policies: {read-artifacts: {Version: "2012-10-17", Statement: []}}, tags: {owner: alice}}
"""

from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role_report import group_result, role_result


def asg_instance_role_result(
    role,
    launch_template,
    *,
    auto_scaling_group_name=None,
    auto_scaling_group=None,
    auto_scaling_group_drift=None,
    auto_scaling_group_read=None,
    auto_scaling_group_write=None,
    instance_refresh=None,
    check_mode=False,
):
    group = None
    if auto_scaling_group_name:
        group = group_result(
            auto_scaling_group_name,
            auto_scaling_group,
            drift=auto_scaling_group_drift,
            read=auto_scaling_group_read or None,
            write=auto_scaling_group_write,
            refresh=instance_refresh,
            check_mode=bool(check_mode),
        )
    return role_result(role, launch_template, group=group, drift=auto_scaling_group_drift)


class FilterModule:
    def filters(self):
        return {"asg_instance_role_result": asg_instance_role_result}
