#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: launch_configuration
version_added: 1.0.0
short_description: Delete an Auto Scaling launch configuration once no group uses it
description:
  - Deletes an Auto Scaling launch configuration after its groups have moved to a launch template
    (AWS is retiring launch configurations), but only when no Auto Scaling group launches from it any
    more; otherwise it is kept, the run reports no change and a warning names the groups.
  - This module only removes launch configurations (O(state=absent)); AWS no longer lets new accounts
    create them. M(cloudcred.ec2.launch_template_profile) makes a launch template from one
    (its option C(source_launch_configuration)).
  - A missing launch configuration is C(ok).
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  name:
    description:
      - Name of the launch configuration.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes it once no Auto Scaling group uses it.
    type: str
    choices: [absent]
    default: absent
  except_auto_scaling_groups:
    description:
      - Auto Scaling groups that do not count as using the launch configuration, because they are being
        moved off it in the same run (in check mode the group has not moved yet).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - cloudcred.ec2.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# These examples run one after another on an empty account in us-east-1 and remove what they made at the end
# (replace the qateam-* names and the AMI with yours).

# A group still on a launch configuration, as groups made before launch templates are. AWS no longer lets new
# accounts create launch configurations, and amazon.aws has no module for them: boto3 makes this one, as
# `aws autoscaling create-launch-configuration` would.
- name: Launch configuration qateam-app-lc
  ansible.builtin.command:
    argv:
      - "{{ ansible_playbook_python }}"
      - -c
      - |
        import boto3
        autoscaling = boto3.client("autoscaling", region_name="us-east-1")
        if not autoscaling.describe_launch_configurations(LaunchConfigurationNames=["qateam-app-lc"])[
            "LaunchConfigurations"
        ]:
            autoscaling.create_launch_configuration(
                LaunchConfigurationName="qateam-app-lc", ImageId="ami-04d5cc9b88example", InstanceType="t2.micro"
            )
            print("created")
  register: qateam_lc
  changed_when: "'created' in qateam_lc.stdout"

- name: Auto Scaling group qateam-app-asg on that launch configuration
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    launch_config_name: qateam-app-lc
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]

- name: Kept while qateam-app-asg still launches from it (no change; a warning names the group)
  cloudcred.ec2.launch_configuration:
    name: qateam-app-lc
    state: absent

# Moving the group to a launch template (the role cloudcred.ec2.asg_instance_role does this, and the delete):
# the AWS guide's role and instance profile, a template made from the group's launch configuration, the group.
- name: Role qateam-app that EC2 may assume, and its instance profile qateam-app
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    managed_policies:
      - AmazonSSMManagedInstanceCore

- name: Launch template from the group's launch configuration, with the instance profile and IMDSv2
  cloudcred.ec2.launch_template_profile:
    launch_template_name: qateam-app-lt
    instance_profile_name: qateam-app
    source_auto_scaling_group: qateam-app-asg

- name: Move the group to the template (cloudcred.ec2.asg_instance_refresh then replaces its instances)
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    launch_template:
      launch_template_name: qateam-app-lt
      version: $Default
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]

- name: Delete the launch configuration qateam-app-asg moved away from, unless another group still uses it
  cloudcred.ec2.launch_configuration:
    name: qateam-app-lc
    state: absent

# Teardown of the rest: the group, the template, the role and its instance profile.
- name: Delete the Auto Scaling group and its instances
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    state: absent

- name: Delete the launch template with all its versions
  cloudcred.ec2.launch_template_profile:
    launch_template_name: qateam-app-lt
    state: absent
    delete_launch_template: true

- name: Delete role qateam-app and its instance profile
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    state: absent
"""

RETURN = r"""
launch_configuration:
  description: Name of the launch configuration as it was before the run; null when it did not exist.
  returned: always
  type: str
  sample: qateam-app-lc
auto_scaling_groups:
  description: Auto Scaling groups that still launch from it (it is then kept), sorted.
  returned: always
  type: list
  elements: str
  sample: []
actions:
  description: The mutating API operations made (in check mode, that would be made), C(DeleteLaunchConfiguration).
  returned: always
  type: list
  elements: str
  sample: [DeleteLaunchConfiguration]
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: name
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, fail_json_error
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_configuration import (
    auto_scaling_groups_on_launch_configuration,
    delete_launch_configuration,
    describe_launch_configuration,
    jsonable_settings,
)

NAME_MAX = 255  # Auto Scaling's XmlStringMaxLen255


def ensure_absent(client, *, name, except_groups, writes, warn):
    """``(changed, before, groups keeping it)``: delete the launch configuration unless a group uses it."""
    found = describe_launch_configuration(client, name)
    if found is None:
        return False, None, []
    users = [g for g in auto_scaling_groups_on_launch_configuration(client, name) if g not in except_groups]
    if users:
        warn(f"launch configuration {name} is kept: Auto Scaling groups launch from it: {', '.join(users)}")
        return False, found, users
    writes("DeleteLaunchConfiguration", delete_launch_configuration, client, name)
    return True, found, []


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["absent"], default="absent"),
        except_auto_scaling_groups=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    if not 1 <= len(name) <= NAME_MAX:
        module.fail_json(msg=f"name must be 1-{NAME_MAX} characters; got {len(name)}", option="name")
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    writes = Writes(module.check_mode)
    try:
        changed, before, users = ensure_absent(
            client,
            name=name,
            except_groups=set(module.params["except_auto_scaling_groups"]),
            writes=writes,
            warn=module.warn,
        )
    except AnsibleAWSError as e:
        fail_json_error(module, e)
    before_settings = jsonable_settings(before) if before else {}
    module.exit_json(
        changed=changed,
        actions=writes.actions,
        launch_configuration=name if before else None,
        auto_scaling_groups=users,
        diff={
            "before": before_settings,
            "after": before_settings if before and not changed else {},
            "before_header": f"launch configuration {name}" if before else "(absent)",
            "after_header": "(absent)" if changed or not before else f"launch configuration {name}",
        },
    )


if __name__ == "__main__":
    main()
