# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``patch_module_args`` on every ansible-core of the support matrix (make compat): ansible-core's own from 2.19
(``ansible.module_utils.testing``), before that the same arguments where AnsibleModule reads them."""

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.17, 2.18

    from ansible.module_utils.common import warnings as module_warnings

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose ``args`` to AnsibleModule instances created within this context (what 2.19's does), with no
        warnings or deprecations recorded yet, as a module process starts (before 2.19 ansible-core keeps them in
        globals of module_utils that nothing clears within a process)."""
        encoded = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        module_warnings._global_warnings.clear()
        module_warnings._global_deprecations.clear()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", encoded):
            yield


__all__ = ["patch_module_args"]
