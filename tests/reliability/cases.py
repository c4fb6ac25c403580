# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Case tables of the reliability suite: bad input (modules and role), crash points.

Bad input: each case is ``(id, module, arguments, option)``: the run must fail with a message
naming ``option`` (``a|b``: either) and make no mutating call. Module cases run as tasks of one playbook
(each task attributed through the proxy's marks); role cases run ``playbooks/deploy.yml`` with
the arguments as extra vars on top of a valid set.
"""

from __future__ import annotations

import json

ROLE = "cloudcred.ec2.iam_instance_role"
LTP = "cloudcred.ec2.launch_template_profile"
P = "rel-bad-"  # every name a bad-input case could create starts with this
ACCOUNT = "000000000000"

_ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
_BIG_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{'b' * 60}{i}/*"}
        for i in range(150)
    ],
}
_LT_DATA = {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"}

MODULE_CASES: list[tuple[str, str, dict, str]] = [
    # --- iam_instance_role: names, paths, sizes -------------------------------------------
    ("role-name-empty", ROLE, {"name": ""}, "name"),
    ("role-name-too-long", ROLE, {"name": P + "x" * 60}, "name"),
    ("role-name-bad-chars", ROLE, {"name": "rel-bad-app/with space!"}, "name"),
    ("role-path-no-slashes", ROLE, {"name": P + "app", "path": "team"}, "path"),
    ("role-path-too-long", ROLE, {"name": P + "app", "path": "/" + "p" * 512 + "/"}, "path"),
    ("role-description-too-long", ROLE, {"name": P + "app", "description": "d" * 1001}, "description"),
    ("role-session-too-short", ROLE, {"name": P + "app", "max_session_duration": 60}, "max_session_duration"),
    ("role-session-too-long", ROLE, {"name": P + "app", "max_session_duration": 50000}, "max_session_duration"),
    ("role-tag-key-too-long", ROLE, {"name": P + "app", "tags": {"k" * 129: "v"}}, "tags"),
    ("role-too-many-tags", ROLE, {"name": P + "app", "tags": {f"k{i}": "v" for i in range(51)}}, "tags"),
    (
        "profile-name-bad-chars",
        ROLE,
        {"name": P + "app", "instance_profile_name": "bad name!"},
        "instance_profile_name",
    ),
    ("profile-path-bad", ROLE, {"name": P + "app", "instance_profile_path": "nope"}, "instance_profile_path"),
    # --- iam_instance_role: policy JSON and structure, ARNs --------------------------------
    (
        "trust-not-json",
        ROLE,
        {"name": P + "app", "assume_role_policy_document": "{not json"},
        "assume_role_policy_document",
    ),
    (
        "trust-no-statement",
        ROLE,
        {"name": P + "app", "assume_role_policy_document": {"Version": "2012-10-17"}},
        "assume_role_policy_document",
    ),
    ("inline-not-json", ROLE, {"name": P + "app", "inline_policies": {"app": "{bad json"}}, "inline_policies"),
    (
        "inline-bad-effect",
        ROLE,
        {
            "name": P + "app",
            "inline_policies": {
                "app": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}],
                }
            },
        },
        "inline_policies",
    ),
    (
        "inline-no-action",
        ROLE,
        {
            "name": P + "app",
            "inline_policies": {"app": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}},
        },
        "inline_policies",
    ),
    ("inline-too-large", ROLE, {"name": P + "app", "inline_policies": {"big": _BIG_POLICY}}, "inline_policies"),
    ("inline-bad-name", ROLE, {"name": P + "app", "inline_policies": {"bad name!": _ALLOW_S3}}, "inline_policies"),
    ("managed-bad-arn", ROLE, {"name": P + "app", "managed_policies": ["arn:aws:iam:policy/Nope"]}, "managed_policies"),
    (
        "managed-too-many",
        ROLE,
        {"name": P + "app", "managed_policies": [f"arn:aws:iam::{ACCOUNT}:policy/p{i}" for i in range(21)]},
        "managed_policies",
    ),
    (
        "boundary-bad-arn",
        ROLE,
        {"name": P + "app", "permissions_boundary": "arn:aws:s3:::not-a-policy"},
        "permissions_boundary",
    ),
    # --- launch_template_profile ------------------------------------------------------------
    ("lt-neither-name-nor-id", LTP, {"instance_profile_name": P + "app"}, "launch_template_name"),
    (
        "lt-name-and-id",
        LTP,
        {
            "launch_template_name": P + "lt",
            "launch_template_id": "lt-0123456789abcdef0",
            "instance_profile_name": P + "app",
        },
        "launch_template_id",
    ),
    (
        "lt-profile-name-and-arn",
        LTP,
        {
            "launch_template_name": P + "lt",
            "instance_profile_name": P + "app",
            "instance_profile_arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{P}app",
        },
        "instance_profile_arn",
    ),
    (
        "lt-no-profile-for-present",
        LTP,
        {"launch_template_name": P + "lt", "launch_template_data": _LT_DATA},
        "instance_profile_name",
    ),
    (
        "lt-profile-missing",
        LTP,
        {"launch_template_name": P + "lt", "instance_profile_name": P + "nope", "launch_template_data": _LT_DATA},
        "instance_profile_name",
    ),
    (
        "lt-profile-arn-malformed",
        LTP,
        {
            "launch_template_name": P + "lt",
            "instance_profile_arn": "arn:aws:iam::instance-profile",
            "launch_template_data": _LT_DATA,
        },
        "instance_profile_arn",
    ),
    (
        "lt-neither-data-nor-source",
        LTP,
        {
            "launch_template_name": P + "new-lt",
            "instance_profile_name": P + "fixture",
            "validate_instance_profile": False,
        },
        "launch_template_data",
    ),
    (
        "lt-source-version-bad",
        LTP,
        {
            "launch_template_name": P + "lt",
            "instance_profile_name": P + "fixture",
            "source_version": "newest",
            "launch_template_data": _LT_DATA,
        },
        "source_version",
    ),
    (
        "lt-name-bad-chars",
        LTP,
        {"launch_template_name": "bad name!", "instance_profile_name": P + "fixture", "launch_template_data": _LT_DATA},
        "launch_template_name",
    ),
    (
        "lt-id-malformed",
        LTP,
        {"launch_template_id": "template-1", "instance_profile_name": P + "fixture"},
        "launch_template_id",
    ),
    (
        "lt-data-snake-case",
        LTP,
        {
            "launch_template_name": P + "lt",
            "instance_profile_name": P + "fixture",
            "launch_template_data": {"image_id": "ami-04d5cc9b88example"},
        },
        "launch_template_data",
    ),
    (
        "lt-data-profile-conflict",
        LTP,
        {
            "launch_template_name": P + "lt",
            "instance_profile_name": P + "fixture",
            "launch_template_data": {**_LT_DATA, "IamInstanceProfile": {"Name": "other"}},
        },
        "launch_template_data",
    ),
]

# Role cases: extra vars on top of a valid deploy of names rel-bad-*; the option is the variable.
ROLE_CASES: list[tuple[str, dict, str]] = [
    ("role-state-unknown", {"asg_instance_role_state": "gone"}, "asg_instance_role_state"),
    ("role-name-bad", {"asg_instance_role_name": "bad name!"}, "asg_instance_role_name"),
    (
        "role-deployer-type",
        {"asg_instance_role_deployer": {"type": "computer", "name": "x"}},
        "asg_instance_role_deployer",
    ),
    ("role-passrole-star", {"asg_instance_role_passrole_prefix": "*"}, "asg_instance_role_passrole_prefix"),
    (
        "role-inline-not-json",
        {"asg_instance_role_inline_policies": {"app": "{bad json"}},
        "asg_instance_role_inline_policies",
    ),
    (
        "role-lt-data-snake-case",
        {"asg_instance_role_launch_template_data": {"image_id": "ami-1"}},
        "asg_instance_role_launch_template_data",
    ),
    (
        "role-asg-min-over-max",
        {"asg_instance_role_asg_min_size": 3, "asg_instance_role_asg_max_size": 1},
        "asg_instance_role_asg_min_size|asg_instance_role_asg_max_size",
    ),
    (
        "role-asg-no-zones",
        {"asg_instance_role_asg_availability_zones": []},
        "asg_instance_role_asg_availability_zones|asg_instance_role_asg_vpc_zone_identifier",
    ),
    ("role-path-bad", {"asg_instance_role_path": "team"}, "asg_instance_role_path"),
    (
        "role-inline-bad-json-object",
        {"asg_instance_role_inline_policies": {"app": "{bad json}"}},
        "asg_instance_role_inline_policies",
    ),
    (
        "role-managed-bad-arn",
        {"asg_instance_role_managed_policies": ["arn:aws:iam:policy/Nope"]},
        "asg_instance_role_managed_policies",
    ),
    (
        "role-boundary-bad-arn",
        {"asg_instance_role_permissions_boundary": "arn:aws:s3:::not-a-policy"},
        "asg_instance_role_permissions_boundary",
    ),
    (
        "role-lt-data-profile",
        {
            "asg_instance_role_launch_template_data": {
                "ImageId": "ami-04d5cc9b88example",
                "IamInstanceProfile": {"Name": "other"},
            }
        },
        "asg_instance_role_launch_template_data",
    ),
    (
        "role-lt-data-nested-snake-case",
        {
            "asg_instance_role_launch_template_data": {
                "ImageId": "ami-04d5cc9b88example",
                "MetadataOptions": {"http_put_response_hop_limit": 2},
            }
        },
        "asg_instance_role_launch_template_data",
    ),
    (
        "role-lt-data-imdsv1",
        {
            "asg_instance_role_launch_template_data": {
                "ImageId": "ami-04d5cc9b88example",
                "MetadataOptions": {"HttpTokens": "optional"},
            }
        },
        "asg_instance_role_launch_template_data|asg_instance_role_require_imdsv2",
    ),
    (
        "role-lt-name-bad",
        {"asg_instance_role_launch_template_name": "bad name!"},
        "asg_instance_role_launch_template_name",
    ),
    (
        "role-tag-key-too-long",
        {"asg_instance_role_tags": {"k" * 129: "v"}},
        "asg_instance_role_tags",
    ),
    (
        "role-deployer-missing",
        {"asg_instance_role_deployer": {"type": "user", "name": P + "nobody"}},
        "asg_instance_role_deployer",
    ),
]


def module_playbook(cases: list | None = None) -> str:
    """One play, one task a case, each failure ignored and attributed by its task name."""
    tasks = [
        {"name": case_id, module: args, "ignore_errors": True, "register": "__case"}
        for case_id, module, args, _option in cases or MODULE_CASES
    ]
    play = {"name": "bad input", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
    return json.dumps([play], indent=1)
