# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of ``cloudcred.ec2.launch_template_profile``: the launch template version in use and its instance profile.

``desired_state`` turns the module's options into a :class:`Wanted` (failing on bad input before any
API call); ``read_state`` reads the template; each ``ensure_*`` step compares one aspect, makes its
writes through ``Writes`` (which in check mode only records them) and returns ``(changed,
predicted_state)``. :func:`run` chains them for the module. The AWS calls and the pure version
decision are ``_launch_template``'s.

State is a plain dict: ``launch_template`` (the keys the module returns), ``version_number`` and
``launch_template_data`` of the version in use, ``latest`` (the latest version as EC2 returned it, when
it is another one) and ``tags`` (None when not read).

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from functools import cached_property

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import partition_for_region
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


@dataclass(frozen=True)
class Wanted:
    """The module's options, validated: which template, and what its version in use and its tags should be."""

    template_name: str | None
    template_id: str | None
    present: bool = True
    instance_profile: dict | None = None  # IamInstanceProfile as given: {"Name": ...} or {"Arn": ...}
    source_version: str = "$Default"
    overlay: dict | None = None  # launch_template_data, typed by EC2's model
    require_imdsv2: bool = True
    metadata_hop_limit: int | None = None
    set_default_version: bool = True
    version_description: str | None = None
    validate_instance_profile: bool = True
    tags: dict[str, str] | None = None  # None: leave as they are
    purge_tags: bool = True
    delete_launch_template: bool = False
    source_launch_configuration: str | None = None
    source_auto_scaling_group: str | None = None
    warnings: tuple[str, ...] = ()


class Clients:
    """The module's boto3 clients: EC2's, and IAM's and Auto Scaling's made on first use (a run that
    changes nothing needs none of them). ``make(service)`` makes a client."""

    def __init__(self, ec2, make):
        self.ec2 = ec2
        self._make = make

    @cached_property
    def iam(self):
        return self._make("iam")

    @cached_property
    def autoscaling(self):
        return self._make("autoscaling")

    @cached_property
    def request_shape(self):
        """botocore's ``RequestLaunchTemplateData``: what a version's data may hold."""
        return request_shape(self.ec2)


def request_shape(ec2):
    """botocore's ``RequestLaunchTemplateData`` shape, from an EC2 client's model (no API call)."""
    return ec2.meta.service_model.shape_for(REQUEST_SHAPE)


# --- input: validation, no API call ------------------------------------------------------------


def refuse_options(params: dict, *, region: str | None) -> None:
    """Raise LaunchTemplateProfileError naming the first option AWS would reject (or that does not go with
    the others); needs no client, so the module calls it before it makes one."""
    refused = first_option_problem(params)
    if not refused and params.get("delete_launch_template") and params.get("state") != "absent":
        refused = ("delete_launch_template", "delete_launch_template is only for state=absent")
    arn = params.get("instance_profile_arn")
    if not refused and arn:
        partition = partition_for_region(region)
        if instance_profile_arn_parts(arn)["partition"] != partition:
            refused = "instance_profile_arn", (
                f"instance_profile_arn must be in the partition of region {region} ({partition}); got {arn}"
            )
    if refused:
        raise LaunchTemplateProfileError(refused[1], option=refused[0])


def desired_state(params: dict, *, region: str | None, shape) -> Wanted:
    """The module's options as a :class:`Wanted`, or LaunchTemplateProfileError naming the option and the rule.

    ``shape`` is :func:`request_shape`: ``launch_template_data`` is checked against it, and numbers and
    booleans given as strings are converted. No API call.
    """
    refuse_options(params, region=region)
    problem, overlay = launch_template_data_problem(params.get("launch_template_data"), shape)
    if problem:
        raise LaunchTemplateProfileError(problem, option="launch_template_data")
    present = params.get("state", "present") == "present"
    tags = params.get("tags")
    return Wanted(
        template_name=params.get("launch_template_name"),
        template_id=params.get("launch_template_id"),
        present=present,
        instance_profile=profile_reference(params.get("instance_profile_name"), params.get("instance_profile_arn")),
        source_version=str(params.get("source_version", "$Default")),
        overlay=overlay,
        require_imdsv2=params.get("require_imdsv2", True),
        metadata_hop_limit=params.get("metadata_hop_limit"),
        set_default_version=params.get("set_default_version", True),
        version_description=params.get("version_description"),
        validate_instance_profile=params.get("validate_instance_profile", True),
        tags=None if tags is None else {str(k): "" if v is None else str(v) for k, v in tags.items()},
        purge_tags=params.get("purge_tags", True),
        delete_launch_template=params.get("delete_launch_template", False),
        source_launch_configuration=params.get("source_launch_configuration"),
        source_auto_scaling_group=params.get("source_auto_scaling_group"),
        warnings=() if present or not overlay else ("launch_template_data is not applied with state=absent",),
    )


