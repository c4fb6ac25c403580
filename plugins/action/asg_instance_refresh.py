# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudcred.ec2.asg_instance_refresh: the module decides and starts; this waits and shows.

A module reports only when it ends; waiting here, on the controller, prints one line per poll while the
refresh runs. Each poll is one C(DescribeInstanceRefreshes), made by amazon.aws.autoscaling_instance_refresh_info
with the task's AWS connection options.
"""

from __future__ import annotations

import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.cloudcred.ec2.plugins.module_utils._instance_refresh import (
    ACTIVE,
    SUCCESSFUL,
    failure_message,
    progress_line,
)
from ansible_collections.cloudcred.ec2.plugins.modules.asg_instance_refresh import main
from ansible_collections.cloudcred.ec2.plugins.plugin_utils._in_worker import InWorkerModuleAction

display = Display()

MODULE = "cloudcred.ec2.asg_instance_refresh"
INFO_MODULE = "amazon.aws.autoscaling_instance_refresh_info"
OWN_OPTIONS = ("name", "launch_template_name", "launch_template_version", "preferences")
WAIT_OPTIONS = ("wait", "wait_timeout", "poll_interval")
# The refresh started here, after at most this many refreshes of others were waited for.
MAX_ROUNDS = 4


class ActionModule(InWorkerModuleAction):
    # The decision is the module's, run in the task's worker where that is the same as on the host (_in_worker.py).
    MODULE = MODULE
    MAIN = main
    _supports_async = False  # it waits itself

    def run(self, tmp=None, task_vars=None):
        ActionBase.run(self, tmp, task_vars)  # the checks every action makes; the module runs below
        args = dict(self._task.args)
        wait = boolean(args.get("wait", True), strict=False)
        timeout = int(args.get("wait_timeout", 3600))
        poll = int(args.get("poll_interval", 15))
        self._connection_args = {k: v for k, v in args.items() if k not in OWN_OPTIONS + WAIT_OPTIONS}
        started = time.monotonic()
        waited_for = []
        result = {}
        for _round in range(MAX_ROUNDS):
            result = self.run_module(args, task_vars)
            refresh = result.get("instance_refresh")
            if result.get("failed") or not wait or self._task.check_mode or not result.get("needed"):
                break
            if not refresh:  # the active refresh ended between the start and the look: decide again
                continue
            final = self._follow(args["name"], refresh, started + timeout, poll, task_vars)
            if final.get("failed"):
                result.update(failed=True, msg=final["msg"])
                break
            if result.get("in_progress"):  # someone else's: its end is the moment to decide again
                waited_for.append(refresh["instance_refresh_id"])
                continue
            result["instance_refresh"] = final
            if final.get("status") != SUCCESSFUL:
                result.update(failed=True, msg=failure_message(args["name"], final))
            else:
                self._look_again(result, args, task_vars)
            break
        else:
            result.update(failed=True, msg=f"{args['name']}: still no refresh of its own after {MAX_ROUNDS} rounds")
        result.update(waited=int(time.monotonic() - started), waited_for=waited_for)
        return result

    def _look_again(self, result: dict, args: dict, task_vars) -> None:
        """After a successful refresh: the instances as they now are, and a warning if some are still behind."""
        after = self.run_module({**args, "wait": False}, task_vars)
        if after.get("failed"):
            result.setdefault("warnings", []).append(f"Reading the group after the refresh: {after.get('msg')}")
            return
        result["instances"] = after.get("instances", [])
        if after.get("needed"):
            result.setdefault("warnings", []).append(
                "After the refresh, still behind: " + "; ".join(after.get("reasons", []))
            )

    def _follow(self, group: str, refresh: dict, deadline: float, poll: int, task_vars) -> dict:
        """Poll the refresh until it is no longer active, printing each look; its last state, or an error."""
        refresh_id = refresh["instance_refresh_id"]
        while True:
            found = self._describe(group, refresh_id, task_vars)
            if found.get("failed"):
                return found
            display.display(progress_line(group, found))
            if found.get("status") not in ACTIVE:
                return found
            if time.monotonic() + poll > deadline:
                return {
                    "failed": True,
                    "msg": f"Timed out waiting for instance refresh {refresh_id} of Auto Scaling group {group}: "
                    f"still {found.get('status')} at {found.get('percentage_complete') or 0}%, "
                    f"{found.get('instances_to_update') or 0} instances to update (wait_timeout)",
                }
            time.sleep(poll)

    def _describe(self, group: str, refresh_id: str, task_vars) -> dict:
        answer = self._execute_module(
            INFO_MODULE, module_args={**self._connection_args, "name": group, "ids": [refresh_id]}, task_vars=task_vars
        )
        if answer.get("failed"):
            return {"failed": True, "msg": f"Reading instance refresh {refresh_id} of {group}: {answer.get('msg')}"}
        found = answer.get("instance_refreshes") or []
        if not found:
            return {"failed": True, "msg": f"Instance refresh {refresh_id} of {group} is gone (the group was deleted?)"}
        return found[0]
