# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloudcred.ec2 performance benchmark: this collection against an amazon.aws-only baseline.

Runs, against one emulator in one go, ``playbooks/deploy.yml``/``teardown.yml`` (ours) and
``bench/baseline/*.yml`` (the same job with amazon.aws modules only) through a recording
proxy, then prints, and writes to docs/performance.md:

* the scenarios (first converge, no-change rerun, check mode, one change, teardown): API calls
  (total and writes), wall time (median of several runs), ratio ours/baseline;
* the scaling table for N = 1, 10, 50 roles (role + instance profile + launch template);
* where the calls and seconds go: per task, and each module payload's run and import time;
* PASS/FAIL for the performance targets of issue 7.

Usage: ``make bench`` (``bench/run``). Environment: ``BENCH_UPSTREAM`` (the emulator, default
http://127.0.0.1:4577), ``BENCH_REPS`` (runs per scenario, default 3), ``BENCH_SCALE`` (default
"1,10,50"; N above 10 run once), ``BENCH_DOC`` (output, default docs/performance.md; empty: none).
"""

from __future__ import annotations

import json
import os
import platform
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
# bench/ is a folder of scripts, not a package.
from proxy import STUBS, RecordingProxy  # noqa: E402
from report import (  # noqa: E402
    WRITE_PREFIXES,
    Run,
    fmt_calls,
    med_calls,
    med_secs,
    parse_importtime,
    ratio,
    secs,
    table,
    task_table,
)
from state import cleanup, leftovers  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Issue 7's targets for our side.
TARGET_NOCHANGE_CALLS = 8
TARGET_FIRST_CALLS = 20
TARGET_ROLE_NOCHANGE_CALLS = 6
TARGET_TIME_RATIO = 0.5

SCENARIOS = ("first converge", "no-change rerun", "check mode", "one change", "teardown")
BREAKDOWN = ("first converge", "no-change rerun", "check mode", "one change")
SIDES = ("ours", "baseline")
# Larger N run once: N=50 alone is several minutes on two cores.
MEDIAN_MAX_N = 10
RUN_TIMEOUT = 900
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

    def playbook(self, label: str, playbook: str, *args: str, extra_env: dict | None = None) -> Run:
        """Run ``ansible-playbook`` from the repository root; its calls are those the proxy saw meanwhile."""
        events_path = self.tmp / f"events-{time.time_ns()}.jsonl"
        env = dict(self.env, BENCH_EVENTS=str(events_path), **(extra_env or {}))
        mark = self.proxy.recorder.mark()
        started = time.time()
        try:
            proc = subprocess.run(
                ["ansible-playbook", playbook, *args],
                cwd=ROOT,
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
        events = []
        if events_path.exists():
            events = [json.loads(line) for line in events_path.read_text().splitlines() if line.strip()]
            events_path.unlink()
        run = Run(label, rc, seconds, self.proxy.recorder.since(mark), events, started, output)
        if not run.ok:
            self.failures.append(run)
            tail = "\n".join("      " + line for line in output.strip().splitlines()[-15:])
            say(f"    FAILED (rc {rc}): {label}\n{tail}")
        return run


def side_commands(side: str) -> dict[str, tuple[str, list[str]]]:
    """Playbook and arguments of each scenario, for one side."""
    if side == "ours":
        base = ["-e", "@bench/job.yml", "-e", f"asg_instance_role_vars_file={BENCH / 'ours' / 'vars.yml'}"]
        deploy, teardown = "playbooks/deploy.yml", "playbooks/teardown.yml"
    else:
        base = []
        deploy, teardown = "bench/baseline/deploy.yml", "bench/baseline/teardown.yml"
    return {
        "first converge": (deploy, base),
        "no-change rerun": (deploy, base),
        "check mode": (deploy, [*base, "--check"]),
        "one change": (deploy, [*base, "-e", "bench_change=true"]),
        "teardown": (teardown, base),
    }


def profile_payloads(bench: Bench, label: str, playbook: str, args: list[str]) -> list[list]:
    """Run a playbook keeping its AnsiballZ payloads, then time each payload alone under -X importtime."""
    keep = bench.tmp / f"payloads-{label}"
    keep.mkdir(parents=True)
    extra = {"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": str(keep)}
    if not bench.playbook(f"{label}: keep payloads", playbook, *args, extra_env=extra).ok:
        return []
    env = dict(bench.env, AWS_ENDPOINT_URL=bench.upstream)
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


def machine(upstream: str) -> list[list[str]]:
    from ansible import __version__ as ansible_core

    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return [
        ["CPUs (nproc)", str(len(os.sched_getaffinity(0)))],
        ["CPU model", _cpu_model()],
        ["OS", f"{platform.system()} {platform.release()}"],
        ["Python", platform.python_version()],
        ["ansible-core", ansible_core],
        ["amazon.aws", _amazon_aws_version()],
        ["boto3 / botocore", f"{boto3.__version__} / {botocore.__version__}"],
        ["emulator", f"{_emulator(upstream)} at {upstream}, the benchmark's own, behind a recording proxy"],
        ["commit", git.stdout.strip() or "unknown"],
    ]


# --- the benchmark ----------------------------------------------------------------------------


@dataclass
class Results:
    reps: int
    sides: list
    scale_ns: list
    missing: list
    runs: dict = field(default_factory=dict)  # side -> scenario -> [Run]
    fixtures: list = field(default_factory=list)
    left: dict = field(default_factory=dict)  # side -> [leftovers after a teardown]
    payloads: dict = field(default_factory=dict)  # side -> rows
    scale: dict = field(default_factory=dict)  # side -> N -> "create"/"no-change" -> [Run]
    scale_reps: dict = field(default_factory=dict)
    stubbed: dict = field(default_factory=dict)
    elapsed: float = 0.0

    def scenario(self, side: str, name: str) -> list:
        return self.runs.get(side, {}).get(name, [])


def _progress(prefix: str, run: Run) -> None:
    say(
        f"  {prefix} {run.n_calls:5} calls {run.n_writes:4} writes {run.seconds:7.2f} s"
        + ("" if run.ok else "  FAILED")
    )


def run_scenarios(bench: Bench, res: Results) -> None:
    """Each rep, each side from a clean emulator: fixtures, then the five scenarios in order."""
    res.runs = {side: {s: [] for s in SCENARIOS} for side in res.sides}
    res.left = {side: [] for side in res.sides}
    for rep in range(1, res.reps + 1):
        for side in res.sides:  # interleaved, so drift on a shared machine hits both sides alike
            cleanup(bench.upstream)
            res.fixtures.append(bench.playbook("fixtures", "bench/baseline/fixtures.yml"))
            previous = None
            for scenario, (playbook, args) in side_commands(side).items():
                if scenario == "teardown" and rep == res.reps:
                    # Converged (with the change): time each module payload alone, then tear down.
                    res.payloads[side] = profile_payloads(bench, side, *previous)
                previous = (playbook, args)
                run = bench.playbook(f"{side} {scenario} #{rep}", playbook, *args)
                res.runs[side][scenario].append(run)
                _progress(f"run {rep}/{res.reps} {side:8} {scenario:16}", run)
            left = leftovers(bench.upstream)
            if left:
                res.left[side].append(left)
                say(f"    left after {side}'s teardown: {', '.join(left)}")
    cleanup(bench.upstream)


def run_scaling(bench: Bench, res: Results) -> None:
    """N roles with profiles and templates, per side from a clean emulator: create once, then no-change reruns."""
    res.scale = {side: {n: {"create": [], "no-change": []} for n in res.scale_ns} for side in res.sides}
    for n in res.scale_ns:
        # The no-change reruns need no reset between them, so they are the ones repeated.
        res.scale_reps[n] = res.reps if n <= MEDIAN_MAX_N else 1
        for side in res.sides:
            cleanup(bench.upstream)
            for kind in ("create", *["no-change"] * res.scale_reps[n]):
                run = bench.playbook(f"{side} N={n} {kind}", f"bench/scale/{side}.yml", "-e", f"bench_n={n}")
                res.scale[side][n][kind].append(run)
                _progress(f"scale N={n:<3} {side:8} {kind:9}", run)
    cleanup(bench.upstream)


def marginal(res: Results, side: str, kind: str):
    """(calls, seconds) each additional role costs: the slope between the smallest and largest N."""
    if len(res.scale_ns) < 2 or side not in res.scale:  # noqa: PLR2004 - a slope needs two points
        return None, None
    lo, hi = min(res.scale_ns), max(res.scale_ns)
    a, b = res.scale[side][lo][kind], res.scale[side][hi][kind]
    return (med_calls(b) - med_calls(a)) / (hi - lo), (med_secs(b) - med_secs(a)) / (hi - lo)


# --- targets ----------------------------------------------------------------------------------


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
    target(nc_writes == 0, "no-change rerun, 0 writes", f"{nc_writes}")
    target(
        nc_s <= TARGET_TIME_RATIO * base_s,
        f"no-change rerun, at most {TARGET_TIME_RATIO:g} x the baseline's wall time",
        f"{nc_s:.2f} s vs {base_s:.2f} s = {nc_s / base_s:.2f}",
    )
    first = med_calls(res.scenario("ours", "first converge"))
    target(first <= TARGET_FIRST_CALLS, f"first converge, at most {TARGET_FIRST_CALLS} API calls", f"{first:g}")
    calls, seconds = marginal(res, "ours", "no-change")
    base_seconds = marginal(res, "baseline", "no-change")[1]
    if calls is not None:
        target(
            calls <= TARGET_ROLE_NOCHANGE_CALLS,
            f"each additional role, no-change, at most {TARGET_ROLE_NOCHANGE_CALLS} calls",
            f"{calls:.1f}",
        )
        target(
            seconds <= TARGET_TIME_RATIO * base_seconds,
            f"each additional role, no-change, at most {TARGET_TIME_RATIO:g} x the baseline's s/role",
            f"{seconds:.2f} s vs {base_seconds:.2f} s = {seconds / base_seconds:.2f}",
        )
    check = res.scenario("ours", "check mode")
    target(max(r.n_writes for r in check) == 0, "check mode, 0 writes", f"{max(r.n_writes for r in check)}")
    target(
        med_calls(check) <= nc_calls,
        "check mode, no more calls than a no-change run",
        f"{med_calls(check):g} vs {nc_calls:g}",
    )
    ok = all(r.ok for s in SCENARIOS for r in res.scenario("ours", s))
    target(ok, "every run of ours succeeded", "yes" if ok else "no, see Failed runs")
    return lines


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
            ]
        )
    return table(["scenario", "ours calls", "baseline calls", "ratio", "ours s", "baseline s", "ratio"], rows)


def _per(value, n: int, fmt: str) -> str:
    return "-" if value is None else format(value / n, fmt)


def scale_table(res: Results) -> str:
    rows = []
    for n in res.scale_ns:
        for side in res.sides:
            create, nochange = res.scale[side][n]["create"], res.scale[side][n]["no-change"]
            rows.append(
                [
                    n,
                    side,
                    fmt_calls(create),
                    secs(med_secs(create)),
                    _per(med_calls(create), n, ".1f"),
                    _per(med_secs(create), n, ".2f"),
                    fmt_calls(nochange),
                    secs(med_secs(nochange)),
                    _per(med_calls(nochange), n, ".1f"),
                    _per(med_secs(nochange), n, ".2f"),
                ]
            )
    headers = ["N", "side", "create calls", "create s", "calls/role", "s/role"]
    headers += ["no-change calls", "no-change s", "calls/role", "s/role"]
    return table(headers, rows)


def marginal_table(res: Results) -> str:
    rows = []
    for side in res.sides:
        for kind in ("create", "no-change"):
            calls, seconds = marginal(res, side, kind)
            rows.append([side, kind, "-" if calls is None else f"{calls:.1f}", secs(seconds)])
    return table(["side", "run", "calls per additional role", "s per additional role"], rows)


def scale_reps_note(res: Results) -> str:
    reps = ", ".join(
        f"N={n}: {'median of ' + str(k) + ' runs' if k > 1 else 'one run'}" for n, k in res.scale_reps.items()
    )
    return f"Create: one run each; no-change reruns: {reps}"


METHOD = """\
- Both sides do the same job against the same emulator, one after the other, interleaved run by run
  (bench/job.yml): the AWS guide's role `qateam-app` (trusted by EC2, managed policy
  `AmazonSSMManagedInstanceCore`, an inline policy, a permissions boundary, tags), its instance profile,
  the deployer's inline PassRole policy, launch template `my-lt-with-instance-profile` (the profile,
  IMDSv2) and group `qateam-app-asg` (min 1, max 2, desired 1, `us-east-1a`).
- **ours**: `playbooks/deploy.yml` and `playbooks/teardown.yml` (role `cloudcred.ec2.asg_instance_role`)
  with bench/ours/vars.yml. **baseline**: bench/baseline/deploy.yml and teardown.yml, amazon.aws modules
  only, one task per resource, full module names, ARNs rather than names to look up.
- The boundary policy and the deployer user are preconditions of the role, which references them:
  bench/baseline/fixtures.yml makes them (`amazon.aws.iam_managed_policy`, `amazon.aws.iam_user`) before
  every first converge of both sides; it is reported on its own line, outside the ratios.
- API calls: every request goes through a recording proxy in front of the emulator (bench/proxy.py); a
  write is an operation whose name starts with {writes}. Seconds: wall time of the whole
  `ansible-playbook` process (start-up included), median of the runs.
- Emulator gaps: {stubs} answer 501 on this emulator. The proxy answers those, and only on a 501, with
  AWS's reply for the case (nothing to do), and counts them as calls. Used in this run: {stubbed}.
- Default Ansible settings on both sides (no ansible.cfg, no pipelining), local connection, one host.
"""


def document(res: Results, info: list, targets: list[str], breakdown: dict) -> str:
    out = [
        "# Performance: cloudcred.ec2 against amazon.aws alone",
        "",
        "<!-- Generated by `make bench` (bench/bench.py): rerun it rather than editing. -->",
        "",
        f"Command: `make bench` (bench/run, bench/bench.py); {res.reps} runs per scenario; "
        f"the whole benchmark took {res.elapsed / 60:.1f} min.",
        "",
        table(["machine", ""], info),
        "",
        "## Method",
        "",
        METHOD.format(
            writes="/".join(WRITE_PREFIXES),
            stubs=", ".join(f"`{k}`" for k in STUBS),
            stubbed=", ".join(f"`{k}` {v}x" for k, v in res.stubbed.items()) or "none",
        ),
        "## Scenarios",
        "",
        scenario_table(res),
        "",
        f"Calls: `total (writes w)`, a range when runs differ. Seconds: median of {res.reps} runs. "
        "Ratio: ours / baseline.",
        f"Fixtures (boundary policy and deployer user; amazon.aws; before each first converge of both sides; "
        f"not in the ratios): {fmt_calls(res.fixtures)}, {secs(med_secs(res.fixtures))} s.",
        "",
    ]
    for side, left in res.left.items():
        if left:
            out += [f"Left after {side}'s teardown: {', '.join(left[0])}.", ""]
    out += [
        "## Scaling: N roles, each with its instance profile and launch template",
        "",
        "bench/scale/ours.yml (`cloudcred.ec2.iam_instance_role`, `cloudcred.ec2.launch_template_profile`) and "
        "bench/scale/baseline.yml (`amazon.aws.iam_role`, `iam_instance_profile`, `ec2_launch_template`): one "
        f"play, one task per module looping over the N names, on both sides. {scale_reps_note(res)}.",
        "",
        scale_table(res),
        "",
        marginal_table(res),
        "",
        "## Targets (issue 7)",
        "",
        "```",
        *targets,
        "```",
        "",
        "## Where the calls and seconds go",
        "",
        "Per task, from the last run of each scenario: bench/callback_plugins/bench_events.py records when "
        "each task starts and ends, and each API call is given to the task running at that moment.",
        "",
    ]
    for side, runs in breakdown.items():
        for name, run in runs.items():
            out += [f"### {side}: {name}", "", task_table(run), ""]
    out += [
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
        out += [f"**{side}**", "", table(headers, res.payloads.get(side, [])), ""]
    return "\n".join(out).rstrip() + "\n"


def terminal(res: Results, targets: list[str]) -> None:
    say()
    say(f"Scenarios: calls = total (writes w); seconds = median of {res.reps} runs; ratio = ours / baseline")
    say(scenario_table(res))
    say(f"Fixtures (both sides, not in the ratios): {fmt_calls(res.fixtures)}, {secs(med_secs(res.fixtures))} s")
    say()
    say(f"Scaling: N roles (role + instance profile + launch template), looping tasks; {scale_reps_note(res)}")
    say(scale_table(res))
    say(marginal_table(res))
    say()
    say("Targets:")
    for line in targets:
        say("  " + line)


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
    res = Results(
        reps=int(os.environ.get("BENCH_REPS", "3")),
        sides=[s for s in SIDES if s != "ours" or not missing],
        scale_ns=[int(n) for n in os.environ.get("BENCH_SCALE", "1,10,50").split(",") if n.strip()],
        missing=missing,
    )
    if missing:
        say(f"bench: our side is not there yet (missing {', '.join(missing)}): baseline only")
    tmp = Path(tempfile.mkdtemp(prefix="cloudcred-bench-"))
    try:
        with RecordingProxy(upstream) as proxy:
            bench = Bench(proxy, upstream, _ansible_env(proxy.url), tmp)
            info = machine(upstream)
            say("bench: " + "; ".join(f"{k}: {v}" for k, v in info))
            run_scenarios(bench, res)
            run_scaling(bench, res)
            res.stubbed = dict(proxy.recorder.stubbed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res.elapsed = time.time() - t0
    breakdown = {side: {s: res.runs[side][s][-1] for s in BREAKDOWN} for side in res.sides}
    targets = evaluate_targets(res)
    terminal(res, targets)
    if res.stubbed:
        say(f"Emulator gaps answered by the proxy: {res.stubbed}")
    if doc_path:
        Path(doc_path).parent.mkdir(parents=True, exist_ok=True)
        Path(doc_path).write_text(document(res, info, targets, breakdown))
        say(f"bench: wrote {os.path.relpath(doc_path, ROOT)} (with the per-task breakdown and import times)")
    if bench.failures:
        say("bench: failed runs: " + "; ".join(f"{r.label} (rc {r.rc})" for r in bench.failures))
    say(f"bench: {res.elapsed / 60:.1f} min")
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
