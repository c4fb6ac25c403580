# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps of make test, as scripts/run-tests runs them, are the ones README.md, docs/user-guide.md and make help
list, in the same order. Reads the files only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_tests_steps() -> list[str]:
    """The ``steps=(...)`` array of scripts/run-tests."""
    found = re.findall(r"^steps=\(([^)]*)\)", (ROOT / "scripts" / "run-tests").read_text(), re.MULTILINE)
    assert len(found) == 1, "scripts/run-tests has no single steps=(...) line"
    return found[0].split()


def _outside_parentheses(text: str) -> str:
    depth, kept = 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def listed_after(text: str, marker: str) -> list[str]:
    """The backquoted step names of the sentence that starts at ``marker``, leaving out what parentheses say about
    each step (README describes every step there)."""
    start = text.index(marker) + len(marker)
    sentence = re.split(r"\.\s", _outside_parentheses(text[start:]), maxsplit=1)[0]
    return re.findall(r"`([a-z]+)`", sentence)


def readme_steps() -> list[str]:
    return listed_after((ROOT / "README.md").read_text(), "in the order `scripts/run-tests` runs its steps")


def user_guide_steps() -> list[str]:
    return listed_after((ROOT / "docs" / "user-guide.md").read_text(), "`make test` runs the steps of")


def make_help_steps() -> list[str]:
    """What ``make help`` prints for make test, from the Makefile's help recipe."""
    lines = re.findall(r'^\t@echo "make test +(.*)"$', (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert len(lines) == 1, "make help has no single 'make test' line"
    return [step.strip() for step in lines[0].split(":", 1)[1].split(",")]


def test_run_tests_has_steps():
    assert run_tests_steps()[:3] == ["lint", "sanity", "unit"]


@pytest.mark.parametrize("where", [readme_steps, user_guide_steps, make_help_steps], ids=lambda f: f.__name__)
def test_documented_steps_are_run_tests_steps(where):
    assert where() == run_tests_steps()


def test_parentheses_and_the_end_of_the_sentence_bound_the_list():
    text = "the order X: `a` (runs `b`, then `c`), `d` (more (nested `e`)). Then `f`."
    assert listed_after(text, "the order X:") == ["a", "d"]
