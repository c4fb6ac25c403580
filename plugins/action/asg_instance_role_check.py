# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudcred.ec2.asg_instance_role_check: the role's input check and deployer read, on the controller.

The role's first task, on every run. Run as a module it would start an interpreter, unpack AnsiballZ and import
boto3 on the host for one IAM read (about 0.6 s of a 4 s no-change run here); in the task's worker it costs the
imports and one client, and the check that needs botocore's EC2 model anyway shares them. The decisions are
module_utils' (``_asg_instance_role.check_result``), the same the module runs.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.amazon.aws.plugins.plugin_utils.base import AWSPluginBase
from ansible_collections.amazon.aws.plugins.plugin_utils.botocore import get_aws_region

from ansible_collections.cloudcred.ec2.plugins.module_utils._asg_instance_role import CHECK_ARGUMENT_SPEC, check_result


class _Connection(AWSPluginBase):
    """amazon.aws's base of its controller-side plugins (lookups, inventories): clients from the connection options,
    resolved as amazon.aws resolves them for its plugins."""

    ansible_name = "cloudcred.ec2.asg_instance_role_check"

    def __init__(self, options: dict):
        self._options = options

    def get_options(self) -> dict:
        return self._options

    def _do_fail(self, message: str):
        raise AnsibleActionFail(message)


@contextmanager
def _environment(variables: dict):
    """The task's ``environment`` in this worker's os.environ while the task runs: a module would get it, and the
    options' fallbacks (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...) and botocore (AWS_ENDPOINT_URL, AWS_CONFIG_FILE, ...)
    read it there."""
    saved = dict(os.environ)
    os.environ.update({name: str(value) for name, value in variables.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _options_error(validated) -> str:
    """The options' errors worded as AnsibleModule words them."""
    unsupported = any(isinstance(error, UnsupportedError) for error in validated.errors)
    prefix = f"Unsupported parameters for ({_Connection.ansible_name}) module: " if unsupported else ""
    return prefix + "; ".join(validated.error_messages)


class ActionModule(ActionBase):
    _supports_check_mode = True  # it only reads

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_environment = {}
        self._compute_environment_string(task_environment)
        with _environment(task_environment):
            # The module's argument spec plus amazon.aws's connection options, with their environment fallbacks.
            validated = ArgumentSpecValidator(dict(aws_argument_spec(), **CHECK_ARGUMENT_SPEC)).validate(
                dict(self._task.args)
            )
            if validated.error_messages:
                raise AnsibleActionFail(_options_error(validated))
            params = validated.validated_parameters
            connection = _Connection(params)
            region = get_aws_region(connection)
            result.update(check_result(params, region=region, iam=lambda: connection.client("iam")))
        return result
