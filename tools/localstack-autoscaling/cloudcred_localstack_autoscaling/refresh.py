"""Instance refreshes as AWS runs them, over moto's Auto Scaling groups (moto has no instance refresh API).

A refresh is a state machine advanced lazily: before every Auto Scaling call of an account and region, each
active refresh there takes the steps that the time elapsed since its start allows (one step every
``CLOUDCRED_EMULATOR_REFRESH_STEP_SECONDS``, default 3). So a caller that polls sees it move, and tests that
control the clock see exactly the same sequence each time.

What AWS documents, and what this does (Amazon EC2 Auto Scaling API Reference and User Guide):

- StartInstanceRefresh: "a second StartInstanceRefresh while one is active" fails with
  ``InstanceRefreshInProgress`` ("The request failed because an active instance refresh already exists for
  the specified Auto Scaling group", InstanceRefreshInProgressFault).
- Status (API_InstanceRefresh): ``Pending`` ("the request was created, but the instance refresh has not
  started"), ``InProgress``, ``Successful``, ``Failed``, ``Cancelling``, ``Cancelled``,
  ``RollbackInProgress``, ``RollbackFailed``, ``RollbackSuccessful``. ``PercentageComplete`` counts replaced
  instances and "gradually goes back down to zero during a rollback"; ``InstancesToUpdate`` is "the number of
  instances remaining to update before the instance refresh is complete".
- Rolling replacement: instances are terminated and launched in batches; ``MinHealthyPercentage`` (default
  90) is the share of the desired capacity, rounded up, kept in service; "100 percent limits the rate of
  replacement to one instance at a time", "0 percent has the effect of replacing all instances at the same
  time" (RefreshPreferences).
- ``SkipMatching``: instances that already run the desired launch template and version are not replaced.
- ``DesiredConfiguration``: new instances launch from it; "once the instance refresh succeeds", the group
  is updated to it.
- Auto rollback (User Guide, "Undo changes with a manual or auto rollback"): on failure, the instances
  replaced so far are replaced again with the group's configuration from before the refresh. "The rollback
  option is not available if the Auto Scaling group is configured to use the $Latest or $Default launch
  template version", and "only available if you specify a desired configuration": StartInstanceRefresh with
  ``AutoRollback`` otherwise fails with a ValidationError.
- CancelInstanceRefresh: ``Cancelling`` then ``Cancelled``; "does not roll back any instances that were
  already replaced"; without an active refresh it fails with ``ActiveInstanceRefreshNotFound``.

Test switches (no AWS counterpart), tags on the group: ``cloudcred:emulator:instance-refresh`` with the value
``fail`` makes a refresh fail once its first batch is replaced (StatusReason says so), ``fail-rollback`` makes
the rollback that follows fail too; ``cloudcred:emulator:instance-refresh-step-seconds`` sets the pace of the
group's next refreshes (a refresh still running when the next run starts).
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from datetime import datetime, timezone

from . import instances, launches

STEP_ENV = "CLOUDCRED_EMULATOR_REFRESH_STEP_SECONDS"
FAIL_TAG = "cloudcred:emulator:instance-refresh"
STEP_TAG = "cloudcred:emulator:instance-refresh-step-seconds"
LAUNCH_TIMEOUT_ENV = "CLOUDCRED_EMULATOR_REFRESH_LAUNCH_TIMEOUT_SECONDS"
ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress")
DEFAULT_PREFERENCES = {
    "MinHealthyPercentage": 90,
    "SkipMatching": False,
    "AutoRollback": False,
    "ScaleInProtectedInstances": "Ignore",
    "StandbyInstances": "Ignore",
}


class RefreshError(Exception):
    """An AWS error answer: its code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _backend(account_id: str, region: str):
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[account_id][region]


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


