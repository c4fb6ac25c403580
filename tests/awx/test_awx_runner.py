# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/deploy.yml and teardown.yml run as AWX runs a job template, against LocalStack.

AWX (through Receptor) streams a private data directory to `ansible-runner worker` inside the execution
environment and turns the result stream back into artifacts with `ansible-runner process`. This test does
the same, with the pieces an AWX job carries:

- env/envvars: what the AWS credential injects (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) plus the
  endpoint and region, and ANSIBLE_COLLECTIONS_PATH pointing at the collections as the execution
  environment holds them (this collection installed from its built tarball, amazon.aws beside it);
- env/extravars: the job template's survey answers (the role's variables);
- inventory/hosts: localhost with the local connection;
- project/: the project checkout with the playbooks.

The worker runs with none of these in its own environment, so the job can only work through them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.localstack

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = ROOT / "playbooks"
AWX_DOCS = ROOT / "docs" / "awx"
ROLE = "cloudcred.ec2.asg_instance_role"


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def make_private_data_dir(
    base: Path, *, envvars: dict, extravars: dict, credential_extravars: dict | None = None
) -> Path:
    """A job's private data directory. credential_extravars: what the job's credentials inject as extra vars,
    passed as AWX passes them (CredentialType.inject_credential): a file of their own in env/, given to
    ansible-playbook as `-e @file` on the command line (env/cmdline). Runner puts env/extravars (the job
    template's variables and survey answers) after it, so those win over a credential's for the same name."""
    pdd = base / "job"
    shutil.copytree(PLAYBOOKS, pdd / "project" / "playbooks")
    _write(pdd / "env" / "envvars", yaml.safe_dump(envvars))
    _write(pdd / "env" / "extravars", yaml.safe_dump(extravars))
    if credential_extravars:
        _write(pdd / "env" / "credential_extravars", yaml.safe_dump(credential_extravars))
        # ansible-playbook runs in the project directory (runner's cwd), wherever the worker unpacked the job
        _write(pdd / "env" / "cmdline", "-e @../env/credential_extravars")
    _write(pdd / "env" / "settings", yaml.safe_dump({"job_timeout": 600, "suppress_ansible_output": True}))
    _write(
        pdd / "inventory" / "hosts",
        f'localhost ansible_connection=local ansible_python_interpreter="{VENV_BIN / "python"}"\n',
    )
    return pdd


def job_template_extravars(answers: dict) -> dict:
    """docs/awx/extra-vars.yml plus the survey (docs/awx/survey.json) answered: defaults unless given.

    As AWX does (SurveyJobTemplateMixin._update_unified_job_kwargs): every default that is not None goes into
    the job's extra vars, an empty text default too, so a blank default reaches the playbook as "".
    """
    extravars = yaml.safe_load((AWX_DOCS / "extra-vars.yml").read_text())
    for question in json.loads((AWX_DOCS / "survey.json").read_text())["spec"]:
        name = question["variable"]
        if name in answers:
            extravars[name] = answers[name]
        elif question.get("default") is not None:
            default = question["default"]
            if question["type"] == "multiselect":  # AWX keeps a multiselect default as lines, answers as a list
                default = [line for line in default.split("\n") if line]
            extravars[name] = default
    return extravars


