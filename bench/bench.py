# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloudcred.ec2 performance benchmark: the role against amazon.aws and Terraform on equal work.

Runs everything against one emulator (LocalStack), each side in its own account (its own state),
through a recording proxy that counts every AWS call, then prints, and writes to docs/performance.md:

* the equal job (issue 13, bench/equal.py): the guide's example with a deployer, for N = 1, 10, 20
  applications, on four sides: ours (the role, one inventory host per application, ``--forks``; its
  modules in the task's worker), ours (module path) (the same with another Python as every host's interpreter:
  each module an ordinary module run, issue 24; at N = 1 unless ``BENCH_MODULE_PATH_SCALES``), the four
  amazon.aws tasks a fair user writes, and Terraform with hashicorp/aws (from a local filesystem mirror;
  reported as missing when Terraform or the provider is not there); scenarios first converge, no-change,
  check mode / plan, new instance type, teardown / destroy; medians, ratios from the same run, issue 13's
  and issue 24's targets judged from the numbers, and for each missed one by how much and where the
  seconds go (for the module path, task by task);
* the boundary job (issue 7): the guide's example with an inline policy, a permissions boundary and
  tags, ours against six amazon.aws module runs, with calls by operation, per-task seconds and each
  module payload's import time.

Usage: ``make bench`` (``bench/run``). Environment: ``BENCH_UPSTREAM`` (the emulator, default
http://127.0.0.1:4577; bench/run sets it from ``BENCH_LOCALSTACK_PORT``), ``BENCH_REPEATS`` (runs per
scenario, default 3; ``BENCH_REPS`` is the old name), ``BENCH_SCALES`` (applications, default "1,10,20"),
``BENCH_FORKS`` (default 10), ``BENCH_MODULE_PATH_SCALES`` (the N of the module path, default "1"; empty:
not run), ``BENCH_BOUNDARY=0`` (skip the boundary job), ``BENCH_TERRAFORM`` and
``BENCH_TF_MIRROR`` (see bench/terraform.py), ``BENCH_DOC`` (output, default docs/performance.md; empty:
none). Quick development run: ``BENCH_REPEATS=1 BENCH_SCALES=1 make bench``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from equal import ACCOUNTS as ACCOUNTS_EQUAL  # noqa: E402
from equal import run_equal, settings  # noqa: E402
from equal_report import (  # noqa: E402
    equal_document,
    missing_section,
    module_path_breakdown,
    summary_table,
    targets_section,
    verdicts,
)

# bench/ is a folder of scripts, not a package.
from proxy import STUBS, RecordingProxy  # noqa: E402
from report import (  # noqa: E402
    READ_PREFIXES,
    Run,
    failure_excerpt,
    fmt_calls,
    med_calls,
    med_cpu,
    med_secs,
    op_name,
    operations_table,
    parse_importtime,
    per_task,
    ratio,
    secs,
    table,
    task_table,
)
from state import cleanup, leftovers  # noqa: E402
from terraform import locate  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Issue 7's targets for our side.
TARGET_NOCHANGE_CALLS = 8
TARGET_FIRST_CALLS = 20
TARGET_TIME_RATIO = 0.5

# Each side in its own account of the one emulator (LocalStack takes a 12-digit access key id
# for the account id), so the scenarios of both sides can interleave run by run and neither side
# ever sees the other's resources.
ACCOUNTS = {"ours": "111111111111", "baseline": "222222222222"}

SCENARIOS = ("first converge", "no-change rerun", "check mode", "new managed policy", "new instance type", "teardown")
SIDES = ("ours", "baseline")
# The reads that prove the job's resources unchanged, one each: the role (with its tags and
# boundary), its attached and inline policies (a list, then the one inline document), the
# instance profile, the deployer's PassRole document, the template version in use and the
# template's tags, the group (with its tags). Issue 7's "about 6" leaves out the deployer's
# policy and the template's tags, which the job also manages.
NO_CHANGE_FLOOR = (
    "iam.GetRole",
    "iam.ListAttachedRolePolicies",
    "iam.ListRolePolicies",
    "iam.GetRolePolicy",
    "iam.GetInstanceProfile",
    "iam.GetUserPolicy",
    "ec2.DescribeLaunchTemplateVersions",
    "ec2.DescribeTags",
    "autoscaling.DescribeAutoScalingGroups",
)
RUN_TIMEOUT = 900
# What the numbers depend on, for the commit line.
TREE = ("roles", "playbooks", "plugins", "bench", "meta")
OURS_FILES = (
    "playbooks/deploy.yml",
    "playbooks/teardown.yml",
    "roles/asg_instance_role/tasks/main.yml",
    "plugins/modules/iam_instance_role.py",
    "plugins/modules/launch_template_profile.py",
)


