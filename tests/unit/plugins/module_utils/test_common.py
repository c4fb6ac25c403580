import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import (
    Writes,
    ec2_trust_policy,
    partition_for_region,
)


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-3", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-isob-east-1", "aws-iso-b"),
        ("us-iso-east-1", "aws-iso"),
        (None, "aws"),
    ],
)
def test_partition_for_region(region, partition):
    assert partition_for_region(region) == partition


@pytest.mark.parametrize(("partition", "principal"), [("aws", "ec2.amazonaws.com"), ("aws-cn", "ec2.amazonaws.com.cn")])
def test_ec2_trust_policy_trusts_only_ec2(partition, principal):
    statements = ec2_trust_policy(partition)["Statement"]
    assert statements == [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}]


def test_writes_calls_and_records_in_order():
    calls = []
    writes = Writes(check_mode=False)
    assert writes("CreateRole", lambda **kw: calls.append(kw) or "made", RoleName="r") == "made"
    writes("AttachRolePolicy", lambda **kw: calls.append(kw), PolicyArn="a")
    assert writes.actions == ["CreateRole", "AttachRolePolicy"]
    assert calls == [{"RoleName": "r"}, {"PolicyArn": "a"}]
    assert writes.changed


def test_writes_in_check_mode_records_without_calling():
    writes = Writes(check_mode=True)
    assert writes("CreateRole", pytest.fail, RoleName="r") is None
    assert writes.actions == ["CreateRole"]
    assert writes.changed
    assert not Writes(check_mode=True).changed


def test_withdraw_takes_only_the_last_write_of_that_operation_off():
    writes = Writes(check_mode=True)
    writes("CreateRole", pytest.fail)
    writes("AddRoleToInstanceProfile", pytest.fail)
    writes.withdraw("CreateRole")  # not the last one: stays
    assert writes.actions == ["CreateRole", "AddRoleToInstanceProfile"]
    writes.withdraw("AddRoleToInstanceProfile")
    writes.withdraw("AddRoleToInstanceProfile")  # nothing left of it: no-op
    assert writes.actions == ["CreateRole"]
