# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: task starts and results with wall-clock times, one JSON object a line.

The benchmark maps each recorded AWS request to the task running at that moment, so every
call and every second of a run is attributed to a task (what profile_tasks shows, plus calls).
Writes to the file named by ``BENCH_EVENTS``; does nothing without it.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_events
type: aggregate
short_description: Task timings for the cloudcred.ec2 benchmark
description:
  - Appends task start and result events, with times, to the file named by E(BENCH_EVENTS).
options: {}
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = os.environ.get("BENCH_EVENTS")
        self._out = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - closed in on_stats

    def _emit(self, **event):
        if self._out:
            event["t"] = time.time()
            self._out.write(json.dumps(event, default=str) + "\n")
            self._out.flush()

    def v2_playbook_on_play_start(self, play):
        self._emit(ev="play", name=play.get_name())

    def _task(self, task):
        self._emit(ev="task", name=task.get_name(), action=task.action)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task(task)

    def _result(self, status, result):
        res = result._result
        self._emit(ev="result", status=status, changed=bool(res.get("changed")), actions=res.get("actions"))

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_runner_item_on_ok(self, result):
        self._emit(ev="item", status="ok")

    def v2_runner_item_on_failed(self, result):
        self._emit(ev="item", status="failed")

    def v2_playbook_on_stats(self, stats):
        self._emit(ev="end")
        if self._out:
            self._out.close()
            self._out = None