def say(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


# --- running playbooks ----------------------------------------------------------------------


@dataclass
class Bench:
    proxy: RecordingProxy
    upstream: str
    env: dict
    tmp: Path
    failures: list = field(default_factory=list)

    def command(self, label: str, account: str, argv: list[str], cwd, extra_env: dict | None) -> Run:
        """Run ``argv`` (from the repository root unless ``cwd``) in ``account``; its calls are those the proxy saw
        meanwhile, its CPU time that of the process and everything it waited for."""
        events_path = self.tmp / f"events-{time.time_ns()}.jsonl"
        env = dict(self.env, BENCH_EVENTS=str(events_path), AWS_ACCESS_KEY_ID=account, **(extra_env or {}))
        mark = self.proxy.recorder.mark()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd or ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
            )
            rc, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            rc, output = -1, f"timed out after {RUN_TIMEOUT}s\n{exc.stdout or ''}{exc.stderr or ''}"
        seconds = time.time() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
        events = []
        if events_path.exists():
            events = [json.loads(line) for line in events_path.read_text().splitlines() if line.strip()]
            events_path.unlink()
        run = Run(label, rc, seconds, self.proxy.recorder.since(mark), events, started, output, cpu)
        if not run.ok:
            self.failures.append(run)
            tail = "\n".join("      " + line for line in failure_excerpt(output))
            say(f"    FAILED (rc {rc}): {label}\n{tail}")
        return run

    def playbook(self, label: str, side: str, playbook: str, *args: str, extra_env: dict | None = None) -> Run:
        """``ansible-playbook`` in the boundary job's account of the side."""
        argv = ["ansible-playbook", playbook, *args, "-e", f"bench_account={ACCOUNTS[side]}"]
        return self.command(label, ACCOUNTS[side], argv, None, extra_env)


def side_commands(side: str) -> dict[str, tuple[str, list[str]]]:
    """Playbook and arguments of each scenario, for one side."""
    if side == "ours":
        base = ["-e", "@bench/job.yml", "-e", f"asg_instance_role_vars_file={BENCH / 'ours' / 'vars.yml'}"]
        deploy, teardown = "playbooks/deploy.yml", "playbooks/teardown.yml"
    else:
        base = []
        deploy, teardown = "bench/baseline/deploy.yml", "bench/baseline/teardown.yml"
    policy = ["-e", "bench_new_policy=true"]
    # Keeps the new policy: the instance type is the only change of that run.
    instance_type = [*policy, "-e", "bench_new_instance_type=true"]
    return {
        "first converge": (deploy, base),
        "no-change rerun": (deploy, base),
        "check mode": (deploy, [*base, "--check"]),
        "new managed policy": (deploy, [*base, *policy]),
        "new instance type": (deploy, [*base, *instance_type]),
        "teardown": (teardown, [*base, *instance_type]),
    }


def profile_payloads(bench: Bench, label: str, playbook: str, args: list[str]) -> list[list] | None:
    """Run a playbook keeping its AnsiballZ payloads, then time each payload alone under -X importtime (None: the
    run failed)."""
    keep = bench.tmp / f"payloads-{label}"
    keep.mkdir(parents=True)
    extra = {"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": str(keep)}
    if not bench.playbook(f"{label}: keep payloads", label, playbook, *args, extra_env=extra).ok:
        return None
    env = dict(bench.env, AWS_ENDPOINT_URL=bench.upstream, AWS_ACCESS_KEY_ID=ACCOUNTS[label])
    rows = []
    for payload in sorted(keep.glob("ansible-tmp-*/AnsiballZ_*.py"), key=lambda p: p.stat().st_mtime):
        started = time.time()
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", str(payload)],
            capture_output=True,
            text=True,
            env=env,
            cwd=payload.parent,
            timeout=300,
            check=False,
        )
        wall = time.time() - started
        tops, sdk = parse_importtime(proc.stderr)
        # What the module's code pulls in (collections' module_utils, the SDK within), beyond the
        # AnsiballZ loader and ansible.module_utils.basic that every module pays.
        collections = sum(v for k, v in tops.items() if k.startswith("ansible_collections"))
        heaviest = sorted(tops.items(), key=lambda kv: -kv[1])[:3]
        rows.append(
            [
                payload.stem.removeprefix("AnsiballZ_"),
                secs(wall),
                secs(sum(tops.values())),
                secs(sdk),
                secs(collections),
                ", ".join(f"{k} {v:.2f}" for k, v in heaviest),
            ]
        )
    shutil.rmtree(keep, ignore_errors=True)
    return rows