class Refresh:
    """One instance refresh of one group, and its progress."""

    def __init__(self, group, request: dict, started: float, step: float):
        self.id = str(uuid.uuid4())
        self.step = step
        self.group_name = group.name
        self.group = group  # a group made later under the same name is another group
        self.started = started
        self.ended: float | None = None
        self.status = "Pending"
        self.status_reason = ""
        self.steps = 0
        self.preferences = {**DEFAULT_PREFERENCES, **(request.get("Preferences") or {})}
        self.desired_configuration = request.get("DesiredConfiguration") or {}
        self.desired_version = (self.desired_configuration.get("LaunchTemplate") or {}).get("Version")
        self.previous_version = group.launch_template_version
        self.to_update: list[str] = []  # instance ids still to replace
        self.launched: list[str] = []  # instance ids this refresh launched
        self.awaiting = 0  # replacements terminated whose launch failed: launched again at each step
        self.launch_failing_since: float | None = None
        self.total = 0
        self.rollback: dict = {}

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def percentage(self) -> int:
        if self.status == "Successful" or self.total == 0:
            return 100 if self.status == "Successful" else 0
        # A replacement not yet launched is not updated: a refresh never shows 100% with instances missing.
        return int(100 * (self.total - len(self.to_update) - self.awaiting) / self.total)

    def _instances_to_update(self) -> int:
        if self.rollback:
            # After a rollback starts: "the number of instances that were not yet updated by the instance refresh".
            return self.rollback["InstancesToUpdateOnRollback"]
        return len(self.to_update) + self.awaiting

    def shape(self) -> dict:
        """As DescribeInstanceRefreshes answers it."""
        found = {
            "InstanceRefreshId": self.id,
            "AutoScalingGroupName": self.group_name,
            "Status": self.status,
            "StartTime": _utc(self.started),
            "PercentageComplete": self.percentage(),
            "InstancesToUpdate": self._instances_to_update(),
            "Preferences": self.preferences,
        }
        if self.status_reason:
            found["StatusReason"] = self.status_reason
        if self.ended is not None:
            found["EndTime"] = _utc(self.ended)
        if self.desired_configuration:
            found["DesiredConfiguration"] = self.desired_configuration
        if self.rollback:
            found["RollbackDetails"] = self.rollback
        return found


