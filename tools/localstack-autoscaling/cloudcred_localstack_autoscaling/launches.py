"""A group's instance launches as AWS runs them: with the instance profile, failing as scaling activities.

What AWS documents, and what this does:

- An instance launched by a group carries the instance profile of the launch template version (or launch
  configuration) it is launched from ("For instances in an Auto Scaling group, you must create a launch
  template or launch configuration and choose an instance profile to associate with the instances", User
  Guide, "IAM role for applications that run on Amazon EC2 instances"). DescribeInstances shows it as
  ``IamInstanceProfile {Arn, Id}`` (Id: "The ID of the instance profile", EC2 API_IamInstanceProfile) and
  DescribeIamInstanceProfileAssociations lists the association. moto's Auto Scaling launches without it.
- A launch that EC2 refuses is not an API error of the call that changed the group: it is a scaling activity
  whose ``StatusCode`` is ``Failed`` and whose ``StatusMessage`` "indicates the cause of the failure"
  (API_DescribeScalingActivities). No instance is started. The message is EC2's RunInstances answer followed
  by "Launching EC2 instance failed." (User Guide, "Troubleshoot Amazon EC2 Auto Scaling: EC2 instance launch
  failures" and "AMI issues", whose problem for a missing image reads, as recalled, not re-read here: The AMI ID
  <ID of your AMI> does not exist. Launching EC2 instance failed.).
  For a profile EC2 answers "Value (<name>) for parameter iamInstanceProfile.name is invalid. Invalid IAM
  Instance Profile name" (or ``.arn`` / "ARN"), as seen in real activities (terraform-provider-aws #29866,
  #31282), and "IAM Instance Profile "<arn>" has no associated IAM Roles" for a profile without a role.
  AWS's Auto Scaling API answers "Invalid IamInstanceProfile: <name>" only to CreateLaunchConfiguration, not
  in a scaling activity.
- A new profile is not at once visible to EC2: IAM is eventually consistent (IAM User Guide), so a group
  created right after its profile fails its first launches (terraform-provider-aws #29866, eksctl #8039) and
  the group launches again later: EC2 Auto Scaling keeps trying to reach the desired capacity, waiting longer
  between attempts while they fail. The emulator's waits below are its own choice, not AWS's numbers.
  ``CLOUDCRED_EMULATOR_PROFILE_PROPAGATION_SECONDS``
  (default 0) is the age below which a profile is not yet visible; ``CLOUDCRED_EMULATOR_LAUNCH_RETRY_SECONDS``
  (default 2) the first wait between attempts, doubled after each failure up to
  ``CLOUDCRED_EMULATOR_LAUNCH_RETRY_MAX_SECONDS`` (default 30). The emulator retries lazily, before each Auto
  Scaling call, like its instance refreshes.
- moto does not check images. The group tag ``cloudcred:emulator:image`` (a test switch, no AWS counterpart)
  turns the check on: ``must-exist`` fails a launch whose image EC2 does not hold, ``missing`` fails every
  launch as if the image did not exist.
- moto trips an ``AssertionError`` (moto/ec2/models/launch_templates.py, ``LaunchTemplateVersion.user_data``)
  when a group launches from a version created with ``UserData`` (moto keeps it there as a plain string):
  the launch here reads the version's data itself. moto also launches from the template's *default* version
  whatever the group's version is (tags, key, block devices): the launch here names the version.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

DELAY_ENV = "CLOUDCRED_EMULATOR_PROFILE_PROPAGATION_SECONDS"
RETRY_ENV = "CLOUDCRED_EMULATOR_LAUNCH_RETRY_SECONDS"
RETRY_MAX_ENV = "CLOUDCRED_EMULATOR_LAUNCH_RETRY_MAX_SECONDS"
IMAGE_TAG = "cloudcred:emulator:image"
_INSTALLED = "_cloudcred_launches"
_LOCK = threading.RLock()
_CLOCK = {"now": time.time}  # tests replace it


def set_clock(clock) -> None:
    """Let tests move time."""
    _CLOCK["now"] = clock


def _clock() -> float:
    return _CLOCK["now"]()


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _iso(seconds: float) -> str:
    return _utc(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Profile:
    """An instance profile as EC2 sees it."""

    name: str
    arn: str
    id: str
    has_role: bool
    created: float


class LaunchFailed(Exception):
    """EC2 refused the launch: AWS's status message."""


# --- instance profiles ---------------------------------------------------------------------------------
def find_profile(account_id: str, region: str, name: str | None, arn: str | None) -> Profile | None:
    """The profile named by a template or configuration: LocalStack's IAM store first, then moto's IAM."""
    key = (arn or "").rsplit("/", 1)[-1] if arn else name
    try:
        from localstack.services.iam.models import iam_stores

        entity = iam_stores[account_id][region].INSTANCE_PROFILES.get(key)
        if entity is not None:
            found = entity.instance_profile
            if arn and found["Arn"] != arn:
                return None
            created = found["CreateDate"]
            return Profile(
                found["InstanceProfileName"],
                found["Arn"],
                found["InstanceProfileId"],
                bool(entity.role_name),
                created.timestamp() if isinstance(created, datetime) else float(created),
            )
    except ImportError:  # pragma: no cover - moto alone
        pass
    from moto.iam.models import iam_backends

    for partition_backend in iam_backends[account_id].values():
        for profile in partition_backend.instance_profiles.values():
            if (arn and profile.arn == arn) or (not arn and profile.name == key):
                created = profile.create_date
                return Profile(
                    profile.name,
                    profile.arn,
                    profile.id,
                    bool(profile.roles),
                    created.replace(tzinfo=created.tzinfo or timezone.utc).timestamp(),
                )
    return None


