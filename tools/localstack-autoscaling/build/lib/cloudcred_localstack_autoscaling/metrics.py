"""DisableMetricsCollection, which moto's Auto Scaling backend lacks.

amazon.aws.autoscaling_group calls it on every update of a group whose
``metrics_collection`` is false. moto keeps a group's enabled metrics in
``group.metrics``; disabling removes the listed ones, or all of them when
none are listed, as AWS does.
"""

from localstack.aws.api import CommonServiceException


def DisableMetricsCollection(context, request):
    from moto.autoscaling.models import autoscaling_backends

    backend = autoscaling_backends[context.account_id][context.region]
    group_name = request["AutoScalingGroupName"]
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        raise CommonServiceException("ValidationError", f"Group {group_name} not found")
    listed = request.get("Metrics")
    group.metrics = [m for m in group.metrics if listed and m not in listed]
    return {}
