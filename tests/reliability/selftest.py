# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suite's own instruments, checked before they judge anything.

* each injected error body parses, with botocore's parser of its protocol, to the intended code;
* a boto3 client through the proxy gets throttled and recovers, and every attempt is recorded;
* a scripted error reaches the client as that error;
* a kill point SIGKILLs the process group of the run once the answer has been sent;
* a repeated EC2 ClientToken is answered from the first answer, as on AWS.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time

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
    return rows
