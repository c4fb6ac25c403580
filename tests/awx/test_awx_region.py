# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The region of the AWX guide's "AWS endpoint" credential is the region the job deploys to (issue 27).

The region of a run is, first to last: extra vars (aws_region), the playbook's variables file (aws_region of
playbooks/vars/example.yml, which deploy.yml always loads), the environment's AWS_REGION. A credential that
injects only AWS_REGION into the environment therefore loses to the variables file; the guide's credential type
(docs/awx/credential-type.json) injects the region as the extra var aws_region too. This test runs deploy.yml and
teardown.yml as AWX runs them with that credential attached, for a region that is not the variables file's, and
checks with boto3 where the launch template and the Auto Scaling group are.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml
from test_awx_runner import (
    AWX_DOCS,
    PLAYBOOKS,
    _cleanup,
    describe,
    inject_credential,
    job_template_extravars,
    leftovers,
    make_private_data_dir,
    role_results,
    run_job,
    stats_of,
)

pytestmark = pytest.mark.localstack

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_REGION = "eu-west-1"


def _client_in(boto3_clients, region: str, service: str):
    """A client of ``service`` in ``region`` (leftovers and the clean-up take a client factory)."""
    return boto3_clients(service, region)


def _where(boto3_clients, names: dict, region: str) -> dict:
    """The test's launch template and group as the region holds them (names, zones)."""
    ec2, autoscaling = boto3_clients("ec2", region), boto3_clients("autoscaling", region)
    found = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [names["template"]]}])
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[names["asg"]])["AutoScalingGroups"]
    return {
        "templates": [t["LaunchTemplateName"] for t in found["LaunchTemplates"]],
        "groups": [(g["AutoScalingGroupName"], g["LaunchTemplate"]["LaunchTemplateName"]) for g in groups],
        "zones": sorted({z for g in groups for z in g["AvailabilityZones"]}),
    }


def test_credential_region_is_the_region_deployed_to(tmp_path, collections_dir, aws_env, boto3_clients, unique_prefix):
    file_region = yaml.safe_load((PLAYBOOKS / "vars" / "example.yml").read_text())["aws_region"]
    assert file_region != CREDENTIAL_REGION, "the credential's region must differ from the variables file's"
    names = {"role": f"{unique_prefix}app", "template": f"{unique_prefix}lt", "asg": f"{unique_prefix}asg"}

    # The job's credentials: the built-in Amazon Web Services one (keys) and the guide's "AWS endpoint" one.
    credential_type = json.loads((AWX_DOCS / "credential-type.json").read_text())
    injected_env, injected_extravars = inject_credential(
        credential_type, {"endpoint_url": aws_env["AWS_ENDPOINT_URL"], "region": CREDENTIAL_REGION}
    )
    envvars = {k: aws_env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    envvars.update(injected_env)
    envvars.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_dir), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1"
    )
    # The job template's variables and survey defaults, with this test's names.
    extravars = job_template_extravars(
        {
            "asg_instance_role_name": names["role"],
            "asg_instance_role_passrole_prefix": unique_prefix,
            "asg_instance_role_launch_template_name": names["template"],
            "asg_instance_role_asg_name": names["asg"],
        }
    )
    pdd = make_private_data_dir(tmp_path, envvars=envvars, extravars=extravars, credential_extravars=injected_extravars)
    regions = (CREDENTIAL_REGION, file_region)
    try:
        deploy = run_job(pdd, "playbooks/deploy.yml", "deploy-region")
        assert deploy["status"] == "successful" and deploy["rc"] == 0, describe(deploy)
        assert stats_of(deploy)["failures"] == {}, describe(deploy)
        templates = role_results(deploy, "cloudcred.ec2.launch_template_profile")
        assert len(templates) == 1 and templates[0]["changed"] is True

        # IAM is global; the launch template and the group are in the credential's region, and only there.
        iam = boto3_clients("iam")
        profile = iam.get_instance_profile(InstanceProfileName=names["role"])["InstanceProfile"]
        assert [r["RoleName"] for r in profile["Roles"]] == [names["role"]]
        assert _where(boto3_clients, names, CREDENTIAL_REGION) == {
            "templates": [names["template"]],
            "groups": [(names["asg"], names["template"])],
            "zones": [f"{CREDENTIAL_REGION}a"],
        }, f"not deployed to the credential's region {CREDENTIAL_REGION}"
        assert _where(boto3_clients, names, file_region) == {
            "templates": [],
            "groups": [],
            "zones": [],
        }, f"deployed to the variables file's region {file_region}, not the credential's {CREDENTIAL_REGION}"

        # The teardown job with the same credential removes it from that region.
        teardown = run_job(pdd, "playbooks/teardown.yml", "teardown-region")
        assert teardown["status"] == "successful", describe(teardown)
        assert stats_of(teardown)["failures"] == {}
        for region in regions:
            assert leftovers(functools.partial(_client_in, boto3_clients, region), names) == [], region
    finally:
        # Not quietly: whatever is left (in either region) fails the test, and only then is it removed.
        left = {}
        for region in regions:
            clients = functools.partial(_client_in, boto3_clients, region)
            left[region] = leftovers(clients, names)
            _cleanup(clients, names)
    assert left == {region: [] for region in regions}, f"left behind on the endpoint (now removed): {left}"
