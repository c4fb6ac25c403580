# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.passrole_prefix_problem: does a PassRole prefix cover a role? The rule is in _validation."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: passrole_prefix_problem
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.0.0
short_description: Why a PassRole prefix does not cover a role, or an empty string
description:
  - Checks that the policy P(cloudcred.ec2.passrole_policy#filter) makes for a prefix and path, C(iam:PassRole) on
    C(role<path><prefix>*), covers the role C(<role_path><role_name>).
  - Returns an empty string when it does, else a message naming both options (AWS would refuse the deployer's
    C(CreateAutoScalingGroup) or C(RunInstances) with the role's instance profile).
  - The role C(cloudcred.ec2.asg_instance_role) calls it before any write.
options:
  _input:
    description: The role name prefix, for example V(qateam-).
    type: str
    required: true
  role_name:
    description: The name of the role the deployer must be able to pass.
    type: str
    required: true
  path:
    description: The IAM path the PassRole policy covers.
    type: str
    default: /
  role_path:
    description: The IAM path of the role; defaults to O(path).
    type: str
  prefix_option:
    description: How the message names the prefix.
    type: str
    default: prefix
  name_option:
    description: How the message names the role name.
    type: str
    default: role_name
"""

EXAMPLES = r"""
- name: Refuse a prefix that does not cover the role
  ansible.builtin.assert:
    that: problem == ''
    fail_msg: "{{ problem }}"
  vars:
    problem: "{{ 'qateam-' | cloudcred.ec2.passrole_prefix_problem(role_name='billing-app') }}"
"""

RETURN = r"""
_value:
  description: The problem, or an empty string when the prefix covers the role.
  type: str
  sample: >-
    prefix 'qateam-' does not cover role_name 'billing-app': the deployer's PassRole policy would allow
    role/qateam-* and not role/billing-app, ...
"""

from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import passrole_prefix_problem as _problem


def passrole_prefix_problem(
    prefix, role_name, path="/", *, role_path=None, prefix_option="prefix", name_option="role_name"
):
    return (
        _problem(
            str(prefix),
            str(role_name),
            path=path,
            role_path=role_path,
            prefix_option=prefix_option,
            name_option=name_option,
        )
        or ""
    )


class FilterModule:
    def filters(self):
        return {"passrole_prefix_problem": passrole_prefix_problem}