def inject_credential(credential_type: dict, inputs: dict) -> tuple[dict, dict]:
    """(env, extra vars) that a credential of this AWX credential type injects into a job.

    As AWX's CredentialType.inject_credential: a field not given takes its default; every injector value is a
    Jinja template over the credential's inputs, rendered in a sandbox (an input left empty renders as "").
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    namespace = {f["id"]: f["default"] for f in credential_type["inputs"]["fields"] if "default" in f}
    namespace.update(inputs)
    sandbox = ImmutableSandboxedEnvironment()

    def render(node):
        if isinstance(node, dict):
            return {key: render(value) for key, value in node.items()}
        if isinstance(node, list):
            return [render(value) for value in node]
        return sandbox.from_string(str(node)).render(**namespace)

    injectors = credential_type["injectors"]
    return render(injectors.get("env", {})), render(injectors.get("extra_vars", {}))


def run_job(pdd: Path, playbook: str, ident: str) -> dict:
    """transmit | worker | process, as AWX does through Receptor. Returns status, rc and events."""
    clean_env = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "ANSIBLE_NOCOLOR": "1",
    }
    runner = str(VENV_BIN / "ansible-runner")
    transmit = subprocess.run(
        [runner, "transmit", str(pdd), "-p", playbook, "--ident", ident],
        check=True,
        capture_output=True,
        env=clean_env,
    )
    worker_dir = pdd.parent / f"worker-{ident}"
    worker = subprocess.run(
        [runner, "worker", "--private-data-dir", str(worker_dir), "--delete"],
        check=False,
        input=transmit.stdout,
        capture_output=True,
        env=clean_env,
        timeout=900,
    )
    # A failed playbook makes the worker exit non-zero too; the job's status and events (below) say why.
    assert worker.stdout.rstrip().endswith(b'{"eof": true}'), f"ansible-runner worker: {worker.stderr.decode()[-4000:]}"
    subprocess.run(
        [runner, "process", str(pdd), "--ident", ident],
        input=worker.stdout,
        check=True,
        capture_output=True,
        env=clean_env,
    )
    artifacts = pdd / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    events.sort(key=lambda e: e.get("counter", 0))
    return {
        "status": (artifacts / "status").read_text().strip(),
        "rc": int((artifacts / "rc").read_text().strip()),
        "events": events,
        "stdout": (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else "",
    }


def stats_of(job: dict) -> dict:
    stats = [e for e in job["events"] if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1, f"expected one playbook_on_stats event, got {len(stats)}"
    return stats[0]["event_data"]


def role_results(job: dict, action: str) -> list[dict]:
    """runner_on_ok results of the role's tasks that ran the given module."""
    return [
        e["event_data"]["res"]
        for e in job["events"]
        if e["event"] == "runner_on_ok"
        # the callback gives the role's short name in "role" and, for a collection's role, its FQCN here
        and e["event_data"].get("resolved_role") == ROLE and e["event_data"].get("resolved_action") == action
    ]


def describe(job: dict) -> str:
    failed = [e for e in job["events"] if e["event"] in ("runner_on_failed", "runner_on_unreachable")]
    lines = [f"status={job['status']} rc={job['rc']}"]
    for e in failed:
        data = e["event_data"]
        lines.append(f"{e['event']}: {data.get('task')}: {json.dumps(data.get('res', {}))[:1500]}")
    lines.append(job["stdout"][-4000:])
    return "\n".join(lines)


def leftovers(clients, names: dict) -> list[str]:
    """Everything of this test's names that teardown.yml removes and that is still there."""
    autoscaling, ec2, iam = clients("autoscaling"), clients("ec2"), clients("iam")
    left = [
        f"Auto Scaling group {g['AutoScalingGroupName']}"
        for g in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[names["asg"]])["AutoScalingGroups"]
    ]
    found = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [names["template"]]}])
    left += [f"launch template {t['LaunchTemplateName']}" for t in found["LaunchTemplates"]]
    profiles = iam.get_paginator("list_instance_profiles").paginate().build_full_result()["InstanceProfiles"]
    left += [
        f"instance profile {p['InstanceProfileName']}" for p in profiles if p["InstanceProfileName"] == names["role"]
    ]
    roles = iam.get_paginator("list_roles").paginate().build_full_result()["Roles"]
    left += [f"role {r['RoleName']}" for r in roles if r["RoleName"] == names["role"]]
    return left


