# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EXAMPLES of iam_instance_role run as written, one after another, on an account without their roles.

Only the names' prefix is this run's own (the endpoint is shared); everything else is the text a user copies.
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
    tasks = yaml.safe_load(text.replace("qateam-", unique_prefix))
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
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    return run, tasks


def test_iam_instance_role_examples_run_in_order(tmp_path, aws_env, boto3_clients, unique_prefix):
    run, tasks = run_examples("iam_instance_role", tmp_path, aws_env, unique_prefix)
    recap = run.stdout[run.stdout.rindex("PLAY RECAP") :]
    assert f"ok={len(tasks)}" in recap and "failed=0" in recap, recap
    # the refused example failed as intended, before any write; the last one removed the others
    iam = boto3_clients("iam")
    left = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(unique_prefix)]
    assert left == [], f"the examples left roles behind: {left}"


def test_instance_role_info_examples_run_in_order(tmp_path, aws_env, unique_prefix):
    # On an account without the role: nothing uses it, so the guard passes and every task is ok.
    run, tasks = run_examples("instance_role_info", tmp_path, aws_env, unique_prefix)
    recap = run.stdout[run.stdout.rindex("PLAY RECAP") :]
    assert f"ok={len(tasks)}" in recap and "failed=0" in recap, recap