# --- reading what is there -----------------------------------------------------------------------


def current_state(found: dict | None) -> dict | None:
    """The state the ensure_* steps pass along, from :func:`describe_launch_template`'s answer (None: no template)."""
    if found is None:
        return None
    source, latest = found["source"], found["latest"]
    return {
        "launch_template": dict(found["launch_template"]),
        "version_number": source["VersionNumber"],
        "launch_template_data": source.get("LaunchTemplateData") or {},
        "latest": None if latest["VersionNumber"] == source["VersionNumber"] else latest,
        "tags": found["tags"],
    }


def read_state(ec2, wanted: Wanted) -> dict | None:
    """The template with its version in use (``source_version``), and its tags when ``tags`` is given; or None."""
    found = describe_launch_template(
        ec2,
        template_id=wanted.template_id,
        template_name=wanted.template_name,
        source_version=wanted.source_version,
        with_tags=wanted.tags is not None,
    )
    return current_state(found)


def names_profile_as_given(state: dict | None, reference: dict) -> bool:
    """True when the version in use already references the profile exactly as given (same name or ARN)."""
    if state is None:
        return False
    current = (state["launch_template_data"] or {}).get("IamInstanceProfile") or {}
    return all(current.get(key) == value for key, value in reference.items())


def validated_instance_profile(clients: Clients, *, wanted: Wanted, state: dict | None) -> dict | None:
    """IAM's instance profile, checked to exist and hold a role (one GetInstanceProfile), or None when not checked.

    Not checked with ``validate_instance_profile: false``, nor when the version in use already references
    the profile exactly as given: no version is written for it then, and checking it again would cost a
    call on every run that changes nothing (cloudcred.ec2.instance_role_preflight checks it on demand).
    """
    reference = wanted.instance_profile
    if not wanted.validate_instance_profile or names_profile_as_given(state, reference):
        return None
    return usable_instance_profile(clients.iam, name=reference.get("Name"), arn=reference.get("Arn"))


def source_group(clients: Clients, *, wanted: Wanted) -> dict | None:
    """The group ``source_auto_scaling_group`` names, as AWS describes it (None: no such group, or no option).

    Read on every run, not only while the template is missing: the module returns it, so that a caller
    that compares the group with the one it wants (the role cloudcred.ec2.asg_instance_role) needs no module
    run of its own to read it. This module's writes do not change the group.
    """
    if not wanted.source_auto_scaling_group:
        return None
    return describe_auto_scaling_group(clients.autoscaling, wanted.source_auto_scaling_group)


def launch_configuration_source(clients: Clients, *, wanted: Wanted, group: dict | None = None) -> dict | None:
    """The launch configuration to start a missing template from, as AWS describes it, or None.

    ``source_launch_configuration`` must exist; else the launch configuration ``group`` (the group
    ``source_auto_scaling_group`` names) runs on, if any.
    """
    name = wanted.source_launch_configuration or (group or {}).get("LaunchConfigurationName")
    if not name:
        return None
    found = describe_launch_configuration(clients.autoscaling, name)
    if found is None:
        option = "source_launch_configuration" if wanted.source_launch_configuration else "source_auto_scaling_group"
        raise LaunchTemplateProfileError(f"{option}: launch configuration {name} does not exist", option=option)
    return found


def first_version_source(launch_configuration: dict, wanted: Wanted) -> tuple[dict, list[str]]:
    """The launch configuration as launch template data, and the warnings of the conversion (what a template
    cannot hold, and the launch configuration's own instance profile when another one replaces it)."""
    data, warnings = launch_configuration_data(launch_configuration)
    warnings = list(warnings)
    old, reference = launch_configuration.get("IamInstanceProfile"), wanted.instance_profile
    if old and old not in (reference.get("Name"), reference.get("Arn")):
        warnings.append(
            f"launch configuration {launch_configuration['LaunchConfigurationName']}: IamInstanceProfile {old} "
            f"is replaced by {reference.get('Name') or reference.get('Arn')}"
        )
    return data, warnings


# --- ensure_* steps: (changed, predicted state) -------------------------------------------------------


def _wanted_data(current: dict | None, wanted: Wanted) -> dict:
    return merged_launch_template_data(
        current,
        wanted_profile=wanted.instance_profile,
        require_imdsv2=wanted.require_imdsv2,
        metadata_hop_limit=wanted.metadata_hop_limit,
        overlay=wanted.overlay,
    )


