# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for tests/awx (make awx): the collection as an execution environment holds it.

These tests run against the AWS endpoint in AWS_ENDPOINT_URL (the embedded LocalStack in `make test`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def pytest_configure(config):
    config.addinivalue_line("markers", "localstack: needs the AWS endpoint in AWS_ENDPOINT_URL (LocalStack)")


def tool(name: str) -> str:
    """A console script of the tools venv, whatever PATH says."""
    path = VENV_BIN / name
    return str(path) if path.exists() else name


@pytest.fixture(scope="session")
def galaxy() -> dict:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())


@pytest.fixture(scope="session")
def tarball(tmp_path_factory, galaxy) -> Path:
    """`ansible-galaxy collection build` of the working tree, as a release would make it."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    path = out / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    assert path.is_file(), f"ansible-galaxy did not write {path}"
    return path


@pytest.fixture(scope="session")
def amazon_aws_path() -> Path:
    path = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections" / "amazon" / "aws"
    assert (path / "MANIFEST.json").is_file(), f"amazon.aws is not installed at {path} (make setup)"
    return path


@pytest.fixture(scope="session")
def collections_dir(tmp_path_factory, tarball, amazon_aws_path) -> Path:
    """A collections path like an execution environment's /usr/share/ansible/collections: this collection
    installed from its tarball, and amazon.aws beside it. Nothing from the working tree."""
    base = tmp_path_factory.mktemp("collections")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_COLLECTIONS")}
    subprocess.run(
        [
            tool("ansible-galaxy"),
            "collection",
            "install",
            "--offline",
            "--no-deps",
            "--force",
            "--collections-path",
            str(base),
            str(tarball),
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    amazon = base / "ansible_collections" / "amazon"
    amazon.mkdir(parents=True, exist_ok=True)
    (amazon / "aws").symlink_to(amazon_aws_path)
    installed = base / "ansible_collections" / "cloudcred" / "ec2"
    assert (installed / "MANIFEST.json").is_file()
    assert not installed.is_symlink()
    return base


@pytest.fixture(scope="session")
def aws_env() -> dict:
    """The AWS credential variables an AWX AWS credential (plus region/endpoint) hands to a job."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    try:
        urllib.request.urlopen(endpoint.rstrip("/") + "/_localstack/health", timeout=5).read()
    except OSError as e:
        pytest.fail(f"the AWS endpoint {endpoint} does not answer ({e}); run through `make awx`")
    return {
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
    }


@pytest.fixture(scope="session")
def boto3_clients(aws_env):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=aws_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_env["AWS_SECRET_ACCESS_KEY"],
        region_name=aws_env["AWS_REGION"],
    )

    def client(service, region=None):
        """A client of the endpoint, in aws_env's region unless another is named (LocalStack is multi-region)."""
        return session.client(service, endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name=region)

    return client


@pytest.fixture
def unique_prefix() -> str:
    """Names of this test's AWS resources: the endpoint is shared by several test runs."""
    return f"awxrun-{uuid.uuid4().hex[:8]}-"
