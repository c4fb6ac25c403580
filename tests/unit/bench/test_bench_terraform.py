# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the benchmark finds Terraform and the provider mirror, or why that side is missing (bench/terraform.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import terraform as tf  # noqa: E402


def mirror(root: Path) -> Path:
    (root / tf.PROVIDER / tf.PROVIDER_VERSION / "linux_amd64").mkdir(parents=True)
    return root


def test_the_first_folder_holding_the_provider_is_the_mirror(tmp_path):
    empty, full = tmp_path / "empty", mirror(tmp_path / "full")
    empty.mkdir()
    assert tf.find_mirror({}, (str(empty), str(full))) == (str(full), None)


def test_no_mirror_is_a_problem_naming_the_provider_and_the_variable(tmp_path):
    found, problem = tf.find_mirror({}, (str(tmp_path),))
    assert found is None
    assert "registry.terraform.io/hashicorp/aws/5.100.0" in problem and "BENCH_TF_MIRROR" in problem


def test_a_named_mirror_without_the_provider_is_a_problem_even_if_another_folder_has_it(tmp_path):
    full = mirror(tmp_path / "full")
    found, problem = tf.find_mirror({"BENCH_TF_MIRROR": str(tmp_path)}, (str(full),))
    assert found is None and problem.startswith(f"BENCH_TF_MIRROR={tmp_path}")


def test_the_cli_config_installs_the_provider_from_the_mirror_only():
    text = tf.cli_config("/opt/tf plugins")
    assert 'path    = "/opt/tf plugins"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text


def test_a_missing_terraform_binary_makes_the_side_missing(tmp_path):
    found = tf.locate({"BENCH_TERRAFORM": str(tmp_path / "terraform"), "PATH": ""})
    assert found.problem and found.problem.startswith("terraform not found")
    assert found.binary is None


def test_terraform_on_path_without_a_mirror_is_missing_with_the_mirror_reason(tmp_path):
    fake = tmp_path / "terraform"
    fake.write_text('#!/bin/sh\necho \'{"terraform_version": "1.11.4"}\'\n')
    fake.chmod(0o755)
    found = tf.locate({"PATH": str(tmp_path), "BENCH_TF_MIRROR": str(tmp_path)})
    assert found.version == "1.11.4"
    assert found.problem == f"BENCH_TF_MIRROR={tmp_path} does not hold registry.terraform.io/hashicorp/aws/5.100.0"
