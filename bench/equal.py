# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The equal job on every side (issues 13, 24): the role (in the worker, as modules), amazon.aws, Terraform.

Each side in its own account of the benchmark's emulator (its own state; the account is the access
key id), for N = 1, 10, 20 applications (``BENCH_SCALES``), each N from accounts holding only the
deployer ``qa-deployer``. Per repeat (``BENCH_REPEATS``) and side: first converge, no-change,
check mode / ``terraform plan``, new instance type, teardown / ``terraform destroy``, the sides in
turn scenario by scenario (the first side alternating), so drift on a shared machine hits all alike.
The Ansible sides run one inventory host per application (``connection: local``) with
``--forks`` (``BENCH_FORKS``): the documented fast way for many applications.

Our role runs on two sides: "ours", where the inventory's interpreter (the playbook's Python) lets this
collection's modules run in the task's worker, and "ours (module path)", the same command with another Python
configured for every host (``ANSIBLE_PYTHON_INTERPRETER``), so that each of them runs as an ordinary module
(issue 24). The module path is measured at the N of ``BENCH_MODULE_PATH_SCALES`` (default 1: at 10 and 20
applications its runs would cost at least what the amazon.aws side's do, by estimate a quarter of an hour more,
taking the full benchmark near or past the hour).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from equal_report import MODULE_PATH, SCENARIOS, SIDES
from state import cleanup, ensure_user, leftovers
from terraform import Terraform, cli_config

BENCH = Path(__file__).resolve().parent
ACCOUNTS = {
    "ours": "444444444444",
    MODULE_PATH: "777777777777",
    "amazon.aws": "555555555555",
    "terraform": "666666666666",
}
DEPLOYER = "qa-deployer"
NEW_INSTANCE_TYPE = "t3.small"
DEFAULT_SCALES = "1,10,20"
DEFAULT_FORKS = 10
DEFAULT_MODULE_PATH_SCALES = "1"
# What makes the module path, as a user has it (issue 24): the interpreter configured for every host
# (ANSIBLE_PYTHON_INTERPRETER, as interpreter_python in ansible.cfg) is another Python than ansible-playbook's, so the
# role's modules run as ordinary modules (plugins/plugin_utils/_in_worker.py) and the action plugins read no botocore
# model for the worker. The extra var overrides the inventory's interpreter for the hosts.
MODULE_PYTHON_DIR = "module-python"


def module_python(tmp: Path) -> str:
    """Another Python with the controller's packages: a virtualenv of the same base Python (no pip) whose
    site-packages reach the controller's through a .pth file. Made once per benchmark, in its scratch folder."""
    venv = tmp / MODULE_PYTHON_DIR
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        purelib = sysconfig.get_paths()["purelib"]
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        (venv / "lib" / version / "site-packages" / "controller.pth").write_text(purelib + "\n")
    return str(python)


def module_path_env(tmp: Path) -> dict:
    return {"ANSIBLE_PYTHON_INTERPRETER": module_python(tmp)}


# At N = SWEEP_N, ours' no-change run once with each of these forks (after the check runs; BENCH_FORKS is
# measured anyway): how the fast way for many applications depends on --forks on this machine (1: one
# application after the other, as a loop would). BENCH_FORKS_SWEEP overrides ("" or "0": none).
SWEEP_N = 10
SWEEP_FORKS = "1,5"


@dataclass
class EqualResults:
    scales: list
    reps: int
    forks: int
    terraform: Terraform
    missing: dict = field(default_factory=dict)  # side -> reason
    results: dict = field(default_factory=dict)  # n -> side -> scenario -> [Run]
    init: object = None  # the Run of terraform init
    left: list = field(default_factory=list)  # "side N=n: leftovers"
    sweep_forks: list = field(default_factory=list)
    sweep: dict = field(default_factory=dict)  # forks -> Run (ours, no-change, N = SWEEP_N)
    module_path_scales: list = field(default_factory=lambda: [1])  # the N at which the module path runs


def write_inventory(path: Path, n: int) -> None:
    """One host per application, all on the controller with the playbook's Python (boto3 is there)."""
    hosts = {f"app-{i}": {"bench_app": i} for i in range(1, n + 1)}
    inventory = {
        "applications": {"hosts": hosts, "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}}
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))


