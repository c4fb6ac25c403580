"""CreateAutoScalingGroup refuses a name in use, as AWS does.

AWS answers ``AlreadyExists`` (HTTP 400, "You already have an Auto Scaling group or launch configuration with
the name that you specified in your request", API_CreateAutoScalingGroup, Errors) with the message
"AutoScalingGroup by this name already exists - A group with the name <name> already exists". moto replaces
the group instead: its instances and instance refreshes are silently swapped for new ones, so two deploys
racing to create one group both "succeed" on an emulator and one of them fails on AWS.

The check and the create run under one lock: LocalStack serves requests on several threads, and two creates
between one check and the other's create would both pass it.
"""

from __future__ import annotations

import threading

from localstack.aws.api import CommonServiceException

_CREATE_LOCK = threading.Lock()


def _backend(context):
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[context.account_id][context.region]


def refuse_existing_group(context, name: str) -> None:
    """Raise AWS's AlreadyExists when a group of this name exists in the account and region."""
    if name in _backend(context).autoscaling_groups:
        raise CommonServiceException(
            "AlreadyExists",
            f"AutoScalingGroup by this name already exists - A group with the name {name} already exists",
        )


def CreateAutoScalingGroup(context, request):
    from localstack.services.moto import dispatch_to_moto

    with _CREATE_LOCK:
        refuse_existing_group(context, request["AutoScalingGroupName"])
        return dispatch_to_moto(context)
