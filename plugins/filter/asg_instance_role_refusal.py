# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.asg_instance_role_refusal: a module's failure told as the role's variable behind the refused
option. The rule is in module_utils/_asg_instance_role_report."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: asg_instance_role_refusal
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.1.0
short_description: A module's failure, told as the variable of the role asg_instance_role behind the refused option
description:
  - The modules of this collection name the option they refuse in the key C(option) of a failed result. The role
    P(cloudcred.ec2.asg_instance_role#role) passes most options from a variable of the same name with the prefix
    C(asg_instance_role_); the instance profile's name and path come from C(asg_instance_role_name) and
    C(asg_instance_role_path).
  - A message that starts with the option's name gets the variable's name instead; any other message gets the
    variable and a colon in front. A failure without C(option) (an AWS error) keeps its message.
  - The role's input check (P(cloudcred.ec2.asg_instance_role_problem#filter)) tells the modules' refusals the
    same way.
options:
  _input:
    description: A failed module result, as in C(ansible_failed_result) (its C(msg) and C(option)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Role and instance profile
  block:
    - name: Ensure the role
      cloudcred.ec2.iam_instance_role:
        name: qateam-app
        managed_policies: [NoSuchPolicyAnywhere]
  rescue:
    - name: Name the variable behind a rejected option
      ansible.builtin.fail:
        msg: "{{ ansible_failed_result | cloudcred.ec2.asg_instance_role_refusal }}"
"""

RETURN = r"""
_value:
  description: The failure's message, naming the role's variable when the result names an option.
  type: str
  sample: >-
    asg_instance_role_path: role qateam-app exists with path /apps/, not /; the path of a role cannot change in place
    (delete the role first, or give its path)
"""

from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role_report import refusal


def asg_instance_role_refusal(result):
    result = result or {}
    return refusal(result.get("option"), str(result.get("msg", "")))


class FilterModule:
    def filters(self):
        return {"asg_instance_role_refusal": asg_instance_role_refusal}
