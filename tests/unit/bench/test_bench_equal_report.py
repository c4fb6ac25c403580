# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's equal-job report (bench/equal_report.py): table, targets, the missing side. No emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import equal_report as er  # noqa: E402
from report import Run  # noqa: E402


def run(seconds, calls=("iam.GetRole",), rc=0, events=()):
    started = 1000.0
    return Run("r", rc, seconds, [(started + 0.1, started + 0.2, c, 200) for c in calls], list(events), started)


def results(ours, base, tf, n=1, scenario="no-change"):
    return {n: {"ours": {scenario: ours}, "amazon.aws": {scenario: base}, "terraform": {scenario: tf}}}


def test_cell_gives_median_seconds_calls_and_writes():
    runs = [run(3.0, ("iam.GetRole", "iam.PutUserPolicy")), run(1.0, ("iam.GetRole",)), run(2.0, ("iam.GetRole",))]
    assert er.cell(runs) == "2.00 s, 1 calls (0-1 w)"


def test_cell_of_a_missing_side_says_missing_and_of_a_failed_run_failed():
    assert er.cell([run(1.0)], "terraform not found") == "missing"
    assert er.cell([run(1.0), run(2.0, rc=1)]) == "FAILED (1 of 2 runs)"


def test_summary_table_has_both_ratios():
    table = er.summary_table(results([run(2.0)], [run(4.0)], [run(8.0)]), {}, [1])
    row = [line for line in table.splitlines() if "no-change" in line][0]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == [
        "1",
        "no-change",
        "1",
        "2.00 s, 1 calls (0 w)",
        "4.00 s, 1 calls (0 w)",
        "8.00 s, 1 calls (0 w)",
        "0.50",
        "0.25",
    ]


def test_summary_table_reports_the_missing_terraform_side_without_numbers():
    res = {1: {"ours": {"no-change": [run(2.0)]}, "amazon.aws": {"no-change": [run(4.0)]}}}
    table = er.summary_table(res, {"terraform": "terraform not found"}, [1])
    row = [line for line in table.splitlines() if "no-change" in line][0]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[5] == "missing" and cells[7] == "missing" and cells[6] == "0.50"


@pytest.mark.parametrize(
    ("ours", "peer", "status"),
    [(3.2, 4.0, "met"), (3.3, 4.0, "missed"), (0.8, 1.0, "met")],
)
def test_judge_compares_the_median_ratio_with_the_limit(ours, peer, status):
    target = er.Target(1, "no-change", "amazon.aws", 0.8)
    verdict = er.judge(target, results([run(ours)], [run(peer)], []), {})
    assert verdict.status == status


def test_a_missed_target_says_by_how_much_and_where_the_seconds_go():
    target = er.Target(1, "no-change", "terraform", 0.5)
    verdict = er.judge(target, results([run(6.0), run(5.0), run(7.0)], [], [run(8.0)]), {})
    assert verdict.status == "missed"
    # limit 0.5 x 8.00 s = 4.00 s; median 6.00 s is 2.00 s (50 %) over
    assert "6.00 s vs 8.00 s = 0.75" in verdict.detail
    assert "missed by 2.00 s (50% over the limit)" in verdict.detail
    assert "Terraform 8.00 s for 1 calls" in verdict.why


def test_a_target_against_a_missing_side_is_not_measured_never_met():
    target = er.Target(20, "check", "terraform", 1.0)
    verdict = er.judge(target, results([run(1.0)], [run(1.0)], [], n=20, scenario="check"), {"terraform": "no mirror"})
    assert verdict.status == "not measured"
    assert "no mirror" in verdict.detail


def test_a_failed_run_leaves_the_target_not_measured():
    target = er.Target(1, "no-change", "amazon.aws", 0.8)
    verdict = er.judge(target, results([run(1.0, rc=2)], [run(10.0)], []), {})
    assert verdict.status == "not measured"


def test_writes_on_a_no_change_run_miss_the_zero_writes_target():
    res = results([run(1.0, ("iam.GetRole", "iam.PutUserPolicy"))], [], [])
    checks = {v.name: v for v in er.write_checks(res, {})}
    assert checks["ours, no-change: 0 writes (every N)"].status == "missed"


