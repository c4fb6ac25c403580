# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A failed bench run says why: the distinct fatal lines, not only the recap."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import report  # noqa: E402

OUTPUT = "\n".join(
    [
        "TASK [cloudcred.ec2.asg_instance_role : Ensure the launch template] ***",
        'fatal: [app-3]: FAILED! => {"changed": false, "msg": "Throttling: Rate exceeded"}',
        'fatal: [app-5]: FAILED! => {"changed": false, "msg": "Throttling: Rate exceeded"}',
        'failed: [app-7] (item=x) => {"msg": "other"}',
        "PLAY RECAP *****",
        "app-3 : ok=5 changed=1 unreachable=0 failed=1",
    ]
)


def test_the_same_error_on_many_hosts_is_shown_once_with_its_count_then_the_tail():
    lines = report.failure_excerpt(OUTPUT, tail=2)
    assert lines == [
        '2 x FAILED! => {"changed": false, "msg": "Throttling: Rate exceeded"}',
        '1 x (item=x) => {"msg": "other"}',
        "PLAY RECAP *****",
        "app-3 : ok=5 changed=1 unreachable=0 failed=1",
    ]


def test_at_most_five_distinct_failures_then_how_many_more():
    output = "\n".join(f'fatal: [h]: FAILED! => {{"msg": "e{i}"}}' for i in range(8))
    lines = report.failure_excerpt(output, tail=0)
    assert lines[:5] == [f'1 x FAILED! => {{"msg": "e{i}"}}' for i in range(5)]
    assert lines[5:] == ["... and 3 other failures"]


def test_a_run_without_fatal_lines_shows_its_tail():
    assert report.failure_excerpt("a\nb\nc", tail=2) == ["b", "c"]
