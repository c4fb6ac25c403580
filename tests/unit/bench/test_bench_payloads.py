# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The payload section of the boundary job's report: a table, no payload at all, or not measured."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import bench  # noqa: E402

ROW = ["iam_role", "0.80", "0.40", "0.30", "0.35", "boto3 0.30"]


def test_each_side_says_what_it_has():
    res = SimpleNamespace(sides=["ours", "baseline", "other"], payloads={"ours": [], "baseline": [ROW]})
    text = "\n".join(bench.payload_section(res))
    assert "**ours**: no AnsiballZ payload: no module ran as a module" in text
    assert "| iam_role" in text and "**baseline**" in text
    assert "**other**: not measured" in text