def _profile_reference(group) -> tuple[str | None, str | None]:
    """(name, arn) of the instance profile the group launches with now."""
    template = group.ec2_launch_template
    if template is not None:
        profile = template.get_version(group.launch_template_version).data.get("IamInstanceProfile") or {}
        return profile.get("Name"), profile.get("Arn")
    config = group.launch_config
    reference = getattr(config, "iam_instance_profile", None) if config is not None else None
    if reference and reference.startswith("arn:"):
        return None, reference
    return reference, None


def check_launch(group, now: float) -> Profile | None:
    """The profile the launch carries (None: none asked); raise LaunchFailed with EC2's message."""
    backend = group.autoscaling_backend
    switch = {t.get("Key"): t.get("Value") for t in group.tags}.get(IMAGE_TAG, "")
    image_id = group.image_id
    if switch == "missing" or (switch == "must-exist" and image_id not in backend.ec2_backend.amis):
        raise LaunchFailed(f"The AMI ID {image_id} does not exist. Launching EC2 instance failed.")
    name, arn = _profile_reference(group)
    if not name and not arn:
        return None
    account_id, region = backend.account_id, backend.region_name
    profile = find_profile(account_id, region, name, arn)
    delay = _seconds(DELAY_ENV, 0)
    if profile is not None and delay > 0 and now - profile.created < delay:
        profile = None  # created, not yet visible to EC2
    if profile is None:
        if arn:
            raise LaunchFailed(
                f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN."
                " Launching EC2 instance failed."
            )
        raise LaunchFailed(
            f"Value ({name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name."
            " Launching EC2 instance failed."
        )
    if not profile.has_role:
        raise LaunchFailed(
            f'IAM Instance Profile "{profile.arn}" has no associated IAM Roles. Launching EC2 instance failed.'
        )
    return profile


# --- scaling activities -----------------------------------------------------------------------------------
def activities(backend) -> list[dict]:
    """The backend's scaling activities, newest first."""
    found = getattr(backend, "_cloudcred_activities", None)
    if found is None:
        found = []
        backend._cloudcred_activities = found
    return found


def _record(group, *, status: str, description: str, cause: str, started: float, message: str = "") -> dict:
    activity = {
        "ActivityId": str(uuid.uuid4()),
        "AutoScalingGroupName": group.name,
        "AutoScalingGroupARN": group.arn,
        "Description": description,
        "Cause": cause,
        "StartTime": _utc(started),
        "EndTime": _utc(started),
        "StatusCode": status,
        "Progress": 100,
        "Details": '{"Availability Zone":"%s"}' % (group.availability_zones[0] if group.availability_zones else ""),
    }
    if message:
        activity["StatusMessage"] = message
    activities(group.autoscaling_backend).insert(0, activity)
    return activity


def _cause(now: float, before: int, after: int) -> str:
    # AWS's wording (an activity of a real group, terraform-provider-aws #31282).
    return (
        f"At {_iso(now)} an instance was started in response to a difference between desired and actual"
        f" capacity, increasing the capacity from {before} to {after}."
    )


# --- the launch ------------------------------------------------------------------------------------------
def _user_data(group):
    """The version's (or configuration's) user data as moto's run_instances takes it, without moto's assert."""
    from moto.core.types import Base64EncodedString

    template = group.ec2_launch_template
    if template is None:
        return group.launch_config.user_data if group.launch_config is not None else None
    value = template.get_version(group.launch_template_version).data.get("UserData")
    if value is None or isinstance(value, Base64EncodedString):
        return value
    try:
        base64.b64decode(value, validate=True)
        return Base64EncodedString(value)
    except (binascii.Error, ValueError, TypeError):
        return Base64EncodedString(base64.b64encode(str(value).encode()).decode())


def _associate(ec2_backend, instance, profile: Profile) -> None:
    from moto.ec2.models.iam_instance_profile import IamInstanceProfileAssociation
    from moto.ec2.utils import random_iam_instance_profile_association_id

    association = IamInstanceProfileAssociation(
        ec2_backend,
        random_iam_instance_profile_association_id(),
        instance,
        _ProfileRef(profile.arn, profile.id),
    )
    ec2_backend.iam_instance_profile_associations[instance.id] = association
    # DescribeInstances: Id is "the ID of the instance profile" (moto writes the association's id).
    instance.iam_instance_profile = {"Arn": profile.arn, "Id": profile.id}


