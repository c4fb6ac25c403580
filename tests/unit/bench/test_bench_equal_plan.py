# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the equal job runs (bench/equal.py): the scenario sequence per N and each side's command. No emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import equal  # noqa: E402


def test_one_application_repeats_the_whole_sequence():
    assert equal.plan(1, 3) == (3, ["first converge", "no-change", "check", "new instance type", "teardown"])


def test_more_applications_repeat_only_no_change_and_check_and_sweep_forks_at_ten():
    rounds, sequence = equal.plan(equal.SWEEP_N, 3, sweep=True)
    assert rounds == 1
    assert sequence == [
        "first converge",
        *["no-change"] * 3,
        *["check"] * 3,
        "forks sweep",
        "new instance type",
        "teardown",
    ]
    assert "forks sweep" not in equal.plan(20, 3, sweep=True)[1]


def test_terraform_check_is_a_plan_that_fails_on_any_change_and_teardown_a_destroy():
    check = equal.terraform_argv("tf", "check", 20)
    assert check[:3] == ["tf", "plan", "-detailed-exitcode"] and "applications=20" in check
    teardown = equal.terraform_argv("tf", "teardown", 1)
    assert teardown[:3] == ["tf", "destroy", "-auto-approve"]
    assert "instance_type=t3.small" in teardown


def test_ansible_sides_run_the_inventory_with_forks_and_ours_tears_down_with_the_role():
    argv = equal.ansible_argv("ours", "teardown", Path("inv.yml"), 7)
    assert argv[:5] == ["ansible-playbook", "-i", "inv.yml", "-f", "7"]
    assert "asg_instance_role_state=absent" in argv
    check = equal.ansible_argv("amazon.aws", "check", Path("inv.yml"), 7)
    assert check[-1] == "--check" and check[-2].endswith("bench/equal/baseline.yml")


def test_the_inventory_has_one_host_per_application(tmp_path):
    path = tmp_path / "inv.yml"
    equal.write_inventory(path, 3)
    hosts = yaml.safe_load(path.read_text())["applications"]["hosts"]
    assert hosts == {"app-1": {"bench_app": 1}, "app-2": {"bench_app": 2}, "app-3": {"bench_app": 3}}
