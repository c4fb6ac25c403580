#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asg_instance_role_check
version_added: 1.1.0
short_description: Check the variables of the role asg_instance_role and read its deployer, before any write
description:
  - The first task of the role C(cloudcred.ec2.asg_instance_role) (its C(tasks/main.yml)), usable on its own to check
    a set of the role's variables before running it.
  - Checks every rule the role's variables must follow that C(meta/argument_specs.yml) cannot say (the rules of
    M(cloudcred.ec2.iam_instance_role) and M(cloudcred.ec2.launch_template_profile) for the options the role passes
    them, the PassRole prefix, the launch template data against EC2's API, the group's sizes and network), with no
    AWS call. The first problem fails the task, naming the variable (as the filter
    P(cloudcred.ec2.asg_instance_role_problem#filter) words it).
  - Then, with C(asg_instance_role_state=present) and an C(asg_instance_role_deployer), reads the deployer's inline
    PassRole policy RV(deployer_policy_name) with one C(ListUserPolicies), C(ListGroupPolicies) or
    C(ListRolePolicies), which tells a missing deployer from one without the policy, then, when the policy is
    listed, its C(Get*Policy). A deployer that does not exist or cannot be read fails the task. The role writes
    the policy afterwards only when it differs.
  - Like this collection's other modules, on a host whose Python is the controller's own (the implicit
    C(localhost)) it runs inside the task's worker instead of as a new Python (docs/user-guide.md, "Where the
    modules run"); its options, C(module_defaults) (the group C(group/cloudcred.ec2.aws)) and the task's
    C(environment) are the same either way.
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  variables:
    description:
      - The role's variables by their full names (C(asg_instance_role_name), C(asg_instance_role_deployer), ...).
      - A variable that is absent, or set to C(omit), is unset and has the role's default.
    type: dict
    required: true
notes:
  - Without a region (O(region), C(module_defaults), C(AWS_REGION)) the task fails naming C(asg_instance_role_region),
    before any call.
  - With C(asg_instance_role_state=absent), only the names teardown deletes by are checked, and nothing is read.
extends_documentation_fragment:
  - cloudcred.ec2.attributes.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# These examples run one after another on an empty account and remove what they made at the end
# (replace the qateam-* names, my-lt-with-instance-profile and the AMI with yours).

# The deployer must exist (the check reads its PassRole policy): here an IAM user made for the example.
- name: IAM user qateam-deployer, the principal that launches the instances
  amazon.aws.iam_user:
    name: qateam-deployer
    state: present

# The AWS guide's example: would the role accept these variables, and may it write qateam-deployer's PassRole policy?
- name: Check the variables of the guide's example before a change window
  cloudcred.ec2.asg_instance_role_check:
    region: us-east-1
    variables:
      asg_instance_role_name: qateam-app
      asg_instance_role_managed_policies: [AmazonSSMManagedInstanceCore]
      asg_instance_role_passrole_prefix: qateam-
      asg_instance_role_deployer: {type: user, name: qateam-deployer}
      asg_instance_role_launch_template_name: my-lt-with-instance-profile
      asg_instance_role_launch_template_data:
        ImageId: ami-04d5cc9b88example
        InstanceType: t2.micro
      asg_instance_role_asg_name: qateam-app-asg
      asg_instance_role_asg_min_size: 1
      asg_instance_role_asg_max_size: 2
      asg_instance_role_asg_desired_capacity: 1
      asg_instance_role_asg_availability_zones: [us-east-1a]
  register: check

- name: Show the deployer's PassRole policy as it is now (null before the role's first run)
  ansible.builtin.debug:
    var: check.deployer_policy

# The check writes nothing: only the example's user is left to remove.
- name: Delete IAM user qateam-deployer
  amazon.aws.iam_user:
    name: qateam-deployer
    state: absent
"""

RETURN = r"""
deployer_policy:
  description:
    - The deployer's inline policy RV(deployer_policy_name) as IAM holds it now; null when it has none of that name,
      or when nothing was read (no deployer, C(state=absent)).
  returned: always
  type: dict
  sample:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: iam:PassRole
        Resource: arn:aws:iam::123456789012:role/qateam-*
        Condition:
          StringEquals:
            iam:PassedToService: [ec2.amazonaws.com, ec2.amazonaws.com.cn]
deployer_policy_name:
  description:
    - The name of the deployer's PassRole policy, C(asg_instance_role_deployer_policy_name) or else
      C(<asg_instance_role_name>-passrole); the role reads and writes the policy of that name.
  returned: always
  type: str
  sample: qateam-app-passrole
deployer_read:
  description:
    - What was read of the deployer, in M(amazon.aws.iam_policy_info)'s result shape
      (RV(amazon.aws.iam_policy_info#module:policies)); null when nothing was read.
    - The filter P(cloudcred.ec2.asg_instance_role_problem#filter) takes it as its
      O(cloudcred.ec2.asg_instance_role_problem#filter:deployer_read).
  returned: always
  type: dict
  sample:
    all_policy_names: [qateam-app-passrole]
    policies:
      - policy_name: qateam-app-passrole
        policy_document: {Version: "2012-10-17", Statement: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role import CHECK_ARGUMENT_SPEC, check_result


def main():
    module = AnsibleAWSModule(argument_spec=CHECK_ARGUMENT_SPEC, supports_check_mode=True)
    result = check_result(module.params, region=module.region, iam=lambda: module.client("iam"))
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
