# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudcred.ec2.instance_role_preflight: the module, run inside the task's worker on the controller
where that is the same as running it on the host (plugin_utils/_in_worker.py says when, and why)."""

from __future__ import annotations

from ansible_collections.cloudcred.ec2.plugins.modules.instance_role_preflight import main
from ansible_collections.cloudcred.ec2.plugins.plugin_utils._in_worker import InWorkerModuleAction


class ActionModule(InWorkerModuleAction):
    MODULE = "cloudcred.ec2.instance_role_preflight"
    MAIN = main
