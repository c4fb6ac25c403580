# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of this collection's modules in a child forked from the task's worker, when that is the same as running it.

Why: a module run on ``connection: local`` costs a new Python interpreter, the AnsiballZ payload unpacked, then
``import boto3`` and the module's imports (about 0.6 s of each 0.9 s no-change task here). A child forked from the
worker, itself forked from ``ansible-playbook`` after it loaded this action plugin (and so boto3, the module's code
and botocore's models), costs the module's clients and its calls. ansible.netcommon runs network modules in the
worker too ("direct execution", its ``import_modules`` option).

Why a fork per run, not a call in the worker: a module run as a process is isolated by construction, and so is the
child. Its crash (``os._exit``, a signal, the OOM killer) ends the child, and the task fails naming the exit status
or signal, with ``rc`` and the module's stdout and stderr, as a module's would. Nothing it changes (``sys.modules``,
the working directory, ``os.environ``, ansible-core's parsed module arguments, which can hold secrets) reaches the
next loop item or task. Its temporary directory is removed when it ends.

When: only where the module would run on this very Python, with nothing between: the ``local`` connection, not
delegated, no ``become``, no ``async``, the interpreter ansible-core would use (the host's
``ansible_python_interpreter``, else ``interpreter_python`` of ansible.cfg or ``ANSIBLE_PYTHON_INTERPRETER``) this
controller's Python, no interpreter-level variable (``PYTHONPATH``, ``LD_PRELOAD``, ...) in the task's
``environment``, an ansible-core that has each thing this file calls (``missing_core_api``), and the variable
``cloudcred_ec2_in_worker`` not false. Anywhere else the module runs as any module does.

The run itself is the module's: its ``main()``, its argument spec, its check mode and its result, serialized by
the module and parsed as ansible-core parses a module's output, warnings and deprecations included; the task's
``environment`` is in the child's ``os.environ``.
Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import inspect
import json
import os
import selectors
import shutil
import signal
import sys
import tempfile
import traceback
import warnings

from ansible import constants as C
from ansible.module_utils import basic
from ansible.module_utils.json_utils import _filter_non_json_lines
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

display = Display()

# The serialization profile of a Python module built on AnsibleModule (what AnsiballZ gives it, 2.19 and later).
PROFILE = "legacy"
OPT_OUT = "cloudcred_ec2_in_worker"
# Variables of the task's environment that change what the interpreter loads: a module run as a process gets them
# when Python starts, a forked child cannot.
INTERPRETER_VARIABLES = ("PYTHON", "LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_")
# The exit status of a child that returned into this file's code instead of ending (never expected).
CHILD_ESCAPED = 70


# --- what this file calls of ansible-core ---------------------------------------------------------------------------


def missing_core_api() -> str | None:
    """The first thing this file calls that this ansible-core lacks (then every module runs as a module), or None.

    It calls: ``ActionBase._update_module_args``, ``_compute_environment_string`` and ``_parse_returned_data``
    (with a serialization profile from 2.19, without before; returning a dict up to 2.20, a result object with
    ``remove_internal_keys`` and ``as_result_dict`` from 2.21, else ``ansible.vars.clean.remove_internal_keys``),
    and ``basic._ANSIBLE_ARGS`` (with ``basic._ANSIBLE_PROFILE`` and the module encoder where the parser takes a
    profile). Each is looked for here, not inferred from a version number.
    """
    for name in ("_update_module_args", "_compute_environment_string", "_parse_returned_data"):
        if not callable(getattr(ActionBase, name, None)):
            return f"ActionBase.{name}"
    if not hasattr(basic, "_ANSIBLE_ARGS"):
        return "ansible.module_utils.basic._ANSIBLE_ARGS"
    if _parser_takes_profile():
        if not hasattr(basic, "_ANSIBLE_PROFILE"):
            return "ansible.module_utils.basic._ANSIBLE_PROFILE"
        if _module_encoder() is None:
            return "ansible.module_utils.common.json.get_module_encoder"
    if not _returns_result_object() and _remove_internal_keys() is None:
        return "ansible.vars.clean.remove_internal_keys"
    return None


def _parser_takes_profile() -> bool:
    return "profile" in inspect.signature(ActionBase._parse_returned_data).parameters


def _module_encoder():
    """The encoder of module arguments for PROFILE (2.19 and later), None where ansible-core has none."""
    try:
        from ansible.module_utils.common import json as module_json
    except ImportError:
        return None
    get = getattr(module_json, "get_module_encoder", None)
    if get is None:
        return None
    return get(PROFILE, module_json.Direction.CONTROLLER_TO_MODULE)


def _returns_result_object() -> bool:
    """Whether ``_parse_returned_data`` returns 2.21's result object (``ansible._internal._task.UnifiedTaskResult``,
    with ``remove_internal_keys`` and ``as_result_dict``) rather than a dict."""
    try:
        from ansible._internal import _task
    except ImportError:
        return False
    found = getattr(_task, "UnifiedTaskResult", None)
    return all(hasattr(found, name) for name in ("remove_internal_keys", "as_result_dict"))


def _remove_internal_keys():
    try:
        from ansible.vars.clean import remove_internal_keys
    except ImportError:
        return None
    return remove_internal_keys


def encoded_arguments(arguments: dict) -> bytes:
    """The arguments as AnsiballZ hands them to a module (``ANSIBLE_MODULE_ARGS``), in this ansible-core's encoding."""
    encoder = _module_encoder() if _parser_takes_profile() else None
    if encoder is None:  # 2.17, 2.18: AnsiballZ's JSON, vaulted values as their text
        from ansible.parsing.ajson import AnsibleJSONEncoder

        return json.dumps({"ANSIBLE_MODULE_ARGS": arguments}, cls=AnsibleJSONEncoder, vault_to_text=True).encode()
    return json.dumps({"ANSIBLE_MODULE_ARGS": arguments}, cls=encoder).encode()


# --- the interpreter ansible-core would use -------------------------------------------------------------------------


def _same_python(interpreter: str, controller: str) -> bool:
    """The same Python: the same binary, in the same directory (``python`` and ``python3.12`` of one virtualenv are;
    two virtualenvs made from one Python have the same binary but not the same packages)."""
    paths = (os.path.abspath(os.path.expanduser(interpreter)), os.path.abspath(controller))
    return os.path.dirname(paths[0]) == os.path.dirname(paths[1]) and os.path.realpath(paths[0]) == os.path.realpath(
        paths[1]
    )


def configured_interpreter(task_vars: dict, template) -> str | None:
    """The Python interpreter ansible-core runs a module with on this host, as its module builder chooses it: the
    host's ``ansible_python_interpreter``, else ``interpreter_python`` (ansible.cfg, ``ANSIBLE_PYTHON_INTERPRETER``);
    None when that is interpreter discovery (``auto*``) and nothing was discovered yet."""
    if "ansible_python_interpreter" in task_vars:
        return template(task_vars["ansible_python_interpreter"])
    configured = C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars)
    if str(configured).startswith("auto"):
        return (task_vars.get("ansible_facts") or {}).get("discovered_interpreter_python")
    return template(configured)


# --- the forked child -----------------------------------------------------------------------------------------------


def run_forked(main, arguments: bytes, environment: dict) -> dict:
    """``main()`` in a child forked from this process, as a module process runs: its stdout and stderr, ``rc`` its
    exit status (``-N`` for signal N, as subprocess reports it). The child's temporary directory (``tmpdir``,
    passed in ``arguments`` by the caller) is the caller's to remove."""
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12 warns when a process with threads forks; the child uses none of them (see _child).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its effects are what the tests see
        code = CHILD_ESCAPED
        try:
            os.close(out_read)
            os.close(err_read)
            code = _child(main, arguments, environment, out_write, err_write)
        finally:
            os._exit(code)
    os.close(out_write)
    os.close(err_write)
    try:
        stdout, stderr = _read_until_closed(out_read, err_read)
        _pid, status = os.waitpid(pid, 0)
    except BaseException:  # the task's timeout, Ctrl-C: the child ends with the task
        _end(pid)
        raise
    finally:
        os.close(out_read)
        os.close(err_read)
    return {"rc": os.waitstatus_to_exitcode(status), "stdout": stdout, "stderr": stderr}


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _read_until_closed(out_fd: int, err_fd: int) -> tuple[str, str]:
    """Both pipes read as the child writes them (neither fills and blocks it), until the child has closed both."""
    chunks = {out_fd: [], err_fd: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _events in selector.select():
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
    return tuple(b"".join(chunks[fd]).decode("utf-8", errors="surrogateescape") for fd in (out_fd, err_fd))


def _child(main, arguments: bytes, environment: dict, out_fd: int, err_fd: int) -> int:  # pragma: no cover
    """The module process: stdin empty, stdout and stderr the pipes, the task's environment, the module's arguments
    where AnsibleModule reads them, ansible-core's module side (not the controller's); then ``main()``. Returns the
    exit status."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    for fd in (null, out_fd, err_fd):
        os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115  pylint: disable=consider-using-with
    sys.stdout = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    os.environ.update({name: str(value) for name, value in environment.items()})
    basic._ANSIBLE_ARGS = arguments
    if hasattr(basic, "_ANSIBLE_PROFILE"):
        basic._ANSIBLE_PROFILE = PROFILE
    try:
        _module_side()
        _use_preloaded_models()
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if exit_.code is not None and not isinstance(exit_.code, int):
            print(exit_.code, file=sys.stderr)
    except BaseException:  # pylint: disable=broad-exception-caught
        traceback.print_exc()  # as Python prints an uncaught exception, and ends with status 1
        code = 1
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return code


def _module_side() -> None:  # pragma: no cover - runs in the child
    """Warnings and deprecations into the module's result, as in a module process, not to the worker's Display
    (whose queue belongs to the worker): ansible-core 2.19 and later mark controller code with ``is_controller``."""
    try:
        from ansible.module_utils import _internal
    except ImportError:
        _internal = None
    if _internal is not None and hasattr(_internal, "is_controller"):
        _internal.is_controller = False
    from ansible.module_utils.common import warnings as module_warnings

    for name in ("_global_warnings", "_global_deprecations"):
        found = getattr(module_warnings, name, None)
        if hasattr(found, "clear"):
            found.clear()


# --- botocore's models, read once a run -----------------------------------------------------------------------------
# A module makes its clients from a new boto3 session (amazon.aws's boto3_conn), and each new botocore session has a
# new data loader, which reads and parses the service's model again: about 0.1 s for IAM's, 0.2 s for EC2's here,
# several times a task and per application. The models of the services these modules call are read here, into a
# loader of this file's own, in ansible-playbook's process (it loads action plugins before it forks a worker for each
# task); the forked child of a module run, and only it, gives that loader to its botocore sessions. Nothing else in
# the controller's process (other collections' plugins, the module path) sees a changed botocore. A loader is keyed
# by its search path (AWS_DATA_PATH), as botocore makes one.
SERVICES = ("iam", "ec2", "autoscaling", "sts")
_PRELOADED: dict = {}


def preload_botocore_models() -> bool:
    """Read the models of SERVICES into a loader kept for the forked children; False without botocore here (a module
    run in the child then says boto3 is missing, as it would as a module)."""
    try:
        import botocore.session
    except ImportError:
        return False
    session = botocore.session.get_session()
    for service in SERVICES:  # a client each, with placeholder credentials: making a client calls nothing
        session.create_client(service, region_name="us-east-1", aws_access_key_id="-", aws_secret_access_key="-")
    _PRELOADED[session.get_config_variable("data_path")] = session.get_component("data_loader")
    return True


def _use_preloaded_models() -> None:
    """In the child: botocore's sessions take the preloaded loader of their search path (a new one for another)."""
    try:
        import botocore.session
    except ImportError:
        return
    create = botocore.session.create_loader

    def create_loader(search_path_string=None):
        if search_path_string not in _PRELOADED:
            _PRELOADED[search_path_string] = create(search_path_string)
        return _PRELOADED[search_path_string]

    botocore.session.create_loader = create_loader


def preload_pays() -> bool:
    """Whether reading the models when this file is imported (about half a second, once a run, in ansible-playbook's
    process) can pay off, that is whether modules may run in the worker. An interpreter configured for every host
    (``interpreter_python`` in ansible.cfg, ``ANSIBLE_PYTHON_INTERPRETER``) that is another Python runs them as
    modules: the models would be read for nothing, and the module path would pay for it. (A host variable naming the
    controller's Python still runs that host's modules in the worker; each run then reads its models itself.) With
    interpreter discovery, the default, or a templated value, host variables decide: the models are read."""
    configured = str(C.config.get_config_value("INTERPRETER_PYTHON"))
    if configured.startswith("auto") or "{{" in configured:
        return True
    return _same_python(configured, sys.executable)


if preload_pays():
    preload_botocore_models()


# --- the action -----------------------------------------------------------------------------------------------------


class InWorkerModuleAction(NormalAction):
    """The action of one module (``MODULE``, its FQCN; ``MAIN``, its ``main``): in a child of the worker when
    eligible, else ansible-core's own action for a module (``normal``: check mode, async, the remote tmp)."""

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
        """This action's module with ``module_args`` (for an action that runs it more than once): in a child of the
        worker when eligible, else as a module."""
        if self.not_in_worker_because(task_vars):
            return self._execute_module(self.MODULE, module_args=dict(module_args), task_vars=task_vars)
        return self._run_in_worker(dict(module_args), task_vars)

    def not_in_worker_because(self, task_vars: dict) -> str | None:
        """Why the module must run as a module here; None when running it in a child of this worker is the same."""
        if not boolean(task_vars.get(OPT_OUT, True), strict=False):
            return f"{OPT_OUT} is false"
        if getattr(self._connection, "transport", None) not in ("local", "ansible.builtin.local"):
            return "not the local connection"
        if self._task.delegate_to or self._play_context.become or self._task.async_val:
            return "delegate_to, become or async"
        missing = missing_core_api()
        if missing:
            return f"this ansible-core has no {missing}"
        return self._another_interpreter_because(task_vars)

    def _another_interpreter_because(self, task_vars: dict) -> str | None:
        """Why a module process would not be this very interpreter: another Python, or one started otherwise."""
        interpreter = configured_interpreter(task_vars, self._templar.template)
        if not interpreter or not _same_python(str(interpreter), sys.executable):
            return f"the host's Python {interpreter!r} is not the controller's {sys.executable}"
        changed = sorted(name for name in self._task_environment() if name.startswith(INTERPRETER_VARIABLES))
        if changed:
            return f"the task's environment sets {', '.join(changed)}, which a new interpreter reads at its start"
        return None

    def _task_environment(self) -> dict:
        environment = {}
        self._compute_environment_string(environment)
        return environment

    def _run_in_worker(self, arguments: dict, task_vars: dict) -> dict:
        self._update_module_args(self.MODULE, arguments, task_vars)
        tmpdir = tempfile.mkdtemp(prefix="ansible-cloudcred-ec2-")
        arguments["_ansible_tmpdir"] = tmpdir  # the module's own temporary files, removed below
        try:
            answer = run_forked(type(self).MAIN, encoded_arguments(arguments), self._task_environment())
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        answer.update(stdout_lines=answer["stdout"].splitlines(), stderr_lines=answer["stderr"].splitlines())
        if not _has_result(answer["stdout"]):
            return self._no_result(answer)
        return self._parsed(answer)

    def _parsed(self, answer: dict) -> dict:
        """The module's printed result as ansible-core parses a module's output on a host, in this version's way."""
        if _parser_takes_profile():
            parsed = self._parse_returned_data(answer, PROFILE)
        else:
            parsed = self._parse_returned_data(answer)
        if hasattr(parsed, "remove_internal_keys") and hasattr(parsed, "as_result_dict"):  # 2.21 and later
            parsed.remove_internal_keys()
            return parsed.as_result_dict(for_round_trip=True)
        parsed.pop("_ansible_suppress_tmpdir_delete", None)
        _remove_internal_keys()(parsed)
        return parsed

    def _no_result(self, answer: dict) -> dict:
        """The task's failure when the module ended without printing a result (it crashed, was killed, or exited):
        the exit status or signal, ``rc``, and the module's stdout and stderr as a module's failure carries them."""
        rc = answer["rc"]
        if rc < 0:
            try:
                how = f"was killed by signal {-rc} ({signal.Signals(-rc).name})"
            except ValueError:
                how = f"was killed by signal {-rc}"
        else:
            how = f"exited with status {rc}"
        return {
            "failed": True,
            "msg": f"MODULE FAILURE: {self.MODULE} {how} without a result (see module_stdout and module_stderr)",
            "rc": rc,
            "module_stdout": answer["stdout"],
            "module_stderr": answer["stderr"],
        }


def _has_result(stdout: str) -> bool:
    try:
        _filter_non_json_lines(stdout, objects_only=True)
    except ValueError:
        return False
    return True
