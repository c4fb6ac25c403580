# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The launch template side of ``launch_template_profile``: input rules, reads, and the version decision.

Three layers, from pure to AWS:

* input rules (:func:`first_option_problem`, :func:`launch_template_data_problem`) that run before any API call;
  the rules of names and tags are ``_validation``'s;
* the decision (:func:`version_differences`, :func:`merged_launch_template_data`, ...), pure functions on
  EC2's own ``LaunchTemplateData`` dicts, so a table of cases tests them without AWS;
* one small function per AWS call, wrapped by amazon.aws's error handlers and retries. "Missing" is
  ``None`` (no template, no profile), never an exception the caller has to catch.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Refusal
from ansible_collections.cloudcred.ec2.plugins.module_utils._errors import handles
from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import (
    IAM_NAME_CHARS,
    INSTANCE_PROFILE_NAME_MAX,
    launch_template_name_problem,
    name_problem,
    tags_problem,
)

DEFAULT_VERSION = "$Default"
LATEST_VERSION = "$Latest"
REQUEST_SHAPE = "RequestLaunchTemplateData"


def request_shape():
    """botocore's ``RequestLaunchTemplateData`` shape from the installed EC2 model: the keys and types a version's
    data may have, for checking input with no client and no credentials."""
    import botocore.session  # pylint: disable=import-outside-toplevel

    return botocore.session.get_session().get_service_model("ec2").shape_for(REQUEST_SHAPE)


# --- input rules -------------------------------------------------------------------------------

# EC2 ids are lt- and 17 hex digits today; older resources have 8.
_TEMPLATE_ID = re.compile(r"lt-(?:[0-9a-f]{8}|[0-9a-f]{17})")
# IAM paths are "/" or "/segments/" of printable ASCII; the name follows the last slash.
_PROFILE_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>\d{12}):instance-profile"
    r"(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>" + IAM_NAME_CHARS + r"{1,%d})" % INSTANCE_PROFILE_NAME_MAX
)
_SOURCE_VERSION = re.compile(r"\$Default|\$Latest|[1-9][0-9]*")
_VERSION_DESCRIPTION_MAX = 255
# EC2's MetadataOptions.HttpPutResponseHopLimit: "Possible values: Integers from 1 to 64".
HOP_LIMIT_MIN, HOP_LIMIT_MAX = 1, 64


class LaunchTemplateProfileError(Refusal):
    """Input or state that makes the module stop before writing; ``option`` names the option when one is at fault."""


def instance_profile_arn_parts(arn: str) -> dict | None:
    """``partition``, ``account``, ``path`` and ``name`` of an instance profile ARN, or None when malformed."""
    match = _PROFILE_ARN.fullmatch(arn or "")
    return match.groupdict() if match else None