# --- machine ----------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _amazon_aws_version() -> str:
    import ansible_collections.amazon.aws as amazon_aws  # the installed collection, as the playbooks use it

    try:
        manifest = Path(list(amazon_aws.__path__)[0]) / "MANIFEST.json"
        return json.loads(manifest.read_text())["collection_info"]["version"]
    except (OSError, KeyError, ValueError, IndexError):
        return "unknown"


def _emulator(upstream: str) -> str:
    try:
        with urllib.request.urlopen(f"{upstream}/_localstack/health", timeout=5) as resp:
            return "LocalStack " + json.load(resp).get("version", "?")
    except (OSError, ValueError):
        return "unknown emulator"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.rstrip("\n")


def commit() -> str:
    """HEAD, and the benchmarked folders that differ from it (edits not committed yet)."""
    head = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = sorted({line[3:].split("/", 1)[0] for line in _git("status", "--porcelain", "--", *TREE).splitlines()})
    return head + (f" (with uncommitted changes in {', '.join(dirty)})" if dirty else "")


def changed_since(start: str) -> str:
    """Which of the folders the numbers depend on changed between the start commit and HEAD."""
    changed = _git("diff", "--name-only", start.split(maxsplit=1)[0], "HEAD", "--", *TREE).splitlines()
    folders = sorted({path.split("/", 1)[0] + "/" for path in changed})
    return (
        "changed since the start: " + ", ".join(folders) if folders else f"{', '.join(TREE)}: unchanged since the start"
    )


def load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def machine(upstream: str, terraform) -> list[list[str]]:
    from ansible import __version__ as ansible_core

    return [
        ["CPUs (nproc)", str(len(os.sched_getaffinity(0)))],
        ["CPU model", _cpu_model()],
        ["OS", f"{platform.system()} {platform.release()}"],
        ["Python", platform.python_version()],
        ["ansible-core", ansible_core],
        ["amazon.aws", _amazon_aws_version()],
        ["boto3 / botocore", f"{boto3.__version__} / {botocore.__version__}"],
        ["emulator", f"{_emulator(upstream)} at {upstream}, the benchmark's own, behind a recording proxy"],
        [
            "Terraform",
            (
                f"{terraform.label}, {terraform.binary}, provider from the filesystem mirror {terraform.mirror}"
                if not terraform.problem
                else f"missing: {terraform.problem}"
            ),
        ],
        ["commit", commit()],
        ["load average (1/5/15 min) at start", load()],
    ]


# --- the benchmark ----------------------------------------------------------------------------


@dataclass
class Results:
    reps: int
    sides: list
    missing: list
    runs: dict = field(default_factory=dict)  # side -> scenario -> [Run]
    fixtures: list = field(default_factory=list)
    left: dict = field(default_factory=dict)  # side -> [leftovers after a teardown]
    payloads: dict = field(default_factory=dict)  # side -> rows
    equal: object = None  # equal.EqualResults: the equal job on three sides
    stubbed: dict = field(default_factory=dict)
    corrected: dict = field(default_factory=dict)
    elapsed: float = 0.0
    start_commit: str = ""
    end_commit: str = ""
    end_load: str = ""

    def scenario(self, side: str, name: str) -> list:
        return self.runs.get(side, {}).get(name, [])

    def all_runs(self) -> list[Run]:
        runs = [r for side in self.runs.values() for rs in side.values() for r in rs]
        if self.equal is not None:
            runs += [r for n in self.equal.results.values() for side in n.values() for rs in side.values() for r in rs]
        return runs + self.fixtures


def _progress(prefix: str, run: Run) -> None:
    cpu = "" if run.cpu is None else f" ({run.cpu:6.2f} s cpu)"
    say(
        f"  {prefix} {run.n_calls:5} calls {run.n_writes:4} writes {run.seconds:7.2f} s{cpu}"
        + ("" if run.ok else "  FAILED")
    )


def _order(sides: list[str], i: int) -> list[str]:
    """The sides in turn, the first one alternating, so drift on a shared machine hits both alike."""
    return list(sides) if i % 2 == 0 else list(reversed(sides))


