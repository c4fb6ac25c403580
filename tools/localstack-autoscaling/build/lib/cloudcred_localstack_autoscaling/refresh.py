"""A stand-in for the instance refresh API, which moto does not emulate.

A refresh completes the moment it starts. That is enough for callers that
start a refresh and poll it to the end; it does not replace instances.
"""

import threading
import uuid
from datetime import datetime, timezone

from localstack.aws.api import CommonServiceException


def _group_exists(context, group_name):
    from moto.autoscaling.models import autoscaling_backends

    backend = autoscaling_backends[context.account_id][context.region]
    return group_name in backend.autoscaling_groups


class InstanceRefreshes:
    def __init__(self):
        self._lock = threading.Lock()
        # (account, region, group name) -> list of refreshes, newest first
        self._by_group = {}

    def StartInstanceRefresh(self, context, request):
        group_name = request["AutoScalingGroupName"]
        if not _group_exists(context, group_name):
            raise CommonServiceException("ValidationError", f"AutoScalingGroup name not found - {group_name}")
        now = datetime.now(timezone.utc)
        refresh = {
            "InstanceRefreshId": str(uuid.uuid4()),
            "AutoScalingGroupName": group_name,
            "Status": "Successful",
            "StatusReason": "Emulated: completed at once (LocalStack stand-in)",
            "StartTime": now,
            "EndTime": now,
            "PercentageComplete": 100,
            "InstancesToUpdate": 0,
            "Preferences": request.get("Preferences") or {},
        }
        with self._lock:
            self._by_group.setdefault((context.account_id, context.region, group_name), []).insert(0, refresh)
        return {"InstanceRefreshId": refresh["InstanceRefreshId"]}

    def DescribeInstanceRefreshes(self, context, request):
        key = (context.account_id, context.region, request["AutoScalingGroupName"])
        wanted = set(request.get("InstanceRefreshIds") or [])
        with self._lock:
            found = [r for r in self._by_group.get(key, []) if not wanted or r["InstanceRefreshId"] in wanted]
        return {"InstanceRefreshes": found}

    def CancelInstanceRefresh(self, context, request):
        group_name = request["AutoScalingGroupName"]
        raise CommonServiceException(
            "ActiveInstanceRefreshNotFound", f"No in progress or pending Instance Refresh found for {group_name}"
        )
