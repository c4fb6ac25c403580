# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's EXAMPLES run as written, one after another, on an account without anything they name, and
leave nothing behind: the setup they need and their teardown are tasks of the examples themselves.

Only the names are this run's own (the endpoint is shared): ``qateam-`` becomes a unique prefix, and the AWS
guide's template name ``my-lt-with-instance-profile`` goes under it too; everything else is the text a user copies.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.localstack

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
# The AWS guide's launch template name, the one name of the examples outside qateam-.
GUIDE_TEMPLATE = "my-lt-with-instance-profile"


def examples_of(module: str) -> str:
    tree = ast.parse((ROOT / "plugins" / "modules" / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["EXAMPLES"]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{module} has no EXAMPLES")


def run_examples(module: str, tmp_path, aws_env, unique_prefix) -> tuple[subprocess.CompletedProcess, list]:
    """The module's EXAMPLES as one play, names prefixed with this run's own; the run and its tasks."""
    text = examples_of(module)
    assert "qateam-" in text
    text = text.replace(GUIDE_TEMPLATE, f"qateam-{GUIDE_TEMPLATE}").replace("qateam-", unique_prefix)
    tasks = yaml.safe_load(text)
    assert any(f"cloudcred.ec2.{module}" in task for task in tasks), f"no task of {module}'s EXAMPLES uses it"
    playbook = tmp_path / "examples.yml"
    playbook.write_text(
        yaml.safe_dump([{"name": "EXAMPLES", "hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    )
    env = {**os.environ, **aws_env, "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            *("-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}"),
            str(playbook),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    return run, tasks


def left_behind(clients, prefix: str) -> dict[str, list[str]]:
    """What exists with the prefix, by kind (each kind a list of names; empty when nothing is left)."""
    iam, ec2, autoscaling = clients("iam"), clients("ec2"), clients("autoscaling")

    def named(items, key):
        return sorted(item[key] for item in items if item[key].startswith(prefix))

    groups = autoscaling.get_paginator("describe_auto_scaling_groups").paginate().build_full_result()
    configurations = autoscaling.get_paginator("describe_launch_configurations").paginate().build_full_result()
    templates = ec2.get_paginator("describe_launch_templates").paginate().build_full_result()
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag-key", "Values": ["aws:autoscaling:groupName"]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )["Reservations"]
    instances = sorted(
        instance["InstanceId"]
        for reservation in reservations
        for instance in reservation["Instances"]
        if any(
            tag["Key"] == "aws:autoscaling:groupName" and tag["Value"].startswith(prefix)
            for tag in instance.get("Tags", [])
        )
    )
    return {
        "roles": named(iam.get_paginator("list_roles").paginate().build_full_result()["Roles"], "RoleName"),
        "instance profiles": named(
            iam.get_paginator("list_instance_profiles").paginate().build_full_result()["InstanceProfiles"],
            "InstanceProfileName",
        ),
        "users": named(iam.get_paginator("list_users").paginate().build_full_result()["Users"], "UserName"),
        "policies": named(
            iam.get_paginator("list_policies").paginate(Scope="Local").build_full_result()["Policies"], "PolicyName"
        ),
        "auto scaling groups": named(groups["AutoScalingGroups"], "AutoScalingGroupName"),
        "launch configurations": named(configurations["LaunchConfigurations"], "LaunchConfigurationName"),
        "launch templates": named(templates["LaunchTemplates"], "LaunchTemplateName"),
        "instances of the groups": instances,
    }


@pytest.mark.parametrize("module", MODULES)
def test_examples_run_in_order_and_leave_nothing(module, tmp_path, aws_env, boto3_clients, unique_prefix):
    run, tasks = run_examples(module, tmp_path, aws_env, unique_prefix)
    recap = run.stdout[run.stdout.rindex("PLAY RECAP") :]
    # Every task ran and ended ok or changed (a task meant to fail says so with failed_when); none was skipped.
    assert f"ok={len(tasks)} " in recap and " failed=0 " in recap and " skipped=0 " in recap, recap
    left = {kind: names for kind, names in left_behind(boto3_clients, unique_prefix).items() if names}
    assert left == {}, f"{module}'s EXAMPLES left behind: {left}"
