# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suite's own instruments, checked before they judge anything.

* each injected error body parses, with botocore's parser of its protocol, to the intended code;
* a boto3 client through the proxy gets throttled and recovers, and every attempt is recorded;
* a scripted error reaches the client as that error;
* a kill point SIGKILLs the process group of the run once the answer has been sent;
* a repeated EC2 ClientToken is answered from the first answer, as on AWS;
* ``aws_state.snapshot()`` and ``diff()`` see a change, made by hand, in each field the deploy sets.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time

import aws_state
import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
from faultproxy import FaultProxy, Faults, error_response, server_error, throttling

KILL_WITHIN = 20  # seconds: the sleeper would live 30


def _code(protocol: str, answer) -> str:
    status, _headers, body = answer
    parsed = botocore.parsers.create_parser(protocol).parse({"status_code": status, "headers": {}, "body": body}, None)
    return parsed["Error"]["Code"]


def _iam(url: str, attempts: int = 5):
    cfg = botocore.config.Config(retries={"max_attempts": attempts, "mode": "legacy"})
    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=cfg,
    )


def check(upstream: str) -> list[tuple[str, bool, str]]:
    rows = []
    formats = {
        ("query", "Throttling"): _code("query", throttling("query", "iam")),
        ("ec2", "RequestLimitExceeded"): _code("ec2", throttling("ec2", "ec2")),
        ("json", "ThrottlingException"): _code("json", throttling("json", "logs")),
        ("query", "ServiceUnavailable"): _code("query", server_error("query", "autoscaling", 503)),
        ("ec2", "InternalError"): _code("ec2", server_error("ec2", "ec2", 500)),
        ("query", "ValidationError"): _code(
            "query", error_response("query", "autoscaling", 400, "ValidationError", "x")
        ),
    }
    bad = [f"{p}:{want}->{got}" for (p, want), got in formats.items() if got != want]
    rows.append(("error bodies parse as botocore reads AWS's", not bad, ", ".join(bad) or f"{len(formats)} formats"))

    with FaultProxy(upstream, Faults(seed=1, fault_rate=1.0, max_consecutive=2)) as proxy:
        _iam(proxy.url).list_roles(MaxItems=1)
        faults = [c.fault for c in proxy.snapshot()]
    held = faults[:2] == [f for f in faults[:2] if f] and faults[2:] == [""]
    rows.append(("faults end after max_consecutive; all recorded", held, f"attempts {faults}"))

    scripted = {"iam.GetRole": [(400, "ValidationError", "Invalid IAM Instance Profile name")]}
    with FaultProxy(upstream, Faults(scripted=scripted)) as proxy:
        try:
            _iam(proxy.url).get_role(RoleName="rel-selftest-none")
            got = "no error"
        except botocore.exceptions.ClientError as exc:
            got = f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
    rows.append(("scripted error reaches the client", got.startswith("ValidationError: Invalid IAM"), got))

    with FaultProxy(upstream, Faults(kill_after=("iam.ListRoles", 1))) as proxy:
        code = (
            "import boto3, time\n"
            f"c = boto3.client('iam', endpoint_url='{proxy.url}', region_name='us-east-1',"
            " aws_access_key_id='t', aws_secret_access_key='t')\n"
            "c.list_roles(MaxItems=1)\ntime.sleep(30)\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        proxy.faults.kill_pgid = proc.pid
        start = time.time()
        rc = proc.wait(timeout=60)
    rows.append(
        (
            "kill point SIGKILLs the run's process group",
            rc == -signal.SIGKILL and time.time() - start < KILL_WITHIN,
            f"rc={rc}",
        )
    )

    with FaultProxy(upstream) as proxy:
        ec2 = boto3.client(
            "ec2",
            endpoint_url=proxy.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        name = "rel-selftest-lt"
        with contextlib.suppress(botocore.exceptions.ClientError):
            ec2.delete_launch_template(LaunchTemplateName=name)
        first = ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t2.micro"}, ClientToken="tok-1"
        )
        again = ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t2.micro"}, ClientToken="tok-1"
        )
        ec2.delete_launch_template(LaunchTemplateName=name)
        replayed = [c.fault for c in proxy.snapshot()].count("idempotent-replay")
    same = first["LaunchTemplate"]["LaunchTemplateId"] == again["LaunchTemplate"]["LaunchTemplateId"]
    rows.append(("repeated ClientToken answered as AWS does", same and replayed == 1, f"replayed {replayed}"))
    rows.append(snapshot_sees_each_field(upstream))
    return rows