def _camel_case(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", key) if part)


def _data_keys_problem(data, path: str) -> str | None:
    """The first key of ``data`` (at any depth) that is not EC2 API CamelCase, as a message."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str) or not key[:1].isupper():
                return (
                    f"launch_template_data must use the EC2 API's CamelCase keys (as in the CLI's "
                    f"--launch-template-data): {path}{key!r} should be {_camel_case(str(key))!r}"
                )
            problem = _data_keys_problem(value, f"{path}{key}.")
            if problem:
                return problem
    elif isinstance(data, list):
        for index, item in enumerate(data):
            problem = _data_keys_problem(item, f"{path[:-1]}[{index}].")
            if problem:
                return problem
    return None


def _launch_template_data_rules(params: dict) -> str | None:
    data = params.get("launch_template_data")
    if data is None:
        return None
    if not isinstance(data, dict):
        return f"launch_template_data must be a dict in the EC2 API shape (ImageId, InstanceType, ...); got {data!r}"
    problem = _data_keys_problem(data, "")
    if problem:
        return problem
    if "IamInstanceProfile" in data:
        return (
            "launch_template_data must not contain IamInstanceProfile: this module owns it, "
            "give instance_profile_name or instance_profile_arn instead"
        )
    tokens = (data.get("MetadataOptions") or {}).get("HttpTokens")
    if params.get("require_imdsv2", True) and tokens not in (None, "required"):
        return (
            f"launch_template_data.MetadataOptions.HttpTokens is {tokens!r} but require_imdsv2 is true "
            "(IMDSv2 sets it to 'required'); set require_imdsv2: false to keep IMDSv1"
        )
    return _hop_limit_rule(params.get("metadata_hop_limit"), data)


def _hop_limit_rule(hops, data: dict) -> str | None:
    given = (data.get("MetadataOptions") or {}).get("HttpPutResponseHopLimit")
    if hops is not None and given is not None and str(given) != str(hops):
        return (
            f"launch_template_data.MetadataOptions.HttpPutResponseHopLimit is {given!r} but metadata_hop_limit is "
            f"{hops}; give the hop limit in one place (metadata_hop_limit)"
        )
    return None


def launch_template_data_input_problem(data, *, require_imdsv2: bool = True, shape=None) -> str | None:
    """What :func:`invalid_option` and, with ``shape``, :func:`launch_template_data_problem` say of ``data``
    alone: for a caller (the role) that checks the data before its first write. No API call."""
    problem = _launch_template_data_rules({"launch_template_data": data, "require_imdsv2": require_imdsv2})
    if problem is None and shape is not None and data is not None:
        problem, _converted = launch_template_data_problem(data, shape)
    return problem


def _identity_problems(params: dict):
    yield "launch_template_name", launch_template_name_problem(
        "launch_template_name", params.get("launch_template_name")
    )
    value = params.get("launch_template_id")
    if value is not None and not _TEMPLATE_ID.fullmatch(value):
        rule = "'lt-' followed by 17 (or 8) lowercase hex digits"
        yield "launch_template_id", f"launch_template_id must be {rule}; got {value!r}"
    value = params.get("instance_profile_name")
    yield "instance_profile_name", name_problem("instance_profile_name", value, INSTANCE_PROFILE_NAME_MAX)
    value = params.get("instance_profile_arn")
    if value is not None and not instance_profile_arn_parts(value):
        yield "instance_profile_arn", (
            "instance_profile_arn must be arn:<partition>:iam::<12-digit account>:instance-profile/[<path>/]<name>; "
            f"got {value!r}"
        )


def option_problems(params: dict):
    """``(option, problem or None)`` for each option, lazily, in the order the options are documented."""
    yield from _identity_problems(params)
    value = params.get("source_version")
    if value is not None and not _SOURCE_VERSION.fullmatch(str(value)):
        rule = "$Default, $Latest or a version number (1, 2, ...)"
        yield "source_version", f"source_version must be {rule}; got {value!r}"
    value = params.get("metadata_hop_limit")
    if value is not None and not (isinstance(value, int) and HOP_LIMIT_MIN <= value <= HOP_LIMIT_MAX):
        yield "metadata_hop_limit", (
            f"metadata_hop_limit must be an integer from {HOP_LIMIT_MIN} to {HOP_LIMIT_MAX} "
            f"(EC2's MetadataOptions.HttpPutResponseHopLimit); got {value!r}"
        )
    value = params.get("version_description")
    if value is not None and len(value) > _VERSION_DESCRIPTION_MAX:
        yield "version_description", (
            f"version_description must be at most {_VERSION_DESCRIPTION_MAX} characters; got {len(value)}"
        )
    yield "tags", tags_problem("tags", params.get("tags"))
    yield "launch_template_data", _launch_template_data_rules(params)


def first_option_problem(params: dict) -> tuple[str, str] | None:
    """``(option, message)`` of the first option that AWS would reject (the message names the rule), or None.
    No API call."""
    return next(((option, problem) for option, problem in option_problems(params) if problem), None)


def _structure_problem(value, shape, path: str):
    if not isinstance(value, dict):
        return f"launch_template_data.{path[:-1]} must be a dict; got {value!r}", value
    result = {}
    for key, item in value.items():
        if key not in shape.members:
            close = difflib.get_close_matches(key, list(shape.members), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(shape.members)}"
            where = f"launch_template_data.{path}{key}" if path else f"launch_template_data key {key!r}"
            return f"{where} is not a key of EC2's {shape.name}{hint}", value
        problem, result[key] = _shape_problem(item, shape.members[key], f"{path}{key}.")
        if problem:
            return problem, value
    return None, result


def _list_problem(value, shape, path: str):
    if not isinstance(value, list):
        return f"launch_template_data.{path[:-1]} must be a list; got {value!r}", value
    result = []
    for index, item in enumerate(value):
        problem, converted = _shape_problem(item, shape.member, f"{path[:-1]}[{index}].")
        if problem:
            return problem, value
        result.append(converted)
    return None, result


def _shape_problem(value, shape, path: str):
    """Check ``value`` against a botocore shape: (message or None, value with numbers/booleans from strings)."""
    if shape.type_name == "structure":
        return _structure_problem(value, shape, path)
    if shape.type_name == "list":
        return _list_problem(value, shape, path)
    return _scalar_problem(value, shape.type_name, path[:-1])


def _scalar_problem(value, kind: str, where: str):
    # Jinja templating hands numbers and booleans over as strings; EC2 wants the typed value.
    if kind in ("integer", "long") and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return None, int(value)
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return None, value.strip().lower() == "true"
    expected = {"integer": int, "long": int, "boolean": bool, "string": str, "double": (int, float)}.get(kind)
    if expected and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        return f"launch_template_data.{where} must be of type {kind}; got {value!r}", value
    return None, value


def launch_template_data_problem(data: dict | None, shape) -> tuple[str | None, dict | None]:
    """Check launch template data against EC2's ``RequestLaunchTemplateData`` shape (botocore's model).

    Returns ``(message, data)``: the message names the first unknown key (with the closest known
    one) or mistyped value; ``data`` has digit strings turned into integers and ``"true"``/``"false"``
    into booleans where EC2 wants those. No API call.
    """
    if data is None:
        return None, None
    return _shape_problem(data, shape, "")


# --- the decision: pure functions on EC2's LaunchTemplateData ---------------------------------


def profile_reference(name: str | None = None, arn: str | None = None) -> dict:
    """``IamInstanceProfile`` as given: ``{"Arn": ...}`` or ``{"Name": ...}``."""
    return {"Arn": arn} if arn else {"Name": name}


def _reference_name(reference: dict) -> str | None:
    if reference.get("Name"):
        return reference["Name"]
    parts = instance_profile_arn_parts(reference.get("Arn") or "")
    return parts["name"] if parts else None


def same_instance_profile(current: dict | None, wanted: dict, profile: dict | None = None) -> bool:
    """True when the reference ``current`` (``{"Name"}`` and/or ``{"Arn"}``) is the profile ``wanted``.

    ``profile`` is IAM's answer for the wanted profile (``InstanceProfileName``, ``Arn``): then a
    name and an ARN match when they are that profile's. Without it (no IAM read), a name and an
    ARN match when the ARN ends in that name: instance profile names are unique in an account.
    """
    current = current or {}
    if not current.get("Name") and not current.get("Arn"):
        return False
    if profile:
        return current.get("Name") == profile["InstanceProfileName"] or current.get("Arn") == profile["Arn"]
    if wanted.get("Arn") and current.get("Arn"):
        return current["Arn"] == wanted["Arn"]
    return _reference_name(current) == _reference_name(wanted)


def _sort_key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def carries(current, wanted) -> bool:
    """True when ``current`` holds ``wanted``: equal scalars, dicts holding every given key, lists item by item.

    Keys that EC2 adds in its answer (defaults it reports) do not make a difference. Lists of
    plain values (security group ids) compare in any order; lists of dicts in order.
    """
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(carries(current.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(current, list) or len(current) != len(wanted):
            return False
        if all(not isinstance(item, (dict, list)) for item in wanted):
            return sorted(current, key=_sort_key) == sorted(wanted, key=_sort_key)
        return all(carries(current[i], item) for i, item in enumerate(wanted))
    if isinstance(current, (datetime.datetime, datetime.date)):
        return current.isoformat() == str(wanted) or current == wanted
    return current == wanted


def request_data(data: dict | None, shape=None) -> dict:
    """A version's ``LaunchTemplateData`` as EC2 answered it, reshaped so that it can be sent back.

    Fields that only answers carry (``MetadataOptions.State``, ``Operator.Managed``, ...) are dropped
    when ``shape`` (botocore's ``RequestLaunchTemplateData``) is given, and so are
    ``TagSpecifications`` for the ``launch-template`` itself: EC2 rejects those in a version's data,
    and emulators copy the template's tags there.
    """
    data = copy.deepcopy(data or {})
    if shape is not None:
        data = _project(data, shape)
    specs = data.get("TagSpecifications")
    if specs:
        kept = [spec for spec in specs if spec.get("ResourceType") != "launch-template"]
        if kept:
            data["TagSpecifications"] = kept
        else:
            del data["TagSpecifications"]
    return data


def _project(value, shape):
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _project(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if shape.type_name == "list" and isinstance(value, list):
        return [_project(v, shape.member) for v in value]
    return value


def version_differences(
    source: dict | None,
    *,
    wanted_profile: dict,
    profile: dict | None = None,
    require_imdsv2: bool = True,
    metadata_hop_limit: int | None = None,
    overlay: dict | None = None,
) -> list[str]:
    """Why the version ``source`` (its data, reshaped by :func:`request_data`) needs a successor; [] when none.

    The version carries the profile (a name and an ARN of the same profile are equal), IMDSv2
    when ``require_imdsv2``, the PUT response hop limit when ``metadata_hop_limit`` is given, and
    every key of ``overlay`` as given.
    """
    source = source or {}
    reasons = []
    if not same_instance_profile(source.get("IamInstanceProfile"), wanted_profile, profile):
        reasons.append("IamInstanceProfile")
    if require_imdsv2 and (source.get("MetadataOptions") or {}).get("HttpTokens") != "required":
        reasons.append("MetadataOptions.HttpTokens")
    hops = (source.get("MetadataOptions") or {}).get("HttpPutResponseHopLimit")
    if metadata_hop_limit is not None and hops != metadata_hop_limit:
        reasons.append("MetadataOptions.HttpPutResponseHopLimit")
    for key, value in (overlay or {}).items():
        if not carries(source.get(key), value):
            reasons.append(key)
    return reasons


def merged_launch_template_data(
    source: dict | None,
    *,
    wanted_profile: dict,
    require_imdsv2: bool = True,
    metadata_hop_limit: int | None = None,
    overlay: dict | None = None,
) -> dict:
    """The full data of a new version: ``source``'s, each top-level key of ``overlay`` replacing the
    source's, the profile as given, and ``HttpTokens: required`` (and ``HttpPutResponseHopLimit`` when
    ``metadata_hop_limit`` is given) merged into ``MetadataOptions``."""
    data = copy.deepcopy(source or {})
    data.update(copy.deepcopy(overlay or {}))
    data["IamInstanceProfile"] = dict(wanted_profile)
    if require_imdsv2:
        data["MetadataOptions"] = {**(data.get("MetadataOptions") or {}), "HttpTokens": "required"}
    if metadata_hop_limit is not None:
        data["MetadataOptions"] = {**(data.get("MetadataOptions") or {}), "HttpPutResponseHopLimit": metadata_hop_limit}
    return data


def without_instance_profile(source: dict | None) -> dict:
    """``source``'s data without ``IamInstanceProfile`` (what ``state: absent`` writes)."""
    data = copy.deepcopy(source or {})
    data.pop("IamInstanceProfile", None)
    return data