def _group_without_launch_configuration(wanted: Wanted, group: dict) -> str:
    """Why the group ``source_auto_scaling_group`` names cannot give a missing template its first version."""
    uses = (group.get("LaunchTemplate") or {}).get("LaunchTemplateName")
    if not uses and group.get("MixedInstancesPolicy"):
        uses = "a mixed instances policy"
    elif uses:
        uses = f"launch template {uses}"
    return (
        f"source_auto_scaling_group: Auto Scaling group {group['AutoScalingGroupName']} has no launch configuration "
        f"to start launch template {wanted.template_name} from"
        + (f" (it launches from {uses})" if uses else "")
        + "; launch_template_data is required to create the template (for example ImageId and InstanceType)"
    )


def _refuse_creation(wanted: Wanted, source: dict | None, group: dict | None = None) -> None:
    if not wanted.template_name:
        raise LaunchTemplateProfileError(
            f"launch_template_id {wanted.template_id} does not exist; "
            "give launch_template_name (and launch_template_data) to create a template",
            option="launch_template_id",
        )
    if not wanted.overlay and not source and group is not None and not group.get("LaunchConfigurationName"):
        # The group was given to start from, and exists: the option given is not at fault, the group's state is.
        raise LaunchTemplateProfileError(
            _group_without_launch_configuration(wanted, group), option="source_auto_scaling_group"
        )
    if not wanted.overlay and not source:
        raise LaunchTemplateProfileError(
            f"launch template {wanted.template_name} does not exist; launch_template_data is required "
            "to create it (for example ImageId and InstanceType), or a launch configuration to start from "
            "(source_launch_configuration, source_auto_scaling_group)",
            option="launch_template_data",
        )


def ensure_template(
    state, clients: Clients, *, wanted: Wanted, writes, source: dict | None = None, group: dict | None = None
):
    """A missing template is created by name, its version 1 carrying everything (tags ride along).

    ``source`` is launch template data to start from (a launch configuration's settings); the overlay,
    the profile and IMDSv2 go on top of it. ``group`` is the group ``source_auto_scaling_group`` names, as
    read (only to say why it gave no ``source``). CreateLaunchTemplate is the first write of a run that found
    no template, so when EC2 answers that the name is taken nothing has been written yet: the template
    another run created meanwhile is adopted, ``(False, its state)``, and the next steps go on from it.
    """
    if state is not None:
        return False, state
    _refuse_creation(wanted, source, group)
    data = _wanted_data(source, wanted)
    try:
        created = writes(
            "CreateLaunchTemplate",
            create_launch_template,
            clients.ec2,
            wanted.template_name,
            data,
            description=wanted.version_description,
            tags=wanted.tags,
            token=str(uuid.uuid4()),
        )
    except LaunchTemplateExists:
        adopted = read_state(clients.ec2, wanted)
        if adopted is None:  # gone again already: the error stands
            raise
        writes.withdraw("CreateLaunchTemplate")
        return False, adopted
    template = {
        "launch_template_id": created["LaunchTemplateId"] if created else None,
        "launch_template_name": wanted.template_name,
        "default_version_number": 1,
        "latest_version_number": 1,
    }
    state = {"launch_template": template, "version_number": 1, "launch_template_data": data, "latest": None}
    return True, {**state, "tags": wanted.tags}


def ensure_version(state, clients: Clients, *, data: dict, wanted: Wanted, writes):
    """One new version with ``data``, or the latest version when an earlier run already made exactly that
    (a run stopped before ModifyLaunchTemplate, or ``set_default_version: false``)."""
    latest = state["latest"]
    template = dict(state["launch_template"])
    if latest and same_data(request_data(latest.get("LaunchTemplateData"), clients.request_shape), data):
        return False, {**state, "version_number": latest["VersionNumber"], "launch_template_data": data}
    created = writes(
        "CreateLaunchTemplateVersion",
        create_launch_template_version,
        clients.ec2,
        template["launch_template_id"],
        data,
        description=wanted.version_description,
        token=str(uuid.uuid4()),
    )
    number = created["VersionNumber"] if created else template["latest_version_number"] + 1
    template["latest_version_number"] = number
    new_data = (created or {}).get("LaunchTemplateData") or data
    return True, {**state, "launch_template": template, "version_number": number, "launch_template_data": new_data}


