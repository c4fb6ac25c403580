# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The equal job on every side (issues 13, 24): summary table, targets judged from the numbers, what is left.

Pure functions over ``Run`` lists (no I/O): tests/unit/bench/ exercises them without an emulator.
``results[n][side][scenario]`` is the list of runs of one scenario; a side in ``missing`` (side ->
reason) was not run at all and is reported as missing, never estimated. Our side runs twice: "ours" (this
collection's modules in the task's worker, as the inventory's ``ansible_python_interpreter`` allows) and
"ours (module path)" (the same job with another Python as every host's interpreter: each module an ordinary module run,
AnsiballZ and a new interpreter; issue 24). Tables show the module path's columns only where it was measured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from report import Run, med_calls, med_cpu, med_secs, operations_table, per_task, table, task_table

# The same role job, this collection's modules run as ordinary modules (issue 24, item 4).
MODULE_PATH = "ours (module path)"
OUR_SIDES = ("ours", MODULE_PATH)
SIDES = ("ours", MODULE_PATH, "amazon.aws", "terraform")
SCENARIOS = ("first converge", "no-change", "check", "new instance type", "teardown")
# What each scenario is on the Terraform side.
TERRAFORM_COMMANDS = {
    "first converge": "terraform apply",
    "no-change": "terraform apply",
    "check": "terraform plan",
    "new instance type": "terraform apply",
    "teardown": "terraform destroy",
}
# Calls of our side before issue 13 (issue 13's own measurement, one application): "calls no more than today".
CALLS_TODAY = {"first converge": 28, "no-change": 10}


@dataclass(frozen=True)
class Target:
    """``side``'s median seconds in ``scenario`` at ``n`` applications at most ``limit`` x the peer's."""

    n: int
    scenario: str
    peer: str
    limit: float
    side: str = "ours"

    @property
    def name(self) -> str:
        apps = "1 application" if self.n == 1 else f"N = {self.n} applications"
        return f"{apps}, {self.scenario}: {self.side} <= {self.limit:g} x {peer_label(self.peer, self.scenario)}"


# Issue 13's time targets (medians, ratios measured in one run).
TARGETS = (
    Target(1, "no-change", "amazon.aws", 0.8),
    Target(1, "no-change", "terraform", 0.5),
    Target(1, "first converge", "amazon.aws", 1.0),
    Target(1, "check", "amazon.aws", 0.8),
    Target(1, "check", "terraform", 0.6),
    Target(20, "no-change", "terraform", 1.0),
    Target(20, "check", "terraform", 1.0),
)
# Issue 24's targets for the module path (item 4): one application, against the four amazon.aws tasks.
MODULE_PATH_TARGETS = (
    Target(1, "first converge", "amazon.aws", 1.2, MODULE_PATH),
    Target(1, "no-change", "amazon.aws", 1.0, MODULE_PATH),
    Target(1, "check", "amazon.aws", 1.0, MODULE_PATH),
)


@dataclass
class Verdict:
    name: str
    status: str  # "met", "missed", "not measured"
    detail: str
    why: str = ""


def shown_sides(results: dict, missing: dict) -> list[str]:
    """The sides a table has columns for: every side but the module path, which only where it ran or is missing."""
    ran = any(MODULE_PATH in sides for sides in results.values())
    return [s for s in SIDES if s != MODULE_PATH or ran or MODULE_PATH in missing]


def peer_label(side: str, scenario: str = "") -> str:
    if side == "terraform":
        return f"`{TERRAFORM_COMMANDS[scenario]}`" if scenario else "Terraform"
    return "the four amazon.aws tasks" if side == "amazon.aws" else side


def runs_of(results: dict, n: int, side: str, scenario: str) -> list[Run]:
    return results.get(n, {}).get(side, {}).get(scenario, [])


def cell(runs: list[Run], missing_reason: str | None = None) -> str:
    """'7.70 s, 28 calls (8 w)': median seconds, median calls and writes; 'missing' for a side not run."""
    if missing_reason is not None:
        return "missing"
    if not runs:
        return "-"
    if not all(r.ok for r in runs):
        return f"FAILED ({sum(1 for r in runs if not r.ok)} of {len(runs)} runs)"
    writes = sorted({r.n_writes for r in runs})
    w = str(writes[0]) if len(writes) == 1 else f"{writes[0]}-{writes[-1]}"
    return f"{med_secs(runs):.2f} s, {med_calls(runs):g} calls ({w} w)"


def _ok_median(runs: list[Run]):
    """Median seconds of the runs, or None when there are none or one failed (a failed run proves nothing)."""
    if not runs or not all(r.ok for r in runs):
        return None
    return med_secs(runs)


def ratio_cell(ours: list[Run], peer: list[Run]) -> str:
    a, b = _ok_median(ours), _ok_median(peer)
    return "-" if a is None or not b else f"{a / b:.2f}"


def summary_table(results: dict, missing: dict, ns: list[int]) -> str:
    """One row per N and scenario: each side's cell, ours/amazon.aws and ours/Terraform; with the module path
    measured, its cell and its ratio to amazon.aws as well ("-" at an N where it did not run)."""
    module_path = MODULE_PATH in shown_sides(results, missing)
    rows = []
    for n in ns:
        for scenario in SCENARIOS:
            ours = runs_of(results, n, "ours", scenario)
            mod = runs_of(results, n, MODULE_PATH, scenario)
            base = runs_of(results, n, "amazon.aws", scenario)
            tf = runs_of(results, n, "terraform", scenario)
            if not (ours or mod or base or tf):
                continue
            row = [n, scenario, max(len(ours), len(mod), len(base), len(tf)), cell(ours, missing.get("ours"))]
            if module_path:
                row.append(cell(mod, missing.get(MODULE_PATH)))
            row += [cell(base, missing.get("amazon.aws")), cell(tf, missing.get("terraform"))]
            row += [ratio_cell(ours, base), "missing" if "terraform" in missing else ratio_cell(ours, tf)]
            if module_path:
                row.append("missing" if MODULE_PATH in missing else ratio_cell(mod, base))
            rows.append(row)
    if not module_path:
        headers = ["ours", "amazon.aws, 4 tasks", "Terraform", "ours / amazon.aws", "ours / Terraform"]
    else:
        headers = [
            "ours, in the worker",
            "ours, module path",
            "amazon.aws, 4 tasks",
            "Terraform",
            "in the worker / amazon.aws",
            "in the worker / Terraform",
            "module path / amazon.aws",
        ]
    return table(["N", "scenario", "runs", *headers], rows)


def time_split(run: Run) -> dict:
    """A run's seconds: start-up, AWS tasks (count, seconds), other tasks (count, seconds).

    AWS tasks are those of modules outside ansible.builtin: amazon.aws's module runs, and this collection's modules
    (module runs, or on the controller's Python runs in the task's worker). Counted per host result, so N
    applications run in parallel count N times.
    """
    tasks = per_task(run)
    first = tasks[0]["start"] if tasks else run.started + run.seconds
    modules = [t for t in tasks if not t["action"].startswith("ansible.") and t["status"] != "skipped"]
    others = [t for t in tasks if t not in modules]
    results = {}
    current = None
    for ev in run.events:
        if ev["ev"] == "task":
            current = ev["action"]
        elif ev["ev"] == "result" and current is not None and ev.get("status") != "skipped":
            kind = "other" if current.startswith("ansible.") else "module"
            results[kind] = results.get(kind, 0) + 1
    return {
        "startup": first - run.started,
        "module_runs": results.get("module", 0),
        "module_s": sum(t["seconds"] for t in modules),
        "other_runs": results.get("other", 0),
        "other_s": sum(t["seconds"] for t in others),
    }


def _describe(side: str, run: Run, n: int) -> str:
    if side == "terraform":
        return (
            f"Terraform {run.seconds:.2f} s for {run.n_calls} calls: one process and one provider start for all "
            f"{n} application{'s' if n > 1 else ''}, its reads made in parallel"
        )
    split = time_split(run)
    return (
        f"{side} {run.seconds:.2f} s: start-up {split['startup']:.2f} s, {split['module_runs']} AWS tasks "
        f"({split['module_s']:.2f} s of tasks), {split['other_runs']} other task runs ({split['other_s']:.2f} s of "
        f"tasks), {run.n_calls} calls"
    )


def judge(target: Target, results: dict, missing: dict) -> Verdict:
    """Met or missed from the medians; by how much, and why from the last runs, when missed."""
    for side in (target.side, target.peer):
        if side in missing:
            return Verdict(target.name, "not measured", f"{side} is missing: {missing[side]}")
    ours = runs_of(results, target.n, target.side, target.scenario)
    peer = runs_of(results, target.n, target.peer, target.scenario)
    a, b = _ok_median(ours), _ok_median(peer)
    if a is None or not b:
        what = "no run" if not (ours and peer) else "a failed run"
        return Verdict(target.name, "not measured", f"{what} at N = {target.n} (BENCH_SCALES, see the runs)")
    allowed = target.limit * b
    detail = f"{a:.2f} s vs {b:.2f} s = {a / b:.2f} (limit {target.limit:g}: {allowed:.2f} s)"
    cpu_a, cpu_b = med_cpu(ours), med_cpu(peer)
    if cpu_a is not None and cpu_b:
        # CPU seconds (of the side's processes, not the emulator's) move less than wall seconds on a busy machine.
        detail += f"; CPU {cpu_a:.2f} s vs {cpu_b:.2f} s = {cpu_a / cpu_b:.2f}"
    if a <= allowed:
        return Verdict(target.name, "met", detail)
    over = a - allowed
    detail += f"; missed by {over:.2f} s ({over / allowed:.0%} over the limit)"
    why = f"{_describe(target.side, ours[-1], target.n)}; {_describe(target.peer, peer[-1], target.n)}."
    why += cpu_floor(cpu_a, b, target)
    return Verdict(target.name, "missed", detail, why)


def cpu_floor(cpu: float | None, peer_seconds: float, target: Target, cores: int | None = None) -> str:
    """For many applications: the wall time ours' CPU seconds need on this machine's cores however many forks
    run, as a ratio to the peer. Above the limit, no fork count can meet the target: the tasks themselves (a
    worker each; a module run also an interpreter, AnsiballZ, boto3 and its clients) must become fewer or cheaper."""
    cores = cores or os.cpu_count() or 1
    if target.n == 1 or not cpu:
        return ""
    floor = cpu / cores
    verdict = "no fork count can meet the limit" if floor > target.limit * peer_seconds else "forks could meet it"
    return (
        f" Ours' {cpu:.2f} CPU s on {cores} cores take at least {floor:.2f} s however many forks run "
        f"({floor / peer_seconds:.2f} x {peer_label(target.peer, target.scenario)}): {verdict}."
    )


def write_checks(results: dict, missing: dict) -> list[Verdict]:
    """0 writes on every no-change and check run of ours, and calls no more than before issue 13 (N = 1)."""
    if "ours" in missing:
        return [Verdict("ours: writes and calls", "not measured", f"ours is missing: {missing['ours']}")]
    out = []
    for side in OUR_SIDES:
        if side in missing:
            continue
        for scenario in ("no-change", "check"):
            runs = [r for n in results for r in runs_of(results, n, side, scenario)]
            if not runs:
                continue
            most = max(r.n_writes for r in runs)
            status = "met" if most == 0 else "missed"
            out.append(
                Verdict(f"{side}, {scenario}: 0 writes (every N)", status, f"at most {most} writes in {len(runs)} runs")
            )
    for scenario, today in CALLS_TODAY.items():
        runs = runs_of(results, 1, "ours", scenario)
        if not runs:
            continue
        calls = med_calls(runs)
        status = "met" if calls <= today else "missed"
        detail = f"{calls:g} calls (before issue 13: {today})"
        if calls > today:
            detail += f"; missed by {calls - today:g} calls"
        out.append(Verdict(f"ours, {scenario}, 1 application: calls no more than before", status, detail))
    return out


def teardown_check(results: dict, left: list[str]) -> list[Verdict]:
    """Every teardown of each of our paths leaves none of the job's resources (``left``: "side N=n #k: what")."""
    out = []
    for side in OUR_SIDES:
        runs = [r for n in results for r in runs_of(results, n, side, "teardown")]
        if not runs:
            continue
        side_left = [line for line in left if line.startswith(f"{side} N=")]
        detail = "; ".join(side_left) if side_left else f"nothing left after {len(runs)} teardowns"
        out.append(Verdict(f"{side}, teardown: nothing of the job left", "missed" if side_left else "met", detail))
    return out


def verdicts(results: dict, missing: dict, left: list[str] | None = None) -> list[Verdict]:
    checks = write_checks(results, missing) + teardown_check(results, left or [])
    return [judge(t, results, missing) for t in (*TARGETS, *MODULE_PATH_TARGETS)] + checks


def median_run(runs: list[Run]) -> Run:
    """The run of median seconds (the upper one of an even count)."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def module_runs(run: Run) -> str:
    """'4 runs of this collection's modules, 5.47 s (1.37 s each); 2 of amazon.aws's, 2.52 s (1.26 s each)'."""
    parts = []
    for prefix, whose in (("cloudcred.ec2.", "this collection's modules"), ("amazon.aws.", "amazon.aws's")):
        tasks = [t for t in per_task(run) if t["action"].startswith(prefix) and t["status"] != "skipped"]
        if tasks:
            total = sum(t["seconds"] for t in tasks)
            runs = f"{len(tasks)} run" + ("" if len(tasks) == 1 else "s")
            parts.append(f"{runs} of {whose}, {total:.2f} s ({total / len(tasks):.2f} s each)")
    return "; ".join(parts) or "no module run"


def module_path_breakdown(results: dict, missing: dict) -> list[str]:
    """For each module-path target missed: where the seconds go, task by task (report.task_table), in the median
    run of the module path, of the same job in the worker and of the four amazon.aws tasks."""
    out: list[str] = []
    for target in MODULE_PATH_TARGETS:
        if judge(target, results, missing).status != "missed":
            continue
        out += [f"### Where the seconds go: {target.scenario}, {target.n} application, module path missed", ""]
        for side in (target.side, "ours", target.peer):
            runs = runs_of(results, target.n, side, target.scenario)
            if side in missing or not runs or not all(r.ok for r in runs):
                continue
            run = median_run(runs)
            label = "ours, in the worker" if side == "ours" else side
            out += [f"**{label}** (median run, {run.seconds:.2f} s): {module_runs(run)}.", "", task_table(run), ""]
    return out


def targets_section(vs: list[Verdict]) -> list[str]:
    """Markdown: a table of the targets, then for each missed one by how much and why."""
    rows = [[v.name, v.status.upper() if v.status == "missed" else v.status, v.detail] for v in vs]
    out = [table(["target", "result", "measured"], rows), ""]
    missed = [v for v in vs if v.status == "missed" and v.why]
    for v in missed:
        out.append(f"- **{v.name}**: {v.detail}. Where the seconds go: {v.why}")
    met = sum(1 for v in vs if v.status == "met")
    out += [
        "",
        f"{met} of {len(vs)} targets met, {sum(1 for v in vs if v.status == 'missed')} missed, "
        f"{sum(1 for v in vs if v.status == 'not measured')} not measured.",
    ]
    return out


def missing_section(missing: dict) -> list[str]:
    return [
        f"- **{side}: missing**, {reason}; its columns say so, nothing is estimated."
        for side, reason in missing.items()
    ]


def per_application_table(results: dict, missing: dict, ns: list[int]) -> str:
    """Median seconds per application, no-change and check, at each N: what one more application costs."""
    rows = []
    sides = shown_sides(results, missing)
    for n in ns:
        row = [n]
        for scenario in ("no-change", "check"):
            for side in sides:
                runs = runs_of(results, n, side, scenario)
                value = _ok_median(runs)
                row.append("missing" if side in missing else ("-" if value is None else f"{value / n:.2f}"))
        rows.append(row)
    headers = ["N"] + [f"{scenario}: {side} s/app" for scenario in ("no-change", "check") for side in sides]
    return table(headers, rows)


INTRO = """\
The same job on every side, the AWS guide's example with a deployer: role `qateam-app` (trusted by
EC2) with `AmazonSSMManagedInstanceCore`, instance profile of the same name, the deployer
`qa-deployer`'s inline PassRole policy (roles `qateam-*`, passed to EC2 only), launch template
`my-lt-with-instance-profile` with the profile and IMDSv2 required, group `qateam-app-asg` (min 1,
max 2, desired 1, `us-east-1a`) on the template's `$Default` version; no side waits for capacity or
refreshes instances. For N applications, application i > 1 has the same names with `-<i>`
(bench/equal/job.yml), and its own PassRole policy on `qa-deployer` (the same work on every side; on AWS
a user's inline policies may total 2,048 characters, so for many applications one policy for the shared
prefix is the way, as docs/user-guide.md "Many applications" shows).

