# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX job template of docs/awx.md (survey.json, extra-vars.yml) fits the role it drives.

Every survey variable is a variable of asg_instance_role (meta/argument_specs.yml) of a type the survey
can answer, or a survey-only variable that the job template's extra vars use; multiple choices are among
the role's choices; and AWX accepts the survey's shape (types, defaults within min/max and choices).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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


def _demo_value(name: str, example: dict, role_defaults: dict):
    """What make demo's deployment (playbooks/vars/example.yml over the role's defaults) gives a variable."""
    return example.get(name, role_defaults.get(name))


def test_survey_defaults_are_the_demo_deployment(survey):
    """The survey's defaults and the job template's plain variables are what README's make demo deploys."""
    example = yaml.safe_load((ROOT / "playbooks" / "vars" / "example.yml").read_text())
    role_defaults = yaml.safe_load((ROOT / "roles" / "asg_instance_role" / "defaults" / "main.yml").read_text())
    defaults = {q["variable"]: q.get("default") for q in survey}
    data = example["asg_instance_role_launch_template_data"]
    assert (defaults["cloudcred_survey_image_id"], defaults["cloudcred_survey_instance_type"]) == (
        data["ImageId"],
        data["InstanceType"],
    )
    assert defaults["cloudcred_survey_managed_policies"].split("\n") == example["asg_instance_role_managed_policies"]
    differ = {
        name: (default, _demo_value(name, example, role_defaults))
        for name, default in defaults.items()
        if name.startswith("asg_instance_role_") and default != _demo_value(name, example, role_defaults)
    }
    assert differ == {}, f"survey defaults that are not the demo's (survey, demo): {differ}"
    # What the job template's variables set without a survey answer (no Jinja) is the demo's too.
    extra_vars = yaml.safe_load((AWX_DOCS / "extra-vars.yml").read_text())
    plain = {name: value for name, value in extra_vars.items() if "{{" not in json.dumps(value)}
    differ = {
        name: (value, _demo_value(name, example, role_defaults))
        for name, value in plain.items()
        if value != _demo_value(name, example, role_defaults)
    }
    assert differ == {}, f"job template variables that are not the demo's (job template, demo): {differ}"


def test_credential_type_is_the_guides():
    """docs/awx/credential-type.json is what docs/awx.md tells to enter as input and injector configuration."""
    guide = (ROOT / "docs" / "awx.md").read_text()
    blocks = [
        yaml.safe_load(b) for b in re.findall(r"```yaml\n(# (?:Input|Injector) configuration\n.*?)```", guide, re.S)
    ]
    credential_type = json.loads((AWX_DOCS / "credential-type.json").read_text())
    assert blocks == [credential_type["inputs"], credential_type["injectors"]]
    # The region goes in as the extra var that wins over the playbooks' variables file (docs/awx.md).
    assert credential_type["injectors"]["extra_vars"] == {"aws_region": "{{ region }}"}


@pytest.mark.localstack
def test_survey_defaults_change_nothing_of_the_demo_deployment(
    tmp_path, collections_dir, aws_env, boto3_clients, unique_prefix
):
    """Deployed as make demo deploys (scripts/demo), then the job template launched with the survey's defaults
    as AWX passes them (docs/awx/extra-vars.yml, survey answers): changed=0, no AWS write.

    Only the names are this test's own (the endpoint is shared), the same in both runs."""
    from test_awx_runner import _cleanup, _writes, describe, job_template_extravars, make_private_data_dir, run_job

    names = {"role": f"{unique_prefix}app", "template": f"{unique_prefix}lt", "asg": f"{unique_prefix}asg"}
    own_names = {
        "asg_instance_role_name": names["role"],
        "asg_instance_role_passrole_prefix": unique_prefix,
        "asg_instance_role_launch_template_name": names["template"],
        "asg_instance_role_asg_name": names["asg"],
    }
    # scripts/demo: ansible-playbook playbooks/deploy.yml in the tree, with the Makefile's environment.
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **aws_env,
        "ANSIBLE_COLLECTIONS_PATH": str(collections_dir),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_NOCOLOR": "true",
        "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false",
    }
    try:
        demo = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "playbooks/deploy.yml",
                "-e",
                json.dumps(own_names),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-2000:]
        assert re.search(r"localhost\s+: ok=\d+\s+changed=[1-9]", demo.stdout), "the demo's run made nothing"

        envvars = dict(aws_env)
        envvars.update(
            ANSIBLE_COLLECTIONS_PATH=str(collections_dir),
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_NOCOLOR="1",
        )
        pdd = make_private_data_dir(tmp_path, envvars=envvars, extravars=job_template_extravars(own_names))
        job = run_job(pdd, "playbooks/deploy.yml", "survey-defaults")
        assert job["status"] == "successful" and job["rc"] == 0, describe(job)
        recap = [e["event_data"] for e in job["events"] if e["event"] == "playbook_on_stats"]
        assert len(recap) == 1 and recap[0]["failures"] == {}, describe(job)
        assert recap[0]["changed"] == {} and _writes(job) == {}, f"changed={recap[0]['changed']}: {_writes(job)}"
    finally:
        _cleanup(boto3_clients, names)