def ensure_profile(state, clients: Clients, *, wanted: Wanted, writes, instance_profile: dict | None = None):
    """The version in use carries the profile, IMDSv2, the hop limit and the overlay; else one new version that does.

    ``instance_profile`` is IAM's answer (:func:`validated_instance_profile`): with it, a name and an ARN
    are the same profile when they are that profile's.
    """
    current = request_data(state["launch_template_data"], clients.request_shape)
    differences = version_differences(
        current,
        wanted_profile=wanted.instance_profile,
        profile=instance_profile,
        require_imdsv2=wanted.require_imdsv2,
        metadata_hop_limit=wanted.metadata_hop_limit,
        overlay=wanted.overlay,
    )
    if not differences:
        return False, state
    return ensure_version(state, clients, data=_wanted_data(current, wanted), wanted=wanted, writes=writes)


def ensure_no_profile(state, clients: Clients, *, wanted: Wanted, writes):
    """state=absent: the version in use carries no instance profile; else one new version without it."""
    current = request_data(state["launch_template_data"], clients.request_shape)
    if not current.get("IamInstanceProfile"):
        return False, state
    data = without_instance_profile(current)
    return ensure_version(state, clients, data=data, wanted=wanted, writes=writes)


def ensure_default_version(state, clients: Clients, *, wanted: Wanted, writes):
    """The version in use is the default one (with ``set_default_version``)."""
    template = state["launch_template"]
    if not wanted.set_default_version or state["version_number"] == template["default_version_number"]:
        return False, state
    template_id, number = template["launch_template_id"], state["version_number"]
    writes("ModifyLaunchTemplate", set_default_version, clients.ec2, template_id, number)
    return True, {**state, "launch_template": {**template, "default_version_number": state["version_number"]}}


def ensure_tags(state, clients: Clients, *, wanted: Wanted, writes):
    """The template's tags are ``tags`` (those not listed removed with ``purge_tags``); left alone without ``tags``."""
    if wanted.tags is None:
        return False, state
    current = state.get("tags") or {}
    to_set, to_unset = compare_aws_tags(current, wanted.tags, wanted.purge_tags)
    if not to_set and not to_unset:
        return False, state
    template_id = state["launch_template"]["launch_template_id"]
    if to_unset:
        writes("DeleteTags", untag_launch_template, clients.ec2, template_id, to_unset)
    if to_set:
        writes("CreateTags", tag_launch_template, clients.ec2, template_id, to_set)
    new_tags = {k: v for k, v in current.items() if k not in to_unset}
    new_tags.update(to_set)
    return True, {**state, "tags": new_tags}


def ensure_present(state, clients: Clients, *, wanted: Wanted, writes, instance_profile: dict | None = None):
    """Every step of state=present on an existing (or just created) template."""
    changed, state = ensure_profile(state, clients, wanted=wanted, writes=writes, instance_profile=instance_profile)
    for step in (ensure_default_version, ensure_tags):
        step_changed, state = step(state, clients, wanted=wanted, writes=writes)
        changed |= step_changed
    return changed, state


def ensure_absent(state, clients: Clients, *, wanted: Wanted, writes):
    """Every step of state=absent: no profile in the version in use, then default version and tags; a missing
    template is left alone."""
    if state is None:
        return False, None
    changed = False
    for step in (ensure_no_profile, ensure_default_version, ensure_tags):
        step_changed, state = step(state, clients, wanted=wanted, writes=writes)
        changed |= step_changed
    return changed, state


def ensure_deleted(state, clients: Clients, *, wanted: Wanted, writes):
    """Delete the template (and so every version) unless an Auto Scaling group launches from it."""
    if state is None:
        return False, None
    template = state["launch_template"]
    name, template_id = template["launch_template_name"], template["launch_template_id"]
    groups = auto_scaling_groups_using_launch_templates(clients.autoscaling, [template_id], [name])
    if groups:
        raise LaunchTemplateProfileError(
            f"delete_launch_template: Auto Scaling groups launch from launch template {name} ({template_id}):"
            f" {', '.join(groups)}; delete them or move them to another template first",
            option="delete_launch_template",
        )
    writes("DeleteLaunchTemplate", delete_launch_template, clients.ec2, template_id)
    return True, None


# --- the run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a run did: ``before`` is the template as the run found it (the adopted one after a race; None when
    it was created), ``final`` as it is after (predicted in check mode), ``launch_configuration`` the one the
    created template's first version came from."""

    changed: bool
    before: dict | None
    final: dict | None
    launch_configuration: dict | None = None
    auto_scaling_group: dict | None = None  # the group source_auto_scaling_group names, as read before any write


