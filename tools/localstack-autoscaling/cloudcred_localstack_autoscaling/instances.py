"""Each instance of a group keeps the launch template version it was launched from.

AWS reports, for every instance of a group, the launch template and the numbered version the instance was
launched from (DescribeAutoScalingGroups, ``Instances[].LaunchTemplate.Version``; "The launch template for the
instance", API_Instance), or the launch configuration it was launched from (``LaunchConfigurationName``). An
instance keeps them until it is replaced: a new default version does not change the running instances.

moto computes both from the group at each call (the template's *current* default version, the group's current
launch configuration), so "which instances are behind" cannot be seen. ``install`` records them when moto makes
the instance, and answers with what was recorded.
"""

from __future__ import annotations

_INSTALLED = "_cloudcred_launched_from"


def launched_from(group) -> dict:
    """What an instance launched now by ``group`` is launched from: template, version number, or configuration."""
    template = group.ec2_launch_template
    if template is not None:
        version = template.get_version(group.launch_template_version)
        return {
            "LaunchTemplate": {
                "LaunchTemplateId": template.id,
                "LaunchTemplateName": template.name,
                "Version": str(version.number),
            }
        }
    return {"LaunchConfigurationName": group.launch_configuration_name}


def install() -> None:
    """Patch moto's InstanceState once: record at creation, report what was recorded."""
    from moto.autoscaling.models import InstanceState

    if getattr(InstanceState, _INSTALLED, False):
        return
    original_init = InstanceState.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        group = self.auto_scaling_group
        self.cloudcred_launched_from = launched_from(group) if group is not None else {}

    def launch_template(self):
        return getattr(self, "cloudcred_launched_from", {}).get("LaunchTemplate")

    def launch_configuration_name(self):
        return getattr(self, "cloudcred_launched_from", {}).get("LaunchConfigurationName")

    InstanceState.__init__ = __init__
    InstanceState.launch_template = property(launch_template)
    InstanceState.launch_configuration_name = property(launch_configuration_name)
    setattr(InstanceState, _INSTALLED, True)