@dataclass
class _ProfileRef:
    arn: str
    id: str


def launch(group, count_needed: int, propagated_tags: dict) -> list:
    """Launch ``count_needed`` instances from the group's version as AWS does; [] and a Failed activity if EC2
    refuses."""
    from moto.autoscaling.models import ASG_NAME_TAG, InstanceState
    from moto.moto_api._internal import mock_random as random

    from .instances import launched_from

    if count_needed <= 0:
        return []
    now = _clock()
    before = len(group.instance_states)
    state = retry_state(group)
    try:
        profile = check_launch(group, now)
    except LaunchFailed as failed:
        message = str(failed)
        _record(
            group,
            status="Failed",
            description=f"Launching a new EC2 instance.  Status Reason: {message}",
            cause=_cause(now, before, before + count_needed),
            started=now,
            message=message,
        )
        state["failures"] += 1
        wait = min(_seconds(RETRY_ENV, 2) * 2 ** (state["failures"] - 1), _seconds(RETRY_MAX_ENV, 30))
        state["next_try"] = now + wait
        state["message"] = message
        return []
    state.update(failures=0, next_try=0.0, message="")

    propagated_tags[ASG_NAME_TAG] = group.name
    propagated_tags.update(group.instance_tags)
    subnet_id = group.vpc_zone_identifier.split(",")[0] if group.vpc_zone_identifier else None
    launch_template = None
    if group.ec2_launch_template is not None:
        launch_template = {
            "LaunchTemplateId": group.ec2_launch_template.id,
            "Version": launched_from(group)["LaunchTemplate"]["Version"],
        }
    ec2_backend = group.autoscaling_backend.ec2_backend
    reservation = ec2_backend.run_instances(
        group.image_id,
        count_needed,
        _user_data(group),
        group.security_groups,
        instance_type=group.instance_type,
        tags={"instance": propagated_tags},
        placement=random.choice(group.availability_zones),
        launch_config=group.launch_config,
        launch_template=launch_template,
        is_instance_type_default=False,
        associate_public_ip=group.launch_config.associate_public_ip_address if group.launch_config else None,
        subnet_id=subnet_id,
    )
    for index, instance in enumerate(reservation.instances):
        instance.autoscaling_group = group
        if profile is not None:
            _associate(ec2_backend, instance, profile)
        group.instance_states.append(
            InstanceState(instance, protected_from_scale_in=group.new_instances_protected_from_scale_in)
        )
        _record(
            group,
            status="Successful",
            description=f"Launching a new EC2 instance: {instance.id}",
            cause=_cause(now, before + index, before + index + 1),
            started=now,
        )
    return reservation.instances


def retry_state(group) -> dict:
    state = getattr(group, "_cloudcred_launch_state", None)
    if state is None:
        state = {"failures": 0, "next_try": 0.0, "message": ""}
        group._cloudcred_launch_state = state
    return state


def retry_due(account_id: str, region: str) -> None:
    """Launch again for each group short of its desired capacity after a failed launch, once its wait is over."""
    from moto.autoscaling.models import autoscaling_backends

    with _LOCK:
        backend = autoscaling_backends[account_id][region]
        now = _clock()
        for group in list(backend.autoscaling_groups.values()):
            state = getattr(group, "_cloudcred_launch_state", None)
            if getattr(group, "cloudcred_refresh_launching", False):
                continue  # an instance refresh launches its replacements itself
            if not state or not state["failures"] or now < state["next_try"]:
                continue
            missing = (group.desired_capacity or 0) - len(group.active_instances())
            if missing > 0:
                launch(group, missing, group.get_propagated_tags())
            else:
                state.update(failures=0, next_try=0.0, message="")


def install() -> None:
    """Patch moto's group once: every launch (create, update, desired capacity, refresh) goes through ``launch``."""
    from moto.autoscaling.models import FakeAutoScalingGroup

    if getattr(FakeAutoScalingGroup, _INSTALLED, False):
        return

    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        with _LOCK:
            launch(self, count_needed, propagated_tags)

    def user_data(self):
        return _user_data(self)

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances
    FakeAutoScalingGroup.user_data = property(user_data)
    setattr(FakeAutoScalingGroup, _INSTALLED, True)


def DescribeScalingActivities(context, request):
    """API_DescribeScalingActivities: newest first, by group and/or ids, ``MaxRecords`` (default 100) pages."""
    from moto.autoscaling.models import autoscaling_backends

    retry_due(context.account_id, context.region)
    backend = autoscaling_backends[context.account_id][context.region]
    group_name = request.get("AutoScalingGroupName")
    ids = set(request.get("ActivityIds") or [])
    found = [
        a
        for a in activities(backend)
        if (not group_name or a["AutoScalingGroupName"] == group_name) and (not ids or a["ActivityId"] in ids)
    ]
    start = int(request.get("NextToken") or 0)
    size = int(request.get("MaxRecords") or 100)
    page = found[start : start + size]
    answer = {"Activities": page}
    if start + size < len(found):
        answer["NextToken"] = str(start + size)
    return answer
