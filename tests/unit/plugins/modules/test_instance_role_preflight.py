import json
import urllib.request

import boto3
import pytest
from module_args import patch_module_args
from moto.server import ThreadedMotoServer

from ansible_collections.cloudcred.ec2.plugins.modules import instance_role_preflight

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
NAMES = ["instance_profile", "trust_policy", "policies", "pass_role", "run_instances", "create_tags"]


def run_module(capsys, **args):
    with patch_module_args({"region": REGION, **args}), pytest.raises(SystemExit):
        instance_role_preflight.main()
    return json.loads(capsys.readouterr().out)


def statuses(result):
    return {c["name"]: c["status"] for c in result["checks"]}


@pytest.fixture(scope="module")
def endpoint():
    """A moto server on 127.0.0.1: the module talks to it through endpoint_url, as to LocalStack."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_credentials, monkeypatch, endpoint):
    monkeypatch.delenv("AWS_ENDPOINT_URL_IAM", raising=False)
    requests_reset(endpoint)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint)
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    iam.create_role(RoleName="pre-app", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName="pre-app")
    iam.add_role_to_instance_profile(InstanceProfileName="pre-app", RoleName="pre-app")
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t2.micro"}
    ec2.create_launch_template(
        LaunchTemplateName="pre-lt", LaunchTemplateData={**data, "IamInstanceProfile": {"Name": "pre-app"}}
    )
    ec2.create_launch_template(LaunchTemplateName="pre-lt-bare", LaunchTemplateData=data)
    yield iam
    requests_reset(endpoint)


def requests_reset(endpoint):
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()


def test_preflight_on_an_endpoint_passes_with_simulator_unverified(aws, endpoint, capsys):
    result = run_module(capsys, name="pre-app", launch_template_name="pre-lt", endpoint_url=endpoint)
    assert result["changed"] is False
    assert result["passed"] is True
    assert [c["name"] for c in result["checks"]] == [*NAMES, "launch_template"]
    assert statuses(result) == {
        "instance_profile": "pass",
        "trust_policy": "pass",
        "policies": "pass",
        "pass_role": "unverified",
        "run_instances": "unverified",
        "create_tags": "unverified",
        "launch_template": "pass",
    }


def test_preflight_fails_on_a_template_without_the_profile(aws, endpoint, capsys):
    result = run_module(capsys, name="pre-app", launch_template_name="pre-lt-bare", endpoint_url=endpoint)
    assert result["passed"] is False
    assert result["changed"] is False
    assert result.get("failed") is not True  # a failed check is data, not a task failure
    assert statuses(result)["launch_template"] == "fail"


def test_preflight_profile_without_role(aws, endpoint, capsys):
    aws.remove_role_from_instance_profile(InstanceProfileName="pre-app", RoleName="pre-app")
    result = run_module(capsys, name="pre-app", endpoint_url=endpoint, _ansible_check_mode=True)
    assert result["passed"] is False
    assert statuses(result)["instance_profile"] == "fail"
    assert "iam_instance_role" in result["checks"][0]["fix"]


def test_bad_launch_template_name_fails_before_any_call(capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = run_module(capsys, name="pre-app", launch_template_name="x")
    assert result["failed"] is True
    assert result["msg"].startswith("launch_template_name must be 3-128 characters")
