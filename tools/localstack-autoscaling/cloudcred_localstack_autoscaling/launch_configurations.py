"""Launch configurations as AWS documents them, where moto is kinder.

* A group moved to a launch template (``UpdateAutoScalingGroup`` with ``LaunchTemplate`` or
  ``MixedInstancesPolicy``) no longer has a launch configuration: AWS's group has one or the other,
  and DescribeAutoScalingGroups shows only the launch template after the move. moto keeps the old
  ``LaunchConfigurationName`` beside the template.
* ``DeleteLaunchConfiguration`` refuses while a group uses the launch configuration: AWS answers
  ``ResourceInUse`` ("Cannot delete launch configuration <name> because it is attached to
  AutoScalingGroup <group>"). moto deletes it from under the group. A missing one is AWS's
  ``ValidationError`` "Launch configuration name not found".
"""

from localstack.aws.api import CommonServiceException


def _backend(context):
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[context.account_id][context.region]


def UpdateAutoScalingGroup(context, request):
    from localstack.services.moto import dispatch_to_moto

    response = dispatch_to_moto(context)
    if request.get("LaunchTemplate") or request.get("MixedInstancesPolicy"):
        group = _backend(context).autoscaling_groups.get(request["AutoScalingGroupName"])
        if group is not None:
            group.launch_config = None
            group.launch_configuration_name = None
    return response


def DeleteLaunchConfiguration(context, request):
    from localstack.services.moto import dispatch_to_moto

    backend = _backend(context)
    name = request["LaunchConfigurationName"]
    users = sorted(
        group.name
        for group in backend.autoscaling_groups.values()
        if getattr(group, "launch_configuration_name", None) == name
    )
    if users:
        raise CommonServiceException(
            "ResourceInUse",
            f"Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {users[0]}",
        )
    if name not in backend.launch_configurations:
        raise CommonServiceException(
            "ValidationError", f"Launch configuration name not found - Launch configuration {name} not found"
        )
    return dispatch_to_moto(context)
