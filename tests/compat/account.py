# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make compat: what of playbooks/vars/example.yml's deployment exists at AWS_ENDPOINT_URL.

python account.py    prints "nothing" or the resources found, one per line (role, instance profile, launch
                     template, Auto Scaling group, the deployer's policy is not part of the example)
"""

from __future__ import annotations

import sys

import boto3
import yaml

EXAMPLE = "tests/compat/example.yml"


def found(example: dict) -> list[str]:
    region = example["aws_region"]
    iam = boto3.client("iam", region_name=region)
    ec2 = boto3.client("ec2", region_name=region)
    autoscaling = boto3.client("autoscaling", region_name=region)
    name = example["asg_instance_role_name"]
    resources = []
    if any(r["RoleName"] == name for r in iam.list_roles()["Roles"]):
        resources.append(f"role {name}")
    if any(p["InstanceProfileName"] == name for p in iam.list_instance_profiles()["InstanceProfiles"]):
        resources.append(f"instance profile {name}")
    template = example["asg_instance_role_launch_template_name"]
    if any(t["LaunchTemplateName"] == template for t in ec2.describe_launch_templates()["LaunchTemplates"]):
        resources.append(f"launch template {template}")
    group = example["asg_instance_role_asg_name"]
    if autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]:
        resources.append(f"Auto Scaling group {group}")
    return resources


def main() -> int:
    with open(EXAMPLE, encoding="utf-8") as example:
        resources = found(yaml.safe_load(example))
    print("\n".join(resources) or "nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
