# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of this collection's modules inside the task's worker on the controller, when that is the same as running it.

Why: a module run on ``connection: local`` costs a new Python interpreter, the AnsiballZ payload unpacked, then
``import boto3`` and the module's imports (about 0.6 s of each 0.9 s no-change task here); inside the worker,
forked from ``ansible-playbook`` after it loaded this action plugin (and so boto3 and the module's code), it costs
the module's clients and its calls. ansible.netcommon does the same for network modules ("direct execution",
its ``import_modules`` option); ansible-core 2.19.1 gave ``AnsibleModule._record_module_result`` for it.

When: only where the module would run on this very Python, with nothing between: the ``local`` connection, not
delegated, no ``become``, no ``async``, the host's ``ansible_python_interpreter`` this controller's Python (the
implicit ``localhost`` has it; so has a host with ``ansible_python_interpreter: "{{ ansible_playbook_python }}"``),
an ansible-core whose module result hook and result parser this was written against, and the variable
``cloudcred_ec2_in_worker`` not false. Anywhere else the module runs as any module does.

The run itself is the module's: its ``main()``, its argument spec, its check mode and its result, serialized and
parsed as ansible-core does for a module on a host; the task's ``environment`` is in ``os.environ`` while it runs.
A module's warnings and deprecations, in the controller's process, go to Display, which the task executor
gathers into the task's result (module_utils.common.warnings: ``is_controller``).
Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout, suppress

from ansible.module_utils import basic
from ansible.module_utils.common import json as module_json
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

display = Display()

# The serialization profile of a Python module built on AnsibleModule (what AnsiballZ gives it).
PROFILE = "legacy"
OPT_OUT = "cloudcred_ec2_in_worker"


def _core_supports_it() -> bool:
    """The ansible-core API this was written against (2.19.1 and later): the module result hook, and a result
    parser that takes the serialization profile."""
    parse = getattr(ActionBase, "_parse_returned_data", None)
    return hasattr(basic.AnsibleModule, "_record_module_result") and (
        parse is not None and "profile" in inspect.signature(parse).parameters
    )


def _same_python(interpreter: str, controller: str) -> bool:
    """The same Python: the same binary, in the same directory (``python`` and ``python3.12`` of one virtualenv are;
    two virtualenvs made from one Python have the same binary but not the same packages)."""
    paths = (os.path.abspath(os.path.expanduser(interpreter)), os.path.abspath(controller))
    return os.path.dirname(paths[0]) == os.path.dirname(paths[1]) and os.path.realpath(paths[0]) == os.path.realpath(
        paths[1]
    )


