# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloudcred.ec2.asg_instance_role_check, the role's first task, against moto: its module, and the read and the decision
under it (module_utils/_asg_instance_role.py). Its action plugin (the module in the task's worker) is
tests/unit/plugins/plugin_utils/test_in_worker.py's."""

import json

import boto3
import pytest
from module_args import patch_module_args
from moto import mock_aws

from ansible_collections.cloudcred.ec2.plugins.module_utils import _asg_instance_role as rules
from ansible_collections.cloudcred.ec2.plugins.modules import asg_instance_role_check as module

REGION = "us-east-1"
POLICY = "qateam-app-passrole"
DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}
# playbooks/vars/example.yml with a deployer
VARIABLES = {
    "asg_instance_role_name": "qateam-app",
    "asg_instance_role_managed_policies": ["AmazonSSMManagedInstanceCore"],
    "asg_instance_role_passrole_prefix": "qateam-",
    "asg_instance_role_deployer": {"type": "user", "name": "qa-deployer"},
    "asg_instance_role_launch_template_name": "my-lt-with-instance-profile",
    "asg_instance_role_launch_template_data": {"ImageId": "ami-04d5cc9b88example", "InstanceType": "t2.micro"},
}
PUT = {"user": "put_user_policy", "group": "put_group_policy", "role": "put_role_policy"}
CREATE = {"user": "create_user", "group": "create_group", "role": "create_role"}
NAME_KEY = {"user": "UserName", "group": "GroupName", "role": "RoleName"}
TRUST = {"Version": "2012-10-17", "Statement": []}


@pytest.fixture
def iam(moto_credentials):
    with mock_aws():
        client = boto3.client("iam", region_name=REGION)
        client.create_user(UserName="qa-deployer")
        yield client


def calls_of(client):
    """The API operations ``client`` makes from now on, in order."""
    made = []
    client.meta.events.register("before-call.iam.*", lambda model, **_: made.append(model.name))
    return made


def give(iam, kind, name, policy=POLICY):
    extra = {"AssumeRolePolicyDocument": json.dumps(TRUST)} if kind == "role" else {}
    if kind != "user" or name != "qa-deployer":
        getattr(iam, CREATE[kind])(**{NAME_KEY[kind]: name}, **extra)
    getattr(iam, PUT[kind])(**{NAME_KEY[kind]: name}, PolicyName=policy, PolicyDocument=json.dumps(DOCUMENT))


# --- the read ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_a_deployers_policy_is_listed_then_read(iam, kind):
    give(iam, kind, "qa-deployer")
    made = calls_of(iam)
    read = rules.read_deployer_policy(iam, {"type": kind, "name": "qa-deployer"}, POLICY)
    assert read == {"all_policy_names": [POLICY], "policies": [{"policy_name": POLICY, "policy_document": DOCUMENT}]}
    assert made == [f"List{kind.capitalize()}Policies", f"Get{kind.capitalize()}Policy"]
    assert rules.deployer_problem({"type": kind, "name": "qa-deployer"}, read) is None


def test_a_deployer_without_the_policy_is_one_call(iam):
    give(iam, "user", "qa-deployer", policy="another")
    made = calls_of(iam)
    read = rules.read_deployer_policy(iam, {"type": "user", "name": "qa-deployer"}, POLICY)
    assert read == {"all_policy_names": ["another"], "policies": []}
    assert made == ["ListUserPolicies"]
    assert rules.deployer_problem({"type": "user", "name": "qa-deployer"}, read) is None


def test_a_policy_deleted_between_the_list_and_the_read_is_missing(iam, monkeypatch):
    give(iam, "user", "qa-deployer")
    monkeypatch.setattr(rules, "get_iam_principal_policy", lambda *_args: None)
    read = rules.read_deployer_policy(iam, {"type": "user", "name": "qa-deployer"}, POLICY)
    assert read == {"all_policy_names": [POLICY], "policies": []}


def test_a_deployer_that_does_not_exist_is_named(iam):
    deployer = {"type": "group", "name": "qa-deployers"}
    read = rules.read_deployer_policy(iam, deployer, POLICY)
    assert read["failed"] and "cannot be found" in read["msg"]
    assert rules.deployer_problem(deployer, read) == (
        "asg_instance_role_deployer: the group qa-deployers does not exist; "
        "create it first or leave asg_instance_role_deployer out"
    )


# --- the decision -----------------------------------------------------------------------------------------------


def no_client():
    raise AssertionError("no AWS call was expected")


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"asg_instance_role_passrole_prefix": "*"}, "asg_instance_role_passrole_prefix"),
        ({"asg_instance_role_launch_template_data": {"ImageID": "ami-1"}}, "asg_instance_role_launch_template_data"),
        ({"asg_instance_role_name": "bad name"}, "asg_instance_role_name"),
    ],
    ids=["prefix", "template data", "name"],
)
def test_bad_input_is_refused_before_any_call(changes, expected):
    problem, read = rules.check(
        dict(VARIABLES, **changes), region=REGION, shape=rules.request_shape(), policy_name=POLICY, iam=no_client
    )
    assert problem.startswith(expected) and read is None


def test_no_region_is_refused_before_any_call():
    problem, _read = rules.check(VARIABLES, region="", shape=None, policy_name=POLICY, iam=no_client)
    assert problem == rules.NO_REGION


@pytest.mark.parametrize(
    "changes",
    [{"asg_instance_role_deployer": None}, {"asg_instance_role_deployer": {}}, {"asg_instance_role_state": "absent"}],
    ids=["none", "empty", "teardown"],
)
def test_nothing_is_read_without_a_deployer_or_on_teardown(changes):
    assert rules.check(dict(VARIABLES, **changes), region=REGION, shape=None, policy_name=POLICY, iam=no_client) == (
        None,
        None,
    )


@pytest.mark.parametrize(
    "changes, name",
    [
        ({}, "qateam-app-passrole"),
        ({"asg_instance_role_deployer_policy_name": "shared-passrole"}, "shared-passrole"),
        ({"asg_instance_role_deployer_policy_name": ""}, "qateam-app-passrole"),
    ],
)
def test_the_policy_name(changes, name):
    assert rules.deployer_policy_name(dict(VARIABLES, **changes)) == name


def test_the_result_holds_the_document_as_iam_holds_it(iam):
    give(iam, "user", "qa-deployer")
    result = rules.check_result({"variables": VARIABLES}, region=REGION, iam=lambda: iam)
    assert result["deployer_policy"] == DOCUMENT and result["deployer_policy_name"] == POLICY
    assert not result.get("failed") and result["changed"] is False


# --- the module -------------------------------------------------------------------------------------------------


def run_module(capsys, **args):
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def test_the_module_reads_the_policy(iam, capsys):
    give(iam, "user", "qa-deployer")
    result = run_module(capsys, variables=VARIABLES)
    assert result["deployer_policy"] == DOCUMENT and not result.get("failed")


def test_the_module_fails_on_a_missing_deployer(iam, capsys):
    result = run_module(capsys, variables=dict(VARIABLES, asg_instance_role_deployer={"type": "user", "name": "x"}))
    assert result["failed"] and result["msg"].startswith("asg_instance_role_deployer: the user x does not exist")
