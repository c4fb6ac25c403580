"""What every test of the plugin needs: moto in-process, never a real endpoint or real credentials."""

import pytest
from moto import mock_aws


@pytest.fixture
def moto_backend(monkeypatch):
    """moto's backends, reached by boto3 clients made inside the test (fake keys, no AWS_ENDPOINT_URL)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield
