# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs, statistics and tables of the benchmark (no I/O here)."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

# One place for what counts as a write: every operation whose name does not start with one of
# these read-only verbs (so an unexpected verb, such as RunInstances, counts as a write).
READ_PREFIXES = ("Describe", "Get", "List", "Simulate")

SDK_PACKAGES = ("boto3", "botocore")


def is_write(operation: str) -> bool:
    """True when ``service.Operation`` mutates (any verb but the read-only ones)."""
    return not operation.split(".", 1)[-1].startswith(READ_PREFIXES)


def op_name(operation: str) -> str:
    """``Operation`` of ``service.Operation``, starred when it writes."""
    return operation.split(".", 1)[-1] + ("*" if is_write(operation) else "")


# How many distinct failures a failed run's excerpt shows: at N = 20 the same error on every host would bury the
# others, and the recap (the last lines) names no task.
FAILURE_LINES = 5


def failure_excerpt(output: str, tail: int = 15) -> list[str]:
    """The lines that say why a run failed: Ansible's distinct ``fatal:``/``failed:`` lines (host name dropped,
    so the same error on twenty hosts is shown once, with its count), then the last ``tail`` lines."""
    seen: Counter = Counter()
    for line in output.splitlines():
        match = re.match(r"^(?:fatal|failed): \[[^\]]*\]:? ?(.*)$", line.strip())
        if match:
            seen[match.group(1)[:600]] += 1
    lines = [f"{count} x {text}" for text, count in list(seen.items())[:FAILURE_LINES]]
    if len(seen) > FAILURE_LINES:
        lines.append(f"... and {len(seen) - FAILURE_LINES} other failures")
    return lines + (output.strip().splitlines()[-tail:] if tail > 0 else [])


@dataclass
class Run:
    """One ansible-playbook run: its AWS requests, wall time and task events."""

    label: str
    rc: int
    seconds: float
    calls: list  # (start, end, "service.Operation", status)
    events: list
    started: float
    output: str = ""
    cpu: float | None = None  # user + system seconds of ansible-playbook and its children

    @property
    def writes(self) -> list[str]:
        return [c[2] for c in self.calls if is_write(c[2])]

    def by_operation(self) -> Counter:
        return Counter(c[2] for c in self.calls)

    @property
    def n_calls(self) -> int:
        return len(self.calls)

    @property
    def n_writes(self) -> int:
        return sum(1 for c in self.calls if is_write(c[2]))

    @property
    def ok(self) -> bool:
        return self.rc == 0


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def med_calls(runs: list[Run]):
    return median([r.n_calls for r in runs])


def med_secs(runs: list[Run]):
    return median([r.seconds for r in runs])


def med_cpu(runs: list[Run]):
    return median([r.cpu for r in runs])


def _span(values: list[int]) -> str:
    values = sorted(set(values))
    return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"


def fmt_calls(runs: list[Run]) -> str:
    """'calls (writes w)', with the range when the runs disagree, and FAILED if one failed."""
    if not runs:
        return "-"
    bad = "" if all(r.ok for r in runs) else " FAILED"
    return f"{_span([r.n_calls for r in runs])} ({_span([r.n_writes for r in runs])} w){bad}"


def ratio(a, b) -> str:
    if a is None or not b:
        return "-"
    return f"{a / b:.2f}"


def secs(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table, padded so it also reads well on a terminal."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in cells[1:]]
    )


def _new_task(ev: dict) -> dict:
    return {"name": ev["name"], "action": ev["action"], "start": ev["t"], "items": 0, "status": "", "actions": None}


def per_task(run: Run) -> list[dict]:
    """The run's tasks in order, each with its seconds and the AWS calls made while it ran."""
    tasks: list[dict] = []
    end_t = run.started + run.seconds
    for ev in run.events:
        current = tasks[-1] if tasks else None
        if ev["ev"] == "task":
            tasks.append(_new_task(ev))
        elif ev["ev"] == "item" and current:
            current["items"] += 1
        elif ev["ev"] == "result" and current:
            current.update(end=ev["t"], status="changed" if ev.get("changed") else ev["status"])
            current["actions"] = ev.get("actions")
        elif ev["ev"] == "end":
            end_t = ev["t"]
    for i, task in enumerate(tasks):
        # A task's window lasts until the next task starts: its calls can only happen inside.
        window_end = tasks[i + 1]["start"] if i + 1 < len(tasks) else end_t + 60
        task["calls"] = [c[2] for c in run.calls if task["start"] <= c[0] < window_end]
        task["seconds"] = task.get("end", min(window_end, end_t)) - task["start"]
    return tasks