_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _stack(upstream: str, c: dict, names: aws_state.Names) -> str:
    """What a deploy makes (role, profile, policy, template, group, deployer), directly; the policy's ARN."""
    iam = c["iam"]
    iam.create_role(RoleName=names.role, AssumeRolePolicyDocument=json.dumps(_TRUST), Description="d1")
    arn = iam.create_policy(PolicyName=names.prefix + "policy", PolicyDocument=json.dumps(_DOC))["Policy"]["Arn"]
    iam.create_instance_profile(InstanceProfileName=names.role, Tags=[{"Key": "suite", "Value": "reliability"}])
    iam.add_role_to_instance_profile(InstanceProfileName=names.role, RoleName=names.role)
    iam.create_user(UserName=names.deployer)
    aws_state.ensure_template(upstream, names)
    c["autoscaling"].create_auto_scaling_group(
        AutoScalingGroupName=names.group,
        LaunchTemplate={"LaunchTemplateName": names.template, "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[aws_state.AZ],
    )
    return arn


def _changes(c: dict, names: aws_state.Names, policy_arn: str) -> list[tuple[str, object]]:
    """(the snapshot path that must differ, the change by hand), one per field."""
    iam, ec2, asg = c["iam"], c["ec2"], c["autoscaling"]
    role, lt, group = names.role, names.template, names.group
    trust = {
        **_TRUST,
        "Statement": [{**_TRUST["Statement"][0], "Condition": {"Bool": {"aws:SecureTransport": "true"}}}],
    }
    template_id = ec2.describe_launch_templates(LaunchTemplateNames=[lt])["LaunchTemplates"][0]["LaunchTemplateId"]
    return [
        ("/roles/rel-CASE-app/description", lambda: iam.update_role(RoleName=role, Description="d2")),
        ("/roles/rel-CASE-app/max_session_duration", lambda: iam.update_role(RoleName=role, MaxSessionDuration=7200)),
        (
            "/roles/rel-CASE-app/trust",
            lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust)),
        ),
        ("/roles/rel-CASE-app/managed", lambda: iam.attach_role_policy(RoleName=role, PolicyArn=policy_arn)),
        (
            "/roles/rel-CASE-app/inline",
            lambda: iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(_DOC)),
        ),
        (
            "/roles/rel-CASE-app/boundary",
            lambda: iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=policy_arn),
        ),
        ("/roles/rel-CASE-app/tags", lambda: iam.tag_role(RoleName=role, Tags=[{"Key": "k", "Value": "v"}])),
        (
            "/instance_profiles/rel-CASE-app/tags",
            lambda: iam.tag_instance_profile(InstanceProfileName=role, Tags=[{"Key": "k", "Value": "v"}]),
        ),
        (
            "/instance_profiles/rel-CASE-app/roles",
            lambda: iam.remove_role_from_instance_profile(InstanceProfileName=role, RoleName=role),
        ),
        (
            "/policies/rel-CASE-policy/document",
            lambda: iam.create_policy_version(
                PolicyArn=policy_arn,
                PolicyDocument=json.dumps({**_DOC, "Statement": [{**_DOC["Statement"][0], "Action": "s3:GetObject"}]}),
                SetAsDefault=True,
            ),
        ),
        (
            "/launch_templates/rel-CASE-lt/versions/2",
            lambda: ec2.create_launch_template_version(
                LaunchTemplateName=lt, LaunchTemplateData={"ImageId": aws_state.IMAGE, "InstanceType": "t3.micro"}
            ),
        ),
        (
            "/launch_templates/rel-CASE-lt/default",
            lambda: ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion="2"),
        ),
        (
            "/launch_templates/rel-CASE-lt/tags",
            lambda: ec2.create_tags(Resources=[template_id], Tags=[{"Key": "k", "Value": "v"}]),
        ),
        (
            "/groups/rel-CASE-asg/tags",
            lambda: asg.create_or_update_tags(
                Tags=[
                    {
                        "ResourceId": group,
                        "ResourceType": "auto-scaling-group",
                        "Key": "k",
                        "Value": "v",
                        "PropagateAtLaunch": False,
                    }
                ]
            ),
        ),
        ("/groups/rel-CASE-asg/max", lambda: asg.update_auto_scaling_group(AutoScalingGroupName=group, MaxSize=2)),
        ("/groups/rel-CASE-asg/instance_refreshes", lambda: asg.start_instance_refresh(AutoScalingGroupName=group)),
        (
            "/deployer",
            lambda: iam.put_user_policy(UserName=names.deployer, PolicyName="p", PolicyDocument=json.dumps(_DOC)),
        ),
        ("/deployer_attached", lambda: iam.attach_user_policy(UserName=names.deployer, PolicyArn=policy_arn)),
    ]


def snapshot_sees_each_field(upstream: str) -> tuple[str, bool, str]:
    """Change each field by hand, one at a time: the snapshot after differs from the one before at that field
    (and maybe at others that follow from it: an attached policy shows on the role and on the policy)."""
    names = aws_state.Names("selftest-state")
    c = aws_state.clients(upstream)
    aws_state.cleanup(upstream, names)
    unseen = []
    try:
        arn = _stack(upstream, c, names)
        before = aws_state.snapshot(upstream, names)
        changes = _changes(c, names, arn)
        for path, change in changes:
            change()
            after = aws_state.snapshot(upstream, names)
            found = aws_state.diff(before, after)
            if not any(line.startswith(path) for line in found):
                unseen.append(f"{path}: {found[:2]}")
            before = after
    finally:
        aws_state.cleanup(upstream, names)
    detail = "; ".join(unseen) or f"{len(changes)} fields, each change seen where it was made"
    return ("snapshot()/diff() see a change in each field", not unseen, detail)
