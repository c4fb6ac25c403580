# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloudcred.ec2 reliability and security suite (``make reliability``).

Runs the real playbooks and modules against the suite's own LocalStack through a fault-injecting
proxy (faultproxy.py), and checks what must hold:

1. faults      throttling/500/503/latency on >=30% of calls, and lost responses of writes: the
               deploy succeeds and its state equals a fault-free deploy's; a teardown leaves nothing
2. crash       SIGKILL at each step boundary (deploy, update, teardown); the rerun converges (the
               state compared includes the instance refreshes started)
3. race        four deploys of one role at once: one role, profile, group; no stray version
4. bad input   modules and role: clear error naming the option, no write
5. check mode  every --check run: zero mutating calls (this family runs the modules as modules; the rest in the worker)
6. consistency "Invalid IAM Instance Profile" on group create/update: retried, bounded, reported
7. secure      EC2-only trust (.cn too), IMDSv2, scoped PassRole, admin warnings, no secret printed; public or
              non-EC2 trusts and strict escalation refused with 0 writes, PassRole prefix that misses the role
8. permissions docs/permissions.md equals the actions the suite saw the code call

Prints a table and ends with ``reliability: N passed, M failed``; exit status 1 if any failed.
Environment: RELIABILITY_UPSTREAM (the emulator, default http://127.0.0.1:4579),
RELIABILITY_JOBS (cases run at once, default 2), RELIABILITY_ONLY (comma list of sections),
RELIABILITY_CASES (comma list of words; only the cases whose label contains one, e.g. "LaunchTemplateVersion"),
RELIABILITY_KEEP (keep the scratch folder of runs, events and calls even when all held).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
# tests/reliability is a folder of scripts, not a package.
import aws_state  # noqa: E402
import cases  # noqa: E402
import permissions  # noqa: E402
import selftest  # noqa: E402
from aws_state import Names  # noqa: E402
from faultproxy import FaultProxy, Faults  # noqa: E402

UPSTREAM = os.environ.get("RELIABILITY_UPSTREAM", "http://127.0.0.1:4579")
JOBS = int(os.environ.get("RELIABILITY_JOBS", "2"))
SECTIONS = ("harness", "faults", "crash", "race", "bad input", "check mode", "consistency", "secure", "permissions")
ONLY = [s.strip() for s in os.environ.get("RELIABILITY_ONLY", "").split(",") if s.strip()]
CASES = [s.strip() for s in os.environ.get("RELIABILITY_CASES", "").split(",") if s.strip()]
# Overridable to shake out the harness itself against another playbook of the same variables.
DEPLOY = Path(os.environ.get("RELIABILITY_DEPLOY", ROOT / "playbooks" / "deploy.yml"))
TEARDOWN = Path(os.environ.get("RELIABILITY_TEARDOWN", ROOT / "playbooks" / "teardown.yml"))
RUN_TIMEOUT = 420
SECRET = "relSECRETkey0" + os.urandom(8).hex()
TOKEN = "relTOKEN0" + os.urandom(8).hex()
WORK = Path(tempfile.mkdtemp(prefix="cloudcred-reliability-"))


def say(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


@dataclasses.dataclass
class Row:
    section: str
    case: str
    held: bool
    detail: str


@dataclasses.dataclass
class Run:
    rc: int
    output: str
    events: list[dict]
    calls: list
    killed: bool
    seconds: float
    check: bool
    kind: str  # "role" (a playbook of the role) or "module"

    @property
    def writes(self) -> list:
        return [c for c in self.calls if c.write and not c.fault.startswith(("throttle", "5", "scripted", "idem"))]

    def failed_events(self) -> list[dict]:
        return [e for e in self.events if e.get("status") == "failed"]

    def error(self) -> str:
        failed = self.failed_events()
        if failed:
            return f"{failed[-1].get('task')}: {str(failed[-1].get('msg'))[:300]}"
        tail = [line for line in self.output.splitlines() if line.strip()][-3:]
        return " | ".join(tail)[:300]


class Ledger:
    """Every call of every run (for the permissions check and the check-mode total)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.runs: list[Run] = []

    def add(self, run: Run) -> None:
        with self._lock:
            self.runs.append(run)


LEDGER = Ledger()


def ansible_env(proxy_url: str, events: Path, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        PATH=f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".venv" / "collections")),
        ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="reliability_events",
        # The modules run on the controller's Python (boto3 is there), as in the Molecule scenarios.
        ANSIBLE_PYTHON_INTERPRETER=str(ROOT / ".venv" / "bin" / "python"),
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_LOCAL_TEMP=str(WORK / "tmp"),
        ANSIBLE_HOME=str(WORK / "ansible-home"),
        AWS_ENDPOINT_URL=proxy_url,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        # Not "test": Ansible masks every occurrence of a no_log value, and "$Latest" contains it.
        AWS_SECRET_ACCESS_KEY="reliability-emulator-key",
        RELIABILITY_PROXY=proxy_url,
        RELIABILITY_EVENTS=str(events),
    )
    env.update(extra or {})
    return env


_SEQ = iter(range(1, 1_000_000))
_SEQ_LOCK = threading.Lock()


def _scratch(suffix: str) -> Path:
    with _SEQ_LOCK:
        return WORK / f"run-{next(_SEQ):04d}{suffix}"


def run_playbook(
    playbook: Path | str,
    extra_vars: dict | None = None,
    *,
    faults: Faults | None = None,
    check: bool = False,
    diff: bool = False,
    verbosity: int = 0,
    env: dict | None = None,
    timeout: int = RUN_TIMEOUT,
    kind: str = "role",
    module_path: bool = False,
) -> Run:
    """Run ansible-playbook through a fresh fault proxy; the run is its own process group. ``module_path``: this
    collection's modules run as modules (``cloudcred_ec2_in_worker=false``), not in the worker (the interpreter
    is the controller's, so elsewhere they run in the worker)."""
    events = _scratch(".events.jsonl")
    args = ["ansible-playbook", "-i", "localhost,", str(playbook)]
    if module_path:
        args += ["-e", "cloudcred_ec2_in_worker=false"]
    if extra_vars is not None:
        varfile = _scratch(".vars.json")
        varfile.write_text(json.dumps(extra_vars))
        args += ["-e", f"@{varfile}"]
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    if verbosity:
        args.append("-" + "v" * verbosity)
    start = time.time()
    with FaultProxy(UPSTREAM, faults) as proxy:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=ansible_env(proxy.url, events, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
        )
        proxy.faults.kill_pgid = proc.pid
        try:
            output = proc.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output = proc.communicate()[0]
            output += f"\n[reliability] killed after the {timeout}s time-out\n"
        calls = proxy.snapshot()
        killed = proxy.faults.killed
    evs = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
    run = Run(proc.returncode, output, evs, calls, killed, time.time() - start, check, kind)
    LEDGER.add(run)
    return run


def deploy(names: Names, **kw) -> Run:
    overrides = kw.pop("overrides", {})
    return run_playbook(DEPLOY, names.role_vars(**overrides), **kw)


def teardown(names: Names, **kw) -> Run:
    overrides = kw.pop("overrides", {})
    return run_playbook(TEARDOWN, names.role_vars(**overrides), **kw)


def chain(names: Names, **kw) -> Run:
    """The modules alone, as a user chains them without the role: role + profile, then the template."""
    overrides = kw.pop("overrides", {})
    data = overrides.get(
        "asg_instance_role_launch_template_data", names.role_vars()["asg_instance_role_launch_template_data"]
    )
    inline = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    tasks = [
        {
            "name": "role and instance profile",
            cases.ROLE: {
                "name": names.role,
                "managed_policies": ["AmazonSSMManagedInstanceCore"],
                "inline_policies": {"app": inline},
                "tags": {"suite": "reliability"},
            },
        },
        {
            "name": "template version with the profile",
            cases.LTP: {
                "launch_template_name": names.template,
                "instance_profile_name": names.role,
                "launch_template_data": data,
                "tags": {"suite": "reliability"},
            },
        },
    ]
    play = {"name": "module chain", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
    playbook = _scratch(".chain.yml")
    playbook.write_text(json.dumps([play]))
    return run_playbook(playbook, kind="module", **kw)


def fresh(case: str, *, template: bool = False) -> Names:
    names = Names(case)
    aws_state.cleanup(UPSTREAM, names)
    aws_state.ensure_deployer(UPSTREAM, names)
    if template:
        aws_state.ensure_template(UPSTREAM, names)
    return names


def ok(run: Run, what: str) -> str:
    """'' when the run succeeded, else why not."""
    if run.rc != 0:
        return f"{what} rc={run.rc}: {run.error()}"
    return ""


# --- references ------------------------------------------------------------------------------
UPDATE = {"asg_instance_role_launch_template_data": {"ImageId": aws_state.IMAGE, "InstanceType": "t3.micro"}}
# The role touches the group only when the group itself differs (a new template version reaches it
# through $Default), so UpdateAutoScalingGroup needs a change of the group: its maximum size.
GROUP_UPDATE = {**UPDATE, "asg_instance_role_asg_max_size": 3}
_REFS: dict[str, dict] = {}
_REFS_LOCK = threading.Lock()


def reference(kind: str) -> dict:
    """Snapshot of a fault-free run: "deploy", "update" (then t3.micro), "group-update" (then t3.micro and
    a larger group), "teardown"."""
    with _REFS_LOCK:
        if kind in _REFS:
            return _REFS[kind]
        names = fresh(f"ref-{kind}")
        run = (chain if kind.startswith("chain") else deploy)(names)
        if run.rc != 0:
            raise RuntimeError(f"reference deploy failed: {run.error()}")
        if kind == "update":
            run = deploy(names, overrides=UPDATE)
        elif kind == "group-update":
            run = deploy(names, overrides=GROUP_UPDATE)
        elif kind == "chain-update":
            run = chain(names, overrides=UPDATE)
        elif kind == "teardown":
            run = teardown(names)
        if run.rc != 0:
            raise RuntimeError(f"reference {kind} failed: {run.error()}")
        _REFS[kind] = aws_state.snapshot(UPSTREAM, names)
        if kind == "deploy":
            _REFS["deploy-run"] = run  # type: ignore[assignment]
        aws_state.cleanup(UPSTREAM, names)
        return _REFS[kind]


def state_matches(names: Names, ref: dict, state: dict | None = None) -> str:
    differences = aws_state.diff(ref, state if state is not None else aws_state.snapshot(UPSTREAM, names))
    return "" if not differences else "state differs: " + "; ".join(differences[:4])


def _settled(state: dict) -> dict:
    """A snapshot without what concurrent runs may legitimately leave differently from one run: the
    template's version numbers (up to one version per run, all with the same data) and the refreshes."""
    state = json.loads(json.dumps(state))
    for template in state["launch_templates"].values():
        for key in ("versions", "latest", "default"):
            template.pop(key, None)
    for group in state["groups"].values():
        group.pop("instance_refreshes", None)
        group.get("launch_template", {}).pop("Version", None)
    return state


# --- 1. faults --------------------------------------------------------------------------------
INJECTED = ("throttle", "500", "503", "scripted", "post-commit")
# Per attempt; retries of one request are faulted at most twice in a row, so the share of calls
# answered with an error lands near 30-40%. Each fault run checks it reached 30%.
FAULT_RATE = 0.5
MIN_SHARE = 0.3


def share_too_low(run: Run) -> str:
    errors = sum(1 for c in run.calls if c.fault.startswith(INJECTED))
    if errors < MIN_SHARE * len(run.calls):
        return f"only {errors} of {len(run.calls)} calls faulted (< {MIN_SHARE:.0%}): too few to judge"
    return ""


def fmt_faults(run: Run) -> str:
    counts: dict[str, int] = {}
    for call in run.calls:
        if call.fault:
            counts[call.fault] = counts.get(call.fault, 0) + 1
    errors = sum(v for k, v in counts.items() if k.startswith(INJECTED))
    share = 100 * errors / max(1, len(run.calls))
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"{len(run.calls)} calls, {share:.0f}% errored ({parts})"


def case_faults_random() -> list[Row]:
    ref = reference("deploy")
    names = fresh("faults")
    run = deploy(names, faults=Faults(seed=7, fault_rate=FAULT_RATE, latency_rate=0.3))
    problem = ok(run, "deploy") or state_matches(names, ref) or share_too_low(run)
    rows = [Row("faults", "throttle/500/503 + latency, fresh deploy", not problem, problem or fmt_faults(run))]
    again = deploy(names, faults=Faults(seed=11, fault_rate=FAULT_RATE, latency_rate=0.3))
    problem = ok(again, "rerun") or state_matches(names, ref)
    if not problem and again.writes:
        problem = f"no-change rerun wrote: {sorted({c.operation for c in again.writes})}"
    rows.append(Row("faults", "same faults, no-change rerun", not problem, problem or fmt_faults(again) + ", 0 writes"))
    aws_state.cleanup(UPSTREAM, names)
    return rows


def case_faults_lost_responses() -> list[Row]:
    """Each write operation's first answer is lost (500 after the emulator committed it)."""
    ref = reference("deploy")
    ops = sorted({c.operation for c in _REFS["deploy-run"].writes})  # type: ignore[attr-defined]
    names = fresh("lost")
    run = deploy(names, faults=Faults(post_commit_once=tuple(ops)))
    problem = ok(run, "deploy") or state_matches(names, ref)
    lost = sorted(c.operation.split(".")[1] for c in run.calls if c.fault == "post-commit-500")
    detail = f"lost answers of {len(lost)} writes ({', '.join(lost)})"
    aws_state.cleanup(UPSTREAM, names)
    return [
        Row("faults", "500 after commit on each write op", not problem, (problem + " | " if problem else "") + detail)
    ]


# The group's deletion is judged on its own, so that its outcome does not hide the others'.
TEARDOWN_WRITES = (
    "ec2.DeleteLaunchTemplate",
    "iam.DeleteUserPolicy",
    "iam.RemoveRoleFromInstanceProfile",
    "iam.DeleteInstanceProfile",
    "iam.DetachRolePolicy",
    "iam.DeleteRole",
)


def case_faults_teardown() -> list[Row]:
    """Teardown (purging the deployer policy) of a deployed stack under random faults, then with
    each write's first answer lost: nothing may be left."""
    ref = {**reference("teardown"), "deployer": {}}
    rows = []
    for label, case, lost_ops in (
        ("teardown: throttle/500/503 + latency", "tdfaults", ()),
        ("teardown: 500 after DeleteAutoScalingGroup", "tdlostgrp", ("autoscaling.DeleteAutoScalingGroup",)),
        ("teardown: 500 after commit, each other write", "tdlost", TEARDOWN_WRITES),
    ):
        names = fresh(case)
        setup = deploy(names)
        if setup.rc != 0:
            rows.append(Row("faults", label, False, ok(setup, "setup deploy")))
            aws_state.cleanup(UPSTREAM, names)
            continue
        if lost_ops:
            faults = Faults(post_commit_once=lost_ops)
        else:
            faults = Faults(seed=13, fault_rate=FAULT_RATE, latency_rate=0.3)
        run = teardown(names, faults=faults, overrides={"asg_instance_role_purge_deployer_policy": True})
        problem = ok(run, "teardown") or state_matches(names, ref)
        if not lost_ops:
            problem = problem or share_too_low(run)
            detail = fmt_faults(run)
        else:
            lost = sorted(c.operation.split(".")[1] for c in run.calls if c.fault == "post-commit-500")
            detail = f"lost answers of {len(lost)} writes ({', '.join(lost)})"
        rows.append(Row("faults", label, not problem, " | ".join(filter(None, [problem, detail]))))
        aws_state.cleanup(UPSTREAM, names)
    return rows


def case_faults_chain() -> list[Row]:
    """The modules alone (no role): random faults, then every write's first answer lost."""
    ref = reference("chain")
    rows = []
    names = fresh("mfaults")
    run = chain(names, faults=Faults(seed=3, fault_rate=FAULT_RATE, latency_rate=0.3))
    problem = ok(run, "modules") or state_matches(names, ref) or share_too_low(run)
    rows.append(Row("faults", "modules: throttle/500/503 + latency", not problem, problem or fmt_faults(run)))
    writes = sorted({c.operation for c in run.writes})
    aws_state.cleanup(UPSTREAM, names)
    names = fresh("mlost")
    run = chain(names, faults=Faults(post_commit_once=tuple(writes)))
    problem = ok(run, "modules") or state_matches(names, ref)
    lost = sorted(c.operation.split(".")[1] for c in run.calls if c.fault == "post-commit-500")
    detail = f"lost answers of {len(lost)} writes ({', '.join(lost)})"
    rows.append(
        Row(
            "faults",
            "modules: 500 after commit, each write op",
            not problem,
            " | ".join(filter(None, [problem, detail])),
        )
    )
    aws_state.cleanup(UPSTREAM, names)
    return rows


def _template_module_run(case: str, faults: Faults | None) -> tuple[Run, Names]:
    names = _bad_fixtures(case)
    playbook = WORK / f"{case}.yml"
    task = {
        "name": "profile on the template",
        cases.LTP: {"launch_template_name": names.template, "instance_profile_name": names.prefix + "fixture"},
    }
    play = {"name": case, "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}
    playbook.write_text(json.dumps([play]))
    return run_playbook(playbook, kind="module", faults=faults), names


def case_faults_template_module() -> list[Row]:
    """launch_template_profile alone: lost answers of CreateLaunchTemplateVersion/ModifyLaunchTemplate.
    The state must be the fault-free run's: one new version (its data whole), the default, the tags."""
    clean, ref_names = _template_module_run("ltref", None)
    ref = aws_state.snapshot(UPSTREAM, ref_names)
    aws_state.cleanup(UPSTREAM, ref_names)
    lost = ("ec2.CreateLaunchTemplateVersion", "ec2.ModifyLaunchTemplate")
    run, names = _template_module_run("ltlost", Faults(post_commit_once=lost, fault_rate=0.3, seed=5))
    problem = ok(clean, "fault-free module run") or ok(run, "module") or state_matches(names, ref)
    template = next(iter(ref["launch_templates"].values()), {})
    if not problem and (template.get("latest"), template.get("default")) != (2, 2):
        problem = f"fault-free run: latest {template.get('latest')}, default {template.get('default')} (want 2, 2)"
    aws_state.cleanup(UPSTREAM, names)
    label = "template module: lost answers + 30% faults"
    return [Row("faults", label, not problem, problem or fmt_faults(run) + ", state as the fault-free run's")]


# --- 2. crash ---------------------------------------------------------------------------------
# (id, phase, operation, nth): phase "deploy" from nothing, "update" changes the instance type of
# a deployed stack, "teardown" removes a deployed stack. The state compared counts the instance
# refreshes started on the group: an update whose refresh a crash lost has not converged.
CRASH_POINTS = [
    ("after CreateRole", "deploy", "iam.CreateRole", 1),
    ("after AttachRolePolicy", "deploy", "iam.AttachRolePolicy", 1),
    ("after CreateInstanceProfile", "deploy", "iam.CreateInstanceProfile", 1),
    ("after AddRoleToInstanceProfile", "deploy", "iam.AddRoleToInstanceProfile", 1),
    ("after PutUserPolicy (PassRole)", "deploy", "iam.PutUserPolicy", 1),
    ("after CreateLaunchTemplate", "deploy", "ec2.CreateLaunchTemplate", 1),
    ("after CreateAutoScalingGroup", "deploy", "autoscaling.CreateAutoScalingGroup", 1),
    ("after CreateLaunchTemplateVersion", "update", "ec2.CreateLaunchTemplateVersion", 1),
    ("after ModifyLaunchTemplate", "update", "ec2.ModifyLaunchTemplate", 1),
    ("after StartInstanceRefresh", "update", "autoscaling.StartInstanceRefresh", 1),
    ("after UpdateAutoScalingGroup", "group-update", "autoscaling.UpdateAutoScalingGroup", 1),
    ("after DeleteAutoScalingGroup", "teardown", "autoscaling.DeleteAutoScalingGroup", 1),
    ("after RemoveRoleFromInstanceProfile", "teardown", "iam.RemoveRoleFromInstanceProfile", 1),
]


# The same boundaries with the modules alone (no role, no group).
CHAIN_CRASH_POINTS = [
    ("after CreateRole", "chain", "iam.CreateRole", 1),
    ("after AttachRolePolicy", "chain", "iam.AttachRolePolicy", 1),
    ("after PutRolePolicy", "chain", "iam.PutRolePolicy", 1),
    ("after CreateInstanceProfile", "chain", "iam.CreateInstanceProfile", 1),
    ("after AddRoleToInstanceProfile", "chain", "iam.AddRoleToInstanceProfile", 1),
    ("after CreateLaunchTemplate", "chain", "ec2.CreateLaunchTemplate", 1),
    ("after CreateLaunchTemplateVersion", "chain-update", "ec2.CreateLaunchTemplateVersion", 1),
]


def case_crash(point: tuple[str, str, str, int]) -> list[Row]:
    label, phase, operation, nth = point
    ref = reference(phase)
    short = re.sub(r"[^a-z]", "", operation.split(".")[1].lower())[:24]
    names = fresh(("mcrash-" if phase.startswith("chain") else "crash-") + short)
    if phase in ("update", "group-update", "teardown", "chain-update"):
        setup = (chain if phase == "chain-update" else deploy)(names)
        if setup.rc != 0:
            return [Row("crash", f"{phase} {label}", False, ok(setup, "setup deploy"))]
    again = {"teardown": teardown, "chain": chain, "chain-update": chain}.get(phase, deploy)
    overrides = {"update": UPDATE, "chain-update": UPDATE, "group-update": GROUP_UPDATE}.get(phase, {})
    killed = again(names, overrides=overrides, faults=Faults(kill_after=(operation, nth)))
    if not killed.killed:
        seen = sorted({c.operation.split(".")[1] for c in killed.writes})
        problem = (
            f"{operation} never answered (rc={killed.rc}; writes seen: {', '.join(seen) or 'none'}) {killed.error()}"
        )
        aws_state.cleanup(UPSTREAM, names)
        return [Row("crash", f"{phase} {label}", False, problem)]
    recover = again(names, overrides=overrides)
    problem = ok(recover, "rerun") or state_matches(names, ref)
    detail = f"killed at call {len(killed.calls)}, rerun rc=0 in {recover.seconds:.0f}s, state = fault-free {phase}"
    aws_state.cleanup(UPSTREAM, names)
    return [Row("crash", f"{phase} {label}", not problem, problem or detail)]


# --- 3. race ----------------------------------------------------------------------------------
RETRYABLE = re.compile(r"retry|try again|concurrent|in progress|conflict|ConcurrentModification", re.I)


def _race(names: Names, overrides: dict, label: str, runs: int = 4, existing_versions: int = 0) -> Row:
    """``runs`` deploys at once; versions up to ``existing_versions`` were made before and are not counted.
    Everything but the template's version numbers and the refreshes must be as a fault-free run leaves it."""
    ref = _settled(reference("update" if existing_versions else "deploy"))
    barrier = threading.Barrier(runs)

    def one(index):
        del index
        barrier.wait()
        return deploy(names, overrides=overrides)

    with concurrent.futures.ThreadPoolExecutor(runs) as pool:
        results = list(pool.map(one, range(runs)))
    problems = []
    unclear = [r.error() for r in results if r.rc != 0 and not RETRYABLE.search(r.error())]
    if unclear:
        problems.append(f"{len(unclear)} of {runs} failed without a retryable message: {unclear[0]}")
    state = aws_state.snapshot(UPSTREAM, names)
    counts = {k: len(state[k]) for k in ("roles", "instance_profiles", "launch_templates", "groups")}
    if any(v != 1 for v in counts.values()):
        problems.append(f"resources {counts}")
    mismatch = state_matches(names, ref, _settled(state))
    if mismatch:
        problems.append(mismatch)
    template = next(iter(state["launch_templates"].values()), {"versions": {}})
    profile_versions = [
        v for n, v in template["versions"].items() if int(n) > existing_versions and v.get("IamInstanceProfile")
    ]
    if len(profile_versions) > runs:
        problems.append(f"{len(profile_versions)} versions with the profile for {runs} runs")
    if len({json.dumps(v, sort_keys=True) for v in profile_versions}) > 1:
        problems.append("versions with the profile differ")
    role = next(iter(state["roles"].values()), {})
    if role.get("managed") != ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]:
        problems.append(f"role policies {role.get('managed')}")
    ok_runs = sum(1 for r in results if r.rc == 0)
    detail = (
        f"{ok_runs}/{runs} ok, {counts['roles']} role/{counts['instance_profiles']} profile/{counts['groups']} group,"
        f" {len(profile_versions)} version(s) with profile"
    )
    return Row("race", label, not problems, "; ".join(problems) + (" | " if problems else "") + detail)


def case_race_fresh() -> list[Row]:
    names = fresh("race")
    row = _race(names, {}, "4 deploys at once, from nothing")
    aws_state.cleanup(UPSTREAM, names)
    return [row]


def case_race_modules() -> list[Row]:
    """Four module chains (role + profile, template) at once: one of each, identical versions."""
    names = fresh("mrace")
    runs = 4
    barrier = threading.Barrier(runs)

    def one(index):
        del index
        barrier.wait()
        return chain(names)

    with concurrent.futures.ThreadPoolExecutor(runs) as pool:
        results = list(pool.map(one, range(runs)))
    state = aws_state.snapshot(UPSTREAM, names)
    counts = {k: len(state[k]) for k in ("roles", "instance_profiles", "launch_templates")}
    template = next(iter(state["launch_templates"].values()), {"versions": {}})
    versions = list(template["versions"].values())
    problems = []
    unclear = [r.error() for r in results if r.rc != 0 and not RETRYABLE.search(r.error())]
    if unclear:
        problems.append(f"{len(unclear)} of {runs} failed without a retryable message: {unclear[0]}")
    if any(v != 1 for v in counts.values()):
        problems.append(f"resources {counts}")
    if len(versions) > runs or len({json.dumps(v, sort_keys=True) for v in versions}) > 1:
        problems.append(f"{len(versions)} versions, {len({json.dumps(v, sort_keys=True) for v in versions})} distinct")
    role = next(iter(state["roles"].values()), {})
    profile = next(iter(state["instance_profiles"].values()), {})
    if profile.get("roles") != [names.role.replace(names.prefix, "rel-CASE-")] or len(role.get("inline", {})) != 1:
        problems.append(f"profile roles {profile.get('roles')}, inline {list(role.get('inline', {}))}")
    aws_state.cleanup(UPSTREAM, names)
    ok_runs = sum(1 for r in results if r.rc == 0)
    detail = f"{ok_runs}/{runs} ok, {counts}, {len(versions)} version(s), identical"
    return [Row("race", "4 module chains at once (no role)", not problems, "; ".join(problems) or detail)]


def case_race_update() -> list[Row]:
    names = fresh("raceupd")
    setup = deploy(names)
    if setup.rc != 0:
        return [Row("race", "4 updates at once", False, ok(setup, "setup deploy"))]
    row = _race(names, UPDATE, "4 updates (t3.micro) at once", existing_versions=1)
    aws_state.cleanup(UPSTREAM, names)
    return [row]


# --- 4. bad input -----------------------------------------------------------------------------
def _names_option(msg: str, option: str) -> bool:
    return any(alt in msg for alt in option.split("|"))


def _bad_fixtures(case: str = "bad") -> Names:
    names = fresh(case)
    c = aws_state.clients(UPSTREAM)
    c["iam"].create_role(RoleName=names.prefix + "fixture", AssumeRolePolicyDocument=json.dumps(_trust()))
    c["iam"].create_instance_profile(InstanceProfileName=names.prefix + "fixture")
    c["iam"].add_role_to_instance_profile(
        InstanceProfileName=names.prefix + "fixture", RoleName=names.prefix + "fixture"
    )
    aws_state.ensure_template(UPSTREAM, names)
    return names


def _trust() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def case_bad_modules() -> list[Row]:
    _bad_fixtures()
    runs = {}
    for module in sorted({case[1] for case in cases.MODULE_CASES}):
        playbook = WORK / f"bad-input-{module}.yml"
        playbook.write_text(cases.module_playbook([case for case in cases.MODULE_CASES if case[1] == module]))
        runs[module] = run_playbook(playbook, kind="module")
    rows = []
    for case_id, module, _args, option in cases.MODULE_CASES:
        run = runs[module]
        event = next((e for e in run.events if e.get("task") == case_id), {})
        calls = [c for c in run.calls if c.mark.endswith("|" + case_id)]
        writes = [c.operation.split(".")[1] for c in calls if c.write]
        msg = str(event.get("msg", ""))
        problems = []
        if event.get("status") not in ("failed", "ignored"):
            why = f"actions={event.get('actions')}" if event else f"no result: {run.error()[:120]}"
            problems.append(f"did not fail ({event.get('status', 'no result')}, {why})")
        elif not _names_option(msg, option):
            problems.append(f"message does not name {option}: {msg[:160]!r}")
        if writes:
            problems.append(f"wrote {writes}")
        detail = f"{msg[:90]!r}; {len(calls)} calls, 0 writes" if not problems else "; ".join(problems)
        rows.append(Row("bad input", f"{module.rsplit('.', maxsplit=1)[-1]}: {case_id}", not problems, detail))
    aws_state.cleanup(UPSTREAM, Names("bad"))
    return rows


def case_bad_role() -> list[Row]:
    rows = []
    # Not "bad": case_bad_modules runs at the same time and cleans up rel-bad-* (this deployer too).
    names = fresh("badrole")
    for case_id, overrides, option in cases.ROLE_CASES:
        run = deploy(names, overrides=overrides)
        text = run.error() + "\n" + run.output
        problems = []
        if run.rc == 0:
            problems.append("deploy succeeded")
        elif not _names_option(text, option):
            problems.append(f"message does not name {option}: {run.error()[:160]}")
        if run.writes:
            problems.append(f"wrote {[c.operation.split('.')[1] for c in run.writes]}")
            aws_state.cleanup(UPSTREAM, names)
            aws_state.ensure_deployer(UPSTREAM, names)
        detail = f"{run.error()[:100]}; {len(run.calls)} calls, 0 writes" if not problems else "; ".join(problems)
        rows.append(Row("bad input", f"role: {case_id}", not problems, detail))
    aws_state.cleanup(UPSTREAM, names)
    return rows


# --- 5. check mode ----------------------------------------------------------------------------
def _check_row(label: str, run: Run, expect_changed: bool | None = None) -> Row:
    problems = []
    if run.writes:
        problems.append(f"wrote {[c.operation.split('.')[1] for c in run.writes]}")
    if run.rc != 0:
        problems.append(f"rc={run.rc}: {run.error()}")
    changed = any(e.get("changed") for e in run.events)
    if expect_changed is not None and changed != expect_changed:
        problems.append(f"reported changed={changed}, expected {expect_changed}")
    detail = f"{len(run.calls)} calls, 0 writes, changed={changed}"
    return Row("check mode", label, not problems, "; ".join(problems) or detail)


def case_check_role() -> list[Row]:
    names = fresh("check")
    rows = [_check_row("deploy --check from nothing", deploy(names, module_path=True, check=True), True)]
    real = deploy(names, module_path=True)
    if real.rc != 0:
        return [*rows, Row("check mode", "deploy", False, ok(real, "deploy"))]
    rows.append(_check_row("deploy --check, nothing to do", deploy(names, module_path=True, check=True), False))
    rows.append(
        _check_row(
            "deploy --check, new instance type", deploy(names, module_path=True, check=True, overrides=UPDATE), True
        )
    )
    rows.append(_check_row("teardown --check", teardown(names, module_path=True, check=True), True))
    aws_state.cleanup(UPSTREAM, names)
    return rows


def _lifecycle_fixtures(names: Names) -> str:
    """A customer managed policy (the role attaches it) and a group on a template without the profile
    (the absent step's in-use check reads it). Returns the policy's ARN."""
    c = aws_state.clients(UPSTREAM)
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    arn = c["iam"].create_policy(PolicyName=names.prefix + "policy", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    c["ec2"].create_launch_template(
        LaunchTemplateName=names.prefix + "other-lt", LaunchTemplateData={"ImageId": aws_state.IMAGE}
    )
    c["autoscaling"].create_auto_scaling_group(
        AutoScalingGroupName=names.group,
        LaunchTemplate={"LaunchTemplateName": names.prefix + "other-lt"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[aws_state.AZ],
    )
    return arn


def _module_lifecycle_playbook(prefix: str, policy_arn: str) -> tuple[str, list[tuple[str, bool]]]:
    """Modules alone: create, no-op, change, remove. Each step runs in check mode (task ``<step> (check)``)
    right before it runs for real, so that each check sees the state its real run starts from. Returns the
    playbook and ``(step, changed)``: whether the step must report a change."""
    role = f"{prefix}app"
    lt = {"launch_template_name": f"{prefix}lt", "instance_profile_name": role}
    trust = _trust()
    trust["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "000000000000"}}
    steps = [
        (
            "create role",
            cases.ROLE,
            {"name": role, "managed_policies": ["AmazonSSMManagedInstanceCore"], "tags": {"a": "1"}},
        ),
        (
            "role no-op",
            cases.ROLE,
            {"name": role, "managed_policies": ["AmazonSSMManagedInstanceCore"], "tags": {"a": "1"}},
        ),
        (
            "role change",
            cases.ROLE,
            {
                "name": role,
                "managed_policies": ["ReadOnlyAccess", policy_arn],
                "inline_policies": {
                    "app": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                    }
                },
                "tags": {"b": "2"},
                "max_session_duration": 7200,
                "description": "changed",
            },
        ),
        (
            "create template",
            cases.LTP,
            {
                **lt,
                "launch_template_data": {"ImageId": aws_state.IMAGE, "InstanceType": "t2.micro"},
                "tags": {"a": "1"},
            },
        ),
        (
            "template no-op",
            cases.LTP,
            {**lt, "launch_template_data": {"ImageId": aws_state.IMAGE, "InstanceType": "t2.micro"}},
        ),
        (
            "template new version",
            cases.LTP,
            {**lt, "launch_template_data": {"InstanceType": "t3.micro"}, "tags": {"b": "2"}},
        ),
        (
            "role boundary and trust",
            cases.ROLE,
            {"name": role, "permissions_boundary": "PowerUserAccess", "assume_role_policy_document": trust},
        ),
        ("role boundary removed", cases.ROLE, {"name": role, "permissions_boundary": ""}),
        ("template absent", cases.LTP, {"launch_template_name": f"{prefix}lt", "state": "absent"}),
        ("role absent", cases.ROLE, {"name": role, "state": "absent"}),
    ]
    tasks = []
    for name, module, args in steps:
        tasks.append({"name": f"{name} (check)", module: args, "check_mode": True})
        tasks.append({"name": name, module: args})
    # Read-only modules, run once the template exists, for the permissions ledger; judged elsewhere.
    preflight = {"name": role, "launch_template_name": f"{prefix}lt"}
    for module, info in (("instance_role_info", {"name": role}), ("instance_role_preflight", preflight)):
        if (ROOT / "plugins" / "modules" / f"{module}.py").exists():
            tasks.insert(8, {"name": module, f"cloudcred.ec2.{module}": info, "ignore_errors": True})
    play = {
        "name": "module lifecycle",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": tasks,
    }
    return json.dumps([play], indent=1), [(name, not name.endswith("no-op")) for name, _module, _args in steps]


def _lifecycle_step_problem(run: Run, step: str, changed: bool) -> str:
    """'' when ``<step> (check)`` succeeded writing nothing and predicted ``<step>``'s change and actions."""
    checked = next((e for e in run.events if e.get("task") == f"{step} (check)"), None)
    real = next((e for e in run.events if e.get("task") == step), None)
    if checked is None or real is None:
        return f"{step}: no result (check {checked is not None}, real {real is not None})"
    problems = []
    if checked.get("status") != "ok" or real.get("status") != "ok":
        problems.append(
            f"status check={checked.get('status')} real={real.get('status')}: {checked.get('msg') or real.get('msg')}"
        )
    wrote = [c.operation.split(".")[1] for c in run.writes if c.mark.endswith(f"|{step} (check)")]
    if wrote:
        problems.append(f"check wrote {wrote}")
    if (bool(checked.get("changed")), bool(real.get("changed"))) != (changed, changed):
        problems.append(f"changed check={checked.get('changed')} real={real.get('changed')}, want {changed}")
    if checked.get("actions") != real.get("actions"):
        problems.append(f"actions check={checked.get('actions')} real={real.get('actions')}")
    return f"{step}: " + ", ".join(problems) if problems else ""


def case_module_lifecycle() -> list[Row]:
    """Each step in check mode, then for real: the check succeeds, writes nothing and predicts the real run's
    change and actions; the real no-op steps change nothing; the state ends as a fault-free run leaves it."""
    names = fresh("mods")
    policy_arn = _lifecycle_fixtures(names)
    playbook = WORK / "lifecycle.yml"
    text, steps = _module_lifecycle_playbook(names.prefix, policy_arn)
    playbook.write_text(text)
    run = run_playbook(playbook, kind="module", module_path=True)
    problems = [p for p in (_lifecycle_step_problem(run, step, changed) for step, changed in steps) if p]
    checks = [c for c in run.calls if c.mark.endswith(" (check)")]
    detail = f"{len(steps)} steps, each --check then real; {len(checks)} calls in check mode, 0 writes"
    rows = [Row("check mode", "modules: each step --check, then real", not problems, "; ".join(problems) or detail)]
    problem = ok(run, "modules")
    rows.append(
        Row(
            "check mode",
            "modules for real (lifecycle, no-op steps ok)",
            not problem,
            problem or f"{len(run.calls)} calls, {len(run.writes)} writes",
        )
    )
    aws_state.cleanup(UPSTREAM, names)
    return rows


def _opts(inline: dict, boundary: str, tags: dict) -> dict:
    return {
        "asg_instance_role_inline_policies": inline,
        "asg_instance_role_permissions_boundary": boundary,
        "asg_instance_role_tags": tags,
    }


_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
_LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}
ROLE_OPTIONS_V1 = _opts({"app": _S3}, "PowerUserAccess", {"suite": "reliability", "team": "a"})
# V2 is the whole truth: V1's inline policy and tag go (the purge variables; without them they would stay).
ROLE_OPTIONS_V2 = {
    **_opts({"logs": _LOGS}, "", {"suite": "reliability", "owner": "b"}),
    "asg_instance_role_purge_inline_policies": True,
    "asg_instance_role_purge_tags": True,
}


def _options_applied(names: Names) -> str:
    """'' when the role, profile, template and group carry ROLE_OPTIONS_V2 and the default trust."""
    state = aws_state.snapshot(UPSTREAM, names)
    role = next(iter(state["roles"].values()), {})
    tags = ROLE_OPTIONS_V2["asg_instance_role_tags"]
    seen = {
        "inline": sorted(role.get("inline", {})),
        "boundary": role.get("boundary"),
        "role tags": role.get("tags"),
        "template tags": next(iter(state["launch_templates"].values()), {}).get("tags"),
        "group tags": next(iter(state["groups"].values()), {}).get("tags"),
        "trust": _principals(role.get("trust", {})),
    }
    wanted = {
        "inline": ["logs"],
        "boundary": None,
        "role tags": tags,
        "template tags": tags,
        "group tags": tags,
        "trust": ["Service:ec2.amazonaws.com"],
    }
    wrong = [f"{key} {seen[key]} (want {wanted[key]})" for key in wanted if seen[key] != wanted[key]]
    return "; ".join(wrong)


def case_role_options() -> list[Row]:
    """The role given inline policies, a boundary and tags, then all three changed (--check first),
    a drifted trust policy repaired, and a teardown that purges the deployer's policy. Also what
    makes the role's IAM actions for these options seen by the permissions check."""
    names = fresh("opts")
    # Without the options first, so that each is added to an existing role (PutRolePermissionsBoundary,
    # TagRole, ...), then changed and removed.
    for step in (deploy(names, module_path=True), deploy(names, module_path=True, overrides=ROLE_OPTIONS_V1)):
        if step.rc != 0:
            aws_state.cleanup(UPSTREAM, names)
            return [Row("check mode", "role options: deploy", False, ok(step, "deploy"))]
    rows = [
        _check_row(
            "deploy --check: inline, boundary, tags changed",
            deploy(names, module_path=True, check=True, overrides=ROLE_OPTIONS_V2),
            True,
        )
    ]
    change = deploy(names, module_path=True, overrides=ROLE_OPTIONS_V2)
    again = deploy(names, module_path=True, overrides=ROLE_OPTIONS_V2)
    problem = ok(change, "change") or _options_applied(names) or ok(again, "rerun")
    if not problem and again.writes:
        problem = f"rerun wrote {[c.operation.split('.')[1] for c in again.writes]}"
    wrote = sorted({c.operation.split(".")[1] for c in change.writes})
    rows.append(
        Row("check mode", "role options changed, rerun writes nothing", not problem, problem or f"wrote {wrote}")
    )
    # No new template version was made: the running instances are already on the version in use,
    # and pick up the role's new policies through their credentials; replacing them is needless.
    versions = sorted({c.operation.split(".")[1] for c in change.writes if "LaunchTemplate" in c.operation})
    refreshed = [c for c in change.writes if c.operation == "autoscaling.StartInstanceRefresh"]
    problem = ok(change, "change") or (
        f"StartInstanceRefresh although the template writes were only {versions or 'tags'}" if refreshed else ""
    )
    rows.append(
        Row(
            "check mode",
            "tags/policies change: no instance refresh",
            not problem,
            problem or "no refresh (no new version in use)",
        )
    )
    # Someone widens the trust policy by hand; the role puts EC2-only trust back.
    iam = aws_state.clients(UPSTREAM)["iam"]
    widened = _trust()
    widened["Statement"][0]["Principal"] = {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}
    iam.update_assume_role_policy(RoleName=names.role, PolicyDocument=json.dumps(widened))
    repair = deploy(names, module_path=True, overrides=ROLE_OPTIONS_V2)
    problem = ok(repair, "deploy") or _options_applied(names)
    wrote = [c.operation.split(".")[1] for c in repair.writes]
    if not problem and wrote != ["UpdateAssumeRolePolicy"]:
        problem = f"wrote {wrote}, want ['UpdateAssumeRolePolicy']"
    rows.append(
        Row("secure", "trust widened by hand: role restores EC2 only", not problem, problem or f"wrote {wrote}")
    )
    purge = {**ROLE_OPTIONS_V2, "asg_instance_role_purge_deployer_policy": True}
    rows.append(
        _check_row(
            "teardown --check, purging the deployer policy",
            teardown(names, module_path=True, check=True, overrides=purge),
            True,
        )
    )
    down = teardown(names, module_path=True, overrides=purge)
    state = aws_state.snapshot(UPSTREAM, names)
    left = {k: list(state[k]) for k in ("roles", "instance_profiles", "launch_templates", "groups") if state[k]}
    problem = (
        ok(down, "teardown")
        or (f"left {left}" if left else "")
        or (f"deployer policies left: {list(state['deployer'])}" if state["deployer"] else "")
    )
    rows.append(
        Row(
            "check mode",
            "teardown purging the deployer policy",
            not problem,
            problem or "nothing left, deployer policy gone",
        )
    )
    aws_state.cleanup(UPSTREAM, names)
    return rows


# --- 6. eventual consistency ------------------------------------------------------------------
INVALID_PROFILE = (400, "ValidationError", "Invalid IAM Instance Profile name")


_BY_HAND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
HAND_MADE = ("inline policy by-hand", "role tag owner", "group tag owner")
_PURGE = {f"asg_instance_role_purge_{kind}": True for kind in ("managed_policies", "inline_policies", "tags")}


def _by_hand(names: Names) -> None:
    """What someone adds by hand to a deployed application: an inline policy and a tag on the role, a tag on the
    group."""
    clients = aws_state.clients(UPSTREAM)
    clients["iam"].put_role_policy(RoleName=names.role, PolicyName="by-hand", PolicyDocument=json.dumps(_BY_HAND))
    clients["iam"].tag_role(RoleName=names.role, Tags=[{"Key": "owner", "Value": "alice"}])
    clients["autoscaling"].create_or_update_tags(
        Tags=[
            {
                "ResourceId": names.group,
                "ResourceType": "auto-scaling-group",
                "Key": "owner",
                "Value": "alice",
                "PropagateAtLaunch": False,
            }
        ]
    )


def _hand_made_left(names: Names) -> list[str]:
    """Which of _by_hand's policy and tags the role and group still have."""
    state = aws_state.snapshot(UPSTREAM, names)
    role = next(iter(state["roles"].values()), {})
    group = next(iter(state["groups"].values()), {})
    present = {
        HAND_MADE[0]: "by-hand" in role.get("inline", {}),
        HAND_MADE[1]: (role.get("tags") or {}).get("owner") == "alice",
        HAND_MADE[2]: (group.get("tags") or {}).get("owner") == "alice",
    }
    return [what for what, there in present.items() if there]


def case_taken_over() -> list[Row]:
    """An application whose role and group got an inline policy and tags by hand (issue 27): a deploy keeps them;
    with the purge variables, --check --diff shows the policy's document and the tags' values before anything goes,
    and the deploy then removes exactly those."""
    names = fresh("taken")
    first = deploy(names)
    if first.rc != 0:
        aws_state.cleanup(UPSTREAM, names)
        return [Row("check mode", "taken over: deploy", False, ok(first, "deploy"))]
    _by_hand(names)
    again = deploy(names)
    wrote = [c.operation.split(".")[1] for c in again.writes]
    left = _hand_made_left(names)
    problem = ok(again, "deploy") or (f"only {left} left" if len(left) != len(HAND_MADE) else "")
    problem = problem or (f"wrote {wrote}" if wrote else "")
    rows = [Row("check mode", "taken over: hand-made policy and tags kept", not problem, problem or "0 writes")]
    preview = deploy(names, check=True, diff=True, overrides=_PURGE)
    row = _check_row("taken over, purging: --check --diff", preview, True)
    shown = [text for text in ("sqs:SendMessage", "alice") if text not in preview.output]
    if shown:
        row = Row(row.section, row.case, False, f"{row.detail}; the diff does not show {shown}")
    rows.append(row)
    purged = deploy(names, overrides=_PURGE)
    wrote = sorted({c.operation.split(".")[1] for c in purged.writes})
    # amazon.aws.autoscaling_group also calls UpdateAutoScalingGroup and DisableMetricsCollection whenever it writes
    want = ["DeleteRolePolicy", "DeleteTags", "DisableMetricsCollection", "UntagRole", "UpdateAutoScalingGroup"]
    problem = ok(purged, "deploy") or ("" if wrote == want else f"wrote {wrote}, want {want}")
    if not problem and _hand_made_left(names):
        problem = f"still there: {_hand_made_left(names)}"
    rows.append(
        Row("check mode", "taken over, purging: the hand-made removed", not problem, problem or f"wrote {wrote}")
    )
    aws_state.cleanup(UPSTREAM, names)
    return rows


def _retries_reported(run: Run, operation: str) -> str:
    """What the run reported about its retries (events of retry, attempts, warnings, output)."""
    retry_events = [e for e in run.events if e.get("status") == "retry"]
    attempts = [e.get("attempts") for e in run.events if (e.get("attempts") or 0) > 1]
    warnings = [w for e in run.events for w in (e.get("warnings") or []) if re.search(r"retr|attempt", w, re.I)]
    retrying = len(re.findall(r"RETRYING", run.output))
    parts = []
    if retry_events or retrying:
        parts.append(f"{max(len(retry_events), retrying)} RETRYING lines")
    if attempts:
        parts.append(f"attempts={attempts[-1]}")
    if warnings:
        parts.append(f"warning {warnings[0][:80]!r}")
    return ", ".join(parts)


def case_consistency(operation: str, times: int = 3) -> list[Row]:
    short = operation.split(".")[1]
    ref = reference("group-update" if short == "UpdateAutoScalingGroup" else "deploy")
    names = fresh("ec-" + short[:6].lower())
    overrides = {}
    if short == "UpdateAutoScalingGroup":
        setup = deploy(names)
        if setup.rc != 0:
            return [Row("consistency", short, False, ok(setup, "setup deploy"))]
        overrides = GROUP_UPDATE
    run = deploy(names, overrides=overrides, faults=Faults(scripted={operation: [INVALID_PROFILE] * times}))
    injected = sum(1 for c in run.calls if c.fault.startswith("scripted"))
    reported = _retries_reported(run, operation)
    problem = ok(run, "deploy") or state_matches(names, ref)
    if not problem and injected < times:
        problem = f"only {injected} of {times} scripted errors were reached"
    if not problem and not reported:
        problem = "deploy succeeded but reported no retry"
    aws_state.cleanup(UPSTREAM, names)
    label = f"{short}: Invalid IAM Instance Profile x{times}"
    return [
        Row("consistency", label, not problem, problem or f"retried {injected}x and succeeded; reported: {reported}")
    ]


def case_consistency_bounded() -> list[Row]:
    names = fresh("ec-bound")
    forever = Faults(scripted={"autoscaling.CreateAutoScalingGroup": [INVALID_PROFILE] * 200})
    run = deploy(names, faults=forever, timeout=300)
    attempts = sum(1 for c in run.calls if c.operation == "autoscaling.CreateAutoScalingGroup")
    problems = []
    if run.rc == 0:
        problems.append("deploy succeeded although the group could never be created")
    if "killed after" in run.output:
        problems.append("unbounded: still retrying after 300s")
    if run.rc != 0 and "Invalid IAM Instance Profile" not in run.output:
        problems.append(f"failure does not say why: {run.error()}")
    aws_state.cleanup(UPSTREAM, names)
    detail = f"gave up after {attempts} attempts in {run.seconds:.0f}s: {run.error()[:100]}"
    return [Row("consistency", "error never clears: bounded failure", not problems, "; ".join(problems) or detail)]


# --- 7. secure defaults -----------------------------------------------------------------------
def _principals(trust: dict) -> list:
    found = []
    for statement in trust.get("Statement", []):
        principal = statement.get("Principal", {})
        if principal == "*":
            found.append("*")
            continue
        for kind, value in principal.items():
            found += [f"{kind}:{v}" for v in (value if isinstance(value, list) else [value])]
    return found


def case_secure_state() -> list[Row]:
    ref = reference("deploy")
    rows = []
    role = next(iter(ref["roles"].values()), {})
    principals = _principals(role.get("trust", {}))
    rows.append(
        Row(
            "secure",
            "trust: only ec2.amazonaws.com",
            principals == ["Service:ec2.amazonaws.com"],
            f"principals {principals}",
        )
    )
    template = next(iter(ref["launch_templates"].values()), {"versions": {}, "default": None})
    default = template["versions"].get(str(template["default"]), {})
    tokens = (default.get("MetadataOptions") or {}).get("HttpTokens")
    rows.append(Row("secure", "IMDSv2 required in the default version", tokens == "required", f"HttpTokens={tokens}"))
    statements = [s for doc in (ref.get("deployer") or {}).values() for s in doc.get("Statement", [])]
    problems = []
    if not statements:
        problems.append("no deployer policy")
    for statement in statements:
        actions = statement.get("Action")
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        if "*" in resources:
            problems.append(f"Resource * for {actions}")
        if any(not str(r).endswith("rel-CASE-*") for r in resources):
            problems.append(f"resource not scoped to the prefix: {resources}")
        services = (statement.get("Condition") or {}).get("StringEquals", {}).get("iam:PassedToService")
        services = services if isinstance(services, list) else [services]
        if "ec2.amazonaws.com" not in services:
            problems.append(f"iam:PassedToService {services}")
    detail = json.dumps(statements)[:150]
    rows.append(
        Row("secure", "PassRole: prefix + iam:PassedToService, no *", not problems, "; ".join(problems) or detail)
    )
    return rows


def _secure_module_playbook(prefix: str) -> str:
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]}
    iam_star = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    tasks = [
        {"name": "cn trust", cases.ROLE: {"name": f"{prefix}cn", "region": "cn-north-1"}},
        {"name": "admin managed", cases.ROLE: {"name": f"{prefix}admin", "managed_policies": ["AdministratorAccess"]}},
        {"name": "iam star inline", cases.ROLE: {"name": f"{prefix}iamstar", "inline_policies": {"p": iam_star}}},
        {"name": "star star inline", cases.ROLE: {"name": f"{prefix}starstar", "inline_policies": {"p": admin}}},
        {
            "name": "strict fails",
            cases.ROLE: {"name": f"{prefix}strict", "inline_policies": {"p": iam_star}, "strict_policies": True},
            "ignore_errors": True,
        },
    ]
    play = {
        "name": "secure defaults",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": tasks,
    }
    return json.dumps([play], indent=1)


def case_secure_modules() -> list[Row]:
    names = fresh("sec")
    playbook = WORK / "secure.yml"
    playbook.write_text(_secure_module_playbook(names.prefix))
    run = run_playbook(playbook, check=True, kind="module")
    by_task = {e.get("task"): e for e in run.events}
    rows = []
    cn = by_task.get("cn trust", {})
    principals = _principals(((cn.get("role") or {}).get("assume_role_policy_document")) or {})
    rows.append(
        Row(
            "secure",
            "trust in aws-cn: ec2.amazonaws.com.cn",
            principals == ["Service:ec2.amazonaws.com.cn"],
            f"principals {principals} ({cn.get('status')}: {str(cn.get('msg') or '')[:80]})",
        )
    )
    for task, grant in (
        ("admin managed", "AdministratorAccess"),
        ("iam star inline", "iam:*"),
        ("star star inline", "*:*"),
    ):
        event = by_task.get(task, {})
        warnings = [w for w in event.get("warnings") or [] if re.search(r"admin|iam:\*|\*|broad|full", w, re.I)]
        held = event.get("status") == "ok" and bool(warnings)
        detail = (
            f"warning {warnings[0][:90]!r}"
            if warnings
            else f"no warning ({event.get('status')}: {str(event.get('msg') or '')[:80]})"
        )
        rows.append(Row("secure", f"warning on {grant}", held, detail))
    strict = by_task.get("strict fails", {})
    rows.append(
        Row(
            "secure",
            "strict_policies fails on iam:*",
            strict.get("status") in ("failed", "ignored"),
            str(strict.get("msg") or strict.get("status"))[:100],
        )
    )
    aws_state.cleanup(UPSTREAM, names)
    return rows


def _secret_playbook(prefix: str) -> str:
    task = {
        "name": "explicit credentials",
        cases.ROLE: {
            "name": f"{prefix}app",
            "access_key": "test",
            "secret_key": SECRET,
            "session_token": TOKEN,
        },
    }
    play = {"name": "credentials", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}
    return json.dumps([play], indent=1)


def _leaks(run: Run) -> list[str]:
    leaks = []
    for value, what in ((SECRET, "secret key"), (TOKEN, "session token")):
        if value in run.output:
            line = next(line for line in run.output.splitlines() if value in line)
            leaks.append(f"{what} printed: {line.strip()[:120]}")
        if any(value in json.dumps(e) for e in run.events):
            leaks.append(f"{what} in a task result")
    return leaks + ([ok(run, "run")] if run.rc != 0 else [])


def case_no_secret() -> list[Row]:
    """-vvv runs with a recognisable secret key and session token: neither may appear anywhere."""
    names = fresh("secret")
    env = {"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
    playbook = WORK / "secret.yml"
    playbook.write_text(_secret_playbook(names.prefix + "x"))
    rows = []
    for label, run in (
        ("module with secret_key/session_token", run_playbook(playbook, verbosity=3, kind="module", env=env)),
        ("deploy, credentials from the environment", deploy(names, verbosity=3, env=env)),
    ):
        problems = _leaks(run)
        detail = f"-vvv: {len(run.output)} chars of output, secret and token absent"
        rows.append(Row("secure", f"no credential at -vvv: {label}", not problems, "; ".join(problems) or detail))
    aws_state.cleanup(UPSTREAM, names)
    return rows


# --- 8. permissions ---------------------------------------------------------------------------
def case_permissions() -> list[Row]:
    return [Row("permissions", label, held, detail) for label, held, detail in permissions.check(LEDGER.runs)]


# Issue 17's cases: task name -> (module arguments, expected: "refused" naming the text, or "warned" with it).
_EC2 = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
_LAUNCH_ANY = {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}


def _doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _secure_refusal_cases(prefix: str) -> dict[str, tuple[dict, str, str]]:
    public = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    org = {**public, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}}
    lambda_only = {**_EC2, "Principal": {"Service": "lambda.amazonaws.com"}}
    trust = "assume_role_policy_document"
    return {
        "public trust, strict": (
            {"assume_role_policy_document": _doc(public), "strict_policies": True},
            "refused",
            f"{trust}: Statement[0] lets any principal (AWS: *)",
        ),
        "public trust next to EC2": (
            {"assume_role_policy_document": _doc(_EC2, {**public, "Principal": {"AWS": ["123456789012", "*"]}})},
            "refused",
            f"{trust}: Statement[1] lets any principal (AWS: *)",
        ),
        "Principal * trust": (
            {"assume_role_policy_document": _doc(_EC2, {**public, "Principal": "*"})},
            "refused",
            "*",
        ),
        "lambda-only trust": (
            {"assume_role_policy_document": _doc(lambda_only)},
            "refused",
            f"{trust} must let the EC2 service principal ec2.amazonaws.com",
        ),
        "other principal, strict": (
            {"assume_role_policy_document": _doc(_EC2, lambda_only), "strict_policies": True},
            "refused",
            "also lets Service:lambda.amazonaws.com",
        ),
        "PassRole+RunInstances, strict": (
            {"inline_policies": {"launch": _doc(_LAUNCH_ANY)}, "strict_policies": True},
            "refused",
            "inline_policies.launch: iam:PassRole + ec2:RunInstances",
        ),
        "sts:AssumeRole on *, strict": (
            {"inline_policies": {"hop": _doc({**_LAUNCH_ANY, "Action": "sts:AssumeRole"})}, "strict_policies": True},
            "refused",
            "inline_policies.hop: sts:AssumeRole on every resource",
        ),
        "PassRole+RunInstances warns": (
            {"inline_policies": {"launch": _doc(_LAUNCH_ANY)}},
            "warned",
            "(privilege_escalation)",
        ),
        "org-restricted * warns": (
            {"assume_role_policy_document": _doc(_EC2, org)},
            "warned",
            "AWS:* (aws:PrincipalOrgID)",
        ),
    }


def case_secure_refusals() -> list[Row]:
    """Issue 17: trusts EC2 cannot use or anyone may use, and escalation in strict mode, are refused with
    0 writes (real runs, not --check); other principals and escalation warn; a PassRole prefix that
    misses the role fails the role before any write."""
    names = fresh("secref")
    table = _secure_refusal_cases(names.prefix)
    tasks = [
        {"name": task, cases.ROLE: {"name": f"{names.prefix}{index}", **args}, "ignore_errors": True}
        for index, (task, (args, _expected, _text)) in enumerate(table.items())
    ]
    playbook = WORK / "secure-refusals.yml"
    play = {"name": "secure refusals", "hosts": "localhost", "connection": "local", "gather_facts": False}
    playbook.write_text(json.dumps([{**play, "tasks": tasks}], indent=1))
    run = run_playbook(playbook, kind="module")
    by_task = {e.get("task"): e for e in run.events}
    rows = []
    for task, (_args, expected, text) in table.items():
        event = by_task.get(task, {})
        calls = [c for c in run.calls if c.mark.endswith("|" + task)]
        writes = [c.operation.split(".")[1] for c in calls if c.write]
        msg = str(event.get("msg") or "")
        warnings = [w for w in event.get("warnings") or [] if text in w]
        if expected == "refused":
            held = event.get("status") in ("failed", "ignored") and text in msg and not writes
            detail = (
                f"{msg[:90]!r}; {len(calls)} calls, 0 writes"
                if held
                else f"{event.get('status')}: {msg[:80]!r} {writes}"
            )
        else:
            held = event.get("status") in ("ok", "changed") and bool(warnings)
            detail = f"warning {warnings[0][:100]!r}" if warnings else f"no warning ({event.get('status')}: {msg[:80]})"
        rows.append(Row("secure", f"{task}: {expected}", held, detail))
    role = deploy(
        names,
        overrides={
            "asg_instance_role_name": f"{names.prefix}billing-app",
            "asg_instance_role_passrole_prefix": "qateam-",
        },
    )
    text = role.error() + "\n" + role.output
    problems = []
    if role.rc == 0:
        problems.append("deploy succeeded")
    elif "asg_instance_role_passrole_prefix 'qateam-' does not cover asg_instance_role_name" not in text:
        problems.append(f"message does not name both variables: {role.error()[:160]}")
    if role.writes:
        problems.append(f"wrote {[c.operation.split('.')[1] for c in role.writes]}")
    detail = f"{role.error()[:100]}; {len(role.calls)} calls, 0 writes" if not problems else "; ".join(problems)
    rows.append(Row("secure", "role: PassRole prefix misses the role", not problems, detail))
    aws_state.cleanup(UPSTREAM, names)
    return rows


# --- driver -----------------------------------------------------------------------------------
def jobs() -> list[tuple[str, object]]:
    table = [
        ("faults", case_faults_random),
        ("faults", case_faults_lost_responses),
        ("faults", case_faults_template_module),
        ("faults", case_faults_chain),
        ("faults", case_faults_teardown),
        *[("crash", functools.partial(case_crash, p)) for p in CRASH_POINTS + CHAIN_CRASH_POINTS],
        ("race", case_race_fresh),
        ("race", case_race_update),
        ("race", case_race_modules),
        ("bad input", case_bad_modules),
        ("bad input", case_bad_role),
        ("check mode", case_check_role),
        ("check mode", case_module_lifecycle),
        ("check mode", case_role_options),
        ("check mode", case_taken_over),
        ("consistency", functools.partial(case_consistency, "autoscaling.CreateAutoScalingGroup")),
        ("consistency", functools.partial(case_consistency, "autoscaling.UpdateAutoScalingGroup")),
        ("consistency", case_consistency_bounded),
        ("secure", case_secure_state),
        ("secure", case_secure_modules),
        ("secure", case_secure_refusals),
        ("secure", case_no_secret),
    ]
    return [
        (section, fn)
        for section, fn in table
        if (not ONLY or section in ONLY) and (not CASES or any(word in _label(fn) for word in CASES))
    ]


def _label(fn) -> str:
    """The row label of a case that broke before it could make its own rows."""
    if isinstance(fn, functools.partial) and fn.func is case_crash:
        return f"{fn.args[0][1]} {fn.args[0][0]}"
    if isinstance(fn, functools.partial):
        return " ".join(str(a) for a in fn.args)
    return fn.__name__.removeprefix("case_").replace("_", " ")


def guarded(section: str, fn, label: str = "") -> list[Row]:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a broken case is a failed row, not a dead suite
        say(traceback.format_exc())
        return [Row(section, label or fn.__name__, False, f"{type(exc).__name__}: {exc}"[:300])]


def check_mode_total() -> Row:
    checks = [r for r in LEDGER.runs if r.check]
    writes = [c for r in checks for c in r.writes]
    ops = sorted({c.operation for c in writes})
    calls = sum(len(r.calls) for r in checks)
    detail = f"{len(checks)} --check runs, {calls} calls, {len(writes)} writes {ops if ops else ''}"
    return Row("check mode", "all --check runs of the suite: writes", not writes and calls > 0, detail)


def summary(rows: list[Row]) -> None:
    say("")
    say("=" * 118)
    say(f"{'section':<12} {'case':<46} {'held':<5} detail")
    say("-" * 118)
    for section in SECTIONS:
        for row in [r for r in rows if r.section == section]:
            say(f"{row.section:<12} {row.case[:46]:<46} {'yes' if row.held else 'NO':<5} {row.detail}")
    say("-" * 118)
    for section in SECTIONS:
        mine = [r for r in rows if r.section == section]
        if mine:
            held = sum(r.held for r in mine)
            say(f"  {section:<12} {held}/{len(mine)} held")
    say("=" * 118)


def main() -> int:
    start = time.time()
    (WORK / "tmp").mkdir(parents=True, exist_ok=True)
    say(f"reliability: upstream {UPSTREAM}, {JOBS} at once, scratch {WORK}")
    rows = [Row("harness", label, held, detail) for label, held, detail in selftest.check(UPSTREAM)]
    if not all(r.held for r in rows):
        summary(rows)
        say(f"reliability: {sum(r.held for r in rows)} passed, {sum(not r.held for r in rows)} failed")
        return 1
    todo = jobs()
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        futures = {pool.submit(guarded, section, fn, _label(fn)): section for section, fn in todo}
        for future in concurrent.futures.as_completed(futures):
            for row in future.result():
                rows.append(row)
                verdict = "held" if row.held else "FAIL"
                say(f"  [{time.time() - start:5.0f}s] {verdict}  {row.section}: {row.case} - {row.detail[:150]}")
    # Both judge every run of the suite: a selection of cases (RELIABILITY_CASES) would make them fail.
    if not CASES and (not ONLY or "check mode" in ONLY):
        rows.append(check_mode_total())
    if not CASES and (not ONLY or "permissions" in ONLY):
        rows += guarded("permissions", case_permissions)
    (WORK / "observed-actions.json").write_text(permissions.dump(LEDGER.runs))
    summary(rows)
    say(f"actions seen per component: {WORK / 'observed-actions.json'}")
    passed = sum(r.held for r in rows)
    say(f"({time.time() - start:.0f}s)")
    say(f"reliability: {passed} passed, {len(rows) - passed} failed")
    if passed == len(rows) and not os.environ.get("RELIABILITY_KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)  # kept when something failed: the runs' events are there
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
