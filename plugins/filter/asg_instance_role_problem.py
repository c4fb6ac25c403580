# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.asg_instance_role_problem: the first rule the role's variables break, naming the variable.
The rules are the modules' own and _validation's; module_utils/_asg_instance_role composes them."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: asg_instance_role_problem
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.1.0
short_description: The first rule the variables of the role asg_instance_role break, or an empty string
description:
  - Checks every variable of the role P(cloudcred.ec2.asg_instance_role#role) at once, without any AWS call, so that
    the role refuses bad input before it writes anything, with a message that names the variable.
  - The rules of the options the role passes to M(cloudcred.ec2.iam_instance_role) and
    M(cloudcred.ec2.launch_template_profile) are those modules' own (names, paths, policy documents and ARNs,
    tags, the launch template name and data in the EC2 API's shape). The role adds its own, that
    C(meta/argument_specs.yml) cannot say - a region to work in, a PassRole prefix that starts a role name and
    covers the role when there is a deployer, exactly one kind of location for the group, and
    C(min_size <= desired_capacity <= max_size).
  - With O(deployer_read), a deployer that does not exist (or cannot be read) is a problem too, judged after every
    other rule.
  - With C(asg_instance_role_state=absent) in the input, only the name and path are checked.
options:
  _input:
    description:
      - The role's variables by their full names (C(asg_instance_role_name), ...); unset ones take the role's
        defaults, other keys are ignored.
    type: dict
    required: true
  region:
    description: The region the role's tasks will use; empty is a problem.
    type: str
    required: true
  deployer_read:
    description:
      - The result of M(amazon.aws.iam_policy_info) for C(asg_instance_role_deployer) (registered; skipped or
        omitted when it was not read).
      - A deployer that does not exist has no RV(amazon.aws.iam_policy_info#module:all_policy_names) in it.
    type: dict
"""

EXAMPLES = r"""
- name: Check the role's variables before any AWS call
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "{{ problem }}"
  vars:
    problem: >-
      {{ {'asg_instance_role_name': 'qateam-app', 'asg_instance_role_launch_template_name': 'my-lt',
          'asg_instance_role_asg_name': 'qateam-app-asg', 'asg_instance_role_asg_min_size': 3,
          'asg_instance_role_asg_max_size': 1, 'asg_instance_role_asg_availability_zones': ['us-east-1a']}
         | cloudcred.ec2.asg_instance_role_problem(region='us-east-1') }}

- name: Read the deployer's policy (a missing deployer only lacks policy names)
  amazon.aws.iam_policy_info:
    iam_type: user
    iam_name: qa-deployer
  register: deployer_read
  failed_when: false

- name: Check the variables and that the deployer exists
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "{{ problem }}"
  vars:
    problem: >-
      {{ {'asg_instance_role_name': 'qateam-app', 'asg_instance_role_launch_template_name': 'my-lt',
          'asg_instance_role_deployer': {'type': 'user', 'name': 'qa-deployer'}}
         | cloudcred.ec2.asg_instance_role_problem(region='us-east-1', deployer_read=deployer_read) }}
"""

RETURN = r"""
_value:
  description: The first problem, starting with the variable's name; an empty string when there is none.
  type: str
  sample: >-
    asg_instance_role_asg_min_size (3) <= asg_instance_role_asg_desired_capacity (0) <=
    asg_instance_role_asg_max_size (1) must hold, from 0 up
"""


def asg_instance_role_problem(variables, region, deployer_read=None):
    # Imported when called, not with the file: to find one filter of a collection, Ansible loads every filter file
    # of it, in the worker of every task that uses one, and these modules import boto3 (about 1 s).
    from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role import given_variables, input_problem
    from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import request_shape

    given = given_variables(variables)
    return input_problem(given, region=region, shape=request_shape(), deployer_read=deployer_read) or ""


class FilterModule:
    def filters(self):
        return {"asg_instance_role_problem": asg_instance_role_problem}
