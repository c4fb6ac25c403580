#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: launch_template_profile
version_added: 1.0.0
short_description: Make the launch template version in use carry an EC2 instance profile (and IMDSv2)
description:
  - Ensures that the version in use of an EC2 launch template (O(source_version), C($Default) by
    default) references an IAM instance profile and requires IMDSv2, so that an Auto Scaling group
    launching from the template gives its instances the role's credentials. This is the second half
    of the AWS guide "IAM role for applications that run on Amazon EC2 instances".
  - The module owns exactly the instance profile and the IMDS setting of the template (and the keys
    of O(launch_template_data) you give); every other field of the source version is kept as its owner
    wrote it.
  - When the version in use already carries the profile (by name or by ARN, both count as the same
    profile), C(MetadataOptions.HttpTokens=required) and every key of O(launch_template_data), nothing
    is written. Otherwise exactly one new version is made, with the full data of the source version,
    each top-level key of O(launch_template_data) replacing the source's, the profile as given, and
    C(HttpTokens=required) merged into the source's C(MetadataOptions). It becomes the default version
    (O(set_default_version)).
  - A missing template is created (it then needs O(launch_template_data), for example C(ImageId) and
    C(InstanceType), or a launch configuration to start from, see O(source_launch_configuration) and
    O(source_auto_scaling_group)).
  - A run that changes nothing makes at most three API calls (C(DescribeLaunchTemplateVersions),
    C(GetInstanceProfile), and C(DescribeTags) when O(tags) is given).
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  launch_template_name:
    description:
      - Name of the launch template (3-128 characters of C(A-Z a-z 0-9 ( \) . - / _)).
      - Exactly one of O(launch_template_name) and O(launch_template_id) is required. Only a name can
        create a template.
    type: str
  launch_template_id:
    description:
      - ID of an existing launch template (C(lt-) and 17 hex digits).
    type: str
  instance_profile_name:
    description:
      - Name of the instance profile the version references (C(IamInstanceProfile.Name)).
      - With O(state=present), one of O(instance_profile_name) and O(instance_profile_arn) is required.
        Ignored with O(state=absent).
    type: str
  instance_profile_arn:
    description:
      - ARN of the instance profile the version references (C(IamInstanceProfile.Arn)),
        C(arn:<partition>:iam::<account>:instance-profile/[<path>/]<name>).
      - The version keeps the reference as given; a name and an ARN of the same profile are equal when
        deciding whether a new version is needed.
    type: str
  state:
    description:
      - V(present) makes the version in use carry the instance profile.
      - V(absent) makes the version in use carry no instance profile (one new version without
        C(IamInstanceProfile) when it has one). A missing template, or a version without a profile, is
        left alone. O(launch_template_data) and O(require_imdsv2) are not applied.
    type: str
    choices: [present, absent]
    default: present
  delete_launch_template:
    description:
      - With O(state=absent), delete the whole launch template, every version of it, in one
        C(DeleteLaunchTemplate) call, instead of making a version without the instance profile.
      - Refused, naming them, while Auto Scaling groups launch from the template; delete or move them first.
      - A missing template is left alone.
    type: bool
    default: false
    version_added: 1.0.0
  source_launch_configuration:
    description:
      - Name of an Auto Scaling launch configuration whose settings make the first version of a template
        that does not exist yet (AMI, instance type, key pair, security groups, user data, block device
        mappings, monitoring, EBS optimisation, metadata options, placement tenancy and spot price), in EC2's
        C(RequestLaunchTemplateData) shape. O(launch_template_data) is set on top, then the instance profile
        and IMDSv2 (the launch configuration's own instance profile is replaced).
      - What a launch template cannot hold (ClassicLink settings, a public IP setting with security groups
        given by name) is named in a warning, never dropped silently.
      - Read only when the template does not exist; an existing template is left to its versions.
      - A missing launch configuration fails naming the option.
    type: str
    version_added: 1.0.0
  source_auto_scaling_group:
    description:
      - Name of an Auto Scaling group; when the template does not exist yet and the group runs on a launch
        configuration, that launch configuration is the O(source_launch_configuration).
      - A missing group, or one on a launch template, gives nothing (the template then needs
        O(launch_template_data)).
      - The group is read on every run (one C(DescribeAutoScalingGroups) call, before any write) and returned
        as RV(auto_scaling_group), so that a playbook that compares the group with the one it wants needs no
        task of its own to read it.
      - Moving the group to the template is not done here (M(amazon.aws.autoscaling_group), or the role
        C(cloudcred.ec2.asg_instance_role)).
    type: str
    version_added: 1.0.0
  source_version:
    description:
      - The version in use, whose data a new version copies.
      - V($Default), V($Latest), or a version number.
    type: str
    default: $Default
  launch_template_data:
    description:
      - Launch template data to set on top of the source version, in the EC2 API's shape and CamelCase
        (as in the CLI's C(--launch-template-data)), for example C(ImageId), C(InstanceType),
        C(SecurityGroupIds), C(UserData) (base64).
      - Each top-level key replaces the source version's key of that name. A key counts as carried when
        the version holds the given value (fields EC2 adds to its answer do not count).
      - Required to create a template, unless a launch configuration supplies the data
        (O(source_launch_configuration), O(source_auto_scaling_group)). Must not contain C(IamInstanceProfile) (use
        O(instance_profile_name) or O(instance_profile_arn)).
      - Keys are checked against EC2's C(RequestLaunchTemplateData) before any API call; numbers and
        booleans given as strings (from Jinja) are converted.
    type: dict
  require_imdsv2:
    description:
      - Require IMDSv2 on the instances (C(MetadataOptions.HttpTokens=required)), keeping the rest of
        C(MetadataOptions), such as C(HttpPutResponseHopLimit).
      - The role's credentials are served by the instance metadata service; IMDSv2 closes the IMDSv1
        path to them.
      - V(false) leaves C(MetadataOptions) as it is.
    type: bool
    default: true
  metadata_hop_limit:
    description:
      - The instances' IMDS PUT response hop limit (C(MetadataOptions.HttpPutResponseHopLimit)), 1-64,
        merged into the source's C(MetadataOptions) like O(require_imdsv2); a different value makes one new version.
      - Use V(2) when applications run in containers on the instance (Docker's bridge network adds a hop,
        and with EC2's default of 1 and IMDSv2 the token never reaches the container, so it gets no
        credentials). AWS recommends 2 for containers.
      - Not given, the hop limit is left as it is (EC2's default is 1).
    type: int
    version_added: 1.0.0
  set_default_version:
    description:
      - Make the version that carries the profile the template's default version, so that an Auto Scaling
        group on C($Default) launches with it.
      - Also when no new version was needed but O(source_version) resolves to a version other than the
        default.
    type: bool
    default: true
  version_description:
    description:
      - Description of a new version (at most 255 characters). A different description alone does not
        make a new version.
    type: str
  validate_instance_profile:
    description:
      - Before writing, check with C(GetInstanceProfile) that the instance profile exists, holds a role,
        and (for O(instance_profile_arn)) has that ARN; fail otherwise. EC2 itself accepts a missing profile
        and fails only when an instance launches.
      - Not repeated when the version in use already references the profile exactly as given (no version is
        written for it then); M(cloudcred.ec2.instance_role_preflight) checks a template's profile on demand.
      - V(false) makes no IAM call (for deployers without C(iam:GetInstanceProfile)); a name and an ARN
        then count as the same profile when the ARN ends in that name.
    type: bool
    default: true
  tags:
    description:
      - Tags of the launch template (not of the instances). Set on creation and on existing templates.
      - Not given, the template's tags are left alone.
    type: dict
  purge_tags:
    description:
      - Remove template tags not in O(tags). Only when O(tags) is given. Tags starting with C(aws:) are kept.
    type: bool
    default: true
  show_user_data:
    description:
      - Show the version's C(UserData) itself in RV(launch_template_data) and in the diff.
      - By default they show C({sha256, length}) of it instead, which is enough to see that it changed. User data
        often carries bootstrap tokens, and results are printed at C(-v) and diffs with C(--diff).
    type: bool
    default: false
notes:
  - The new version carries the complete merged data; EC2's C(SourceVersion) is not used to copy fields,
    because emulators ignore it.
  - When a run stopped after making the new version but before making it the default, or with
    O(set_default_version=false), the next run reuses the latest version when it already has exactly the
    data a new version would get, instead of making another one.
  - C(TagSpecifications) for the launch template itself are not copied from the source version (EC2
    rejects them in version data; emulators put the template's tags there).
  - With O(require_imdsv2=true), C(launch_template_data.MetadataOptions.HttpTokens=optional) is refused, and so is
    a C(launch_template_data.MetadataOptions.HttpPutResponseHopLimit) other than O(metadata_hop_limit).
  - Check mode makes no mutating call; RV(version_number) is the number the new version would get.
    Diff mode shows the version's data before and after (and the tag changes); when a launch configuration
    makes the first version, "before" is the launch configuration's settings.
seealso:
  - module: cloudcred.ec2.iam_instance_role
  - module: cloudcred.ec2.instance_role_info
  - module: amazon.aws.ec2_launch_template
  - name: IAM role for applications that run on Amazon EC2 instances
    description: The AWS guide this collection automates.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html
extends_documentation_fragment:
  - cloudcred.ec2.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# These examples run one after another on an empty account in us-east-1 and remove what they made at the end
# (replace the qateam-* names, my-lt-with-instance-profile and the AMI with yours).

# The launch template only names the instance profile: the AWS guide's role qateam-app and its instance
# profile must exist first (cloudcred.ec2.iam_instance_role makes both).
- name: Role qateam-app that EC2 may assume, and its instance profile qateam-app
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    managed_policies:
      - AmazonSSMManagedInstanceCore
  register: qateam_role

# The guide's CLI example, with IMDSv2 required:
#   aws ec2 create-launch-template --launch-template-name my-lt-with-instance-profile \
#     --version-description version1 --launch-template-data \
#     '{"ImageId":"ami-04d5cc9b88example","InstanceType":"t2.micro","IamInstanceProfile":{"Name":"qateam-app"}}'
- name: Launch template whose version in use carries the instance profile
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    instance_profile_name: qateam-app
    launch_template_data:
      ImageId: ami-04d5cc9b88example
      InstanceType: t2.micro
    version_description: version1
  register: lt

- name: Auto Scaling group on the template's default version (the one with the profile)
  amazon.aws.autoscaling_group:
    name: qateam-app-asg
    launch_template:
      launch_template_name: my-lt-with-instance-profile
      version: $Default
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]

# A template made elsewhere (here by amazon.aws.ec2_launch_template), known by its id.
- name: Launch template qateam-worker-lt with user data, without an instance profile
  amazon.aws.ec2_launch_template:
    name: qateam-worker-lt
    image_id: ami-04d5cc9b88example
    instance_type: t2.micro
    user_data: "{{ '#!/bin/bash\necho worker' | b64encode }}"
  register: worker_lt

- name: Add the profile (by ARN) to that template, by its id; keeps its AMI, user data, security groups
  cloudcred.ec2.launch_template_profile:
    launch_template_id: "{{ worker_lt.template.launch_template_id }}"
    instance_profile_arn: "{{ qateam_role.instance_profile.arn }}"

- name: Build the next version from the latest one, without making it the default yet
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    instance_profile_name: qateam-app
    source_version: $Latest
    set_default_version: false
    launch_template_data:
      InstanceType: t3.micro

- name: Applications in containers on the instances reach IMDSv2 through Docker's bridge (one more hop)
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    instance_profile_name: qateam-app
    metadata_hop_limit: 2

# A group still on a launch configuration: the template's first version keeps its AMI, key pair,
# security groups, user data, block devices, ...; then move the group and refresh its instances
# (the role cloudcred.ec2.asg_instance_role does both, with cloudcred.ec2.asg_instance_refresh).
# AWS no longer lets new accounts create launch configurations, and amazon.aws has no module for them: the
# next task makes one with boto3 (as `aws autoscaling create-launch-configuration` would) for the group to start on.
- name: Launch configuration qateam-legacy-lc, as a group made before launch templates has
  ansible.builtin.command:
    argv:
      - "{{ ansible_playbook_python }}"
      - -c
      - |
        import boto3
        autoscaling = boto3.client("autoscaling", region_name="us-east-1")
        if not autoscaling.describe_launch_configurations(LaunchConfigurationNames=["qateam-legacy-lc"])[
            "LaunchConfigurations"
        ]:
            autoscaling.create_launch_configuration(
                LaunchConfigurationName="qateam-legacy-lc", ImageId="ami-04d5cc9b88example", InstanceType="t2.micro"
            )
            print("created")
  register: legacy_lc
  changed_when: "'created' in legacy_lc.stdout"

- name: Auto Scaling group qateam-legacy-asg on that launch configuration
  amazon.aws.autoscaling_group:
    name: qateam-legacy-asg
    launch_config_name: qateam-legacy-lc
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]

- name: Launch template from the group's launch configuration, with the instance profile and IMDSv2
  cloudcred.ec2.launch_template_profile:
    launch_template_name: qateam-legacy-lt
    instance_profile_name: qateam-app
    source_auto_scaling_group: qateam-legacy-asg
  register: legacy_lt

- name: Move the group to the template (its instances keep running until a refresh replaces them)
  amazon.aws.autoscaling_group:
    name: qateam-legacy-asg
    launch_template:
      launch_template_name: qateam-legacy-lt
      version: $Default
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]

- name: Delete the launch configuration the group moved away from
  cloudcred.ec2.launch_configuration:
    name: qateam-legacy-lc

- name: Template tags (not instance tags)
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    instance_profile_name: qateam-app
    tags:
      team: qa

- name: The version in use no longer hands out the role
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    state: absent

# Teardown: the groups first (a template in use by a group cannot be deleted), then the templates, the role.
- name: Delete the Auto Scaling groups and their instances
  amazon.aws.autoscaling_group:
    name: "{{ item }}"
    state: absent
  loop: [qateam-app-asg, qateam-legacy-asg]

- name: Delete the templates with all their versions (after their Auto Scaling groups are gone)
  cloudcred.ec2.launch_template_profile:
    launch_template_name: "{{ item }}"
    state: absent
    delete_launch_template: true
  loop: [my-lt-with-instance-profile, qateam-worker-lt, qateam-legacy-lt]

- name: Delete role qateam-app and its instance profile
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    state: absent
"""

RETURN = r"""
launch_template:
  description:
    - The launch template after the run (predicted in check mode).
    - Null when absent and missing, or deleted with O(delete_launch_template).
  returned: always
  type: dict
  contains:
    launch_template_id:
      description: ID of the template (null in check mode when it would be created).
      type: str
      returned: success
      sample: lt-0abcd1234ef567890
    launch_template_name:
      description: Name of the template.
      type: str
      returned: success
      sample: my-lt-with-instance-profile
    default_version_number:
      description: Number of the default version.
      type: int
      returned: success
      sample: 2
    latest_version_number:
      description: Number of the latest version.
      type: int
      returned: success
      sample: 2
version_number:
  description:
    - The version that now carries the profile (with O(state=absent), the version in use without one).
    - In check mode, the number a new version would get. Null when absent and the template is missing or deleted.
  returned: always
  type: int
  sample: 2
launch_template_data:
  description:
    - The data of that version, in EC2's CamelCase.
    - C(UserData) appears as C({sha256, length}) of it unless O(show_user_data) is true.
  returned: always
  type: dict
  sample:
    ImageId: ami-04d5cc9b88example
    InstanceType: t2.micro
    IamInstanceProfile:
      Name: qateam-app
    MetadataOptions:
      HttpTokens: required
source_launch_configuration:
  description:
    - Name of the launch configuration whose settings made the template's first version in this run
      (O(source_launch_configuration), or the one O(source_auto_scaling_group) runs on); null otherwise.
  returned: always
  type: str
  sample: qateam-app-lc
auto_scaling_group:
  description:
    - The Auto Scaling group O(source_auto_scaling_group) names, as this run read it before any write (this
      module does not change it), with the keys M(amazon.aws.autoscaling_group_info) returns for a group
      (C(DescribeAutoScalingGroups) in snake_case); null without O(source_auto_scaling_group) or when there
      is no such group.
  returned: always
  type: dict
  sample:
    auto_scaling_group_name: qateam-app-asg
    launch_template:
      launch_template_name: my-lt-with-instance-profile
      version: $Default
    min_size: 1
    max_size: 2
    desired_capacity: 1
    availability_zones: [us-east-1a]
    tags: []
actions:
  description:
    - The mutating API operations made (in check mode, that would be made), in call order.
    - C(CreateLaunchTemplate), C(CreateLaunchTemplateVersion), C(ModifyLaunchTemplate), C(DeleteTags),
      C(CreateTags). Tags given to a created template ride on C(CreateLaunchTemplate).
  returned: always
  type: list
  elements: str
  sample: [CreateLaunchTemplateVersion, ModifyLaunchTemplate]
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: launch_template_data
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, fail_json_error
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import LaunchTemplateProfileError
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template_profile import (
    Clients,
    desired_state,
    module_result,
    refuse_options,
    run,
)

ARGUMENT_SPEC = dict(
    launch_template_name=dict(type="str"),
    launch_template_id=dict(type="str"),
    instance_profile_name=dict(type="str"),
    instance_profile_arn=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    delete_launch_template=dict(type="bool", default=False),
    source_version=dict(type="str", default="$Default"),
    launch_template_data=dict(type="dict"),
    source_launch_configuration=dict(type="str"),
    source_auto_scaling_group=dict(type="str"),
    require_imdsv2=dict(type="bool", default=True),
    metadata_hop_limit=dict(type="int"),
    set_default_version=dict(type="bool", default=True),
    version_description=dict(type="str"),
    validate_instance_profile=dict(type="bool", default=True),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    show_user_data=dict(type="bool", default=False),
)
OPTION_RULES = dict(
    required_one_of=[("launch_template_name", "launch_template_id")],
    mutually_exclusive=[
        ("launch_template_name", "launch_template_id"),
        ("instance_profile_name", "instance_profile_arn"),
        ("source_launch_configuration", "source_auto_scaling_group"),
    ],
    required_if=[("state", "present", ("instance_profile_name", "instance_profile_arn"), True)],
)


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **OPTION_RULES)

    def client(service):
        return module.client(service, retry_decorator=AWSRetry.jittered_backoff())

    try:
        # Bad input fails before the first client is made (also without a region), so before any API call.
        refuse_options(module.params, region=module.region)
        clients = Clients(client("ec2"), client)
        wanted = desired_state(module.params, region=module.region, shape=clients.request_shape)
    except LaunchTemplateProfileError as e:
        fail_json_error(module, e)
    for warning in wanted.warnings:
        module.warn(warning)

    writes = Writes(module.check_mode)
    try:
        outcome = run(clients, wanted=wanted, writes=writes, warn=module.warn)
    except (LaunchTemplateProfileError, AnsibleAWSError) as e:
        fail_json_error(module, e, actions=writes.actions)
    result = module_result(outcome, clients.request_shape, show_user_data=module.params["show_user_data"])
    module.exit_json(actions=writes.actions, **result)


if __name__ == "__main__":
    main()
