# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX job template of docs/awx.md (survey.json, extra-vars.yml) fits the role it drives.

Every survey variable is a variable of asg_instance_role (meta/argument_specs.yml) of a type the survey
can answer, or a survey-only variable that the job template's extra vars use; multiple choices are among
the role's choices; and AWX accepts the survey's shape (types, defaults within min/max and choices).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
AWX_DOCS = ROOT / "docs" / "awx"
ARGUMENT_SPECS = ROOT / "roles" / "asg_instance_role" / "meta" / "argument_specs.yml"
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# what each survey type hands to the job, as role argument types
ANSWER_TYPES = {
    "text": {"str", "raw", "path"},
    "textarea": {"str", "raw"},
    "password": {"str", "raw"},
    "integer": {"int", "raw"},
    "float": {"float", "raw"},
    "multiplechoice": {"str", "raw"},
    "multiselect": {"list", "raw"},
}


@pytest.fixture(scope="module")
def survey() -> list[dict]:
    return json.loads((AWX_DOCS / "survey.json").read_text())["spec"]


@pytest.fixture(scope="module")
def role_options() -> dict:
    assert ARGUMENT_SPECS.is_file(), f"{ARGUMENT_SPECS} is missing"
    return yaml.safe_load(ARGUMENT_SPECS.read_text())["argument_specs"]["main"]["options"]


def test_survey_shape_is_what_awx_accepts(survey):
    names = [q["variable"] for q in survey]
    assert len(names) == len(set(names)), "a variable is asked twice"
    for q in survey:
        assert q["type"] in SURVEY_TYPES, q
        assert q["question_name"] and re.fullmatch(r"[A-Za-z_]\w*", q["variable"]), q
        default = q.get("default")
        if q["type"] in ("multiplechoice", "multiselect"):
            assert isinstance(q["choices"], list) and q["choices"], q
            for value in str(default or "").split("\n"):
                assert not value or value in q["choices"], f"{q['variable']}: default {value!r} not a choice"
        elif q["type"] == "integer" and default is not None:
            assert isinstance(default, int) and q["min"] <= default <= q["max"], q
        elif q["type"] == "text" and default:
            assert q["min"] <= len(default) <= q["max"], q


def test_survey_asks_role_variables_or_feeds_extra_vars(survey, role_options):
    extra_vars_text = (AWX_DOCS / "extra-vars.yml").read_text()
    extra_vars = yaml.safe_load(extra_vars_text)
    for q in survey:
        name = q["variable"]
        if name.startswith("asg_instance_role_"):
            assert name in role_options, f"{name} is not a variable of asg_instance_role"
            spec = role_options[name]
            assert spec.get("type", "str") in ANSWER_TYPES[q["type"]], f"{name}: a {q['type']} answer for {spec}"
            if spec.get("choices") and q["type"] in ("multiplechoice", "multiselect"):
                assert set(q["choices"]) <= set(spec["choices"]), name
        else:
            assert re.search(r"\b%s\b" % re.escape(name), extra_vars_text), f"{name} is asked but never used"
    for name in extra_vars:
        assert name in role_options, f"extra-vars.yml sets {name}, which the role does not have"


def test_required_role_variables_are_answered(survey, role_options):
    given = {q["variable"] for q in survey} | set(yaml.safe_load((AWX_DOCS / "extra-vars.yml").read_text()))
    required = {name for name, spec in role_options.items() if spec.get("required")}
    assert required <= given, f"the job template leaves required variables unset: {sorted(required - given)}"
