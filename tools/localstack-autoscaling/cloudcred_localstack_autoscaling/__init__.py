"""EC2 Auto Scaling for a Docker-less LocalStack, backed by moto.

LocalStack's free edition answers every Auto Scaling call with 501. This
provider plugin sends each operation to moto's Auto Scaling backend, which
shares moto's EC2 backend with LocalStack, so groups resolve the launch
templates that LocalStack's EC2 holds.

Where moto is kinder than AWS on paths the collection depends on, this
plugin behaves as AWS documents:

- ``instances.py``: each instance keeps the launch template version (or
  launch configuration) it was launched from;
- ``refresh.py``: ``StartInstanceRefresh``, ``DescribeInstanceRefreshes`` and
  ``CancelInstanceRefresh`` (moto has none) run a real rolling replacement,
  advanced before each Auto Scaling call by the time elapsed
  (``CLOUDCRED_EMULATOR_REFRESH_STEP_SECONDS``), with a test switch to fail;
- ``launches.py``: a group's launches carry the instance profile of their template version (or launch
  configuration), fail as AWS's ``Failed`` scaling activities (profile missing, without a role, younger
  than ``CLOUDCRED_EMULATOR_PROFILE_PROPAGATION_SECONDS``; image missing with the group tag
  ``cloudcred:emulator:image``), are retried with back-off (``CLOUDCRED_EMULATOR_LAUNCH_RETRY_SECONDS``),
  and ``DescribeScalingActivities`` answers them; versions with ``UserData`` launch (moto asserts);
- ``metrics.py``: ``DisableMetricsCollection`` (moto has none;
  amazon.aws.autoscaling_group calls it on each update).
- ``groups.py``: ``CreateAutoScalingGroup`` on a name in use fails with
  ``AlreadyExists`` (moto replaces the group).
- ``launch_configurations.py``: a group moved to a launch template loses its
  launch configuration, and one in use cannot be deleted (ResourceInUse).
"""

from localstack.services.plugins import Service, aws_provider

REFRESH_OPERATIONS = ("StartInstanceRefresh", "DescribeInstanceRefreshes", "CancelInstanceRefresh")


@aws_provider(api="autoscaling", name="default")
def autoscaling():
    from localstack.aws.api import CommonServiceException
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service
    from localstack.services.moto import dispatch_to_moto

    from .groups import CreateAutoScalingGroup
    from .launch_configurations import DeleteLaunchConfiguration, UpdateAutoScalingGroup
    from .launches import DescribeScalingActivities, retry_due
    from .metrics import DisableMetricsCollection
    from .refresh import InstanceRefreshes, RefreshError

    service_model = load_service("autoscaling")
    refreshes = InstanceRefreshes()

    def to_moto(context, _request):
        # A refresh replaces instances as time passes: what the group answers must show it.
        refreshes.advance(context.account_id, context.region)
        retry_due(context.account_id, context.region)
        return dispatch_to_moto(context)

    def refresh_operation(name):
        def handle(context, request):
            try:
                return getattr(refreshes, name)(context, request)
            except RefreshError as error:
                raise CommonServiceException(error.code, error.message) from error

        return handle

    dispatch_table = {name: to_moto for name in service_model.operation_names}
    for name in REFRESH_OPERATIONS:
        dispatch_table[name] = refresh_operation(name)
    dispatch_table["DisableMetricsCollection"] = DisableMetricsCollection

    def advancing(handler):
        def handle(context, request):
            refreshes.advance(context.account_id, context.region)
            retry_due(context.account_id, context.region)
            return handler(context, request)

        return handle

    dispatch_table["UpdateAutoScalingGroup"] = advancing(UpdateAutoScalingGroup)
    dispatch_table["DescribeScalingActivities"] = advancing(DescribeScalingActivities)
    dispatch_table["DeleteLaunchConfiguration"] = advancing(DeleteLaunchConfiguration)
    dispatch_table["CreateAutoScalingGroup"] = CreateAutoScalingGroup
    return Service(name="autoscaling", skeleton=Skeleton(service_model, dispatch_table))
