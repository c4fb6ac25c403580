# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A launch configuration's settings as launch template data: every field carried or warned about."""

import datetime

import botocore.session
import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_configuration import (
    CARRIED_FIELDS,
    IDENTITY_FIELDS,
    NOT_CARRIED,
    REPLACED_FIELDS,
    launch_template_data,
    settings,
)
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_template import (
    REQUEST_SHAPE,
    launch_template_data_problem,
)

USER_DATA = "IyEvYmluL2Jhc2gKZWNobyBoZWxsbw=="  # base64, as DescribeLaunchConfigurations answers it

# Every member of botocore's LaunchConfiguration output shape, with a value AWS could answer.
FULL = {
    "LaunchConfigurationName": "qateam-app-lc",
    "LaunchConfigurationARN": (
        "arn:aws:autoscaling:us-east-1:123456789012:launchConfiguration:1:launchConfigurationName/qateam-app-lc"
    ),
    "ImageId": "ami-04d5cc9b88example",
    "KeyName": "qateam-key",
    "SecurityGroups": ["sg-0123456789abcdef0"],
    "ClassicLinkVPCId": "vpc-1a2b3c4d",
    "ClassicLinkVPCSecurityGroups": ["sg-1a2b3c4d"],
    "UserData": USER_DATA,
    "InstanceType": "t2.micro",
    "KernelId": "aki-12345678",
    "RamdiskId": "ari-12345678",
    "BlockDeviceMappings": [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "SnapshotId": "snap-1",
                "VolumeSize": 20,
                "VolumeType": "gp3",
                "DeleteOnTermination": True,
                "Iops": 3000,
                "Encrypted": True,
                "Throughput": 125,
            },
        },
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
        {"DeviceName": "/dev/sdc", "NoDevice": True},
    ],
    "InstanceMonitoring": {"Enabled": False},
    "SpotPrice": "0.05",
    "IamInstanceProfile": "old-profile",
    "CreatedTime": datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc),
    "EbsOptimized": True,
    "AssociatePublicIpAddress": True,
    "PlacementTenancy": "dedicated",
    "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"},
}


@pytest.fixture(scope="module")
def request_shape():
    return botocore.session.get_session().get_service_model("ec2").shape_for(REQUEST_SHAPE)


def output_members():
    return list(
        botocore.session.get_session().get_service_model("autoscaling").shape_for("LaunchConfiguration").members
    )


def test_every_field_of_the_aws_shape_is_handled():
    """A field AWS adds to LaunchConfiguration fails here until it is carried or warned about on purpose."""
    handled = IDENTITY_FIELDS | REPLACED_FIELDS | CARRIED_FIELDS | set(NOT_CARRIED)
    assert sorted(set(output_members()) - handled) == []
    assert set(FULL) == set(output_members())  # the table below covers every member too


@pytest.mark.parametrize("field", sorted(CARRIED_FIELDS | set(NOT_CARRIED)))
def test_each_setting_is_carried_or_named_in_a_warning(field):
    alone = {"LaunchConfigurationName": "qateam-app-lc", field: FULL[field]}
    data, warnings = launch_template_data(alone)
    assert data or any(field in w for w in warnings), (field, data, warnings)
    if field in NOT_CARRIED:
        assert data == {} and len(warnings) == 1 and warnings[0].startswith("launch configuration qateam-app-lc: ")


def test_the_full_launch_configuration(request_shape):
    data, warnings = launch_template_data(FULL)
    assert data == {
        "ImageId": "ami-04d5cc9b88example",
        "InstanceType": "t2.micro",
        "KeyName": "qateam-key",
        "KernelId": "aki-12345678",
        "RamDiskId": "ari-12345678",
        "UserData": USER_DATA,
        "EbsOptimized": True,
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "SnapshotId": "snap-1",
                    "VolumeSize": 20,
                    "VolumeType": "gp3",
                    "DeleteOnTermination": True,
                    "Iops": 3000,
                    "Encrypted": True,
                    "Throughput": 125,
                },
            },
            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
            {"DeviceName": "/dev/sdc", "NoDevice": ""},
        ],
        "Monitoring": {"Enabled": False},
        "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"},
        "Placement": {"Tenancy": "dedicated"},
        "InstanceMarketOptions": {"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.05"}},
        # with a public IP the security groups ride on the primary network interface
        "NetworkInterfaces": [
            {
                "DeviceIndex": 0,
                "AssociatePublicIpAddress": True,
                "DeleteOnTermination": True,
                "Groups": ["sg-0123456789abcdef0"],
            }
        ],
    }
    assert [w.split(" (")[0] for w in warnings] == [
        "launch configuration qateam-app-lc: ClassicLinkVPCId",
        "launch configuration qateam-app-lc: ClassicLinkVPCSecurityGroups",
    ]
    # what EC2 would accept: every key is one of RequestLaunchTemplateData, typed as it wants
    problem, _checked = launch_template_data_problem(data, request_shape)
    assert problem is None


@pytest.mark.parametrize(
    "groups, public_ip, expected, warned",
    [
        (["sg-1", "sg-2"], None, {"SecurityGroupIds": ["sg-1", "sg-2"]}, False),
        (["web", "default"], None, {"SecurityGroups": ["web", "default"]}, False),
        (["sg-1", "web"], None, {"SecurityGroupIds": ["sg-1"], "SecurityGroups": ["web"]}, False),
        (
            ["sg-1"],
            False,
            {
                "NetworkInterfaces": [
                    {
                        "DeviceIndex": 0,
                        "AssociatePublicIpAddress": False,
                        "DeleteOnTermination": True,
                        "Groups": ["sg-1"],
                    }
                ]
            },
            False,
        ),
        # names cannot go into a network interface: the groups stay, the public IP setting is warned about
        (["web"], True, {"SecurityGroups": ["web"]}, True),
    ],
)
def test_security_groups_by_id_or_name(groups, public_ip, expected, warned):
    lc = {"LaunchConfigurationName": "lc", "SecurityGroups": groups}
    if public_ip is not None:
        lc["AssociatePublicIpAddress"] = public_ip
    data, warnings = launch_template_data(lc)
    assert data == expected
    assert bool(warnings) is warned
    if warned:
        assert "AssociatePublicIpAddress" in warnings[0]


def test_empty_answers_are_not_settings():
    # DescribeLaunchConfigurations (and emulators) answer "" for a kernel, ramdisk or key never set
    lc = {
        "LaunchConfigurationName": "lc",
        "ImageId": "ami-1",
        "KernelId": "",
        "RamdiskId": "",
        "KeyName": "",
        "SecurityGroups": [],
        "ClassicLinkVPCSecurityGroups": [],
        "BlockDeviceMappings": [],
    }
    assert launch_template_data(lc) == ({"ImageId": "ami-1"}, [])


def test_a_field_unknown_to_the_collection_is_warned_about():
    data, warnings = launch_template_data({"LaunchConfigurationName": "lc", "ImageId": "ami-1", "NewThing": "x"})
    assert data == {"ImageId": "ami-1"}
    assert len(warnings) == 1 and "NewThing" in warnings[0] and "launch_template_data" in warnings[0]


def test_the_profile_is_not_carried():
    data, warnings = launch_template_data({"LaunchConfigurationName": "lc", "IamInstanceProfile": "old"})
    assert (data, warnings) == ({}, [])


def test_settings_leave_out_the_identity():
    assert settings(FULL).keys() == set(FULL) - IDENTITY_FIELDS
