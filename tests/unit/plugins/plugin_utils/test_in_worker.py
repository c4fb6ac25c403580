# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/_in_worker.py: a module of this collection run inside the task's worker, and only where that is the
same as running it on the host; otherwise the module runs as a module. Real local connection and templar, moto."""

import ctypes
import json
import os
import signal
import subprocess
import sys
from unittest.mock import MagicMock

import boto3
import pytest
import requests
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from ansible.template import Templar
from moto.server import ThreadedMotoServer

from ansible_collections.cloudcred.ec2.plugins.action import (
    asg_instance_refresh,
    asg_instance_role_check,
    iam_instance_role,
)
from ansible_collections.cloudcred.ec2.plugins.plugin_utils import _in_worker

REGION = "us-east-1"
DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}
VARIABLES = {
    "asg_instance_role_name": "qateam-app",
    "asg_instance_role_deployer": {"type": "user", "name": "qa-deployer"},
    "asg_instance_role_launch_template_name": "my-lt-with-instance-profile",
    "asg_instance_role_launch_template_data": {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"},
}
HERE = {"ansible_python_interpreter": sys.executable}
AS_A_MODULE = {"changed": False, "ran": "as a module"}


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto as a server on 127.0.0.1 (a free port): the module runs in a forked child, whose in-process mock would
    write only to the child's memory; the server is one account the test and the child both see."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def iam(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    client = boto3.client("iam", region_name=REGION)
    client.create_user(UserName="qa-deployer")
    client.put_user_policy(
        UserName="qa-deployer", PolicyName="qateam-app-passrole", PolicyDocument=json.dumps(DOCUMENT)
    )
    return client


def action_of(plugin, args, *, transport="local", check_mode=False, environment=None, become=False, **task):
    play_context = PlayContext()
    play_context.become = become
    connection = connection_loader.get("local", play_context, None)
    if transport != "local":
        connection = MagicMock(transport=transport)
    attributes = dict(delegate_to=None, async_val=0, diff=False, no_log=False, action=plugin.ActionModule.MODULE)
    attributes.update(task)
    task = MagicMock(args=args, check_mode=check_mode, environment=environment, **attributes)
    action = plugin.ActionModule(
        task, connection, play_context, DataLoader(), Templar(loader=DataLoader()), MagicMock()
    )
    action._execute_module = MagicMock(return_value=dict(AS_A_MODULE))
    return action


def test_the_module_runs_in_the_worker_with_its_result(iam):
    action = action_of(asg_instance_role_check, {"variables": VARIABLES, "region": REGION})
    result = action.run(task_vars=dict(HERE))
    action._execute_module.assert_not_called()
    assert result["deployer_policy"] == DOCUMENT and not result.get("failed")
    # as a module's result leaves ansible-core's _execute_module: up to 2.20 _ansible_parsed stays, for the executor
    assert not any(key.startswith("_ansible") and key != "_ansible_parsed" for key in result)


def test_a_failing_module_fails_the_task_with_its_message(iam):
    variables = dict(VARIABLES, asg_instance_role_deployer={"type": "user", "name": "nobody"})
    result = action_of(asg_instance_role_check, {"variables": variables, "region": REGION}).run(task_vars=dict(HERE))
    assert result["failed"] and result["msg"].startswith("asg_instance_role_deployer: the user nobody does not exist")


def test_check_mode_reaches_the_module(iam):
    args = {"name": "billing-app", "region": REGION}
    result = action_of(iam_instance_role, args, check_mode=True).run(task_vars=dict(HERE))
    assert result["changed"] and result["actions"][:1] == ["CreateRole"]
    assert iam.list_roles()["Roles"] == []  # check mode wrote nothing
    result = action_of(iam_instance_role, args).run(task_vars=dict(HERE))
    assert result["changed"] and iam.get_role(RoleName="billing-app")


def test_the_tasks_environment_is_the_modules_and_only_while_it_runs(iam, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    before = dict(os.environ)
    result = action_of(asg_instance_role_check, {"variables": VARIABLES}).run(task_vars=dict(HERE))
    assert result["msg"].startswith("No AWS region")
    result = action_of(asg_instance_role_check, {"variables": VARIABLES}, environment=[{"AWS_REGION": REGION}]).run(
        task_vars=dict(HERE)
    )
    assert result["deployer_policy"] == DOCUMENT
    assert dict(os.environ) == before


@pytest.mark.parametrize(
    "task_vars, options, reason",
    [
        ({**HERE, "cloudcred_ec2_in_worker": "false"}, {}, "cloudcred_ec2_in_worker is false"),
        (HERE, {"transport": "ssh"}, "not the local connection"),
        (HERE, {"delegate_to": "bastion"}, "delegate_to, become or async"),
        (HERE, {"become": True}, "delegate_to, become or async"),
        (HERE, {"async_val": 60}, "delegate_to, become or async"),
        ({"ansible_python_interpreter": "/usr/bin/python3.9"}, {}, "is not the controller's"),
        # another virtualenv made from the same Python: the same binary, other packages
        ({"ansible_python_interpreter": "/elsewhere/venv/bin/python"}, {}, "is not the controller's"),
        ({}, {}, "is not the controller's"),
    ],
    ids=["opted out", "ssh", "delegated", "become", "async", "another python", "another venv", "interpreter discovery"],
)
def test_anywhere_else_the_module_runs_as_a_module(task_vars, options, reason):
    action = action_of(asg_instance_role_check, {"variables": VARIABLES}, **options)
    assert reason in action.not_in_worker_because(dict(task_vars))
    assert action.run(task_vars=dict(task_vars)) == {**AS_A_MODULE}
    action._execute_module.assert_called_once()  # ansible-core's module run, of the task's action
    assert action._task.action == "cloudcred.ec2.asg_instance_role_check"


def test_another_name_of_the_controllers_python_in_its_directory_is_the_same(tmp_path):
    assert _in_worker._same_python(sys.executable, sys.executable)
    other = tmp_path / "python"
    other.symlink_to(os.path.realpath(sys.executable))
    assert not _in_worker._same_python(str(other), sys.executable)  # same binary, another directory
    names = [
        n for n in ("python", "python3", f"python3.{sys.version_info.minor}") if n != os.path.basename(sys.executable)
    ]
    sibling = next(
        (
            os.path.join(os.path.dirname(sys.executable), n)
            for n in names
            if os.path.exists(os.path.join(os.path.dirname(sys.executable), n))
        ),
        None,
    )
    assert sibling and _in_worker._same_python(sibling, sys.executable)


LACKING = [
    ((_in_worker.ActionBase, "_update_module_args"), "ActionBase._update_module_args"),
    ((_in_worker.ActionBase, "_parse_returned_data"), "ActionBase._parse_returned_data"),
    ((_in_worker.basic, "_ANSIBLE_ARGS"), "ansible.module_utils.basic._ANSIBLE_ARGS"),
]
if _in_worker._parser_takes_profile():  # 2.19 and later: the module's serialization profile is called too
    LACKING.append(((_in_worker.basic, "_ANSIBLE_PROFILE"), "ansible.module_utils.basic._ANSIBLE_PROFILE"))


@pytest.mark.parametrize("lacking, missing", LACKING, ids=lambda value: value if isinstance(value, str) else "")
def test_an_ansible_core_lacking_what_the_worker_path_calls_runs_the_module_as_a_module(monkeypatch, lacking, missing):
    monkeypatch.delattr(*lacking)
    action = action_of(asg_instance_role_check, {"variables": VARIABLES})
    assert action.not_in_worker_because(dict(HERE)) == f"this ansible-core has no {missing}"
    assert action.run(task_vars=dict(HERE)) == {**AS_A_MODULE}


def test_neither_result_object_nor_internal_key_cleaner_runs_the_module_as_a_module(monkeypatch):
    monkeypatch.setattr(_in_worker, "_returns_result_object", lambda: False)
    monkeypatch.setattr(_in_worker, "_remove_internal_keys", lambda: None)
    reason = action_of(asg_instance_role_check, {"variables": VARIABLES}).not_in_worker_because(dict(HERE))
    assert reason == "this ansible-core has no ansible.vars.clean.remove_internal_keys"


def test_the_interpreter_of_ansible_cfg_or_the_environment_counts_like_the_hosts(monkeypatch):
    action = action_of(asg_instance_role_check, {"variables": VARIABLES})
    assert "is not the controller's" in action.not_in_worker_because({})  # interpreter discovery
    monkeypatch.setenv("ANSIBLE_PYTHON_INTERPRETER", sys.executable)
    assert action.not_in_worker_because({}) is None
    monkeypatch.setenv("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3.9")
    assert "'/usr/bin/python3.9' is not the controller's" in action.not_in_worker_because({})
    monkeypatch.setenv("ANSIBLE_PYTHON_INTERPRETER", "auto_silent")
    assert action.not_in_worker_because({"ansible_facts": {"discovered_interpreter_python": sys.executable}}) is None


@pytest.mark.parametrize("variable", ["PYTHONPATH", "PYTHONHOME", "LD_PRELOAD"])
def test_an_interpreter_level_task_environment_runs_the_module_as_a_module(variable):
    action = action_of(asg_instance_role_check, {"variables": VARIABLES}, environment=[{variable: "/opt/x"}])
    assert action.not_in_worker_because(dict(HERE)) == (
        f"the task's environment sets {variable}, which a new interpreter reads at its start"
    )
    assert action.run(task_vars=dict(HERE)) == {**AS_A_MODULE}


# --- one child per module run: crashes, isolation, temporary files --------------------------------------------------


class Crashing(asg_instance_role_check.ActionModule):
    """An action whose module's main is a test's function."""

    MODULE = "cloudcred.ec2.asg_instance_role_check"


def run_main(main, **task):
    Crashing.MAIN = staticmethod(main)
    action = action_of(asg_instance_role_check, {"variables": VARIABLES}, **task)
    action.__class__ = Crashing
    return action.run(task_vars=dict(HERE))


def die_by_signal():
    print("half a line", flush=True)
    print("oops", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def exit_hard():
    os._exit(3)


def segfault():
    ctypes.string_at(0)


@pytest.mark.parametrize(
    "main, rc, how",
    [(die_by_signal, -9, "was killed by signal 9 (SIGKILL)"), (exit_hard, 3, "exited with status 3")]
    + [(segfault, -11, "was killed by signal 11 (SIGSEGV)")],
    ids=["SIGKILL", "os._exit", "segfault"],
)
def test_a_module_that_dies_fails_its_task_naming_the_status_with_rc_stdout_and_stderr(main, rc, how):
    result = run_main(main)
    assert result["failed"] and result["rc"] == rc
    assert result["msg"] == (
        f"MODULE FAILURE: cloudcred.ec2.asg_instance_role_check {how} without a result (see module_stdout and "
        "module_stderr)"
    )
    if main is die_by_signal:
        assert result["module_stdout"] == "half a line\n" and result["module_stderr"] == "oops\n"


def test_an_exception_escaping_main_is_a_module_failure_with_its_traceback():
    def main():
        raise RuntimeError("boom")

    result = run_main(main)
    assert result["failed"] and result["rc"] == 1
    assert "RuntimeError: boom" in result["module_stderr"]


def leave_traces():
    """A module that changes what a worker would carry to the next loop item or task, then prints its result."""
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(argument_spec={"variables": {"type": "dict"}})
    with open(os.path.join(module.tmpdir, "scratch"), "w", encoding="utf-8") as scratch:
        scratch.write("x")
    os.environ["CLOUDCRED_LEAK"] = "1"
    sys.modules["cloudcred_leak"] = sys
    os.chdir("/")
    module.exit_json(changed=False, tmpdir=module.tmpdir, secret_args=_in_worker.basic._ANSIBLE_ARGS is not None)


def test_nothing_a_module_run_changes_reaches_the_worker_and_its_temporary_files_are_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = (_in_worker.basic._ANSIBLE_ARGS, dict(os.environ))
    result = run_main(leave_traces)
    assert not result.get("failed"), result
    assert result["secret_args"] and result["tmpdir"] and not os.path.exists(result["tmpdir"])
    assert (_in_worker.basic._ANSIBLE_ARGS, dict(os.environ)) == before
    assert "cloudcred_leak" not in sys.modules and os.getcwd() == str(tmp_path)


def warn_and_deprecate():
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(argument_spec={"variables": {"type": "dict"}})
    module.warn("the profile is not yet visible to EC2")
    module.deprecate("this option goes away", version="3.0.0", collection_name="cloudcred.ec2")
    module.exit_json(changed=False)


def message_of(item) -> str:
    """A warning's or deprecation's text: a string (2.17), a dict (2.18 to 2.20), a summary object (2.21)."""
    event = getattr(item, "event", None)
    if event is not None:
        return event.msg
    return item["msg"] if isinstance(item, dict) else str(item)


def test_a_modules_warnings_and_deprecations_reach_the_tasks_result(monkeypatch):
    # As in ansible-playbook's process (2.19 and later): controller code sends warnings to Display, a module's own go
    # into its result, which the task executor shows; the forked child must be the module's side.
    try:
        from ansible.module_utils import _internal
    except ImportError:  # 2.17, 2.18: module_utils always records them
        _internal = None
    if hasattr(_internal, "is_controller"):
        monkeypatch.setattr(_internal, "is_controller", True)
    result = run_main(warn_and_deprecate)
    assert not result.get("failed"), result
    warned = [message_of(w) for w in result.get("warnings", [])]
    deprecated = [message_of(d) for d in result.get("deprecations", [])]
    assert warned == ["the profile is not yet visible to EC2"], result
    assert deprecated == ["this option goes away"], result


def test_the_refresh_decides_in_the_worker(iam):
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": "ami-12c6146b"})
    boto3.client("autoscaling", region_name=REGION).create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[f"{REGION}a"],
    )
    args = {"name": "web-asg", "launch_template_name": "web-lt", "launch_template_version": "1", "region": REGION}
    action = action_of(asg_instance_refresh, args)
    result = action.run(task_vars=dict(HERE))
    action._execute_module.assert_not_called()  # no module run: the decision ran here, and no refresh to follow
    assert result["changed"] is False and result["needed"] is False and not result.get("failed")


# --- botocore's models, read once a run ---------------------------------------------------------------------------


def count_ec2_model_reads():
    """A module's main for the child: makes an EC2 client and prints how many EC2 model files that read."""
    import botocore.loaders
    import botocore.session

    reads = []
    original = botocore.loaders.JSONFileLoader.load_file
    botocore.loaders.JSONFileLoader.load_file = lambda self, path: reads.append(path) or original(self, path)
    botocore.session.get_session().create_client(
        "ec2", region_name=REGION, aws_access_key_id="-", aws_secret_access_key="-"
    )
    print(json.dumps({"changed": False, "reads": len([p for p in reads if "/ec2/" in p])}))
    sys.exit(0)


