# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input rules of the role cloudcred.ec2.asg_instance_role, made here so that they are tested.

:func:`input_problem`: every rule the role's variables must follow, checked at once before any AWS call, the
first problem naming the VARIABLE. The rules of module options are the modules' own (``desired_state`` of
iam_instance_role, ``first_option_problem`` of launch_template_profile, the rules of ``_validation``), called with
the role's values; each names the refused option, and ``_asg_instance_role_report.refusal`` tells it as the role's
variable. :func:`check` is the role's first task (the module cloudcred.ec2.asg_instance_role_check): those rules,
then the deployer's PassRole policy read (:func:`read_deployer_policy`), a missing deployer judged here too.
(The role's other decision, the group's drift, is in ``_group_drift``, which imports nothing heavy: the role
evaluates it in several tasks' conditions.)

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import re

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role_report import PREFIX, refusal
from ansible_collections.cloudcred.ec2.plugins.module_utils._common import partition_for_region
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam import (
    get_iam_principal_policy,
    list_iam_principal_policies,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._iam_instance_role import (
    IamInstanceRoleError,
    desired_state,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    first_option_problem,
    launch_template_data_input_problem,
    request_shape,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._validation import (
    ROLE_NAME_MAX,
    name_problem,
    passrole_path_problem,
    passrole_prefix_problem,
    path_problem,
)

NO_REGION = (
    "No AWS region: set asg_instance_role_region (the playbooks set it from aws_region in their variables file), "
    "or AWS_REGION in the environment"
)


# --- the role's input -------------------------------------------------------------------------------------------


# ansible-core before 2.19 templates omit to this string with a random suffix (from 2.19 an object of type _OmitType).
OMIT_PLACEHOLDER_PREFIX = "__omit_place_holder__"


def given_variables(variables) -> dict:
    """The variables as given: one set to omit (an AWX extra var "{{ ... or omit }}") is left out, as unset, the way
    a module leaves out an omitted option. (Ansible's omit placeholder, known by its type's name or, before 2.19, its
    string's prefix: no controller import here.)"""
    return {name: value for name, value in (variables or {}).items() if not _omitted(value)}


def _omitted(value) -> bool:
    return type(value).__name__ == "_OmitType" or (isinstance(value, str) and value.startswith(OMIT_PLACEHOLDER_PREFIX))


def _given(variables: dict, name: str, default=None):
    """A variable's value; unset, None or empty is ``default`` (Jinja's ``default(x, true)``)."""
    value = variables.get(PREFIX + name)
    return value if value not in (None, "", [], {}) else default


def _iam_instance_role_problem(variables: dict, partition: str) -> str | None:
    """iam_instance_role's own rules for the options the role passes it."""
    params = {
        "name": variables.get(PREFIX + "name"),
        "path": variables.get(PREFIX + "path", "/"),
        "managed_policies": variables.get(PREFIX + "managed_policies", []),
        "inline_policies": variables.get(PREFIX + "inline_policies", {}),
        "permissions_boundary": variables.get(PREFIX + "permissions_boundary"),
        "tags": variables.get(PREFIX + "tags", {}),
        "instance_profile_name": variables.get(PREFIX + "name"),
    }
    try:
        desired_state(params, partition)
    except IamInstanceRoleError as e:
        return refusal(e.option, str(e))
    return None


def _launch_template_problem(variables: dict, shape) -> str | None:
    """launch_template_profile's own rules for the options the role passes it (the data's shape with ``shape``)."""
    hop_limit = variables.get(PREFIX + "metadata_hop_limit")
    params = {
        "launch_template_name": variables.get(PREFIX + "launch_template_name"),
        "launch_template_data": variables.get(PREFIX + "launch_template_data", {}),
        "require_imdsv2": boolean(variables.get(PREFIX + "require_imdsv2", True), strict=False),
        "metadata_hop_limit": int(hop_limit) if str(hop_limit).isdigit() else hop_limit,
        "tags": variables.get(PREFIX + "tags", {}),
    }
    found = first_option_problem(params)
    if found:
        return refusal(*found)
    problem = launch_template_data_input_problem(
        params["launch_template_data"], require_imdsv2=params["require_imdsv2"], shape=shape
    )
    return refusal("launch_template_data", problem) if problem else None


def _passrole_problem(variables: dict) -> str | None:
    """The deployer's PassRole prefix is a role name's start and, with a deployer, covers the role; the path (the
    resource's path) holds no wildcard."""
    problem = passrole_path_problem(PREFIX + "path", variables.get(PREFIX + "path", "/"))
    if problem:
        return problem
    name = variables.get(PREFIX + "name")
    prefix = str(_given(variables, "passrole_prefix", name))
    problem = name_problem(PREFIX + "passrole_prefix", prefix, ROLE_NAME_MAX)
    if problem:
        return problem + " (the start of a role name, no * or other wildcard: the policy adds the *)"
    if not _given(variables, "deployer"):
        return None
    return passrole_prefix_problem(
        prefix,
        str(name),
        path=variables.get(PREFIX + "path", "/"),
        prefix_option=PREFIX + "passrole_prefix",
        name_option=PREFIX + "name",
    )


def _group_problem(variables: dict) -> str | None:
    """A group needs exactly one kind of location, and sizes min <= desired <= max from 0 up."""
    if not _given(variables, "asg_name"):
        return None
    if bool(_given(variables, "asg_availability_zones")) == bool(_given(variables, "asg_vpc_zone_identifier")):
        return (
            "asg_instance_role_asg_name is set: give exactly one of asg_instance_role_asg_availability_zones "
            "and asg_instance_role_asg_vpc_zone_identifier"
        )
    return _sizes_problem(variables)


def _sizes_problem(variables: dict) -> str | None:
    """The sizes given (an existing group keeps those not given; a new one gets _group_drift.CREATE_SIZES) must keep
    min <= desired <= max, from 0 up."""
    given = [
        (name, int(variables[PREFIX + "asg_" + name]))
        for name in _SIZE_ORDER
        if _given(variables, "asg_" + name) is not None
    ]
    values = [value for _name, value in given]
    if values and (values[0] < 0 or values != sorted(values)):
        return " <= ".join(f"asg_instance_role_asg_{name} ({value})" for name, value in given) + " must hold, from 0 up"
    return None


# amazon.aws.iam_policy_info's message for a user, group or role that does not exist.
_NO_SUCH_PRINCIPAL = re.compile("cannot be found|NoSuchEntity")


def deployer_problem(deployer, read: dict | None) -> str | None:
    """Whether the deployer could be read: ``read`` is amazon.aws.iam_policy_info's result for it (skipped or
    None: not read). A principal that does not exist is no error to that module, it only lacks policy names."""
    if not deployer or not read or read.get("skipped") or "all_policy_names" in read:
        return None
    message = str(read.get("msg") or "")
    if _NO_SUCH_PRINCIPAL.search(message):
        return (
            f"{PREFIX}deployer: the {deployer.get('type')} {deployer.get('name')} does not exist; "
            f"create it first or leave {PREFIX}deployer out"
        )
    return message or "unreadable"


def read_deployer_policy(client, deployer: dict, policy_name: str) -> dict:
    """The deployer's inline policy ``policy_name``, in amazon.aws.iam_policy_info's result shape (what
    :func:`deployer_problem` judges and the role's ``asg_instance_role__deployer_document`` reads).

    List*Policies first: its answer tells a missing deployer (``NoSuchEntity``) from one without the policy (the
    first run: one call), where Get*Policy answers ``NoSuchEntity`` for both; Get*Policy only for a policy listed
    (every rerun: two calls, as amazon.aws.iam_policy_info makes).
    """
    kind, name = deployer.get("type"), deployer.get("name")
    try:
        names = list_iam_principal_policies(client, kind, name)
        if names is None:  # IAM's own words for it (NoSuchEntity)
            return {"failed": True, "msg": f"NoSuchEntity: The {kind} with name {name} cannot be found."}
        document = get_iam_principal_policy(client, kind, name, policy_name) if policy_name in names else None
    except AnsibleAWSError as error:
        return {"failed": True, "msg": f"{error.message}: {error.exception}" if error.exception else error.message}
    # None after listing it: deleted in between, as good as never there.
    policies = [] if document is None else [{"policy_name": policy_name, "policy_document": document}]
    return {"all_policy_names": names, "policies": policies}


def check(variables: dict, *, region: str | None, shape, policy_name: str, iam) -> tuple[str | None, dict | None]:
    """The role's first task: (problem, what was read of the deployer). The input rules first, with no call; then,
    with ``state: present`` and a deployer, its policy ``policy_name`` (:func:`read_deployer_policy`, on the client
    ``iam()`` returns, made only then), a deployer that cannot be read being the problem."""
    problem = input_problem(variables, region=region, shape=shape)
    deployer = _given(variables, "deployer")
    if problem or not deployer or variables.get(PREFIX + "state", "present") != "present":
        return problem, None
    read = read_deployer_policy(iam(), deployer, policy_name)
    return deployer_problem(deployer, read), read


def deployer_policy_name(variables: dict) -> str:
    """The deployer's PassRole policy's name: asg_instance_role_deployer_policy_name, else ``<role name>-passrole``."""
    return str(_given(variables, "deployer_policy_name") or f"{variables.get(PREFIX + 'name')}-passrole")


# cloudcred.ec2.asg_instance_role_check's own option.
CHECK_ARGUMENT_SPEC = dict(variables=dict(type="dict", required=True))


def check_result(params: dict, *, region: str | None, iam, shape=None) -> dict:
    """The result of the module cloudcred.ec2.asg_instance_role_check: :func:`check` of
    ``params["variables"]``, failed with the problem's message when there is one."""
    variables = given_variables(params["variables"])
    policy_name = deployer_policy_name(variables)
    problem, read = check(variables, region=region, shape=shape or request_shape(), policy_name=policy_name, iam=iam)
    policies = (read or {}).get("policies") or [{}]
    result = dict(
        changed=False,
        deployer_policy_name=policy_name,
        deployer_policy=policies[0].get("policy_document"),
        deployer_read=read,
    )
    if problem:
        result.update(failed=True, msg=problem)
    return result


# The group's sizes in the order the rule compares them.
_SIZE_ORDER = ("min_size", "desired_capacity", "max_size")


def input_problem(variables: dict, *, region: str | None, shape=None, deployer_read: dict | None = None) -> str | None:
    """The first rule the role's variables (by their full names) break, naming the variable; None when none.

    ``region`` is the region the role's tasks will use; ``shape`` botocore's ``RequestLaunchTemplateData``
    (the data's keys and types; None leaves them out); ``deployer_read`` what was read of the deployer (see
    :func:`deployer_problem`), judged after every other rule. Teardown needs only the names it deletes by.
    """
    if not region:
        return NO_REGION
    problem = name_problem(PREFIX + "name", variables.get(PREFIX + "name"), ROLE_NAME_MAX) or path_problem(
        PREFIX + "path", variables.get(PREFIX + "path", "/")
    )
    if problem or variables.get(PREFIX + "state", "present") != "present":
        return problem
    return (
        _iam_instance_role_problem(variables, partition_for_region(region))
        or _passrole_problem(variables)
        or _launch_template_problem(variables, shape)
        or _group_problem(variables)
        or deployer_problem(_given(variables, "deployer"), deployer_read)
    )