def ops_summary(ops: list[str]) -> str:
    """Calls in order, repeats folded, writes starred: 'GetRole, ListRolePolicies x2, PutRolePolicy*'."""
    out: list[list] = []
    for op in ops:
        name = op_name(op)
        if out and out[-1][0] == name:
            out[-1][1] += 1
        else:
            out.append([name, 1])
    return ", ".join(n if k == 1 else f"{n} x{k}" for n, k in out) or "-"


def _quiet(task: dict) -> bool:
    """A task that made no AWS call and ran no AWS module: a skipped one, or set_fact, assert, include..."""
    return not task["calls"] and (task["status"] == "skipped" or task["action"].startswith("ansible."))


def _folded(tasks: list[dict]) -> list:
    kinds = Counter("skipped" if t["status"] == "skipped" else t["action"].rsplit(".", 1)[-1] for t in tasks)
    what = ", ".join(k if n == 1 else f"{k} x{n}" for k, n in kinds.most_common())
    count = f"{len(tasks)} task" + ("" if len(tasks) == 1 else "s")
    return [f"({count} without AWS calls: {what})", "", "", secs(sum(t["seconds"] for t in tasks)), 0, ""]


def task_table(run: Run) -> str:
    """The run's tasks with their seconds and calls; runs of tasks without AWS calls folded into one row."""
    tasks = per_task(run)
    first = tasks[0]["start"] if tasks else run.started + run.seconds
    last = max((t.get("end", t["start"]) for t in tasks), default=first)
    rows = [["(start-up: interpreter, plugins, inventory, playbook)", "", "", secs(first - run.started), 0, ""]]
    quiet: list[dict] = []
    for t in tasks:
        if _quiet(t):
            quiet.append(t)
            continue
        if quiet:
            rows.append(_folded(quiet))
            quiet = []
        # Role tasks are named "<role> : <task>"; the role is the same throughout.
        name = t["name"].split(" : ", 1)[-1] + (f" [{t['items']} items]" if t["items"] else "")
        rows.append([name, t["action"], t["status"], secs(t["seconds"]), len(t["calls"]), ops_summary(t["calls"])])
    if quiet:
        rows.append(_folded(quiet))
    rows.append(["(wrap-up: stats, exit)", "", "", secs(run.started + run.seconds - last), 0, ""])
    rows.append(["**total**", "", "", secs(run.seconds), run.n_calls, f"{run.n_writes} writes"])
    return table(["task", "module", "result", "s", "calls", "calls in order (* = write)"], rows)


def span_of(values: list[int]) -> str:
    """'n', or 'lo-hi' when the runs disagree."""
    return _span(values) if values else "-"


def operations_table(sides: dict[str, list[Run]]) -> str:
    """Calls per operation, one column per side: the count of one run, a range when runs differ."""
    counters = {side: [r.by_operation() for r in runs] for side, runs in sides.items()}
    ops: list[str] = []
    for runs in counters.values():
        for counter in runs:
            ops += [op for op in counter if op not in ops]
    # Reads first, then writes; by service and name within each.
    ops.sort(key=lambda op: (is_write(op), op))
    rows = [
        [f"{op.split('.', 1)[0]}", op_name(op)] + [span_of([c[op] for c in runs]) for runs in counters.values()]
        for op in ops
    ]
    totals = [span_of([sum(c.values()) for c in runs]) for runs in counters.values()]
    writes = [span_of([sum(n for op, n in c.items() if is_write(op)) for c in runs]) for runs in counters.values()]
    rows += [["", "**total**", *totals], ["", "**writes**", *writes]]
    return table(["service", "operation (* = write)", *counters], rows)


def parse_importtime(stderr: str) -> tuple[dict[str, float], float]:
    """From ``python -X importtime`` output: seconds of each top-level import, and of boto3+botocore.

    The output lists each import after the ones it triggered, indented by depth; read backwards it
    is a walk from the top, so an import of boto3 or botocore counts only when no import above it
    already did (botocore inside boto3 is part of boto3's time).
    """
    entries = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            entries.append((len(m.group(3)), m.group(4), int(m.group(2)) / 1e6))
    tops: dict[str, float] = {}
    sdk = 0.0
    inside: list[bool] = []  # per depth: within an SDK import
    for depth, name, cumulative in reversed(entries):
        del inside[depth - 1 :]
        outer = any(inside)
        is_sdk = name.split(".")[0] in SDK_PACKAGES
        if is_sdk and not outer:
            sdk += cumulative
        inside.append(is_sdk or outer)
        if depth == 1:
            tops[name] = tops.get(name, 0.0) + cumulative
    return tops, sdk
