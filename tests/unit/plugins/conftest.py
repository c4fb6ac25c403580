# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests of modules and module_utils."""

import botocore.client
import pytest


@pytest.fixture
def calls(monkeypatch):
    """Every AWS operation the module makes, in order (botocore's one choke point)."""
    made = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        made.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return made


@pytest.fixture
def moto_credentials(monkeypatch):
    """The environment of an in-process moto test: no endpoint (make points AWS_ENDPOINT_URL at LocalStack, and
    moto only intercepts AWS's own endpoints) and moto's fake credentials."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
