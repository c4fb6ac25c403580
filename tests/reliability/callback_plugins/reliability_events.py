# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reliability-suite callback: marks each task on the fault proxy and logs each result.

On every task start it tells the proxy (``RELIABILITY_PROXY``) which task and module run now,
synchronously, so each AWS call the proxy sees is attributed to the module that made it. Each
result is appended as one JSON object a line to ``RELIABILITY_EVENTS``. Does nothing without
those variables.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: reliability_events
type: aggregate
short_description: Task marks and results for the cloudcred.ec2 reliability suite
description:
  - Posts the running task to the fault proxy named by E(RELIABILITY_PROXY) and appends results
    to the file named by E(RELIABILITY_EVENTS).
options: {}
"""

MARK_PATH = "/__reliability__/mark"
KEEP = ("changed", "failed", "msg", "warnings", "actions", "attempts", "retries", "skipped", "deprecations")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "reliability_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._proxy = os.environ.get("RELIABILITY_PROXY")
        path = os.environ.get("RELIABILITY_EVENTS")
        self._out = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - one file per run
        self._task = None

    def _mark(self, task):
        self._task = {"task": task.get_name(), "action": task.action}
        if not self._proxy:
            return
        body = json.dumps({"mark": f"{task.action}|{task.get_name()}"}).encode()
        request = urllib.request.Request(self._proxy + MARK_PATH, data=body, method="POST")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - a 127.0.0.1 URL set by the suite

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._mark(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._mark(task)

    def _emit(self, status, result):
        if not self._out:
            return
        res = result._result
        event = {"status": status, **(self._task or {})}
        event.update({key: res[key] for key in KEEP if key in res})
        # The module's own return values, for the suite's assertions (role, template, ...).
        for key in ("role", "instance_profile", "launch_template", "version_number", "launch_template_data"):
            if key in res:
                event[key] = res[key]
        self._out.write(json.dumps(event, default=str) + "\n")
        self._out.flush()

    def v2_runner_on_ok(self, result):
        self._emit("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._emit("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result):
        self._emit("skipped", result)

    def v2_runner_retry(self, result):
        self._emit("retry", result)

    def v2_runner_on_unreachable(self, result):
        self._emit("unreachable", result)
