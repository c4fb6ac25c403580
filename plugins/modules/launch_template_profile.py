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
        O(launch_template_data)). Read only when the template does not exist.
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

- name: Add the profile (by ARN) to a template someone else owns; keeps its AMI, user data, security groups
  cloudcred.ec2.launch_template_profile:
    launch_template_id: lt-0abcd1234ef567890
    instance_profile_arn: arn:aws:iam::123456789012:instance-profile/qateam-app

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
# (the role cloudcred.ec2.asg_instance_role does both).
- name: Launch template from the group's launch configuration, with the instance profile and IMDSv2
  cloudcred.ec2.launch_template_profile:
    launch_template_name: qateam-app-lt
    instance_profile_name: qateam-app
    source_auto_scaling_group: qateam-app-asg
  register: lt

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

- name: Delete the template with all its versions (after its Auto Scaling group is gone)
  cloudcred.ec2.launch_template_profile:
    launch_template_name: my-lt-with-instance-profile
    state: absent
    delete_launch_template: true
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
  description: The data of that version, in EC2's CamelCase.
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

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, fail_json_error, partition_for_region
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_configuration import (
    describe_auto_scaling_group,
    describe_launch_configuration,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_configuration import (
    launch_template_data as launch_configuration_data,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_configuration import settings as lc_settings
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    REQUEST_SHAPE,
    LaunchTemplateExists,
    LaunchTemplateProfileError,
    create_launch_template,
    create_launch_template_version,
    delete_launch_template,
    describe_launch_template,
    first_option_problem,
    instance_profile_arn_parts,
    jsonable,
    launch_template_data_problem,
    merged_launch_template_data,
    profile_reference,
    request_data,
    same_data,
    set_default_version,
    tag_launch_template,
    untag_launch_template,
    usable_instance_profile,
    version_differences,
    without_instance_profile,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._usage import auto_scaling_groups_using_launch_templates


def current_state(original):
    """What the ensure_* functions pass along: the template, the version in use, the latest version, tags."""
    if original is None:
        return None
    source, latest = original["source"], original["latest"]
    return {
        "launch_template": dict(original["launch_template"]),
        "version_number": source["VersionNumber"],
        "launch_template_data": source.get("LaunchTemplateData") or {},
        "latest": None if latest["VersionNumber"] == source["VersionNumber"] else latest,
        "tags": original["tags"],
    }


def create_template(client, *, name, data, description, tags, writes):
    created = writes(
        "CreateLaunchTemplate",
        create_launch_template,
        client,
        name,
        data,
        description=description,
        tags=tags,
        token=str(uuid.uuid4()),
    )
    template = {
        "launch_template_id": created["LaunchTemplateId"] if created else None,
        "launch_template_name": name,
        "default_version_number": 1,
        "latest_version_number": 1,
    }
    state = {"launch_template": template, "version_number": 1, "launch_template_data": data, "latest": None}
    return True, {**state, "tags": tags}


def new_version(state, client, *, data, description, shape, writes):
    """One new version with ``data``, or the latest version when an earlier run already made exactly that."""
    latest = state["latest"]
    template = dict(state["launch_template"])
    if latest and same_data(request_data(latest.get("LaunchTemplateData"), shape), data):
        return False, {**state, "version_number": latest["VersionNumber"], "launch_template_data": data}
    created = writes(
        "CreateLaunchTemplateVersion",
        create_launch_template_version,
        client,
        template["launch_template_id"],
        data,
        description=description,
        token=str(uuid.uuid4()),
    )
    number = created["VersionNumber"] if created else template["latest_version_number"] + 1
    template["latest_version_number"] = number
    new_data = (created or {}).get("LaunchTemplateData") or data
    return True, {**state, "launch_template": template, "version_number": number, "launch_template_data": new_data}


def ensure_profile(state, client, *, shape, wanted, writes):
    """The version in use carries the profile, IMDSv2 and the overlay; else one new version that does."""
    current = request_data(state["launch_template_data"], shape)
    if not version_differences(current, **wanted["decision"]):
        return False, state
    decision = {key: value for key, value in wanted["decision"].items() if key != "profile"}
    data = merged_launch_template_data(current, **decision)
    return new_version(state, client, data=data, description=wanted["description"], shape=shape, writes=writes)


def ensure_no_profile(state, client, *, shape, description, writes):
    current = request_data(state["launch_template_data"], shape)
    if not current.get("IamInstanceProfile"):
        return False, state
    data = without_instance_profile(current)
    return new_version(state, client, data=data, description=description, shape=shape, writes=writes)


def ensure_default_version(state, client, *, wanted_default, writes):
    template = state["launch_template"]
    if not wanted_default or state["version_number"] == template["default_version_number"]:
        return False, state
    writes("ModifyLaunchTemplate", set_default_version, client, template["launch_template_id"], state["version_number"])
    return True, {**state, "launch_template": {**template, "default_version_number": state["version_number"]}}


def ensure_tags(state, client, *, tags, purge_tags, writes):
    if tags is None:
        return False, state
    current = state.get("tags") or {}
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    if not to_set and not to_unset:
        return False, state
    template_id = state["launch_template"]["launch_template_id"]
    if to_unset:
        writes("DeleteTags", untag_launch_template, client, template_id, to_unset)
    if to_set:
        writes("CreateTags", tag_launch_template, client, template_id, to_set)
    new_tags = {k: v for k, v in current.items() if k not in to_unset}
    new_tags.update(to_set)
    return True, {**state, "tags": new_tags}


def ensure_template(client, *, params, wanted, writes, source=None):
    """A missing template is created by name, its version 1 carrying everything (tags ride along).

    ``source`` is launch template data to start from (a launch configuration's settings); the
    overlay, the profile and IMDSv2 go on top of it.
    """
    if not params["launch_template_name"]:
        raise LaunchTemplateProfileError(
            f"launch_template_id {params['launch_template_id']} does not exist; "
            "give launch_template_name (and launch_template_data) to create a template",
            option="launch_template_id",
        )
    if not wanted["decision"]["overlay"] and not source:
        raise LaunchTemplateProfileError(
            f"launch template {params['launch_template_name']} does not exist; launch_template_data is required "
            "to create it (for example ImageId and InstanceType), or a launch configuration to start from "
            "(source_launch_configuration, source_auto_scaling_group)",
            option="launch_template_data",
        )
    decision = {key: value for key, value in wanted["decision"].items() if key != "profile"}
    data = merged_launch_template_data(source, **decision)
    return create_template(
        client,
        name=params["launch_template_name"],
        data=data,
        description=params["version_description"],
        tags=params["tags"],
        writes=writes,
    )


def source_launch_configuration(autoscaling, params) -> dict | None:
    """The launch configuration to start a missing template from, as AWS describes it, or None.

    ``source_launch_configuration`` must exist; ``source_auto_scaling_group`` gives its launch
    configuration when it runs on one, else nothing.
    """
    name = params["source_launch_configuration"]
    if not name and params["source_auto_scaling_group"]:
        group = describe_auto_scaling_group(autoscaling, params["source_auto_scaling_group"])
        name = (group or {}).get("LaunchConfigurationName")
        if not name:
            return None
    if not name:
        return None
    found = describe_launch_configuration(autoscaling, name)
    if found is None:
        option = "source_launch_configuration" if params["source_launch_configuration"] else "source_auto_scaling_group"
        raise LaunchTemplateProfileError(f"{option}: launch configuration {name} does not exist", option=option)
    return found


def launch_configuration_warnings(launch_configuration, converted_warnings, reference) -> list[str]:
    """The conversion's warnings, and one when the launch configuration's own instance profile is replaced."""
    warnings = list(converted_warnings)
    old = launch_configuration.get("IamInstanceProfile")
    if old and old not in (reference.get("Name"), reference.get("Arn")):
        warnings.append(
            f"launch configuration {launch_configuration['LaunchConfigurationName']}: IamInstanceProfile {old} "
            f"is replaced by {reference.get('Name') or reference.get('Arn')}"
        )
    return warnings


def names_profile_as_given(original, reference) -> bool:
    """True when the version in use already references the profile exactly as given (same name or ARN).

    The profile is checked before writing a version that references it; when the version in use
    already does, no version is written for the profile, and checking it again would cost a call on
    every run that changes nothing (cloudcred.ec2.instance_role_preflight checks it on demand).
    """
    if original is None:
        return False
    current = (original["source"].get("LaunchTemplateData") or {}).get("IamInstanceProfile") or {}
    return all(current.get(key) == value for key, value in reference.items())


def ensure_present(original, client, *, shape, params, wanted, writes):
    changed = False
    state = current_state(original)
    if state is None:
        changed, state = ensure_template(
            client, params=params, wanted=wanted, writes=writes, source=wanted.get("source_data")
        )
    version_changed, state = ensure_profile(state, client, shape=shape, wanted=wanted, writes=writes)
    default_changed, state = ensure_default_version(
        state, client, wanted_default=params["set_default_version"], writes=writes
    )
    tags_changed, state = ensure_tags(
        state, client, tags=params["tags"], purge_tags=params["purge_tags"], writes=writes
    )
    return changed | version_changed | default_changed | tags_changed, state


def read_template(client, params):
    """The template as :func:`describe_launch_template` reads it for these options, or None."""
    return describe_launch_template(
        client,
        template_id=params["launch_template_id"],
        template_name=params["launch_template_name"],
        source_version=params["source_version"],
        with_tags=params["tags"] is not None,
    )


def ensure_present_or_adopt(original, client, *, shape, params, wanted, writes):
    """:func:`ensure_present`; a template that another run created after our read is adopted, not a failure.

    CreateLaunchTemplate is the first write of a run that found no template, so when EC2 answers that
    the name is taken nothing has been written yet: the run goes on from the template as it is now,
    as if it had been there all along (one new version only if it lacks something). Returns
    ``(original, changed, final)``, ``original`` being the adopted template in that case.
    """
    try:
        changed, final = ensure_present(original, client, shape=shape, params=params, wanted=wanted, writes=writes)
    except LaunchTemplateExists:
        adopted = read_template(client, params)
        if adopted is None:  # gone again already: the error stands
            raise
        writes.withdraw("CreateLaunchTemplate")
        changed, final = ensure_present(adopted, client, shape=shape, params=params, wanted=wanted, writes=writes)
        return adopted, changed, final
    return original, changed, final


def ensure_absent(original, client, *, shape, params, writes):
    state = current_state(original)
    if state is None:
        return False, None
    changed, state = ensure_no_profile(
        state, client, shape=shape, description=params["version_description"], writes=writes
    )
    default_changed, state = ensure_default_version(
        state, client, wanted_default=params["set_default_version"], writes=writes
    )
    tags_changed, state = ensure_tags(
        state, client, tags=params["tags"], purge_tags=params["purge_tags"], writes=writes
    )
    return changed | default_changed | tags_changed, state


def ensure_deleted(original, client, *, autoscaling, writes):
    """Delete the template (and so every version) unless an Auto Scaling group launches from it."""
    if original is None:
        return False, None
    template = original["launch_template"]
    groups = auto_scaling_groups_using_launch_templates(
        autoscaling, [template["launch_template_id"]], [template["launch_template_name"]]
    )
    if groups:
        name, template_id = template["launch_template_name"], template["launch_template_id"]
        raise LaunchTemplateProfileError(
            f"delete_launch_template: Auto Scaling groups launch from launch template {name} ({template_id}):"
            f" {', '.join(groups)}; delete them or move them to another template first",
            option="delete_launch_template",
        )
    writes("DeleteLaunchTemplate", delete_launch_template, client, template["launch_template_id"])
    return True, None


def _tag_changes(before, after):
    if before == after or after is None:
        return None
    before = before or {}
    lines = [f"- tag {k}={v}" for k, v in sorted(before.items()) if after.get(k) != v]
    lines += [f"+ tag {k}={v}" for k, v in sorted(after.items()) if before.get(k) != v]
    return "\n".join(lines) + "\n" if lines else None


def build_diff(original, final, shape, launch_configuration=None):
    name = (final or original or {}).get("launch_template", {}).get("launch_template_name")
    before = current_state(original)
    before_header = f"launch template {name} version {before['version_number']}" if before else "(absent)"
    before_data = request_data(before["launch_template_data"], shape) if before else {}
    if launch_configuration is not None and before is None:
        # The first version is made from the launch configuration: what it held is the "before".
        before_header = f"launch configuration {launch_configuration['LaunchConfigurationName']}"
        before_data = jsonable(lc_settings(launch_configuration))
    diff = {
        "before": before_data,
        "after": request_data(final["launch_template_data"], shape) if final else {},
        "before_header": before_header,
        "after_header": f"launch template {name} version {final['version_number']}" if final else "(absent)",
    }
    prepared = _tag_changes(before and before.get("tags"), final and final.get("tags"))
    if prepared:
        diff["prepared"] = prepared
    return diff


def _validated_params(module):
    """The module's parameters after every check that needs no API call; fails naming the option."""
    params = dict(module.params)
    refused = first_option_problem(params)
    if not refused and params["delete_launch_template"] and params["state"] != "absent":
        refused = ("delete_launch_template", "delete_launch_template is only for state=absent")
    arn = params["instance_profile_arn"]
    if not refused and arn:
        partition = partition_for_region(module.region)
        if instance_profile_arn_parts(arn)["partition"] != partition:
            refused = "instance_profile_arn", (
                f"instance_profile_arn must be in the partition of region {module.region} ({partition}); got {arn}"
            )
    if refused:
        module.fail_json(msg=refused[1], option=refused[0])
    if params["tags"] is not None:
        params["tags"] = {str(k): "" if v is None else str(v) for k, v in params["tags"].items()}
    params["source_version"] = str(params["source_version"])
    return params


def run_present(module, ec2, *, original, shape, params, overlay, writes):
    """state=present: ``(original, changed, final, launch configuration the first version came from)``."""
    profile, launch_configuration = None, None
    reference = profile_reference(params["instance_profile_name"], params["instance_profile_arn"])
    if params["validate_instance_profile"] and not names_profile_as_given(original, reference):
        profile = usable_instance_profile(
            module.client("iam", retry_decorator=AWSRetry.jittered_backoff()),
            name=params["instance_profile_name"],
            arn=params["instance_profile_arn"],
        )
    wanted = {
        "decision": {
            "wanted_profile": reference,
            "profile": profile,
            "require_imdsv2": params["require_imdsv2"],
            "metadata_hop_limit": params["metadata_hop_limit"],
            "overlay": overlay,
        },
        "description": params["version_description"],
    }
    if original is None:
        autoscaling = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
        launch_configuration = source_launch_configuration(autoscaling, params)
    if launch_configuration is not None:
        wanted["source_data"], converted_warnings = launch_configuration_data(launch_configuration)
        for warning in launch_configuration_warnings(launch_configuration, converted_warnings, reference):
            module.warn(warning)
    adopted, changed, final = ensure_present_or_adopt(
        original, ec2, shape=shape, params=params, wanted=wanted, writes=writes
    )
    if adopted is not original:  # another run made the template meanwhile: nothing came from ours
        return adopted, changed, final, None
    return original, changed, final, launch_configuration


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
)


def module_result(original, final, shape, launch_configuration) -> dict:
    """The result keys besides ``changed`` and ``actions``: the template and version now in use, and the diff."""
    data = (final or {}).get("launch_template_data")
    return dict(
        launch_template=final["launch_template"] if final else None,
        version_number=final["version_number"] if final else None,
        launch_template_data=jsonable(request_data(data)) if final else None,
        source_launch_configuration=launch_configuration["LaunchConfigurationName"] if launch_configuration else None,
        diff=build_diff(original, final, shape, launch_configuration),
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_one_of=[("launch_template_name", "launch_template_id")],
        mutually_exclusive=[
            ("launch_template_name", "launch_template_id"),
            ("instance_profile_name", "instance_profile_arn"),
            ("source_launch_configuration", "source_auto_scaling_group"),
        ],
        required_if=[("state", "present", ("instance_profile_name", "instance_profile_arn"), True)],
    )
    params = _validated_params(module)
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    shape = ec2.meta.service_model.shape_for(REQUEST_SHAPE)
    problem, overlay = launch_template_data_problem(params["launch_template_data"], shape)
    if problem:
        module.fail_json(msg=problem, option="launch_template_data")
    present = params["state"] == "present"
    if not present and params["launch_template_data"]:
        module.warn("launch_template_data is not applied with state=absent")

    writes = Writes(module.check_mode)
    launch_configuration = None
    try:
        original = read_template(ec2, params)
        if present:
            original, changed, final, launch_configuration = run_present(
                module, ec2, original=original, shape=shape, params=params, overlay=overlay, writes=writes
            )
        elif params["delete_launch_template"]:
            changed, final = ensure_deleted(original, ec2, autoscaling=module.client("autoscaling"), writes=writes)
        else:
            changed, final = ensure_absent(original, ec2, shape=shape, params=params, writes=writes)
    except (LaunchTemplateProfileError, AnsibleAWSError) as e:
        fail_json_error(module, e, actions=writes.actions)

    data = (final or {}).get("launch_template_data")
    if present and ((data or {}).get("MetadataOptions") or {}).get("HttpEndpoint") == "disabled":
        module.warn("MetadataOptions.HttpEndpoint is disabled: instances cannot get the instance profile's credentials")
    module.exit_json(
        changed=changed, actions=writes.actions, **module_result(original, final, shape, launch_configuration)
    )


if __name__ == "__main__":
    main()