def test_more_calls_than_before_issue_13_miss_the_calls_target():
    res = results([run(1.0, ("iam.GetRole",) * (er.CALLS_TODAY["no-change"] + 1))], [], [])
    checks = {v.name: v for v in er.write_checks(res, {})}
    verdict = checks["ours, no-change, 1 application: calls no more than before"]
    assert verdict.status == "missed" and "missed by 1 calls" in verdict.detail


def test_targets_section_lists_each_missed_target_with_its_reason():
    vs = [er.Verdict("a", "met", "fine"), er.Verdict("b", "missed", "missed by 1.00 s", "ours 2 s; peer 1 s")]
    text = "\n".join(er.targets_section(vs))
    assert "- **b**: missed by 1.00 s. Where the seconds go: ours 2 s; peer 1 s" in text
    assert "1 of 2 targets met, 1 missed, 0 not measured." in text


def test_time_split_counts_module_runs_per_host_result():
    events = [
        {"ev": "task", "name": "check", "action": "ansible.builtin.assert", "t": 1000.5},
        {"ev": "result", "status": "ok", "t": 1000.6},
        {"ev": "result", "status": "ok", "t": 1000.6},
        {"ev": "task", "name": "role", "action": "cloudcred.ec2.iam_instance_role", "t": 1000.7},
        {"ev": "result", "status": "ok", "t": 1001.5},
        {"ev": "result", "status": "ok", "t": 1001.7},
        {"ev": "task", "name": "skip", "action": "amazon.aws.autoscaling_group", "t": 1001.8},
        {"ev": "result", "status": "skipped", "t": 1001.9},
    ]
    split = er.time_split(run(2.0, events=events))
    assert (split["module_runs"], split["other_runs"]) == (2, 2)
    assert split["startup"] == pytest.approx(0.5)


def test_the_document_names_the_missing_side_and_judges_nothing_against_it():
    from types import SimpleNamespace

    res = {1: {"ours": {"no-change": [run(2.0)]}, "amazon.aws": {"no-change": [run(4.0)]}}}
    eq = SimpleNamespace(
        results=res,
        missing={"terraform": "terraform not found"},
        scales=[1],
        reps=1,
        forks=10,
        init=None,
        left=[],
        sweep={},
    )
    text = "\n".join(er.equal_document(eq, "- hosts: applications\n", {"ours": "1"}))
    assert "- **terraform: missing**, terraform not found" in text
    row = [line for line in text.splitlines() if "no-change: ours <= 0.5 x `terraform apply`" in line][0]
    assert [c.strip() for c in row.strip("|").split("|")][1:] == [
        "not measured",
        "terraform is missing: terraform not found",
    ]


def test_a_teardown_that_leaves_a_resource_misses_the_teardown_check():
    res = {10: {"ours": {"teardown": [run(1.0)]}}}
    left = ["amazon.aws N=10 #1: role x", "ours N=10 #1: deployer policy qateam-app-2-passrole"]
    (verdict,) = er.teardown_check(res, left)
    assert verdict.status == "missed" and verdict.detail == "ours N=10 #1: deployer policy qateam-app-2-passrole"
    (clean,) = er.teardown_check(res, left[:1])
    assert clean.status == "met"


def test_many_applications_missed_says_whether_the_cpu_alone_rules_the_limit_out():
    target = er.Target(20, "check", "terraform", 1.0)
    # 120 CPU s on 2 cores: 60 s at best, 4.8 x Terraform's 12.5 s, above the limit whatever the forks
    assert er.cpu_floor(120.0, 12.5, target, cores=2) == (
        " Ours' 120.00 CPU s on 2 cores take at least 60.00 s however many forks run "
        "(4.80 x `terraform plan`): no fork count can meet the limit."
    )
    assert er.cpu_floor(20.0, 12.5, target, cores=2).endswith("forks could meet it.")
    assert er.cpu_floor(120.0, 12.5, er.Target(1, "check", "terraform", 0.6), cores=2) == ""
