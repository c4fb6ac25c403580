# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto_server with the one Auto Scaling call of the role that moto lacks: DisableMetricsCollection.

amazon.aws.autoscaling_group calls it on every update of a group whose metrics collection is off. As in
tools/localstack-autoscaling (metrics.py): the listed metrics are removed, all of them when none are listed,
as AWS does. The request is authorised by moto like any other (call_action checks IAM before dispatching).
    python moto_server.py -H 127.0.0.1 -p PORT
"""

from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult
from moto.server import main


def disable_metrics_collection(self):
    group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
    if group is not None:
        listed = self._get_param("Metrics")
        group.metrics = [m for m in group.metrics if listed and m not in listed]
    return EmptyResult()


AutoScalingResponse.disable_metrics_collection = disable_metrics_collection

if __name__ == "__main__":
    main()
