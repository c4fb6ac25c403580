# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cloudcred.ec2.passrole_policy: the AWS guide's PassRole policy for a role name prefix."""

# Ansible plugins import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: passrole_policy
author:
  - cloudcred.ec2 developers (@cloudcred)
version_added: 1.0.0
short_description: The policy that lets a deployer pass roles of a name prefix to EC2 only
description:
  - Builds the policy of the AWS guide "IAM role for applications that run on Amazon EC2 instances"
    that lets a user, group or role C(iam:PassRole) the roles whose name starts with a prefix, and
    only to the EC2 service (condition C(iam:PassedToService)).
  - The result is a dictionary; pipe it to P(ansible.builtin.to_json#filter) for
    M(amazon.aws.iam_policy)'s O(amazon.aws.iam_policy#module:policy_json).
options:
  _input:
    description:
      - The role name prefix, for example V(qateam-). The policy covers C(<path><prefix>*).
      - An empty prefix would cover every role under O(path) and is refused.
    type: str
    required: true
  account_id:
    description:
      - The 12-digit AWS account that owns the roles.
      - The account is part of every role ARN, for example the RV(cloudcred.ec2.iam_instance_role#module:role.arn)
        returned by M(cloudcred.ec2.iam_instance_role).
    type: str
    required: true
  partition:
    description:
      - The AWS partition of the account.
    type: str
    default: aws
    choices: [aws, aws-cn, aws-us-gov]
  path:
    description:
      - The IAM path of the roles, starting and ending with C(/).
    type: str
    default: /
"""

EXAMPLES = r"""
- name: Let the deployer pass qateam- roles to EC2 (the guide's example)
  amazon.aws.iam_policy:
    iam_type: user
    iam_name: qa-deployer
    policy_name: qateam-passrole
    policy_json: "{{ 'qateam-' | cloudcred.ec2.passrole_policy(account_id='123456789012') | to_json }}"

- name: The account and partition of an existing role's ARN
  ansible.builtin.set_fact:
    passrole: >-
      {{ 'qateam-' | cloudcred.ec2.passrole_policy(account_id=role.arn.split(':')[4],
                                                   partition=role.arn.split(':')[1]) }}
  vars:
    role: "{{ iam_instance_role_result.role }}"
"""

RETURN = r"""
_value:
  description: The policy document.
  type: dict
  sample:
    Version: "2012-10-17"
    Statement:
      - Sid: PassRolesOfPrefixToEC2
        Effect: Allow
        Action: iam:PassRole
        Resource: arn:aws:iam::123456789012:role/qateam-*
        Condition:
          StringEquals:
            iam:PassedToService:
              - ec2.amazonaws.com
              - ec2.amazonaws.com.cn
"""

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import (
    ROLE_NAME_MAX,
    is_iam_name,
    passrole_path_problem,
)

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
_ACCOUNT = re.compile(r"[0-9]{12}")  # fullmatch: exactly 12 ASCII digits (\d takes other digits, $ a newline)
# The guide lists both EC2 service principals so that one policy serves the China partition too.
EC2_SERVICES = ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]


def passrole_policy(prefix, account_id=None, partition="aws", path="/"):
    """Allow iam:PassRole on arn:<partition>:iam::<account>:role<path><prefix>* to EC2 only."""
    # A prefix is the start of a role name: IAM's role name rule applies to it.
    if not is_iam_name(prefix, ROLE_NAME_MAX):
        raise AnsibleFilterError(
            f"passrole_policy: the prefix must be 1-64 characters of [A-Za-z0-9+=,.@_-], got {prefix!r}"
        )
    account = str(account_id) if account_id is not None else ""
    if not _ACCOUNT.fullmatch(account):
        raise AnsibleFilterError(f"passrole_policy: account_id must be 12 digits, got {account_id!r}")
    if partition not in PARTITIONS:
        raise AnsibleFilterError(
            f"passrole_policy: partition must be one of {', '.join(PARTITIONS)}, got {partition!r}"
        )
    problem = passrole_path_problem("path", path)
    if problem:
        raise AnsibleFilterError(f"passrole_policy: {problem}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PassRolesOfPrefixToEC2",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"arn:{partition}:iam::{account}:role{path}{prefix}*",
                "Condition": {"StringEquals": {"iam:PassedToService": list(EC2_SERVICES)}},
            }
        ],
    }


class FilterModule:
    def filters(self):
        return {"passrole_policy": passrole_policy}
