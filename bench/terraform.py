# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Terraform side of the benchmark: where Terraform and the hashicorp/aws provider are, or why not.

No network: the provider comes from a filesystem mirror (the folder that holds
``registry.terraform.io/hashicorp/aws/<version>``), named by ``BENCH_TF_MIRROR`` or found in
``MIRROR_SEARCH``, and Terraform is told to install only from there by a CLI configuration file
(``TF_CLI_CONFIG_FILE``). Terraform itself is ``BENCH_TERRAFORM`` or ``terraform`` on PATH. When
either is missing, ``locate`` says what is missing and the benchmark reports the side as missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_VERSION = "5.100.0"
# Terraform's own implied mirror folders, and where these machines install the mirror.
MIRROR_SEARCH = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


@dataclass
class Terraform:
    binary: str | None
    version: str | None
    mirror: str | None
    problem: str | None  # why the side cannot run; None when it can

    @property
    def label(self) -> str:
        return f"Terraform {self.version or '?'} + aws {PROVIDER_VERSION}"


def holds_provider(folder: str | os.PathLike) -> bool:
    """True when ``folder`` is a filesystem mirror holding the provider version (unpacked or packed layout)."""
    base = Path(folder).expanduser() / PROVIDER
    return (base / PROVIDER_VERSION).is_dir() or any(base.glob(f"terraform-provider-aws_{PROVIDER_VERSION}_*.zip"))


def find_mirror(env: dict, search: tuple[str, ...] = MIRROR_SEARCH) -> tuple[str | None, str | None]:
    """(mirror folder, problem): ``BENCH_TF_MIRROR`` when set (it must hold the provider), else the first of
    ``search`` that holds it."""
    wanted = f"{PROVIDER}/{PROVIDER_VERSION}"
    named = env.get("BENCH_TF_MIRROR")
    if named:
        if holds_provider(named):
            return str(Path(named).expanduser()), None
        return None, f"BENCH_TF_MIRROR={named} does not hold {wanted}"
    for folder in search:
        if holds_provider(folder):
            return str(Path(folder).expanduser()), None
    return None, f"no filesystem mirror holding {wanted} (set BENCH_TF_MIRROR; looked in {', '.join(search)})"


def cli_config(mirror: str) -> str:
    """A Terraform CLI configuration that installs providers from the mirror only (never the registry)."""
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(mirror)}\n"
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n"
    )


def terraform_version(binary: str) -> str | None:
    try:
        proc = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60, check=False)
        return json.loads(proc.stdout)["terraform_version"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None


def locate(env: dict) -> Terraform:
    """Terraform and the provider mirror, or the reason the Terraform side is missing."""
    binary = env.get("BENCH_TERRAFORM") or shutil.which("terraform", path=env.get("PATH"))
    if not binary or not os.access(binary, os.X_OK):
        return Terraform(None, None, None, "terraform not found (not on PATH; BENCH_TERRAFORM names it)")
    version = terraform_version(binary)
    if version is None:
        return Terraform(binary, None, None, f"{binary} version -json gave no version")
    mirror, problem = find_mirror(env)
    return Terraform(binary, version, mirror, problem)