def run_scenarios(bench: Bench, res: Results) -> None:
    """Fixtures once per account; then each rep from accounts holding only them: each scenario on both sides."""
    res.runs = {side: {s: [] for s in SCENARIOS} for side in res.sides}
    res.left = {side: [] for side in res.sides}
    commands = {side: side_commands(side) for side in res.sides}
    for side in res.sides:
        cleanup(bench.upstream, ACCOUNTS[side])
        res.fixtures.append(bench.playbook(f"{side} fixtures", side, "bench/baseline/fixtures.yml"))
        _progress(f"fixtures {side:8} (boundary policy, deployer user)", res.fixtures[-1])
    for rep in range(1, res.reps + 1):
        for side in res.sides:
            cleanup(bench.upstream, ACCOUNTS[side], keep_fixtures=True)
        for i, scenario in enumerate(SCENARIOS):
            if scenario == "teardown" and rep == res.reps:
                # Converged (with the changes): time each module payload alone, then tear down.
                for side in res.sides:
                    res.payloads[side] = profile_payloads(bench, side, *commands[side][SCENARIOS[i - 1]])
            for side in _order(res.sides, rep + i):
                playbook, args = commands[side][scenario]
                run = bench.playbook(f"{side} {scenario} #{rep}", side, playbook, *args)
                res.runs[side][scenario].append(run)
                _progress(f"run {rep}/{res.reps} {side:8} {scenario:18}", run)
        _check_leftovers(bench, res)
    for side in res.sides:
        cleanup(bench.upstream, ACCOUNTS[side])


def _check_leftovers(bench: Bench, res: Results) -> None:
    for side in res.sides:
        left = leftovers(bench.upstream, ACCOUNTS[side])
        if left:
            res.left[side].append(left)
            say(f"    left after {side}'s teardown: {', '.join(left)}")


# --- targets ----------------------------------------------------------------------------------


def _writes_detail(runs: list[Run]) -> str:
    """Max writes of the runs, and the write calls of each run that made any."""
    most = max((r.n_writes for r in runs), default=0)
    made = [f"{r.label}: {', '.join(op_name(w) for w in r.writes)}" for r in runs if r.writes]
    return f"{most}" + (f" ({'; '.join(made)})" if made else "")