def _cleanup(clients, names: dict) -> None:
    """Remove what a failed run left on the shared endpoint; the test has already failed, naming it."""
    from botocore.exceptions import ClientError

    def quietly(call, **kwargs):
        with contextlib.suppress(ClientError):
            call(**kwargs)

    autoscaling, ec2, iam = clients("autoscaling"), clients("ec2"), clients("iam")
    quietly(autoscaling.delete_auto_scaling_group, AutoScalingGroupName=names["asg"], ForceDelete=True)
    quietly(ec2.delete_launch_template, LaunchTemplateName=names["template"])
    quietly(iam.remove_role_from_instance_profile, InstanceProfileName=names["role"], RoleName=names["role"])
    quietly(iam.delete_instance_profile, InstanceProfileName=names["role"])
    try:
        for policy in iam.list_attached_role_policies(RoleName=names["role"])["AttachedPolicies"]:
            quietly(iam.detach_role_policy, RoleName=names["role"], PolicyArn=policy["PolicyArn"])
        for policy in iam.list_role_policies(RoleName=names["role"])["PolicyNames"]:
            quietly(iam.delete_role_policy, RoleName=names["role"], PolicyName=policy)
    except ClientError:
        pass
    quietly(iam.delete_role, RoleName=names["role"])


def test_deploy_and_teardown_as_awx_job(tmp_path, collections_dir, aws_env, boto3_clients, unique_prefix):
    assert (PLAYBOOKS / "deploy.yml").is_file() and (PLAYBOOKS / "teardown.yml").is_file()
    names = {"role": f"{unique_prefix}app", "template": f"{unique_prefix}lt", "asg": f"{unique_prefix}asg"}
    envvars = dict(aws_env)
    envvars.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_dir),
        # only what the execution environment holds, not what the tools venv has on sys.path
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
    )
    # The job template's variables and its survey answered with the defaults (the guide's example),
    # except for the names, which are this test's own; AWX merges both into env/extravars.
    extravars = job_template_extravars(
        {
            "asg_instance_role_name": names["role"],
            "asg_instance_role_passrole_prefix": unique_prefix,
            "asg_instance_role_launch_template_name": names["template"],
            "asg_instance_role_asg_name": names["asg"],
        }
    )
    pdd = make_private_data_dir(tmp_path, envvars=envvars, extravars=extravars)
    try:
        deploy = run_job(pdd, "playbooks/deploy.yml", "deploy-1")
        assert deploy["status"] == "successful" and deploy["rc"] == 0, describe(deploy)
        stats = stats_of(deploy)
        assert stats["failures"] == {} and stats["dark"] == {}, describe(deploy)
        assert "localhost" in stats["ok"] and "localhost" in stats["changed"]

        roles = role_results(deploy, "cloudcred.ec2.iam_instance_role")
        assert len(roles) == 1, "one iam_instance_role task of the role ran ok"
        assert roles[0]["changed"] is True
        assert roles[0]["actions"][:1] == ["CreateRole"] and "AddRoleToInstanceProfile" in roles[0]["actions"]
        assert roles[0]["instance_profile"]["roles"] == [names["role"]]
        templates = role_results(deploy, "cloudcred.ec2.launch_template_profile")
        assert len(templates) == 1 and templates[0]["changed"] is True
        assert templates[0]["launch_template_data"]["IamInstanceProfile"] in (
            {"Name": names["role"]},
            {"Arn": roles[0]["instance_profile"]["arn"]},
        )

        # What the job made, seen from AWS.
        iam, ec2, autoscaling = boto3_clients("iam"), boto3_clients("ec2"), boto3_clients("autoscaling")
        profile = iam.get_instance_profile(InstanceProfileName=names["role"])["InstanceProfile"]
        assert [r["RoleName"] for r in profile["Roles"]] == [names["role"]]
        version = ec2.describe_launch_template_versions(LaunchTemplateName=names["template"], Versions=["$Default"])[
            "LaunchTemplateVersions"
        ][0]
        assert version["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[names["asg"]])["AutoScalingGroups"]
        assert [g["LaunchTemplate"]["LaunchTemplateName"] for g in groups] == [names["template"]]

        # Relaunching the job template changes nothing.
        again = run_job(pdd, "playbooks/deploy.yml", "deploy-2")
        assert again["status"] == "successful", describe(again)
        stats = stats_of(again)
        assert stats["failures"] == {} and stats["changed"] == {}, f"second run changed: {stats['changed']}"
        assert role_results(again, "cloudcred.ec2.iam_instance_role")[0]["actions"] == []

        teardown = run_job(pdd, "playbooks/teardown.yml", "teardown-1")
        assert teardown["status"] == "successful", describe(teardown)
        assert stats_of(teardown)["failures"] == {}
        assert leftovers(boto3_clients, names) == [], "teardown left these behind"
    finally:
        # Not quietly: whatever is left fails the test (naming it), and only then is it removed.
        left = leftovers(boto3_clients, names)
        _cleanup(boto3_clients, names)
    assert left == [], f"left behind on the endpoint (now removed): {left}"


def _role_of(iam, name: str) -> dict:
    role = iam.get_role(RoleName=name)["Role"]
    role["ManagedPolicies"] = [
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    ]
    return role


def _http_tokens(ec2, template: str) -> str:
    version = ec2.describe_launch_template_versions(LaunchTemplateName=template, Versions=["$Default"])
    return version["LaunchTemplateVersions"][0]["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"]


def _writes(job: dict) -> dict:
    """Task -> actions of every task of the job that changed something or planned AWS writes."""
    return {
        e["event_data"]["task"]: e["event_data"]["res"].get("actions")
        for e in job["events"]
        if e["event"] == "runner_on_ok"
        and (e["event_data"]["res"].get("changed") or e["event_data"]["res"].get("actions"))
    }


def test_survey_defaults_change_nothing_that_exists(tmp_path, collections_dir, aws_env, boto3_clients, unique_prefix):
    """The survey's defaults and blank answers leave a role's boundary, policies and IMDSv2 as they are."""
    names = {"role": f"{unique_prefix}app", "template": f"{unique_prefix}lt", "asg": f"{unique_prefix}asg"}
    envvars = dict(aws_env)
    envvars.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_dir), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1"
    )
    own_names = {
        "asg_instance_role_name": names["role"],
        "asg_instance_role_passrole_prefix": unique_prefix,
        "asg_instance_role_launch_template_name": names["template"],
        "asg_instance_role_asg_name": names["asg"],
    }
    iam, ec2 = boto3_clients("iam"), boto3_clients("ec2")
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"

    def launch(ident: str, answers: dict) -> dict:
        pdd = make_private_data_dir(tmp_path / ident, envvars=envvars, extravars=job_template_extravars(answers))
        job = run_job(pdd, "playbooks/deploy.yml", ident)
        assert job["status"] == "successful" and job["rc"] == 0, describe(job)
        return job

    try:
        # A role with a boundary and a template that requires IMDSv2, made by the same job template.
        launch("with-boundary", {**own_names, "cloudcred_survey_permissions_boundary": "PowerUserAccess"})
        role = _role_of(iam, names["role"])
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
        assert _http_tokens(ec2, names["template"]) == "required"

        # The documented defaults (only the names are this test's own): nothing written.
        defaults = launch("defaults", own_names)
        assert stats_of(defaults)["changed"] == {} and _writes(defaults) == {}, _writes(defaults)
        assert _role_of(iam, names["role"])["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary

        # Blank managed policies and "leave" for IMDSv2: nothing written, the policy and HttpTokens stay.
        blank = launch(
            "blank", {**own_names, "cloudcred_survey_managed_policies": [], "cloudcred_survey_require_imdsv2": "leave"}
        )
        assert stats_of(blank)["changed"] == {} and _writes(blank) == {}, _writes(blank)
        role = _role_of(iam, names["role"])
        assert role["ManagedPolicies"] == ["AmazonSSMManagedInstanceCore"] and "PermissionsBoundary" in role
        assert _http_tokens(ec2, names["template"]) == "required"

        # Only the explicit choice removes the boundary.
        remove = launch("remove", {**own_names, "cloudcred_survey_remove_permissions_boundary": "yes"})
        assert role_results(remove, "cloudcred.ec2.iam_instance_role")[0]["actions"] == [
            "DeleteRolePermissionsBoundary"
        ]
        assert "PermissionsBoundary" not in _role_of(iam, names["role"])
    finally:
        # This test does not tear down: what it made is removed here, and only what it made.
        _cleanup(boto3_clients, names)