- **ours**: role `cloudcred.ec2.asg_instance_role`, bench/equal/ours.yml (one inventory host per
  application, `connection: local`, `--forks {forks}`: see "Many applications" below); teardown with
  `asg_instance_role_state=absent`. The inventory's `ansible_python_interpreter` is the playbook's Python,
  so this collection's modules run **in the task's worker** (docs/user-guide.md, "Where the modules run").
- **ours (module path)**: the same playbook, inventory and teardown with another Python as every host's
  interpreter (`ANSIBLE_PYTHON_INTERPRETER`, and `-e ansible_python_interpreter` over the inventory's: a virtualenv
  of the same base Python that reaches the controller's packages): each of this collection's modules runs as an
  ordinary module (AnsiballZ payload, a new interpreter), as it does for a user whose `interpreter_python` is
  another Python than ansible-playbook's (issue 24). {module_path_scales}
- **amazon.aws, 4 tasks**: bench/equal/baseline.yml, what a fair user writes for the job and no more:
  `amazon.aws.iam_role` (`create_instance_profile: true`, the managed policy), `amazon.aws.iam_policy` on
  the user, `amazon.aws.ec2_launch_template`, `amazon.aws.autoscaling_group` (`$Default`, no waiting);
  the same inventory and forks as ours; teardown bench/equal/baseline-teardown.yml (the same four modules).
  Its `iam_policy` task runs with `throttle: 1`: `amazon.aws.iam_policy` lists the user's policies twice and
  fails (a KeyError naming another application's policy) when a parallel host adds one in between, as
  it did here at N = 10 without the throttle.
- **Terraform**: bench/terraform/main.tf (`for_each` over the N applications), `terraform apply
  -auto-approve` (first converge, no-change, new instance type), `terraform plan -detailed-exitcode` (check;
  any planned change fails the run), `terraform destroy -auto-approve` (teardown); the provider from a
  local filesystem mirror (`TF_CLI_CONFIG_FILE` with `provider_installation {{ filesystem_mirror }}`),
  endpoints set to the emulator; `terraform init` once, before all runs, not in the ratios.
- Each side in its own account of the emulator ({accounts}), so each has its own state; each N and each
  repeat from accounts holding only the deployer user; per scenario the sides run in turn, the first one
  rotating. A cell: median wall seconds of the runs (column "runs"), median API calls and the writes (w)
  among them.
  Ratios: the medians of the same run. "missing": the side could not run here (the reason is given),
  nothing is estimated.
"""

MANY = """\
One inventory host per application, every host on the controller (`connection: local`, the playbook's
Python), and the role once per host: Ansible runs up to `--forks` hosts at a time, so the applications'
module runs overlap instead of queueing behind each other (a `loop` over the role cannot do that: each
iteration waits for the previous one). This is bench/equal/ours.yml, measured above at N = 10 and 20:

```yaml
{playbook}```

with an inventory such as:

```yaml
applications:
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  hosts:
    app-1: {{bench_app: 1}}
    app-2: {{bench_app: 2}}
```

and `ansible-playbook -i applications.yml -f {forks} bench/equal/ours.yml`. Every application's variables
can live in its host's variables instead of being computed from `bench_app`. With the playbook's Python as
each host's `ansible_python_interpreter`, this collection's modules run inside the task's worker on the
controller instead of as a new Python each (docs/user-guide.md, "Where the modules run"); amazon.aws's run as
modules. Forks above the number of applications do nothing, and the tasks are CPU-bound (each task a worker
process, each module run an interpreter, boto3 and the module's imports), so the gain levels off near the
controller's cores: the forks table below measures it here.
Seconds per application (median run divided by N):
"""


def sweep_table(sweep: dict, n: int) -> str:
    """Ours' no-change run at N applications with each number of forks."""
    rows = [
        [forks, f"{run.seconds:.2f}", "-" if run.cpu is None else f"{run.cpu:.2f}", run.n_calls, run.rc]
        for forks, run in sorted(sweep.items())
    ]
    return table(["--forks", f"no-change s (N = {n})", "cpu s", "calls", "rc"], rows)


def module_path_scales_note(scales) -> str:
    """Which N the module path was measured at."""
    if scales is None:
        return ""
    if not scales:
        return "Not measured in this run (`BENCH_MODULE_PATH_SCALES` empty)."
    at = ", ".join(str(n) for n in scales)
    return (
        f"Measured at N = {at} (`BENCH_MODULE_PATH_SCALES`, default 1: at N = 10 and 20 its 18 runs would cost at "
        "least what the amazon.aws side's 18 runs there cost, by estimate a quarter of an hour more on two cores, "
        "taking the full benchmark near or past the hour)."
    )


def equal_document(eq, playbook: str, accounts: dict) -> list[str]:
    """The equal job's part of docs/performance.md."""
    account_list = ", ".join(f"{side} {acct}" for side, acct in accounts.items())
    note = module_path_scales_note(getattr(eq, "module_path_scales", None))
    out = [
        "## Equal job: the role in the worker and as modules, four amazon.aws tasks, Terraform (issues 13, 24)",
        "",
        INTRO.format(forks=eq.forks, accounts=account_list, reps=eq.reps, module_path_scales=note),
        summary_table(eq.results, eq.missing, eq.scales),
        "",
    ]
    out += missing_section(eq.missing)
    if eq.init is not None:
        out += [f"`terraform init` (once, not in the ratios): {eq.init.seconds:.2f} s.", ""]
    if eq.left:
        out += ["Left after a teardown: " + "; ".join(eq.left) + ".", ""]
    out += ["## Targets (issues 13, 24)", "", *targets_section(verdicts(eq.results, eq.missing, eq.left)), ""]
    out += module_path_breakdown(eq.results, eq.missing)
    out += [
        "## Many applications",
        "",
        MANY.format(playbook=playbook, forks=eq.forks),
        per_application_table(eq.results, eq.missing, eq.scales),
        "",
    ]
    if eq.sweep:
        n = next(iter(eq.sweep.values())).label.split("N=", 1)[1].split()[0]
        out += [
            f"Forks, measured: ours' no-change run at N = {n} with each number of forks (one run each; at "
            f"--forks {eq.forks}, the median no-change run of the table above):",
            "",
        ]
        sweep = dict(eq.sweep)
        measured = runs_of(eq.results, int(n), "ours", "no-change")
        if measured and eq.forks not in sweep:
            # The no-change runs of the table above, at the benchmark's forks: their median run.
            sweep[eq.forks] = sorted(measured, key=lambda r: r.seconds)[len(measured) // 2]
        out += [sweep_table(sweep, int(n)), ""]
    if 1 in eq.results:
        out += ["## Equal job: API calls by operation, 1 application", ""]
        out += ["Per run: the count of one run, a range when the runs differ; * = write.", ""]
        for scenario in SCENARIOS:
            sides = {side: runs_of(eq.results, 1, side, scenario) for side in SIDES if side in eq.results[1]}
            out += [f"### {scenario}", "", operations_table(sides), ""]
    return out
