#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: instance_role_info
version_added: 1.0.0
short_description: Show an EC2 instance role, its instance profile, and where they are used
description:
  - Reads an IAM role, the instance profile that carries it to EC2 instances, the launch templates
    whose default or latest version references that instance profile (by name or by ARN), and the
    Auto Scaling groups that launch from those launch templates.
  - Answers "what would break if I removed this role?" before removing it.
  - Read only. Makes at most six API calls, whatever the size of the account
    (paginated C(DescribeLaunchTemplateVersions) and C(DescribeAutoScalingGroups) cover every
    launch template and group).
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
      - Name of the instance profile to look up.
      - Defaults to O(name), as M(cloudcred.ec2.iam_instance_role) creates it.
    type: str
notes:
  - Only the default and the latest version of each launch template are read. An Auto Scaling
    group pinned to an older version number that references the profile is not listed under
    RV(launch_templates), but it is listed under RV(auto_scaling_groups) when its launch template
    is listed.
  - Launch configurations that name the instance profile are listed under RV(launch_configurations)
    (one C(DescribeLaunchConfigurations)); the groups on them are not listed under RV(auto_scaling_groups).
  - Launch templates that still name the instance profile after it was deleted are listed too
    (matched by name), which helps finding dangling references.
extends_documentation_fragment:
  - cloudcred.ec2.attributes.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Where is the qateam-app role used?
  cloudcred.ec2.instance_role_info:
    name: qateam-app
  register: usage

- name: Refuse to remove a role that Auto Scaling groups or launch configurations still launch with
  ansible.builtin.assert:
    that: (usage.auto_scaling_groups + usage.launch_configurations) | length == 0
    fail_msg: "qateam-app is used by {{ (usage.auto_scaling_groups + usage.launch_configurations) | join(', ') }}"

- name: A role whose instance profile has another name
  cloudcred.ec2.instance_role_info:
    name: qateam-app
    instance_profile_name: qateam-app-profile
"""

RETURN = r"""
role:
  description: The IAM role, null when it does not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the role.
      type: str
      returned: success
      sample: arn:aws:iam::123456789012:role/qateam-app
    role_name:
      description: Name of the role.
      type: str
      returned: success
      sample: qateam-app
    role_id:
      description: Stable unique id of the role.
      type: str
      returned: success
      sample: AROA1234567890EXAMPLE
    path:
      description: IAM path of the role.
      type: str
      returned: success
      sample: /
    description:
      description: Description of the role, null when it has none.
      type: str
      returned: success
    assume_role_policy_document:
      description: The trust policy, as a dict.
      type: dict
      returned: success
      sample:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ec2.amazonaws.com
            Action: sts:AssumeRole
    managed_policies:
      description: ARNs of the managed policies attached to the role.
      type: list
      elements: str
      returned: success
      sample: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
    inline_policies:
      description: Names of the role's inline policies.
      type: list
      elements: str
      returned: success
      sample: [s3-read]
    permissions_boundary:
      description: ARN of the permissions boundary, null when there is none.
      type: str
      returned: success
    max_session_duration:
      description: Maximum session duration in seconds.
      type: int
      returned: success
      sample: 3600
    tags:
      description: Tags of the role.
      type: dict
      returned: success
      sample: {team: qa}
instance_profile:
  description: The instance profile, null when it does not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the instance profile.
      type: str
      returned: success
      sample: arn:aws:iam::123456789012:instance-profile/qateam-app
    instance_profile_name:
      description: Name of the instance profile.
      type: str
      returned: success
      sample: qateam-app
    instance_profile_id:
      description: Unique id of the instance profile.
      type: str
      returned: success
      sample: AIPA1234567890EXAMPLE
    path:
      description: IAM path of the instance profile.
      type: str
      returned: success
      sample: /
    roles:
      description: Names of the roles in the profile (at most one).
      type: list
      elements: str
      returned: success
      sample: [qateam-app]
    tags:
      description: Tags of the instance profile.
      type: dict
      returned: success
      sample: {team: qa}
launch_templates:
  description:
    - Launch templates whose default or latest version references the instance profile by name or ARN,
      sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    launch_template_id:
      description: Id of the launch template.
      type: str
      returned: always
      sample: lt-0abcd1234example
    launch_template_name:
      description: Name of the launch template.
      type: str
      returned: always
      sample: my-lt-with-instance-profile
    versions:
      description: Numbers of the default and latest versions that reference the profile, ascending.
      type: list
      elements: int
      returned: always
      sample: [1, 2]
auto_scaling_groups:
  description:
    - Names of the Auto Scaling groups that launch from one of RV(launch_templates), directly or
      through a mixed instances policy, sorted.
  returned: always
  type: list
  elements: str
  sample: [qateam-app-asg]
launch_configurations:
  description:
    - Names of the Auto Scaling launch configurations whose C(IamInstanceProfile) is the instance profile
      (by name or ARN), sorted. Their groups launch with the profile although no launch template names it.
  returned: always
  type: list
  elements: str
  sample: [qateam-app-lc]
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: name
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Refusal, fail_json_error, first_refusal
from ansible_collections.cloudcred.ec2.plugins.module_utils._preflight import instance_role_usage, option_problems


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        instance_profile_name=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    profile_name = module.params["instance_profile_name"] or name
    try:
        first_refusal(option_problems(module.params))
        clients = [module.client(service) for service in ("iam", "ec2", "autoscaling")]
        usage = instance_role_usage(*clients, name, profile_name)
    except (Refusal, AnsibleAWSError) as e:
        fail_json_error(module, e)
    module.exit_json(changed=False, **usage)


if __name__ == "__main__":
    main()