def test_a_child_reads_no_model_the_plugin_import_read(monkeypatch):
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    answer = _in_worker.run_forked(count_ec2_model_reads, b"{}", {})
    assert answer["rc"] == 0, answer["stderr"]
    assert json.loads(answer["stdout"])["reads"] == 0


def test_the_controllers_own_botocore_is_left_as_it_is():
    # Other collections' plugins and the module path in this process: a session of their own, its own loader.
    import botocore.session

    assert not hasattr(botocore.session.create_loader, "shared_by_cloudcred")
    first, second = botocore.session.get_session(), botocore.session.get_session()
    assert first.get_component("data_loader") is not second.get_component("data_loader")


def test_the_models_are_read_when_the_plugin_is_imported():
    # In a new interpreter: importing the plugin (as ansible-playbook does before it forks the task's worker) reads
    # EC2's model, so that a module run in a forked child reads none of it, and botocore's own create_loader stays.
    code = """
import json, sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=sys.argv[1:])._install()
import botocore.loaders, botocore.session
original = botocore.session.create_loader
from ansible_collections.cloudcred.ec2.plugins.plugin_utils import _in_worker
def main():
    reads = []
    load = botocore.loaders.JSONFileLoader.load_file
    botocore.loaders.JSONFileLoader.load_file = lambda self, path: reads.append(path) or load(self, path)
    botocore.session.get_session().create_client("ec2", region_name="us-east-1", aws_access_key_id="-",
                                                 aws_secret_access_key="-")
    print(json.dumps({"reads": len([path for path in reads if "/ec2/" in path])}))
answer = _in_worker.run_forked(main, b"{}", {})
print(json.loads(answer["stdout"])["reads"], botocore.session.create_loader is original)
"""
    paths = [path for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if path]
    environment = {key: value for key, value in os.environ.items() if key != "AWS_DATA_PATH"}
    answer = subprocess.run(
        [sys.executable, "-c", code, *paths], capture_output=True, text=True, env=environment, check=False
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "0 True"


@pytest.mark.parametrize(
    "interpreter, preloaded",
    [
        ("auto_silent", True),  # discovery: host variables decide, the models are read for them
        ("{{ ansible_playbook_python }}", True),
        (sys.executable, True),
        ("/usr/bin/python3.9", False),  # every host runs the modules as modules: nothing is read for nothing
    ],
)
def test_the_models_are_read_at_import_only_where_modules_may_run_in_the_worker(interpreter, preloaded):
    code = """
import sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=sys.argv[1:])._install()
from ansible_collections.cloudcred.ec2.plugins.plugin_utils import _in_worker
print(bool(_in_worker._PRELOADED))
"""
    paths = [path for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if path]
    environment = {key: value for key, value in os.environ.items() if key != "AWS_DATA_PATH"}
    environment["ANSIBLE_PYTHON_INTERPRETER"] = interpreter
    answer = subprocess.run(
        [sys.executable, "-c", code, *paths], capture_output=True, text=True, env=environment, check=False
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == str(preloaded)


def test_another_data_path_has_its_own_loader_in_the_child(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    answer = _in_worker.run_forked(count_ec2_model_reads, b"{}", {})
    assert answer["rc"] == 0, answer["stderr"]
    assert json.loads(answer["stdout"])["reads"] >= 1
