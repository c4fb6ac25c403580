# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pieces every cloudcred.ec2 module shares: partitions, EC2's principal, and the write log.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

# Region prefixes of the partitions that are not "aws". The partition comes from the
# region name, so no STS call is needed to build ARNs or the EC2 trust policy.
_PARTITION_PREFIXES = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"))

EC2_PRINCIPAL = "ec2.amazonaws.com"
EC2_PRINCIPAL_CN = "ec2.amazonaws.com.cn"


def partition_for_region(region: str | None) -> str:
    """The AWS partition of a region name: cn-* is aws-cn, us-gov-* aws-us-gov, the rest aws."""
    region = region or ""
    for prefix, partition in sorted(_PARTITION_PREFIXES, key=lambda item: -len(item[0])):
        if region.startswith(prefix):
            return partition
    return "aws"


def ec2_principal(partition: str) -> str:
    """The service principal EC2 uses to assume roles in a partition."""
    return EC2_PRINCIPAL_CN if partition == "aws-cn" else EC2_PRINCIPAL


def ec2_trust_policy(partition: str) -> dict:
    """The AWS guide's trust policy: EC2 (and only EC2) may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ec2_principal(partition)},
                "Action": "sts:AssumeRole",
            }
        ],
    }


class Refusal(Exception):
    """A module's refusal, made before the write it would concern (bad input, or a state it will not change).

    ``option`` is the module option whose value is refused (the result's ``option`` key), so that a
    caller such as the role can name its own variable without reading the message; None when no
    single option is at fault (the refusal is about what exists in AWS).
    """

    def __init__(self, message: str, *, option: str | None = None):
        super().__init__(message)
        self.option = option


def first_refusal(problems, error=Refusal) -> None:
    """Raise ``error(problem, option=option)`` for the first ``(option, problem)`` pair whose problem is
    not None; ``problems`` may be a generator, so the checks after the first refusal are not made."""
    for option, problem in problems:
        if problem:
            raise error(problem, option=option)


def fail_json_error(module, error: Exception, **result) -> None:
    """The modules' one way to fail on a caught error, with ``result`` (e.g. ``actions``) in the result.

    A :class:`Refusal` fails with its message and ``option``; an amazon.aws ``AnsibleAWSError`` as
    ``module.fail_json_aws_error`` fails on it (which takes no result keys), the AWS error's code and
    message added by ``fail_json_aws``.
    """
    if isinstance(error, Refusal):
        if error.option:
            result["option"] = error.option
        module.fail_json(msg=str(error), **result)
    if getattr(error, "exception", None):
        module.fail_json_aws(error.exception, msg=error.message, **result)
    module.fail_json(msg=getattr(error, "message", None) or str(error), **result)


class Writes:
    """Makes the mutating API calls, or in check mode only records them.

    Every write goes through here, so ``actions`` lists the operations in call order,
    and check mode predicts exactly the list a real run makes, without calling AWS.
    """

    def __init__(self, check_mode: bool):
        self.check_mode = check_mode
        self.actions: list[str] = []

    def __call__(self, operation: str, call, *args, **kwargs):
        """Record ``operation`` and, unless in check mode, return ``call(*args, **kwargs)``."""
        self.actions.append(operation)
        if self.check_mode:
            return None
        return call(*args, **kwargs)

    def withdraw(self, operation: str) -> None:
        """Take the last write, ``operation``, off the list: AWS refused it because a concurrent run had
        already made that change (the entity exists, the profile holds the role), so it changed nothing."""
        if self.actions and self.actions[-1] == operation:
            self.actions.pop()

    @property
    def changed(self) -> bool:
        return bool(self.actions)
