# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.launch_template_data_problem: what EC2 would refuse in launch template data, before any call."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: launch_template_data_problem
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.1.0
short_description: Why launch template data would be refused, or an empty string
description:
  - Checks launch template data by the rules of M(cloudcred.ec2.launch_template_profile)'s
    O(cloudcred.ec2.launch_template_profile#module:launch_template_data), without any AWS call, so that a
    playbook can refuse it before writing anything (the role P(cloudcred.ec2.asg_instance_role#role) does so
    before it creates the IAM role).
  - The rules are the EC2 API's CamelCase keys at every depth, no C(IamInstanceProfile), C(MetadataOptions.HttpTokens)
    C(required) while O(require_imdsv2) is true, and the keys and value types of EC2's
    C(RequestLaunchTemplateData) as botocore's model of EC2 has them.
  - The message starts with C(launch_template_data), the module's option name; prefix it with the name of
    the variable that holds the data.
options:
  _input:
    description: The launch template data, a dictionary in the EC2 API's shape (C(ImageId), C(InstanceType), ...).
    type: raw
    required: true
  require_imdsv2:
    description: Whether the data will be given with IMDSv2 required (then C(HttpTokens) may only be C(required)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Refuse snake_case keys before anything is written
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "my_{{ problem }}"
  vars:
    problem: "{{ my_launch_template_data | cloudcred.ec2.launch_template_data_problem }}"
"""

RETURN = r"""
_value:
  description: The first problem, naming the key and the rule; an empty string when there is none.
  type: str
  sample: >-
    launch_template_data must use the EC2 API's CamelCase keys (as in the CLI's --launch-template-data):
    MetadataOptions.'http_put_response_hop_limit' should be 'HttpPutResponseHopLimit'
"""


def launch_template_data_problem(data, require_imdsv2=True):
    """The first rule ``data`` breaks, as a message starting with ``launch_template_data``; '' when none."""
    # Imported when called, not with the file: to find one filter of a collection, Ansible loads every filter file
    # of it, in the worker of every task that uses one, and _launch_template imports boto3 (about 1 s).
    from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
        launch_template_data_input_problem,
        request_shape,
    )

    return launch_template_data_input_problem(data, require_imdsv2=bool(require_imdsv2), shape=request_shape()) or ""


class FilterModule:
    def filters(self):
        return {"launch_template_data_problem": launch_template_data_problem}