def same_data(one: dict | None, other: dict | None) -> bool:
    """True when two versions' data are the same (:func:`carries` both ways)."""
    one, other = one or {}, other or {}
    return carries(one, other) and carries(other, one)


def jsonable(value):
    """``value`` with timestamps as ISO 8601 strings, for the module's result."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


# --- AWS calls: one function per call ----------------------------------------------------------


class AnsibleLaunchTemplateError(AnsibleAWSError):
    pass


# Error codes of EC2 for a launch template that is not there (or whose name or id cannot be one).
_MISSING_TEMPLATE_CODES = [
    "InvalidLaunchTemplateName.NotFoundException",
    "InvalidLaunchTemplateId.NotFound",
    "InvalidLaunchTemplateName.MalformedException",
    "InvalidLaunchTemplateId.Malformed",
]


class LaunchTemplateErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleLaunchTemplateError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(_MISSING_TEMPLATE_CODES)


class LaunchTemplateExists(AnsibleLaunchTemplateError):
    """CreateLaunchTemplate found the name taken: another run created the template after our read."""


_VERSION_NOT_FOUND = ["InvalidLaunchTemplateId.VersionNotFound", "InvalidLaunchTemplateName.VersionNotFound"]
# The most DescribeLaunchTemplateVersions returns per page. Emulators that ignore NextToken
# (moto stops at MaxResults, 15 by default) then still return every template of a test account.
_VERSIONS_PAGE_SIZE = 200
_NAME_TAKEN = "InvalidLaunchTemplateName.AlreadyExistsException"


def _template_identity(template_id: str | None, template_name: str | None) -> dict:
    return {"LaunchTemplateId": template_id} if template_id else {"LaunchTemplateName": template_name}


@handles(LaunchTemplateErrorHandler.list_error_handler, "describe launch template versions", None)
@AWSRetry.jittered_backoff()
def describe_launch_template_versions(client, versions, template_id=None, template_name=None):
    """The versions asked for (``$Default``, ``$Latest``, numbers), of one template or, with neither
    ``template_id`` nor ``template_name``, of every template of the account.

    None: no such template; []: the template has no such version.
    """
    args = {"Versions": [str(v) for v in versions]}
    if template_id or template_name:
        args.update(_template_identity(template_id, template_name))
    paginator = client.get_paginator("describe_launch_template_versions")
    try:
        pages = paginator.paginate(**args, PaginationConfig={"PageSize": _VERSIONS_PAGE_SIZE})
        return pages.build_full_result()["LaunchTemplateVersions"]
    except is_boto3_error_code(_VERSION_NOT_FOUND):
        return []


@handles(LaunchTemplateErrorHandler.list_error_handler, "describe tags of launch template {template_id}", [])
@AWSRetry.jittered_backoff()
def _describe_tags(client, template_id):
    paginator = client.get_paginator("describe_tags")
    pages = paginator.paginate(Filters=[{"Name": "resource-id", "Values": [template_id]}])
    return pages.build_full_result()["Tags"]


@handles(IAMErrorHandler.list_error_handler, "get instance profile {name}", None)
@AWSRetry.jittered_backoff()
def _get_instance_profile(client, name):
    return client.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


@handles(LaunchTemplateErrorHandler.common_error_handler, "create launch template {name}")
@AWSRetry.jittered_backoff()
def create_launch_template(client, name, data, *, description=None, tags=None, token=None):
    params = {"LaunchTemplateName": name, "LaunchTemplateData": data}
    if description is not None:
        params["VersionDescription"] = description
    if tags:
        params["TagSpecifications"] = [
            {"ResourceType": "launch-template", "Tags": ansible_dict_to_boto3_tag_list(tags)}
        ]
    if token:
        params["ClientToken"] = token
    try:
        return client.create_launch_template(**params)["LaunchTemplate"]
    except is_boto3_error_code(_NAME_TAKEN) as e:
        # Not a failure to report but a template to adopt: the caller re-reads it (LaunchTemplateExists).
        raise LaunchTemplateExists(message=f"Failed to create launch template {name}", exception=e) from e


@handles(LaunchTemplateErrorHandler.common_error_handler, "create a version of launch template {template_id}")
@AWSRetry.jittered_backoff()
def create_launch_template_version(client, template_id, data, *, description=None, token=None):
    # No SourceVersion: the data is already complete, and emulators ignore SourceVersion anyway.
    params = {"LaunchTemplateId": template_id, "LaunchTemplateData": data}
    if description is not None:
        params["VersionDescription"] = description
    if token:
        params["ClientToken"] = token
    return client.create_launch_template_version(**params)["LaunchTemplateVersion"]


@handles(LaunchTemplateErrorHandler.common_error_handler, "set the default version of launch template {template_id}")
@AWSRetry.jittered_backoff()
def set_default_version(client, template_id, version_number):
    return client.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version_number))[
        "LaunchTemplate"
    ]


@handles(LaunchTemplateErrorHandler.common_error_handler, "tag launch template {template_id}")
@AWSRetry.jittered_backoff()
def tag_launch_template(client, template_id, tags):
    client.create_tags(Resources=[template_id], Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@handles(LaunchTemplateErrorHandler.common_error_handler, "untag launch template {template_id}")
@AWSRetry.jittered_backoff()
def untag_launch_template(client, template_id, keys):
    client.delete_tags(Resources=[template_id], Tags=[{"Key": key} for key in keys])
    return True


@handles(LaunchTemplateErrorHandler.deletion_error_handler, "delete launch template {template_id}")
@AWSRetry.jittered_backoff()
def delete_launch_template(client, template_id):
    # One call removes the template with every version; no DeleteLaunchTemplateVersions first.
    client.delete_launch_template(LaunchTemplateId=template_id)
    return True


# --- reads the module makes --------------------------------------------------------------------


def describe_launch_template(
    client, *, template_id: str | None, template_name: str | None, source_version: str, with_tags: bool
) -> dict | None:
    """The template as the module sees it, or None when it does not exist.

    ``{"launch_template": {launch_template_id, launch_template_name, default_version_number,
    latest_version_number}, "source": <version>, "latest": <version>, "tags": dict or None}``,
    versions as EC2 returns them. One DescribeLaunchTemplateVersions for the source, default and
    latest versions together, and with ``with_tags`` one DescribeTags (DescribeLaunchTemplates'
    tags go stale on emulators after CreateTags/DeleteTags).
    """
    wanted = [DEFAULT_VERSION, LATEST_VERSION]
    if source_version not in wanted:
        wanted.insert(0, str(source_version))
    versions = describe_launch_template_versions(client, wanted, template_id=template_id, template_name=template_name)
    if versions is None:
        return None
    if not versions:
        raise LaunchTemplateProfileError(
            f"source_version {source_version} does not exist in launch template {template_name or template_id}",
            option="source_version",
        )
    latest = max(versions, key=lambda v: v["VersionNumber"])
    default = next((v for v in versions if v.get("DefaultVersion")), latest)
    if source_version == DEFAULT_VERSION:
        source = default
    elif source_version == LATEST_VERSION:
        source = latest
    else:
        source = next((v for v in versions if v["VersionNumber"] == int(source_version)), None)
        if source is None:
            raise LaunchTemplateProfileError(
                f"source_version {source_version} does not exist in launch template {template_name or template_id}",
                option="source_version",
            )
    template = {
        "launch_template_id": latest["LaunchTemplateId"],
        "launch_template_name": latest.get("LaunchTemplateName"),
        "default_version_number": default["VersionNumber"],
        "latest_version_number": latest["VersionNumber"],
    }
    tags = None
    if with_tags:
        tags = boto3_tag_list_to_ansible_dict(_describe_tags(client, template["launch_template_id"]))
    return {"launch_template": template, "source": source, "latest": latest, "tags": tags}


def usable_instance_profile(client, *, name: str | None = None, arn: str | None = None) -> dict:
    """IAM's instance profile for ``name`` or ``arn``, checked to exist and to hold a role.

    Raises :class:`LaunchTemplateProfileError` naming the option otherwise. One GetInstanceProfile.
    """
    option, value = ("instance_profile_arn", arn) if arn else ("instance_profile_name", name)
    profile_name = instance_profile_arn_parts(arn)["name"] if arn else name
    profile = _get_instance_profile(client, profile_name)
    if profile is None:
        raise LaunchTemplateProfileError(
            f"{option}: instance profile {value} does not exist; create it first "
            "(cloudcred.ec2.iam_instance_role), or set validate_instance_profile: false",
            option=option,
        )
    if arn and profile["Arn"] != arn:
        raise LaunchTemplateProfileError(
            f"instance_profile_arn {arn} does not match the instance profile named {profile_name} ({profile['Arn']})",
            option="instance_profile_arn",
        )
    if not profile.get("Roles"):
        raise LaunchTemplateProfileError(
            f"{option}: instance profile {value} holds no role, so instances would get no credentials; "
            "add the role to it first (cloudcred.ec2.iam_instance_role), or set validate_instance_profile: false",
            option=option,
        )
    return profile
