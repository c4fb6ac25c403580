# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin's waiting: scripted module answers, no AWS, no sleeping."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.cloudcred.ec2.plugins.action import asg_instance_refresh as plugin

POLLS_IN_12_SECONDS = 3  # at 0, 5 and 10 seconds; the next poll would pass the 12 s
TWO_POLLS = 2
TWO_POLL_INTERVALS = 10
ARGS = {"name": "web-asg", "launch_template_name": "my-lt", "poll_interval": 5, "wait_timeout": 60, "region": "x"}


def refresh(refresh_id, status, percentage=0, left=2, reason=None):
    found = {"instance_refresh_id": refresh_id, "status": status}
    found.update(percentage_complete=percentage, instances_to_update=left)
    if reason:
        found["status_reason"] = reason
    return found


class Script:
    """Answers _execute_module from two queues: the decision module's and the poll's."""

    def __init__(self, decisions, polls):
        self.decisions = list(decisions)
        self.polls = list(polls)
        self.calls = []

    def __call__(self, module_name, module_args=None, task_vars=None):
        self.calls.append((module_name, dict(module_args)))
        if module_name == plugin.MODULE:
            return self.decisions.pop(0)
        return {"instance_refreshes": [self.polls.pop(0)]}


@pytest.fixture
def run(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(plugin.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(plugin.time, "sleep", lambda s: clock.update(now=clock["now"] + s))
    printed = []
    monkeypatch.setattr(plugin.display, "display", printed.append)

    def go(script, check_mode=False, **args):
        task = MagicMock(args={**ARGS, **args}, check_mode=check_mode, async_val=0)
        action = plugin.ActionModule(task, MagicMock(), MagicMock(), MagicMock(), MagicMock(), MagicMock())
        monkeypatch.setattr(action, "_execute_module", script)
        return action.run(task_vars={}), printed

    return go


def started(refresh_id="r-1"):
    return {
        "changed": True,
        "needed": True,
        "instance_refresh": {"instance_refresh_id": refresh_id, "status": "Pending"},
    }


def converged():
    return {"changed": False, "needed": False, "instances": [{"instance_id": "i-2", "launch_template_version": "2"}]}


def test_waits_printing_one_line_per_poll_then_reads_the_group_again(run):
    script = Script(
        [started(), converged()],
        [refresh("r-1", "Pending"), refresh("r-1", "InProgress", 50, 1), refresh("r-1", "Successful", 100, 0)],
    )
    result, printed = run(script)
    assert not result.get("failed") and result["changed"]
    assert printed == [
        "Instance refresh r-1 of web-asg: Pending, 0% complete, 2 instances to update",
        "Instance refresh r-1 of web-asg: InProgress, 50% complete, 1 instances to update",
        "Instance refresh r-1 of web-asg: Successful, 100% complete, 0 instances to update",
    ]
    assert result["instances"] == converged()["instances"] and result["waited"] == TWO_POLL_INTERVALS
    # the polls carry the task's connection options, not the module's own
    assert script.calls[1] == (plugin.INFO_MODULE, {"region": "x", "name": "web-asg", "ids": ["r-1"]})


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"])
def test_an_unsuccessful_refresh_fails_naming_group_id_status_and_reason(run, status):
    script = Script([started()], [refresh("r-1", status, reason="health checks failed")])
    result, _calls = run(script)
    assert result["failed"]
    assert result["msg"] == f"Instance refresh r-1 of Auto Scaling group web-asg ended {status}: health checks failed"


def test_the_timeout_fails_naming_the_refresh(run):
    script = Script([started()], [refresh("r-1", "InProgress", 50, 1)] * 20)
    result, printed = run(script, wait_timeout=12)
    assert result["failed"] and result["msg"].startswith("Timed out waiting for instance refresh r-1 of")
    assert len(printed) == POLLS_IN_12_SECONDS


def test_a_refresh_in_progress_is_waited_for_then_the_decision_is_made_again(run):
    theirs = {"changed": False, "needed": True, "in_progress": True}
    theirs["instance_refresh"] = {"instance_refresh_id": "r-0", "status": "InProgress"}
    script = Script([theirs, converged()], [refresh("r-0", "InProgress", 50, 1), refresh("r-0", "Successful", 100, 0)])
    result, printed = run(script)
    assert not result.get("failed") and not result["changed"] and result["needed"] is False
    assert result["waited_for"] == ["r-0"] and len(printed) == TWO_POLLS


def test_no_wait_and_check_mode_return_the_decision_at_once(run):
    for kwargs in ({"wait": False}, {"check_mode": True}):
        script = Script([started()], [])
        result, printed = run(script, **kwargs)
        assert result["changed"] and printed == [] and len(script.calls) == 1


def theirs(refresh_id):
    found = {"changed": False, "needed": True, "in_progress": True}
    found["instance_refresh"] = {"instance_refresh_id": refresh_id, "status": "InProgress"}
    return found


def test_other_runs_refreshes_are_waited_for_as_long_as_wait_timeout_allows_not_a_count_of_rounds(run):
    """Concurrent deploys: six other runs' refreshes in turn, then ours; no count of rounds stops it early."""
    others = [f"r-{n}" for n in range(6)]
    gone = {"changed": False, "needed": True, "instance_refresh": None}  # ended between the start and the look
    decisions = [theirs(others[0]), gone, gone] + [theirs(r) for r in others[1:]] + [started("r-9"), converged()]
    polls = [refresh(r, "Successful", 100, 0) for r in others] + [refresh("r-9", "Successful", 100, 0)]
    result, printed = run(Script(decisions, polls))
    assert not result.get("failed") and result["changed"], result.get("msg")
    assert result["waited_for"] == others and result["instance_refresh"]["instance_refresh_id"] == "r-9"
    assert len(printed) == len(polls)


def test_a_group_that_is_never_free_fails_at_wait_timeout_naming_it(run):
    gone = {"changed": False, "needed": True, "instance_refresh": None}
    script = Script([gone] * 100, [])
    result, printed = run(script, wait_timeout=7)
    assert result["failed"] and printed == []
    assert result["msg"].startswith("Timed out deciding the instance refresh of Auto Scaling group web-asg")
    assert result["msg"].endswith("(wait_timeout)")
    # decided at 0, 2, 4 and 6 seconds; the next pause would pass the 7 s
    assert len(script.calls) == 4 and result["waited"] == 6  # noqa: PLR2004


def test_after_waiting_for_another_run_a_group_already_converged_ends_ok(run):
    script = Script([theirs("r-0"), converged()], [refresh("r-0", "Successful", 100, 0)])
    result, _printed = run(script)
    assert not result.get("failed") and not result["changed"] and result["waited_for"] == ["r-0"]