def run_present(clients: Clients, *, wanted: Wanted, writes, warn) -> Outcome:
    """state=present: check the profile and read the launch configuration to start from before any write."""
    state = read_state(clients.ec2, wanted)
    instance_profile = validated_instance_profile(clients, wanted=wanted, state=state)
    group = source_group(clients, wanted=wanted)
    launch_configuration = launch_configuration_source(clients, wanted=wanted, group=group) if state is None else None
    source = None
    if launch_configuration is not None:
        source, warnings = first_version_source(launch_configuration, wanted)
        for warning in warnings:
            warn(warning)
    created, state = ensure_template(state, clients, wanted=wanted, writes=writes, source=source, group=group)
    changed, final = ensure_present(state, clients, wanted=wanted, writes=writes, instance_profile=instance_profile)
    if ((final["launch_template_data"] or {}).get("MetadataOptions") or {}).get("HttpEndpoint") == "disabled":
        warn("MetadataOptions.HttpEndpoint is disabled: instances cannot get the instance profile's credentials")
    # Adopted (not created): nothing came from the launch configuration, the diff starts from the template.
    return Outcome(
        created or changed, None if created else state, final, launch_configuration if created else None, group
    )


def run(clients: Clients, *, wanted: Wanted, writes, warn) -> Outcome:
    """The module's run for ``wanted``: state=present, state=absent, or the template deleted."""
    if wanted.present:
        return run_present(clients, wanted=wanted, writes=writes, warn=warn)
    state = read_state(clients.ec2, wanted)
    step = ensure_deleted if wanted.delete_launch_template else ensure_absent
    changed, final = step(state, clients, wanted=wanted, writes=writes)
    return Outcome(changed, state, final)


# --- the result ------------------------------------------------------------------------------------


def _tag_changes(before, after):
    if before == after or after is None:
        return None
    before = before or {}
    lines = [f"- tag {k}={v}" for k, v in sorted(before.items()) if after.get(k) != v]
    lines += [f"+ tag {k}={v}" for k, v in sorted(after.items()) if before.get(k) != v]
    return "\n".join(lines) + "\n" if lines else None


def masked_user_data(data: dict | None) -> dict | None:
    """``data`` (a version's data, or a launch configuration's settings) with ``UserData`` as ``{sha256, length}``
    of it: user data often carries bootstrap tokens, and results and diffs are printed."""
    if not data or "UserData" not in data:
        return data
    text = str(data["UserData"])
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {**data, "UserData": {"sha256": digest, "length": len(text)}}


def build_diff(outcome: Outcome, shape, *, show_user_data: bool = False) -> dict:
    """Diff mode's before/after: the version in use's data (a launch configuration's settings when one made
    the first version), and the tag changes."""
    before, final = outcome.before, outcome.final
    name = (final or before or {}).get("launch_template", {}).get("launch_template_name")
    before_header = f"launch template {name} version {before['version_number']}" if before else "(absent)"
    before_data = request_data(before["launch_template_data"], shape) if before else {}
    if outcome.launch_configuration is not None and before is None:
        before_header = f"launch configuration {outcome.launch_configuration['LaunchConfigurationName']}"
        before_data = jsonable(lc_settings(outcome.launch_configuration))
    after_data = request_data(final["launch_template_data"], shape) if final else {}
    if not show_user_data:
        before_data, after_data = masked_user_data(before_data), masked_user_data(after_data)
    diff = {
        "before": before_data,
        "after": after_data,
        "before_header": before_header,
        "after_header": f"launch template {name} version {final['version_number']}" if final else "(absent)",
    }
    prepared = _tag_changes(before and before.get("tags"), final and final.get("tags"))
    if prepared:
        diff["prepared"] = prepared
    return diff


def module_result(outcome: Outcome, shape, *, show_user_data: bool = False) -> dict:
    """The result keys besides ``actions``: ``changed``, the template and version now in use, and the diff
    (``UserData`` masked unless ``show_user_data``)."""
    final, launch_configuration = outcome.final, outcome.launch_configuration
    data = jsonable(request_data(final.get("launch_template_data"))) if final else None
    return dict(
        changed=outcome.changed,
        launch_template=final["launch_template"] if final else None,
        version_number=final["version_number"] if final else None,
        launch_template_data=data if show_user_data else masked_user_data(data),
        source_launch_configuration=launch_configuration["LaunchConfigurationName"] if launch_configuration else None,
        # As amazon.aws.autoscaling_group_info returns a group (snake_case keys, times as strings).
        auto_scaling_group=(
            jsonable(camel_dict_to_snake_dict(outcome.auto_scaling_group)) if outcome.auto_scaling_group else None
        ),
        diff=build_diff(outcome, shape, show_user_data=show_user_data),
    )
