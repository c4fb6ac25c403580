# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/permissions.md as the only permissions of the identity that runs the playbooks and modules.

A moto server with IAM access control on (INITIAL_NO_AUTH_ACTION_COUNT) is the endpoint: after the first
requests (an administrator made for the set-up), every request must be signed by a known access key and is
authorised against that user's identity policies. The identity under test holds one documented policy and
nothing else. Each component's scenarios must pass with it without an AccessDenied, and without any one of its
statements some scenario must be denied.

What moto enforces, and so what this test proves: the *actions* of each statement. moto authorises a request
against the resource "*" (IAM requests that name an existing role against the role's ARN), so a statement
scoped to ARNs would match nothing; and it cannot evaluate the condition keys AWS sets (an Allow with a
condition it cannot read becomes a deny). The policies are therefore loaded with every Resource widened to "*"
and their Conditions dropped; the ARNs and conditions themselves are AWS's to check and this test does not.
Actions that moto never authorises for the caller are listed in NOT_AUTHORISED_BY_MOTO with the reason; a
statement made only of them cannot fail here and is skipped, saying so. Auto Scaling: moto serves the group
calls the role makes (create, update, tags, delete) but has no instance refresh, so the groups here have no
instances and StartInstanceRefresh/DescribeInstanceRefreshes are not exercised; DisableMetricsCollection, which
moto lacks too, is added by moto_server.py beside this file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"  # moto's account, and the placeholder of docs/permissions.md
DENIED = ("AccessDenied", "not authorized to perform")

_spec = importlib.util.spec_from_file_location("doc_permissions", ROOT / "tests" / "reliability" / "permissions.py")
doc_permissions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(doc_permissions)

NOT_AUTHORISED_BY_MOTO = {
    "iam:PassRole": "AWS checks it inside CreateAutoScalingGroup/UpdateAutoScalingGroup; moto does not",
    "ec2:RunInstances": "Auto Scaling checks the caller may launch from the template; moto does not",
    "iam:CreateServiceLinkedRole": "AWS creates AWSServiceRoleForAutoScaling with the first group; moto has it",
    "iam:SimulatePrincipalPolicy": "the preflight calls the simulator only without endpoint_url (AWS itself)",
    "iam:GetGroupPolicy": "the deployer here is a user",
    "iam:PutGroupPolicy": "the deployer here is a user",
    "iam:DeleteGroupPolicy": "the deployer here is a user",
    "iam:ListGroupPolicies": "the deployer here is a user",
}

# The preflight calls these on the caller itself only where the endpoint cannot simulate (an emulator, as
# here), and reports "unverified" when they are denied; docs/permissions.md says so and does not grant them.
EMULATOR_ONLY = {
    f"iam:{verb}"
    for verb in (
        "ListUserPolicies",
        "GetUserPolicy",
        "ListAttachedUserPolicies",
        "ListGroupsForUser",
        "ListGroupPolicies",
        "GetGroupPolicy",
        "ListAttachedGroupPolicies",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
    )
}


def denials(output: str) -> list[str]:
    """Lines of the output that report a denied request, but for the preflight's emulator-only reads."""
    found = []
    for line in output.splitlines():
        if not any(d in line for d in DENIED):
            continue
        named = set(re.findall(r"perform: ([a-z0-9-]+:[A-Za-z]+)", line))
        if named and named <= EMULATOR_ONLY:
            continue
        found.append(line)
    return found


VARS = {
    "aws_region": "us-east-1",
    "asg_instance_role_name": "qateam-app",
    "asg_instance_role_managed_policies": ["AmazonSSMManagedInstanceCore"],
    "asg_instance_role_passrole_prefix": "qateam-",
    "asg_instance_role_deployer": {"type": "user", "name": "qa-deployer"},
    "asg_instance_role_purge_deployer_policy": True,
    "asg_instance_role_launch_template_name": "my-lt-with-instance-profile",
    "asg_instance_role_launch_template_data": {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"},
    "asg_instance_role_asg_name": "qateam-app-asg",
    # no instances: moto has no instance refresh
    "asg_instance_role_asg_min_size": 0,
    "asg_instance_role_asg_max_size": 2,
    "asg_instance_role_asg_desired_capacity": 0,
    "asg_instance_role_asg_availability_zones": ["us-east-1a"],
    "asg_instance_role_tags": {"team": "qa"},
}
EXTRA_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/qateam-app-extra"
CHANGE = {  # every kind of write of an update: new template version, tags added, policies, boundary
    "asg_instance_role_launch_template_data": {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t3.micro"},
    "asg_instance_role_tags": {"team": "qa", "env": "test"},
    "asg_instance_role_managed_policies": ["AmazonSSMManagedInstanceCore", EXTRA_POLICY],
    "asg_instance_role_inline_policies": {
        "s3-read": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::qateam-bucket/*"}],
        }
    },
    "asg_instance_role_permissions_boundary": "PowerUserAccess",
}
CHANGE_BACK = {"asg_instance_role_permissions_boundary": ""}  # tags, policies, boundary removed; trust put back


def for_moto(policy: dict) -> dict:
    """The policy as moto can evaluate it: resources widened to *, conditions dropped (see the module doc)."""
    statements = []
    for statement in policy["Statement"]:
        statements.append({**{k: v for k, v in statement.items() if k != "Condition"}, "Resource": "*"})
    return {**policy, "Statement": statements}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Endpoint:
    """A moto server that enforces IAM, an administrator, and the identity under test with one policy."""

    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp_path / "moto.log").open("w")
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "moto_server.py"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"moto_server did not start on {self.url}") from None
                time.sleep(0.3)
        # the 3 requests without authentication: an administrator and its key
        iam = self.client("iam", ("test", "test"))
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=_allow_all())
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        self.admin = (key["AccessKeyId"], key["SecretAccessKey"])

    def client(self, service: str, key: tuple[str, str]):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
        )

    def identity_with(self, policy: dict) -> tuple[str, str]:
        """The user qa-automation holding only `policy` (as a customer managed policy, up to 6144 characters)."""
        iam = self.client("iam", self.admin)
        iam.create_user(UserName="qa-automation")
        arn = iam.create_policy(PolicyName="cloudcred-under-test", PolicyDocument=json.dumps(for_moto(policy)))
        iam.attach_user_policy(UserName="qa-automation", PolicyArn=arn["Policy"]["Arn"])
        key = iam.create_access_key(UserName="qa-automation")["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _allow_all() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def endpoint(tmp_path):
    ep = Endpoint(tmp_path)
    yield ep
    ep.stop()


@pytest.fixture(scope="module")
def policies() -> dict:
    return doc_permissions.documented((ROOT / "docs" / "permissions.md").read_text())


def _run(argv: list[str], endpoint: Endpoint, key: tuple[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint.url,
        AWS_REGION="us-east-1",  # the modules run alone; the playbooks take aws_region from the variables file
        AWS_ACCESS_KEY_ID=key[0],
        AWS_SECRET_ACCESS_KEY=key[1],
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    return subprocess.run(argv, check=False, capture_output=True, text=True, env=env, timeout=600)


def _playbook(name: str, tmp_path: Path, *, check: bool = False, extra: dict | None = None) -> list[str]:
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(VARS))
    return [
        str(VENV_BIN / "ansible-playbook"),
        str(ROOT / "playbooks" / name),
        *("-e", f"asg_instance_role_vars_file={vars_file}", "-e", json.dumps(extra or {})),
        *(["--check", "--diff"] if check else []),
    ]


def _module(module: str, args: dict) -> list[str]:
    return [
        str(VENV_BIN / "ansible"),
        "localhost",
        *("-c", "local", "-i", "localhost,", "-m", f"cloudcred.ec2.{module}", "-a", json.dumps(args)),
    ]


def role_scenarios(endpoint: Endpoint, tmp_path: Path):
    """(label, set-up by the administrator, argv) in order: deploy check/real/again, updates, teardown."""
    admin_iam = endpoint.client("iam", endpoint.admin)

    def accounts():
        admin_iam.create_user(UserName="qa-deployer")
        admin_iam.create_policy(
            PolicyName="qateam-app-extra",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
            ),
        )

    def someone_changes_the_trust():
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        admin_iam.update_assume_role_policy(RoleName="qateam-app", PolicyDocument=json.dumps(trust))

    return [
        ("deploy --check on an empty account", accounts, _playbook("deploy.yml", tmp_path, check=True)),
        ("deploy", None, _playbook("deploy.yml", tmp_path)),
        ("deploy again (no change)", None, _playbook("deploy.yml", tmp_path)),
        (
            "update: type, tags, policies, boundary --check",
            None,
            _playbook("deploy.yml", tmp_path, check=True, extra=CHANGE),
        ),
        ("update: type, tags, policies, boundary", None, _playbook("deploy.yml", tmp_path, extra=CHANGE)),
        (
            "update back, trust put back",
            someone_changes_the_trust,
            _playbook("deploy.yml", tmp_path, extra=CHANGE_BACK),
        ),
        ("teardown --check", None, _playbook("teardown.yml", tmp_path, check=True)),
        ("teardown", None, _playbook("teardown.yml", tmp_path)),
    ]


def module_scenarios(component: str, endpoint: Endpoint, tmp_path: Path):
    """The chain made by the administrator, then the read-only module as the identity under test."""
    deployed = []

    def deploy_as_admin():
        if not deployed:
            iam = endpoint.client("iam", endpoint.admin)
            iam.create_user(UserName="qa-deployer")
            iam.create_policy(
                PolicyName="qateam-app-extra",
                PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
                ),
            )
            run = _run(_playbook("deploy.yml", tmp_path, extra=CHANGE), endpoint, endpoint.admin)
            assert run.returncode == 0, run.stdout[-3000:]
            deployed.append(True)

    name = component.rsplit(".", 1)[-1]
    args = {"name": "qateam-app"}
    if name == "instance_role_preflight":
        args["launch_template_name"] = VARS["asg_instance_role_launch_template_name"]
    return [(f"{name} on the deployed chain", deploy_as_admin, _module(name, args))]


COMPONENTS = {
    "cloudcred.ec2.asg_instance_role": role_scenarios,
    "cloudcred.ec2.instance_role_info": lambda ep, tmp: module_scenarios("cloudcred.ec2.instance_role_info", ep, tmp),
    "cloudcred.ec2.instance_role_preflight": lambda ep, tmp: module_scenarios(
        "cloudcred.ec2.instance_role_preflight", ep, tmp
    ),
}


def run_scenarios(component: str, policy: dict, endpoint: Endpoint, tmp_path: Path, *, stop_on_denial: bool):
    """Runs the component's scenarios as the identity holding `policy`. Returns [(label, run)]."""
    key = endpoint.identity_with(policy)
    done = []
    for label, set_up, argv in COMPONENTS[component](endpoint, tmp_path):
        if set_up:
            set_up()
        run = _run(argv, endpoint, key)
        done.append((label, run))
        if stop_on_denial and (run.returncode != 0 or denials(run.stdout)):
            break
    return done


def _statement_cases():
    policies = doc_permissions.documented((ROOT / "docs" / "permissions.md").read_text())
    for component in COMPONENTS:
        for index, statement in enumerate(policies.get(component, {}).get("Statement", [])):
            yield pytest.param(component, index, id=f"{component.rsplit('.', 1)[-1]}-{statement.get('Sid', index)}")


@pytest.mark.parametrize("component", list(COMPONENTS))
def test_documented_policy_is_enough(component, policies, endpoint, tmp_path):
    assert component in policies, f"docs/permissions.md has no policy for {component}"
    runs = run_scenarios(component, policies[component], endpoint, tmp_path, stop_on_denial=False)
    for label, run in runs:
        denied = denials(run.stdout)
        assert run.returncode == 0 and not denied, (
            f"{label}: rc={run.returncode}\n" + "\n".join(denied[:5]) + ("" if denied else run.stdout[-4000:])
        )


@pytest.mark.parametrize("component,index", list(_statement_cases()))
def test_every_statement_is_needed(component, index, policies, endpoint, tmp_path):
    statement = policies[component]["Statement"][index]
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if all(action in NOT_AUTHORISED_BY_MOTO for action in actions):
        pytest.skip("; ".join(f"{a}: {NOT_AUTHORISED_BY_MOTO[a]}" for a in actions))
    without = {
        **policies[component],
        "Statement": [s for i, s in enumerate(policies[component]["Statement"]) if i != index],
    }
    runs = run_scenarios(component, without, endpoint, tmp_path, stop_on_denial=True)
    label, last = runs[-1]
    denied = [a for a in actions if f"perform: {a}" in last.stdout]
    assert last.returncode != 0 and denied, (
        f"without statement {statement.get('Sid', index)} every scenario passed or failed for another reason; "
        f"last: {label} rc={last.returncode}\n{last.stdout[-3000:]}"
    )
