# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/_in_worker.py: a module of this collection run inside the task's worker, and only where that is the
same as running it on the host; otherwise the module runs as a module. Real local connection and templar, moto."""

import json
import os
import subprocess
import sys
from unittest.mock import MagicMock

import boto3
import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from ansible.template import Templar
from moto import mock_aws

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


@pytest.fixture
def iam(moto_credentials):
    with mock_aws():
        client = boto3.client("iam", region_name=REGION)
        client.create_user(UserName="qa-deployer")
        client.put_user_policy(
            UserName="qa-deployer", PolicyName="qateam-app-passrole", PolicyDocument=json.dumps(DOCUMENT)
        )
        yield client


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
    assert not any(key.startswith("_ansible") for key in result)


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


def test_an_ansible_core_without_the_hook_runs_the_module_as_a_module(monkeypatch):
    monkeypatch.delattr(_in_worker.basic.AnsibleModule, "_record_module_result")
    action = action_of(asg_instance_role_check, {"variables": VARIABLES})
    assert action.not_in_worker_because(dict(HERE)) == "an ansible-core without the module result hook"


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


def test_sessions_share_one_loader_and_read_a_model_once(monkeypatch):
    import botocore.loaders
    import botocore.session

    assert _in_worker.share_botocore_loader()  # done when the plugin was imported; doing it again changes nothing
    assert botocore.session.create_loader.shared_by_cloudcred
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    first, second = botocore.session.get_session(), botocore.session.get_session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    reads = []
    original = botocore.loaders.JSONFileLoader.load_file
    monkeypatch.setattr(
        botocore.loaders.JSONFileLoader, "load_file", lambda self, path: reads.append(path) or original(self, path)
    )
    for session in (first, second):
        session.create_client("ec2", region_name=REGION, aws_access_key_id="-", aws_secret_access_key="-")
    assert len([path for path in reads if "/ec2/" in path]) <= 1  # the first session's, at most


def test_the_models_are_read_when_the_plugin_is_imported():
    # In a new interpreter: importing the plugin (as ansible-playbook does before it forks the task's worker) reads
    # EC2's model, so that a client made afterwards reads none of it.
    code = """
import sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=sys.argv[1:])._install()
import botocore.loaders, botocore.session
import ansible_collections.cloudcred.ec2.plugins.plugin_utils._in_worker
reads = []
original = botocore.loaders.JSONFileLoader.load_file
botocore.loaders.JSONFileLoader.load_file = lambda self, path: reads.append(path) or original(self, path)
botocore.session.get_session().create_client("ec2", region_name="us-east-1", aws_access_key_id="-",
                                             aws_secret_access_key="-")
print(len([path for path in reads if "/ec2/" in path]))
"""
    paths = [path for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if path]
    environment = {key: value for key, value in os.environ.items() if key != "AWS_DATA_PATH"}
    answer = subprocess.run(
        [sys.executable, "-c", code, *paths], capture_output=True, text=True, env=environment, check=False
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "0"


def test_another_data_path_has_its_own_loader(monkeypatch, tmp_path):
    import botocore.session

    default = botocore.session.get_session().get_component("data_loader")
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert botocore.session.get_session().get_component("data_loader") is not default