def evaluate_targets(res: Results) -> list[str]:
    """PASS/FAIL lines for issue 7's targets."""
    if "ours" not in res.sides:
        return ["N/A   ours not benchmarked: missing " + ", ".join(res.missing)]
    lines = []

    def target(ok: bool, name: str, detail: str) -> None:
        lines.append(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")

    nochange = res.scenario("ours", "no-change rerun")
    nc_calls, nc_writes = med_calls(nochange), max(r.n_writes for r in nochange)
    nc_s, base_s = med_secs(nochange), med_secs(res.scenario("baseline", "no-change rerun"))
    target(
        nc_calls <= TARGET_NOCHANGE_CALLS,
        f"no-change rerun, at most {TARGET_NOCHANGE_CALLS} API calls",
        f"{nc_calls:g}",
    )
    target(nc_writes == 0, "no-change rerun, 0 writes", _writes_detail(nochange))
    if base_s:
        nc_cpu, base_cpu = med_cpu(nochange), med_cpu(res.scenario("baseline", "no-change rerun"))
        target(
            nc_s <= TARGET_TIME_RATIO * base_s,
            f"no-change rerun, at most {TARGET_TIME_RATIO:g} x the baseline's wall time",
            f"{nc_s:.2f} s vs {base_s:.2f} s = {nc_s / base_s:.2f} (CPU: {nc_cpu:.2f} s vs {base_cpu:.2f} s "
            f"= {nc_cpu / base_cpu:.2f})",
        )
    first = med_calls(res.scenario("ours", "first converge"))
    target(first <= TARGET_FIRST_CALLS, f"first converge, at most {TARGET_FIRST_CALLS} API calls", f"{first:g}")
    check = res.scenario("ours", "check mode")
    target(max(r.n_writes for r in check) == 0, "check mode, 0 writes", _writes_detail(check))
    target(
        med_calls(check) <= nc_calls,
        "check mode, no more calls than a no-change run",
        f"{med_calls(check):g} vs {nc_calls:g}",
    )
    ours = [r for s in SCENARIOS for r in res.scenario("ours", s)]
    ok = all(r.ok for r in ours)
    target(ok, "every run of ours succeeded", "yes" if ok else "no, see the failed runs")
    return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _minus(calls: list[str], floor: tuple[str, ...]) -> list[str]:
    """The calls left after taking each floor call out once (the reads beyond the floor)."""
    rest = list(calls)
    for op in floor:
        if op in rest:
            rest.remove(op)
    return rest


def time_split(run: Run) -> dict:
    """Seconds of a run: start-up, AWS tasks (each with its calls), local tasks, wrap-up."""
    tasks = per_task(run)
    first = tasks[0]["start"] if tasks else run.started + run.seconds
    last = max((t.get("end", t["start"]) for t in tasks), default=first)
    modules = [t for t in tasks if not t["action"].startswith("ansible.") and t["status"] != "skipped"]
    local = [t for t in tasks if t not in modules]
    return {
        "startup": first - run.started,
        "modules": modules,
        "local": local,
        "local_s": sum(t["seconds"] for t in local),
        "wrapup": run.started + run.seconds - last,
    }


def left_notes(res: Results) -> list[str]:
    """For the no-change rerun: the calls beyond the floor, and where each second goes, both sides."""
    if "ours" not in res.sides:
        return []
    out = []
    nochange = res.scenario("ours", "no-change rerun")[-1]
    calls = [c[2] for c in nochange.calls]
    beyond = _minus(calls, NO_CHANGE_FLOOR)
    missing = _minus(list(NO_CHANGE_FLOOR), tuple(calls))
    out += [
        f"- **Calls, no-change rerun** (last run, {len(calls)} calls): the floor for this job is "
        f"{len(NO_CHANGE_FLOOR)} reads, one each of {', '.join(op_name(op) for op in NO_CHANGE_FLOOR)} "
        "(the role with its tags and boundary, its attached and inline policies, the profile, the deployer's "
        "PassRole document, the template version in use, the template's tags, the group with its tags). "
        f"Issue 7's target of {TARGET_NOCHANGE_CALLS} is below that floor: it leaves out the deployer's policy "
        "and the template's tags, which this job also manages. "
        + (
            f"Ours makes {len(beyond)} beyond the floor: " + "; ".join(_by_task(nochange, beyond)) + "."
            if beyond
            else "Ours makes no call beyond the floor."
        )
        + (f" Floor reads ours does not make: {', '.join(op_name(op) for op in missing)}." if missing else ""),
    ]
    first = res.scenario("ours", "first converge")[-1]
    out.append(
        f"- **Calls, first converge** (last run, {first.n_calls} calls, {first.n_writes} of them the job's writes), "
        "by module: " + "; ".join(_module_calls(first)) + "."
    )
    splits = {}
    for side in res.sides:
        runs = res.scenario(side, "no-change rerun")
        if not runs:
            continue
        split = splits[side] = time_split(runs[-1])
        modules = split["modules"]
        mod_s = sum(t["seconds"] for t in modules)
        out.append(
            f"- **Seconds, no-change rerun, {side}** (last run, {runs[-1].seconds:.2f} s): start-up "
            f"{split['startup']:.2f} s; {_n(len(modules), 'AWS task')} {mod_s:.2f} s "
            f"({', '.join(f'{t['action'].split('.')[-1]} {t['seconds']:.2f}' for t in modules)}); "
            f"{_n(len(split['local']), 'other task')} (argument checks, asserts, set_fact, includes, skipped "
            f"tasks) {split['local_s']:.2f} s; wrap-up {split['wrapup']:.2f} s."
        )
    if len(splits) == 2:  # noqa: PLR2004 - both sides
        k_ours, k_base = len(splits["ours"]["modules"]), len(splits["baseline"]["modules"])
        out.append(
            "- An amazon.aws task is a module run: a Python interpreter, the AnsiballZ loader, boto3 and the "
            "collections' module_utils (see the payload table below) plus Ansible's per-task work; this "
            "collection's modules, on the controller's Python, run in the task's worker instead (no interpreter, no "
            'imports: docs/user-guide.md, "Where the modules run"). That, not the API calls (milliseconds each on '
            f"the emulator), is where the seconds of a run go: ours has {k_ours} AWS tasks to the baseline's "
            f"{k_base}, and {splits['ours']['local_s']:.2f} s of other tasks."
        )
    return out


def _module_calls(run: Run) -> list[str]:
    """'module: r reads + w writes (ops)' for each task of the run that made calls."""
    out = []
    for t in per_task(run):
        if t["calls"]:
            writes = sum(1 for op in t["calls"] if op_name(op).endswith("*"))
            counts = _n(len(t["calls"]) - writes, "read") + (f" + {_n(writes, 'write')}" if writes else "")
            out.append(f"{t['action']} {counts}")
    return out


def _by_task(run: Run, ops: list[str]) -> list[str]:
    """'Operation (task's module)' for each of ``ops`` (first unclaimed call of that operation in the run)."""
    tasks = per_task(run)
    claimed: set[int] = set()
    out = []
    for op in ops:
        for i, call in enumerate(run.calls):
            if call[2] == op and i not in claimed:
                claimed.add(i)
                # The task whose window holds the call: the last one started before it.
                owner = max((t for t in tasks if t["start"] <= call[0]), key=lambda t: t["start"], default=None)
                where = f" ({owner['action']})" if owner else ""
                out.append(op_name(op) + where)
                break
    return out


# --- tables and the document ------------------------------------------------------------------


def scenario_table(res: Results) -> str:
    rows = []
    for name in SCENARIOS:
        ours, base = res.scenario("ours", name), res.scenario("baseline", name)
        rows.append(
            [
                name,
                fmt_calls(ours),
                fmt_calls(base),
                ratio(med_calls(ours), med_calls(base)),
                secs(med_secs(ours)),
                secs(med_secs(base)),
                ratio(med_secs(ours), med_secs(base)),
                secs(med_cpu(ours)),
                secs(med_cpu(base)),
            ]
        )
    headers = ["scenario", "ours calls", "baseline calls", "ratio", "ours s", "baseline s", "ratio"]
    return table([*headers, "ours cpu s", "baseline cpu s"], rows)


def runs_table(res: Results) -> str:
    rows = [
        ["fixtures", r.label.split()[0], 1, r.n_calls, r.n_writes, secs(r.seconds), secs(r.cpu), r.rc]
        for r in res.fixtures
    ]
    for name in SCENARIOS:
        for side in res.sides:
            for i, r in enumerate(res.scenario(side, name), 1):
                rows.append([name, side, i, r.n_calls, r.n_writes, secs(r.seconds), secs(r.cpu), r.rc])
    if res.equal is not None:
        if res.equal.init is not None:
            r = res.equal.init
            rows.append(["terraform init", "terraform", 1, r.n_calls, r.n_writes, secs(r.seconds), secs(r.cpu), r.rc])
        for n, sides in res.equal.results.items():
            for side, scenarios in sides.items():
                for name, runs in scenarios.items():
                    for i, r in enumerate(runs, 1):
                        row = [f"equal N={n} {name}", side, i, r.n_calls, r.n_writes, secs(r.seconds), secs(r.cpu)]
                        rows.append([*row, r.rc])
    return table(["run", "side", "#", "calls", "writes", "wall s", "cpu s", "rc"], rows)


METHOD = """\
- Both sides do the same job (bench/job.yml) against the same emulator, each in its own account
  ({accounts}; LocalStack takes a 12-digit access key id for the account), interleaved run by run:
  each scenario runs on both sides before the next one, the side that goes first alternating. The job:
  the AWS guide's role `qateam-app` (trusted by EC2, managed policy `AmazonSSMManagedInstanceCore`, an
  inline policy, a permissions boundary, tags), its instance profile, the deployer's inline PassRole
  policy, launch template `my-lt-with-instance-profile` (the profile, IMDSv2, `t2.micro`) and group
  `qateam-app-asg` (min 1, max 2, desired 1, `us-east-1a`).
- Scenarios, in this order on each side, from an account holding only the fixtures: first converge;
  no-change rerun; check mode (`--check`, nothing to change); new managed policy
  (`CloudWatchAgentServerPolicy` added); new instance type (`t3.small`: a new launch template version, and
  an instance refresh of the group's instance on both sides); teardown.
- **ours**: `playbooks/deploy.yml` and `playbooks/teardown.yml` (role `cloudcred.ec2.asg_instance_role`)
  with bench/ours/vars.yml. **baseline**: bench/baseline/deploy.yml and teardown.yml, amazon.aws modules
  only, one task per resource, full module names, ARNs rather than names to look up, and an instance
  refresh only when the launch template got a new version.
- The boundary policy and the deployer user are preconditions of the role, which references them:
  bench/baseline/fixtures.yml makes them (`amazon.aws.iam_managed_policy`, `amazon.aws.iam_user`) once in
  each account, before the first run; they stay for every run and are reported on their own line.
- API calls: every request goes through a recording proxy in front of the emulator (bench/proxy.py); a
  write is any operation whose name does not start with {reads}. Seconds: wall time of the whole
  `ansible-playbook` process (start-up included), median of the runs; CPU seconds: user + system time of
  `ansible-playbook` and everything it ran (not the emulator), which a busy machine disturbs less.
- Emulator gaps: for {stubs}, which amazon.aws calls and an emulator may not implement, the proxy has
  AWS's reply for the case (nothing to do); it answers with it only when the emulator answers 501, and
  the call still counts. Used in this run: {stubbed}.
- Emulator error corrected: moto copies `CreateLaunchTemplate`'s `TagSpecifications` (the template's own
  tags) into version 1's `LaunchTemplateData`, where EC2 never has them. amazon.aws.ec2_launch_template
  then writes a new version on the next run (`CreateLaunchTemplateVersion`, `ModifyLaunchTemplate`), on
  the emulator only; the proxy takes them out of `DescribeLaunchTemplateVersions` answers, so the
  baseline is measured as it behaves on AWS. Answers corrected in this run: {corrected}.
- Default Ansible settings on both sides (no ansible.cfg, no pipelining), local connection, one host.
"""


def command_line() -> str:
    """``make bench`` with the settings this run was given."""
    env_keys = (
        "BENCH_REPEATS",
        "BENCH_REPS",
        "BENCH_SCALES",
        "BENCH_FORKS",
        "BENCH_MODULE_PATH_SCALES",
        "BENCH_BOUNDARY",
    )
    return "make bench" + "".join(f" {k}={os.environ[k]}" for k in env_keys if os.environ.get(k))


def document(res: Results, info: list, targets: list[str], left: list[str]) -> str:
    cmd = command_line()
    info = [*info, ["load average (1/5/15 min) at end", res.end_load]]
    if res.end_commit != res.start_commit:
        info.append(["commit at end", f"{res.end_commit} ({changed_since(res.start_commit)})"])
    out = [
        "# Performance: cloudcred.ec2 against amazon.aws and Terraform",
        "",
        "<!-- Generated by `make bench` (bench/bench.py): rerun it rather than editing. -->",
        "",
        f"Command: `{cmd}` (bench/run, bench/bench.py); {res.reps} run{'s' if res.reps != 1 else ''} per scenario; "
        f"the whole benchmark took {res.elapsed / 60:.1f} min.",
        "",
        table(["machine", ""], info),
        "",
    ]
    if res.equal is not None:
        out += equal_document(res.equal, (BENCH / "equal" / "ours.yml").read_text(), ACCOUNTS_EQUAL)
    if res.runs:
        out += boundary_document(res, targets, left)
    out += ["## Every run", "", runs_table(res), ""]
    if not res.runs:
        return "\n".join(out).rstrip() + "\n"
    out += [
        "## Method of the boundary job",
        "",
        METHOD.format(
            reads="/".join(READ_PREFIXES),
            accounts=", ".join(f"{side} {acct}" for side, acct in ACCOUNTS.items()),
            stubs=", ".join(f"`{k}`" for k in STUBS),
            stubbed=", ".join(f"`{k}` {v}x" for k, v in res.stubbed.items()) or "none",
            corrected=", ".join(f"`{k}` {v}x" for k, v in res.corrected.items()) or "none",
        ),
    ]
    return "\n".join(out).rstrip() + "\n"


def boundary_document(res: Results, targets: list[str], left: list[str]) -> list[str]:
    """The boundary job's part of docs/performance.md (issue 7)."""
    out = [
        "## Boundary job: ours against six amazon.aws tasks (issue 7)",
        "",
        "The guide's example plus an inline policy, a permissions boundary and tags (bench/job.yml); ours "
        "(playbooks/deploy.yml) against bench/baseline/deploy.yml (six amazon.aws module runs), one host.",
        "",
        scenario_table(res),
        "",
        f"Calls: `total (writes w)`, a range when runs differ. Seconds: median of {res.reps} runs (wall; CPU "
        "of ansible-playbook and its modules). Ratio: ours / baseline. Every run is listed at the end.",
        f"Fixtures (boundary policy and deployer user; amazon.aws; once per account, before all runs): "
        f"{fmt_calls(res.fixtures)}, {secs(med_secs(res.fixtures))} s.",
        "",
    ]
    for side, sides_left in res.left.items():
        if sides_left:
            out += [f"Left after {side}'s teardown: {', '.join(sides_left[0])}.", ""]
    out += [
        "### Targets of the boundary job (issue 7)",
        "",
        "```",
        *targets,
        "```",
        "",
        *left,
        "",
    ]
    out += [
        "## Boundary job: API calls by operation",
        "",
        "Per run: the count of one run, a range when the runs differ.",
        "",
    ]
    for name in SCENARIOS:
        out += [f"### {name}", "", operations_table({s: res.scenario(s, name) for s in res.sides}), ""]
    out += [
        "## Boundary job: where the calls and seconds go",
        "",
        "Per task, from the last run of each scenario: bench/callback_plugins/bench_events.py records when "
        "each task starts and ends, and each API call is given to the task running at that moment.",
        "",
    ]
    for name in SCENARIOS:
        for side in res.sides:
            runs = res.scenario(side, name)
            if runs:
                out += [f"### {side}: {name}", "", task_table(runs[-1]), ""]
    out += payload_section(res)
    return out


def payload_section(res: Results) -> list[str]:
    """Each side's AnsiballZ payloads of its no-change run, timed alone (profile_payloads)."""
    out = [
        "### Module payloads: run time and import time",
        "",
        "Each AnsiballZ payload of a no-change run, kept (`ANSIBLE_KEEP_REMOTE_FILES=1`) and run again alone "
        "under `python -X importtime`. `run s`: the payload's wall time (interpreter, imports, API calls). "
        "`imports s`: all its imports; of those, `boto3+botocore s`, and `collection imports s` (the "
        "collections' module_utils the module pulls in, SDK included) on top of the AnsiballZ loader and "
        "`ansible.module_utils.basic` that every module pays.",
        "",
    ]
    for side in res.sides:
        headers = ["module", "run s", "imports s", "boto3+botocore s", "collection imports s", "heaviest imports (s)"]
        rows = res.payloads.get(side)
        if rows is None:
            out += [f"**{side}**: not measured (the run that keeps the payloads did not run or failed).", ""]
            continue
        if not rows:
            out += [
                f"**{side}**: no AnsiballZ payload: no module ran as a module in its no-change run (this "
                "collection's modules run in the task's worker: docs/user-guide.md, \"Where the modules run\").",
                "",
            ]
            continue
        out += [f"**{side}**", "", table(headers, rows), ""]
    return out


def terminal(res: Results, targets: list[str], left: list[str]) -> None:
    if res.equal is not None:
        say()
        say("Equal job (issues 13, 24): seconds and calls = medians of the runs; (w) = writes")
        say(summary_table(res.equal.results, res.equal.missing, res.equal.scales))
        for line in missing_section(res.equal.missing):
            say(line)
        say()
        say("Targets (issues 13, 24):")
        for line in targets_section(verdicts(res.equal.results, res.equal.missing, res.equal.left)):
            say(line)
        for line in module_path_breakdown(res.equal.results, res.equal.missing):
            say(line)
    if not res.runs:
        return
    say()
    say(f"Boundary job: calls = total (writes w); seconds = median of {res.reps} runs; ratio = ours / baseline")
    say(scenario_table(res))
    say(f"Fixtures (once per account, not in the ratios): {fmt_calls(res.fixtures)}, {secs(med_secs(res.fixtures))} s")
    say()
    say("Targets of the boundary job (issue 7):")
    for line in targets:
        say("  " + line)
    for line in left:
        say(line)


def _ansible_env(proxy_url: str) -> dict:
    return dict(
        os.environ,
        AWS_ENDPOINT_URL=proxy_url,
        ANSIBLE_CALLBACK_PLUGINS=str(BENCH / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="bench_events",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )


def main() -> int:
    t0 = time.time()
    upstream = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:4577").rstrip("/")
    doc_path = os.environ.get("BENCH_DOC", str(ROOT / "docs" / "performance.md"))
    missing = [p for p in OURS_FILES if not (ROOT / p).exists()]
    terraform = locate(dict(os.environ))
    res = Results(
        reps=int(os.environ.get("BENCH_REPEATS") or os.environ.get("BENCH_REPS") or 3),
        sides=[s for s in SIDES if s != "ours" or not missing],
        missing=missing,
        equal=settings(os.environ, terraform),
    )
    if missing:
        say(f"bench: our side is not there yet (missing {', '.join(missing)}): baseline only")
    for side, reason in res.equal.missing.items():
        say(f"bench: equal job, {side} side missing: {reason}")
    boundary = os.environ.get("BENCH_BOUNDARY", "1") != "0"
    tmp = Path(tempfile.mkdtemp(prefix="cloudcred-bench-"))
    try:
        with RecordingProxy(upstream) as proxy:
            bench = Bench(proxy, upstream, _ansible_env(proxy.url), tmp)
            info = machine(upstream, terraform)
            res.start_commit = dict(info)["commit"]
            say("bench: " + "; ".join(f"{k}: {v}" for k, v in info))
            run_equal(bench, res.equal, say, _progress)
            if boundary:
                run_scenarios(bench, res)
            res.stubbed = dict(proxy.recorder.stubbed)
            res.corrected = dict(proxy.recorder.corrected)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res.elapsed = time.time() - t0
    res.end_commit, res.end_load = commit(), load()
    targets = evaluate_targets(res) if res.runs else []
    left = left_notes(res) if res.runs else []
    terminal(res, targets, left)
    unknown = sorted({c[2] for r in res.all_runs() for c in r.calls if c[2].endswith(".unknown")})
    if unknown:
        say(f"bench: requests of no known operation (counted as writes): {', '.join(unknown)}")
    if res.stubbed or res.corrected:
        say(f"Emulator gaps answered by the proxy: {res.stubbed}; answers corrected: {res.corrected}")
    if res.end_commit != res.start_commit:
        say(
            f"bench: the tree changed during the run: {res.start_commit} at start, {res.end_commit} at end "
            f"({changed_since(res.start_commit)})"
        )
    if doc_path:
        Path(doc_path).parent.mkdir(parents=True, exist_ok=True)
        Path(doc_path).write_text(document(res, info, targets, left))
        say(f"bench: wrote {os.path.relpath(doc_path, ROOT)} (with the per-task breakdown and import times)")
    if bench.failures:
        say("bench: failed runs: " + "; ".join(f"{r.label} (rc {r.rc})" for r in bench.failures))
    say(f"bench: {res.elapsed / 60:.1f} min")
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