def ansible_argv(side: str, scenario: str, inventory: Path, forks: int) -> list[str]:
    new_type = ["-e", f"bench_instance_type={NEW_INSTANCE_TYPE}"]
    if side in ("ours", MODULE_PATH):
        playbook = BENCH / "equal" / "ours.yml"
        teardown = [str(playbook), *new_type, "-e", "asg_instance_role_state=absent"]
    else:
        playbook = BENCH / "equal" / "baseline.yml"
        teardown = [str(BENCH / "equal" / "baseline-teardown.yml"), *new_type]
    args = {
        "first converge": [str(playbook)],
        "no-change": [str(playbook)],
        "check": [str(playbook), "--check"],
        "new instance type": [str(playbook), *new_type],
        "teardown": teardown,
    }[scenario]
    path = ["-e", f"ansible_python_interpreter={module_python(inventory.parent)}"] if side == MODULE_PATH else []
    return ["ansible-playbook", "-i", str(inventory), "-f", str(forks), *args, *path]


def terraform_argv(binary: str, scenario: str, n: int) -> list[str]:
    variables = ["-var", f"applications={n}"]
    if scenario in ("new instance type", "teardown"):
        variables += ["-var", f"instance_type={NEW_INSTANCE_TYPE}"]
    common = ["-input=false", "-no-color", *variables]
    return {
        "first converge": [binary, "apply", "-auto-approve", *common],
        "no-change": [binary, "apply", "-auto-approve", *common],
        # -detailed-exitcode: 0 only when there is nothing to change (2 would be drift: a failed run here).
        "check": [binary, "plan", "-detailed-exitcode", *common],
        "new instance type": [binary, "apply", "-auto-approve", *common],
        "teardown": [binary, "destroy", "-auto-approve", *common],
    }[scenario]


def plan(n: int, reps: int, sweep: bool = False) -> tuple[int, list[str]]:
    """(rounds, scenarios of a round) for N applications.

    One application: ``reps`` rounds of the five scenarios, each round from empty accounts. More
    applications: one round in which the no-change run and the check run are repeated ``reps`` times (they
    need no reset in between, and the targets at N = 20 rest on them); first converge, new instance type and
    teardown run once, which keeps the full benchmark near the hour on two cores.
    """
    if n == 1:
        return reps, list(SCENARIOS)
    forks = ["forks sweep"] if sweep and n == SWEEP_N else []
    return 1, ["first converge", *["no-change"] * reps, *["check"] * reps, *forks, "new instance type", "teardown"]


def run_sweep(bench, res: EqualResults, inventory: Path, progress) -> None:
    """Ours' no-change run at N = SWEEP_N with each of the sweep's forks."""
    for forks in res.sweep_forks:
        argv = ansible_argv("ours", "no-change", inventory, forks)
        run = bench.command(f"ours N={SWEEP_N} no-change forks={forks}", ACCOUNTS["ours"], argv, None, None)
        res.sweep[forks] = run
        progress(f"N={SWEEP_N:<3} ours       no-change, --forks {forks:<3}", run)


def _order(i: int) -> list[str]:
    """The sides in turn, the first one rotating."""
    k = i % len(SIDES)
    return list(SIDES[k:] + SIDES[:k])


def _terraform_dir(bench, tf: Terraform) -> tuple[Path, dict]:
    workdir = bench.tmp / "terraform"
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(BENCH / "terraform" / "main.tf", workdir / "main.tf")
    (workdir / "cli.tfrc").write_text(cli_config(tf.mirror))
    env = {
        "TF_CLI_CONFIG_FILE": str(workdir / "cli.tfrc"),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_VAR_endpoint": bench.env["AWS_ENDPOINT_URL"],
        "TF_DATA_DIR": str(workdir / ".terraform"),
    }
    return workdir, env


def _init_terraform(bench, res: EqualResults, progress):
    """The Terraform working folder and environment, initialised once; (None, None) when that side is missing."""
    if "terraform" in res.missing:
        return None, None
    tf = res.terraform
    tf_dir, tf_env = _terraform_dir(bench, tf)
    argv = [tf.binary, "init", "-input=false", "-no-color"]
    res.init = bench.command("terraform init", ACCOUNTS["terraform"], argv, tf_dir, tf_env)
    progress("terraform init (once, not in the ratios)", res.init)
    if not res.init.ok:
        last = (res.init.output.strip().splitlines() or ["no output"])[-1]
        res.missing["terraform"] = f"terraform init failed: {last}"
        return None, None
    return tf_dir, tf_env