@contextmanager
def task_environment(variables: dict):
    """The task's ``environment`` in os.environ while the module runs (a module on the host gets it; its options'
    fallbacks and botocore read it there), then os.environ as it was."""
    saved = dict(os.environ)
    os.environ.update({name: str(value) for name, value in variables.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def module_arguments(arguments: dict):
    """The arguments where AnsibleModule reads them (what AnsiballZ hands a module), then as they were."""
    encoder = module_json.get_module_encoder(PROFILE, module_json.Direction.CONTROLLER_TO_MODULE)
    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE)
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": arguments}, cls=encoder).encode()
    basic._ANSIBLE_PROFILE = PROFILE
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved


# --- botocore's models, read once a run -------------------------------------------------------------------------------
# A module makes its clients from a new boto3 session (amazon.aws's boto3_conn), and each new botocore session has a
# new data loader, which reads and parses the service's model again: about 0.1 s for IAM's, 0.2 s for EC2's here,
# several times a task and per application. One loader for the sessions of this process, and the models of the
# services these modules call read here, in ansible-playbook's process before it forks a worker for each task, make
# that once a run. A loaded model is botocore's read-only data, shared already by the clients of one session; the
# loader is keyed by its search path (AWS_DATA_PATH), as botocore makes one. Where botocore has no ``create_loader``
# to share (another version), every session has its own loader, as before.
SERVICES = ("iam", "ec2", "autoscaling", "sts")


def share_botocore_loader() -> bool:
    """Make botocore's sessions in this process share one data loader per search path; True when they do (False
    without botocore here: a module run in the worker then says boto3 is missing, as it would as a module)."""
    try:
        import botocore.session  # pylint: disable=import-outside-toplevel
    except ImportError:
        return False

    create = getattr(botocore.session, "create_loader", None)
    if create is None or getattr(create, "shared_by_cloudcred", False):
        return create is not None
    loaders = {}

    def create_loader(search_path_string=None):
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    create_loader.shared_by_cloudcred = True
    botocore.session.create_loader = create_loader
    return True


def read_botocore_models() -> None:
    """Read the models of SERVICES into the shared loader (a client each, made with placeholder credentials: making a
    client calls nothing)."""
    import botocore.session  # pylint: disable=import-outside-toplevel

    session = botocore.session.get_session()
    for service in SERVICES:
        session.create_client(service, region_name="us-east-1", aws_access_key_id="-", aws_secret_access_key="-")


if share_botocore_loader():
    read_botocore_models()


class InWorkerModuleAction(NormalAction):
    """The action of one module (``MODULE``, its FQCN; ``MAIN``, its ``main``): in the worker when eligible, else
    ansible-core's own action for a module (``normal``: check mode, async, the remote tmp)."""

    MODULE: str = ""
    MAIN = None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        reason = self.not_in_worker_because(task_vars)
        if reason:
            display.vvvv(f"{self.MODULE}: runs as a module ({reason})")
            return super().run(tmp, task_vars)
        result = ActionBase.run(self, tmp, task_vars)  # the checks every action makes (check mode, async, args)
        result.update(self._run_in_worker(dict(self._task.args), task_vars))
        return result

    def run_module(self, module_args: dict, task_vars: dict) -> dict:
        """This action's module with ``module_args`` (for an action that runs it more than once): in the worker when
        eligible, else as a module."""
        if self.not_in_worker_because(task_vars):
            return self._execute_module(self.MODULE, module_args=dict(module_args), task_vars=task_vars)
        return self._run_in_worker(dict(module_args), task_vars)

    def not_in_worker_because(self, task_vars: dict) -> str | None:
        """Why the module must run as a module here; None when running it in this worker is the same."""
        if not boolean(task_vars.get(OPT_OUT, True), strict=False):
            return f"{OPT_OUT} is false"
        if getattr(self._connection, "transport", None) not in ("local", "ansible.builtin.local"):
            return "not the local connection"
        if self._task.delegate_to or self._play_context.become or self._task.async_val:
            return "delegate_to, become or async"
        interpreter = self._templar.template(task_vars.get("ansible_python_interpreter"))
        if not interpreter or not _same_python(str(interpreter), sys.executable):
            return f"the host's Python {interpreter!r} is not the controller's {sys.executable}"
        if not _core_supports_it():
            return "an ansible-core without the module result hook"
        return None

    def _run_in_worker(self, arguments: dict, task_vars: dict) -> dict:
        self._update_module_args(self.MODULE, arguments, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        stdout, stderr = io.StringIO(), io.StringIO()
        captured = (redirect_stdout(stdout), redirect_stderr(stderr))
        with task_environment(environment), module_arguments(arguments), captured[0], captured[1], suppress(SystemExit):
            type(self).MAIN()  # exit_json and fail_json print the result, as on a host, and exit
        # Parsed as ansible-core parses a module's output on a host: its profile, warnings and deprecations.
        answer = dict(rc=0, stdout=stdout.getvalue(), stderr=stderr.getvalue())
        answer.update(stdout_lines=answer["stdout"].splitlines(), stderr_lines=answer["stderr"].splitlines())
        parsed = self._parse_returned_data(answer, PROFILE)
        parsed.remove_internal_keys()
        return parsed.as_result_dict(for_round_trip=True)
