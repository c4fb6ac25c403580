"""EC2 Auto Scaling for a Docker-less LocalStack, backed by moto.

LocalStack's free edition answers every Auto Scaling call with 501. This
provider plugin sends each operation to moto's Auto Scaling backend, which
shares moto's EC2 backend with LocalStack, so groups resolve the launch
templates that LocalStack's EC2 holds.

moto has no instance refresh API. ``StartInstanceRefresh``,
``DescribeInstanceRefreshes`` and ``CancelInstanceRefresh`` are answered here
by a stand-in: a refresh is recorded and reported ``Successful`` at once.
moto has no ``DisableMetricsCollection`` either (amazon.aws.autoscaling_group
calls it on each update); ``metrics.py`` answers it on moto's group.
"""

from localstack.services.plugins import Service, aws_provider

REFRESH_OPERATIONS = ("StartInstanceRefresh", "DescribeInstanceRefreshes", "CancelInstanceRefresh")


@aws_provider(api="autoscaling", name="default")
def autoscaling():
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service
    from localstack.services.moto import dispatch_to_moto

    from .metrics import DisableMetricsCollection
    from .refresh import InstanceRefreshes

    service_model = load_service("autoscaling")
    refreshes = InstanceRefreshes()

    def to_moto(context, _request):
        return dispatch_to_moto(context)

    dispatch_table = {name: to_moto for name in service_model.operation_names}
    for name in REFRESH_OPERATIONS:
        dispatch_table[name] = getattr(refreshes, name)
    dispatch_table["DisableMetricsCollection"] = DisableMetricsCollection
    return Service(name="autoscaling", skeleton=Skeleton(service_model, dispatch_table))
