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
# When the active refresh ended between the module's start and its look, the next decision waits this long first
# (at most poll_interval), so that a group whose refreshes come and go is not asked in a tight loop.
DECIDE_AGAIN_AFTER = 2


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
        # Concurrent deploys of one group (AWX retries, two pipelines) each wait for the others' refreshes and then
        # decide again; how long that may take is the task's wait_timeout, not a count of rounds: a round is also
        # used up when another run's refresh ends between the start and the look, which a loaded machine makes
        # likely (AWS allows one active refresh per group: StartInstanceRefresh answers InstanceRefreshInProgress).
        deadline = started + timeout
        waited_for = []
        while True:
            result = self.run_module(args, task_vars)
            refresh = result.get("instance_refresh")
            if result.get("failed") or not wait or self._task.check_mode or not result.get("needed"):
                break
            if refresh:
                final = self._follow(args["name"], refresh, deadline, poll, task_vars)
                if final.get("failed"):
                    result.update(failed=True, msg=final["msg"])
                    break
                if not result.get("in_progress"):
                    self._own_refresh_ended(result, final, args, task_vars)
                    break
                waited_for.append(refresh["instance_refresh_id"])  # someone else's: its end is the moment to decide
                pause = 0
            else:  # the active refresh ended between the start and the look
                pause = min(poll, DECIDE_AGAIN_AFTER)
            if time.monotonic() + pause > deadline:
                result.update(failed=True, msg=self._timed_out(args["name"], waited_for))
                break
            time.sleep(pause)
        result.update(waited=int(time.monotonic() - started), waited_for=waited_for)
        return result

    def _own_refresh_ended(self, result: dict, final: dict, args: dict, task_vars) -> None:
        result["instance_refresh"] = final
        if final.get("status") != SUCCESSFUL:
            result.update(failed=True, msg=failure_message(args["name"], final))
        else:
            self._look_again(result, args, task_vars)

    @staticmethod
    def _timed_out(group: str, waited_for: list) -> str:
        others = f" after waiting for {len(waited_for)} refreshes of other runs ({', '.join(waited_for)})"
        return (
            f"Timed out deciding the instance refresh of Auto Scaling group {group}"
            + (others if waited_for else "")
            + ": another refresh was still starting or ending at each look (wait_timeout)"
        )

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
