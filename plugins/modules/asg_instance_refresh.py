#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asg_instance_refresh
version_added: 1.0.0
short_description: Refresh the instances of an Auto Scaling group that do not run the launch template version in use
description:
  - Decides from the group's state whether its instances need an instance refresh, starts one when they do,
    and waits for it to end, printing its progress.
  - A refresh is needed when an instance of the group runs from another launch template, from a launch
    configuration, or from a version other than O(launch_template_version) (by default the version the
    template's C($Default) resolves to), as C(DescribeAutoScalingGroups) reports what each instance was
    launched from. A run killed between a new template version and its refresh is so finished by the next run.
  - A refresh already active (started by someone else, or by a run that was killed) is waited for, then the
    decision is made again; C(InstanceRefreshInProgress) is never an error.
  - The waiting runs on the controller (this module's action plugin), one line per poll with the status, the
    percentage complete and the instances left to update. C(Successful) ends the task; C(Failed),
    C(Cancelled), C(RollbackSuccessful), C(RollbackFailed) or the timeout fail it, naming the group, the
    refresh id, its status and AWS's reason.
  - In check mode nothing is started or waited for; the result says whether a refresh would start and why.
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  name:
    description:
      - Name of the Auto Scaling group.
    type: str
    required: true
  launch_template_name:
    description:
      - The launch template every instance should run from.
    type: str
    required: true
  launch_template_version:
    description:
      - The version number every instance should run from.
      - Omitted, the template's default version (one C(DescribeLaunchTemplates) call). The role passes the
        version M(cloudcred.ec2.launch_template_profile) returned, so that check mode predicts a refresh for a
        version it would create.
    type: int
  preferences:
    description:
      - The refresh's preferences, passed to C(StartInstanceRefresh) in AWS's names (snake_case such as
        C(min_healthy_percentage), C(skip_matching), C(auto_rollback), C(instance_warmup), or AWS's CamelCase).
      - With C(auto_rollback), the refresh carries a desired configuration naming the version number, and a group
        that names C($Default) is first put on the version number its instances run from (C(UpdateAutoScalingGroup)),
        as AWS rolls back only to a number the group names. When the refresh succeeds AWS moves the group to the new
        number; when it fails the instances replaced so far go back to the old one.
    type: dict
    default: {}
  wait:
    description:
      - Wait for the refresh to end, printing its progress.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait, for a refresh already active and for the one started together.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two looks at the refresh.
    type: int
    default: 15
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# These examples run one after another on an empty account in us-east-1 and remove what they made at the end
# (replace the qateam-* names, my-lt-with-instance-profile and the AMI with yours).

# The AWS guide's role, instance profile, launch template and Auto Scaling group (the role
# cloudcred.ec2.asg_instance_role makes them all, and refreshes the instances itself).
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

- name: Auto Scaling group on the template's default version, with its instance
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    launch_template:
      launch_template_name: my-lt-with-instance-profile
      version: $Default
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]

# The running instance keeps the version it was launched from; a new default version leaves it behind.
- name: A new default version of the template, with IMDSv2 reachable from containers (one more hop)
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    instance_profile_name: qateam-app
    metadata_hop_limit: 2

- name: Put every instance of the group on the template's default version
  cloudcred.ec2.asg_instance_refresh:
    name: qateam-app-asg
    launch_template_name: my-lt-with-instance-profile
    preferences:
      min_healthy_percentage: 90
      skip_matching: true
  register: refresh

- name: Why a refresh was started
  ansible.builtin.debug:
    var: refresh.reasons

# Teardown: the group first (a template in use by a group cannot be deleted), then the template and the role.
- name: Delete the Auto Scaling group and its instances
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    state: absent

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
needed:
  description: Whether an instance ran from something else than the launch template version.
  type: bool
  returned: success
  sample: true
reasons:
  description: One sentence per instance that needed the refresh, when it was decided.
  type: list
  elements: str
  returned: success
  sample: ["i-0abc12345example runs launch template version 1, not 2"]
actions:
  description:
    - C(StartInstanceRefresh) when one was started (in check mode, would be), after C(UpdateAutoScalingGroup)
      when C(auto_rollback) needed the group on a version number; else empty.
  type: list
  elements: str
  returned: success
  sample: [StartInstanceRefresh]
instance_refresh:
  description:
    - The refresh started (or, in check mode, one already active that would be waited for), as
      C(DescribeInstanceRefreshes) last reported it, in snake_case; null when none.
  type: dict
  returned: success
  contains:
    instance_refresh_id:
      description: The refresh id.
      type: str
      returned: when a refresh was started
      sample: 08b91cf7-8fa6-48af-b6a6-d227f40f1b9b
    status:
      description: C(Pending), C(InProgress), C(Successful), C(Failed), C(Cancelled), C(RollbackSuccessful), ...
      type: str
      returned: when a refresh was started
      sample: Successful
    percentage_complete:
      description: Percentage of the instances replaced.
      type: int
      returned: when AWS reports it
      sample: 100
    instances_to_update:
      description: Instances left to replace.
      type: int
      returned: when AWS reports it
      sample: 0
    status_reason:
      description: AWS's explanation of the status.
      type: str
      returned: when AWS gives one
  sample:
    instance_refresh_id: 08b91cf7-8fa6-48af-b6a6-d227f40f1b9b
    status: Successful
    percentage_complete: 100
    instances_to_update: 0
instances:
  description:
    - The group's instances and what each runs from, as the group was read (after a successful refresh, read
      again once it ended).
  type: list
  elements: dict
  returned: success
  contains:
    instance_id:
      description: The instance id.
      type: str
      returned: always
    lifecycle_state:
      description: C(InService), C(Pending), C(Terminating), ...
      type: str
      returned: always
    launch_template_name:
      description: The launch template the instance was launched from; null for a launch configuration.
      type: str
      returned: always
    launch_template_version:
      description: The number of the version the instance was launched from.
      type: str
      returned: always
    launch_configuration_name:
      description: The launch configuration the instance was launched from, if any.
      type: str
      returned: always
  sample:
    - instance_id: i-0abc12345example
      lifecycle_state: InService
      launch_template_name: my-lt-with-instance-profile
      launch_template_version: "2"
      launch_configuration_name: null
in_progress:
  description: The refresh in RV(instance_refresh) was already active, not started by this task.
  type: bool
  returned: success
  sample: false
waited_for:
  description: Ids of the refreshes already active at the start that the task waited for before deciding again.
  type: list
  elements: str
  returned: success
  sample: []
waited:
  description: Seconds waited.
  type: int
  returned: success
  sample: 42
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: preferences
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import fail_json_error
from ansible_collections.cloudcred.ec2.plugins.module_utils._instance_refresh import RefreshError, ensure_refreshed

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    launch_template_name=dict(type="str", required=True),
    launch_template_version=dict(type="int"),
    preferences=dict(type="dict", default={}),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=3600),
    poll_interval=dict(type="int", default=15),
)


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    for option in ("wait_timeout", "poll_interval", "launch_template_version"):
        if module.params[option] is not None and module.params[option] < 1:
            module.fail_json(msg=f"{option} must be 1 or more; got {module.params[option]}", option=option)
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = ensure_refreshed(client, ec2, module.params, module.check_mode)
    except (RefreshError, AnsibleAWSError) as e:
        fail_json_error(module, e)
    module.exit_json(waited=0, waited_for=[], **result)


if __name__ == "__main__":
    main()