class InstanceRefreshes:
    """The instance refresh API of the emulator; ``clock`` and ``step`` are for tests."""

    def __init__(self, clock=time.time, step: float | None = None):
        self._lock = threading.RLock()
        self._clock = clock
        launches.set_clock(clock)
        launches.install()
        self._step = step if step is not None else float(os.environ.get(STEP_ENV, "3"))
        # (account, region, group name) -> refreshes, newest first
        self._by_group: dict[tuple, list[Refresh]] = {}
        instances.install()

    # --- the API -------------------------------------------------------------------------------------
    def StartInstanceRefresh(self, context, request):
        with self._lock:
            self.advance(context.account_id, context.region)
            group = self._group(context, request["AutoScalingGroupName"])
            key = (context.account_id, context.region, group.name)
            if any(r.active for r in self._by_group.get(key, [])):
                raise RefreshError(
                    "InstanceRefreshInProgress",
                    "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
                )
            self._validate(group, request)
            tags = {t.get("Key"): t.get("Value") for t in group.tags}
            refresh = Refresh(group, request, self._clock(), float(tags.get(STEP_TAG) or self._step))
            self._by_group.setdefault(key, []).insert(0, refresh)
            return {"InstanceRefreshId": refresh.id}

    def DescribeInstanceRefreshes(self, context, request):
        with self._lock:
            self.advance(context.account_id, context.region)
            key = (context.account_id, context.region, request["AutoScalingGroupName"])
            wanted = set(request.get("InstanceRefreshIds") or [])
            found = [r.shape() for r in self._by_group.get(key, []) if not wanted or r.id in wanted]
            return {"InstanceRefreshes": found}

    def CancelInstanceRefresh(self, context, request):
        with self._lock:
            self.advance(context.account_id, context.region)
            group_name = request["AutoScalingGroupName"]
            key = (context.account_id, context.region, group_name)
            for refresh in self._by_group.get(key, []):
                if refresh.status in ("Pending", "InProgress", "RollbackInProgress"):
                    refresh.status = "Cancelling"
                    refresh.status_reason = "Cancelled by CancelInstanceRefresh"
                    return {"InstanceRefreshId": refresh.id}
            raise RefreshError(
                "ActiveInstanceRefreshNotFound", f"No in progress or pending Instance Refresh found for {group_name}"
            )

    # --- the process -----------------------------------------------------------------------------------
    def advance(self, account_id: str, region: str) -> None:
        """Let every active refresh of the account and region take the steps its elapsed time allows."""
        with self._lock:
            backend = _backend(account_id, region)
            now = self._clock()
            for key in [k for k in self._by_group if k[:2] == (account_id, region)]:
                group = backend.autoscaling_groups.get(key[2])
                # AWS keeps a group's refreshes with the group; a group of the same name made later has none.
                self._by_group[key] = [r for r in self._by_group[key] if r.group is group]
                if not self._by_group[key]:
                    del self._by_group[key]
                    continue
                for refresh in self._by_group[key]:
                    due = int((now - refresh.started) / refresh.step) if refresh.step > 0 else 10**6
                    while refresh.active and refresh.steps < due:
                        refresh.steps += 1
                        self._take_step(refresh, group, refresh.started + refresh.steps * refresh.step)

    def _take_step(self, refresh: Refresh, group, at: float) -> None:
        if refresh.status == "Pending":
            self._plan(refresh, group)
            refresh.status = "InProgress"
            if not refresh.to_update:
                self._succeed(refresh, group, at)
        elif refresh.status == "Cancelling":
            group.cloudcred_refresh_launching = False
            refresh.status = "Cancelled"
            refresh.ended = at
        elif refresh.status == "InProgress":
            self._step_in_progress(refresh, group, at)
        elif refresh.status == "RollbackInProgress":
            self._roll_back_batch(refresh, group, at)

    def _step_in_progress(self, refresh: Refresh, group, at: float) -> None:
        if self._switch(group) and refresh.launched:
            self._fail(refresh, group, at)
            return
        if refresh.awaiting:
            # The batch's replacements failed to launch: launch them again, and go on only once they run.
            # AWS: "An instance refresh might fail for several reasons, such as EC2 launch failures ... You
            # can monitor for failed EC2 launches using the scaling activities" (API_StartInstanceRefresh).
            new = self._launch(group, refresh.awaiting, refresh.desired_version)
            refresh.launched += new
            refresh.awaiting -= len(new)
            if refresh.awaiting:
                self._launch_failing(refresh, group, at)
                return
            group.cloudcred_refresh_launching = False
            refresh.launch_failing_since = None
            refresh.status_reason = ""
        else:
            batch = refresh.to_update[: self._batch_size(refresh, group)]
            refresh.to_update = refresh.to_update[len(batch) :]
            new = self._replace(group, batch, refresh.desired_version)
            refresh.launched += new
            refresh.awaiting = len(batch) - len(new)
            if refresh.awaiting:
                self._launch_failing(refresh, group, at)
                return
        if not refresh.to_update and not self._switch(group):
            self._succeed(refresh, group, at)

    def _plan(self, refresh: Refresh, group) -> None:
        target = self._target(group, refresh.desired_version)
        refresh.to_update = [
            s.instance.id
            for s in group.instance_states
            if not (refresh.preferences.get("SkipMatching") and s.launch_template == target)
        ]
        refresh.total = len(refresh.to_update)

    def _succeed(self, refresh: Refresh, group, at: float) -> None:
        refresh.status = "Successful"
        refresh.ended = at
        if refresh.desired_version is not None:
            # "Once the instance refresh succeeds", the group takes the desired configuration.
            group.launch_template_version = refresh.desired_version
            group.provided_launch_template_version = refresh.desired_version

    def _launch_failing(self, refresh: Refresh, group, at: float) -> None:
        """Replacements could not launch: stay InProgress saying why, then fail once the launches time out."""
        message = launches.retry_state(group).get("message") or "the replacement instances failed to launch"
        # The refresh launches its own replacements (from its desired version): the group's retry waits.
        group.cloudcred_refresh_launching = True
        if refresh.launch_failing_since is None:
            refresh.launch_failing_since = at
        refresh.status_reason = (
            f"Waiting for {refresh.awaiting} replacement instance(s) to launch. The last launch failed: {message}"
        )
        timeout = float(os.environ.get(LAUNCH_TIMEOUT_ENV) or 60)
        if at - refresh.launch_failing_since >= timeout:
            self._fail(
                refresh,
                group,
                at,
                f"The instance refresh failed: {refresh.awaiting} replacement instance(s) failed to launch for"
                f" {int(timeout)} seconds. See the scaling activities. {message}",
            )

    def _fail(self, refresh: Refresh, group, at: float, reason: str = "") -> None:
        group.cloudcred_refresh_launching = False
        reason = reason or (
            f"Emulated failure: the group's tag {FAIL_TAG}={self._switch(group)} fails the refresh after its first"
            " batch (instances failed their health checks)"
        )
        if refresh.preferences.get("AutoRollback"):
            refresh.status = "RollbackInProgress"
            refresh.status_reason = reason
            refresh.rollback = {
                "RollbackReason": reason,
                "RollbackStartTime": _utc(at),
                "PercentageCompleteOnRollback": refresh.percentage(),
                "InstancesToUpdateOnRollback": len(refresh.to_update),
            }
            # InstancesToUpdate then shows "the number of instances that were not yet updated by the refresh".
            return
        refresh.status = "Failed"
        refresh.status_reason = reason
        refresh.ended = at

    def _roll_back_batch(self, refresh: Refresh, group, at: float) -> None:
        present = {s.instance.id for s in group.instance_states}
        refresh.launched = [i for i in refresh.launched if i in present]
        if self._switch(group) == "fail-rollback":
            refresh.status = "RollbackFailed"
            refresh.status_reason = f"Emulated failure: the group's tag {FAIL_TAG}=fail-rollback fails the rollback"
            refresh.ended = at
            return
        batch = refresh.launched[: self._batch_size(refresh, group)]
        refresh.launched = refresh.launched[len(batch) :]
        self._replace(group, batch, refresh.previous_version)
        # PercentageComplete "gradually goes back down to zero during a rollback".
        refresh.total = max(refresh.total, 1)
        refresh.to_update = refresh.to_update + batch
        if not refresh.launched:
            refresh.status = "RollbackSuccessful"
            refresh.status_reason = refresh.rollback.get("RollbackReason", "")
            refresh.ended = at

    # --- helpers -------------------------------------------------------------------------------------
    def _group(self, context, name: str):
        group = _backend(context.account_id, context.region).autoscaling_groups.get(name)
        if group is None:
            raise RefreshError("ValidationError", f"AutoScalingGroup name not found - {name}")
        return group

    @staticmethod
    def _validate(group, request: dict) -> None:
        preferences = request.get("Preferences") or {}
        desired = (request.get("DesiredConfiguration") or {}).get("LaunchTemplate")
        if desired is not None:
            template = group.ec2_launch_template
            named = desired.get("LaunchTemplateName") or desired.get("LaunchTemplateId")
            if template is None or named not in (template.name, template.id):
                raise RefreshError(
                    "ValidationError",
                    "The emulator supports a desired configuration on the group's own launch template only",
                )
            try:
                template.get_version(desired.get("Version") or "$Default")
            except Exception as error:  # moto's InvalidLaunchTemplateVersionNotFound
                raise RefreshError("ValidationError", str(error)) from error
        if preferences.get("AutoRollback"):
            if desired is None:
                raise RefreshError(
                    "ValidationError", "AutoRollback requires a desired configuration for the instance refresh"
                )
            if str(group.launch_template_version).lower() in ("$latest", "$default") or str(
                desired.get("Version") or "$Default"
            ).lower() in ("$latest", "$default"):
                raise RefreshError(
                    "ValidationError",
                    "AutoRollback is not supported when the Auto Scaling group or the desired configuration uses"
                    " the $Latest or $Default launch template version",
                )

    @staticmethod
    def _switch(group) -> str:
        return {t.get("Key"): t.get("Value") for t in group.tags}.get(FAIL_TAG, "")

    @staticmethod
    def _batch_size(refresh: Refresh, group) -> int:
        desired = group.desired_capacity or len(group.instance_states)
        keep = math.ceil(desired * int(refresh.preferences.get("MinHealthyPercentage", 90)) / 100)
        return max(1, desired - keep)

    @staticmethod
    def _target(group, version) -> dict | None:
        """What an instance launched from ``version`` (or the group's own) reports."""
        if version is None:
            return instances.launched_from(group).get("LaunchTemplate")
        saved = group.launch_template_version
        group.launch_template_version = version
        try:
            return instances.launched_from(group).get("LaunchTemplate")
        finally:
            group.launch_template_version = saved

    @staticmethod
    def _replace(group, instance_ids: list[str], version) -> list[str]:
        """Terminate ``instance_ids``, launch as many from ``version`` (or the group's own); the new ids."""
        if not instance_ids:
            return []
        gone = [s for s in group.instance_states if s.instance.id in instance_ids]
        group.autoscaling_backend.ec2_backend.terminate_instances([s.instance.id for s in gone])
        group.instance_states = [s for s in group.instance_states if s not in gone]
        before = {s.instance.id for s in group.instance_states}
        return InstanceRefreshes._launch(group, len(gone), version, before)

    @staticmethod
    def _launch(group, count: int, version, before: set | None = None) -> list[str]:
        """Launch ``count`` instances from ``version`` (or the group's own); the new ids ([] if EC2 refused)."""
        if before is None:
            before = {s.instance.id for s in group.instance_states}
        saved = group.launch_template_version
        if version is not None:
            group.launch_template_version = version
        try:
            group.replace_autoscaling_group_instances(count, group.get_propagated_tags())
        finally:
            group.launch_template_version = saved
        return [s.instance.id for s in group.instance_states if s.instance.id not in before]
