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