def _reset(bench, sides: list[str], tf_dir) -> None:
    """Accounts holding only the deployer, and no Terraform state."""
    for side in sides:
        cleanup(bench.upstream, ACCOUNTS[side], keep_fixtures=True)
        ensure_user(bench.upstream, ACCOUNTS[side], DEPLOYER)
    if tf_dir is not None:
        for state in tf_dir.glob("terraform.tfstate*"):
            state.unlink()


def _sides_in_turn(sides: list[str], i: int) -> list[str]:
    return [side for side in _order(i) if side in sides]


def sides_at(res: EqualResults, n: int) -> list[str]:
    """The sides present that run at N applications (the module path only at its scales)."""
    return [s for s in SIDES if s not in res.missing and (s != MODULE_PATH or n in res.module_path_scales)]


def run_equal(bench, res: EqualResults, say, progress) -> None:
    """Every N, repeat and scenario on each side present; fills ``res.results``."""
    tf_dir, tf_env = _init_terraform(bench, res, progress)
    inventory = bench.tmp / "applications.yml"
    for n in res.scales:
        sides = sides_at(res, n)
        res.results[n] = {side: {s: [] for s in SCENARIOS} for side in sides}
        write_inventory(inventory, n)
        rounds, sequence = plan(n, res.reps, sweep="ours" in sides and bool(res.sweep_forks))
        for rep in range(1, rounds + 1):
            _reset(bench, sides, tf_dir)
            for i, scenario in enumerate(sequence):
                if scenario == "forks sweep":
                    run_sweep(bench, res, inventory, progress)
                    continue
                for side in _sides_in_turn(sides, rep + i):
                    label = f"{side} N={n} {scenario} #{len(res.results[n][side][scenario]) + 1}"
                    if side == "terraform":
                        argv, cwd, env = terraform_argv(res.terraform.binary, scenario, n), tf_dir, tf_env
                    else:
                        argv, cwd = ansible_argv(side, scenario, inventory, res.forks), None
                        env = module_path_env(inventory.parent) if side == MODULE_PATH else None
                    run = bench.command(label, ACCOUNTS[side], argv, cwd, env)
                    res.results[n][side][scenario].append(run)
                    progress(f"N={n:<3} {side:18} {scenario:17} #{len(res.results[n][side][scenario])}", run)
            for side in sides:
                left = leftovers(bench.upstream, ACCOUNTS[side], deployer=DEPLOYER)
                if left:
                    res.left.append(f"{side} N={n} #{rep}: {', '.join(left)}")
                    say(f"    left after {side}'s teardown: {', '.join(left)}")
    for side in [s for s in SIDES if any(s in sides_at(res, n) for n in res.scales)]:
        cleanup(bench.upstream, ACCOUNTS[side])


def settings(env: dict, terraform: Terraform) -> EqualResults:
    """What to run, from the environment: BENCH_SCALES, BENCH_REPEATS (or BENCH_REPS), BENCH_FORKS,
    BENCH_MODULE_PATH_SCALES (the N at which the module path runs, default 1; empty: none)."""
    scales = [int(n) for n in env.get("BENCH_SCALES", DEFAULT_SCALES).split(",") if n.strip()]
    reps = int(env.get("BENCH_REPEATS") or env.get("BENCH_REPS") or 3)
    forks = int(env.get("BENCH_FORKS") or DEFAULT_FORKS)
    res = EqualResults(scales, reps, forks, terraform)
    sweep = env.get("BENCH_FORKS_SWEEP", SWEEP_FORKS)
    res.sweep_forks = [int(f) for f in sweep.split(",") if f.strip() and int(f) > 0]
    module_path = env.get("BENCH_MODULE_PATH_SCALES", DEFAULT_MODULE_PATH_SCALES)
    res.module_path_scales = [int(n) for n in module_path.split(",") if n.strip() and int(n) in scales]
    if terraform.problem:
        res.missing["terraform"] = terraform.problem
    if not (BENCH.parent / "roles" / "asg_instance_role" / "tasks" / "main.yml").exists():
        res.missing["ours"] = res.missing[MODULE_PATH] = "roles/asg_instance_role is not there"
    return res


if __name__ == "__main__":  # pragma: no cover - run through bench.py
    sys.exit("run bench/bench.py (make bench)")
