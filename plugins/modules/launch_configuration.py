#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Ansible modules import after their documentation.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: launch_configuration
version_added: 1.0.0
short_description: Delete an Auto Scaling launch configuration once no group uses it
description:
  - Deletes an Auto Scaling launch configuration after its groups have moved to a launch template
    (AWS is retiring launch configurations), but only when no Auto Scaling group launches from it any
    more; otherwise it is kept, the run reports no change and a warning names the groups.
  - This module only removes launch configurations (O(state=absent)); AWS no longer lets new accounts
    create them. M(cloudcred.ec2.launch_template_profile) makes a launch template from one
    (its option C(source_launch_configuration)).
  - A missing launch configuration is C(ok).
author:
  - cloudcred.ec2 developers (!UNKNOWN)
options:
  name:
    description:
      - Name of the launch configuration.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes it once no Auto Scaling group uses it.
    type: str
    choices: [absent]
    default: absent
  except_auto_scaling_groups:
    description:
      - Auto Scaling groups that do not count as using the launch configuration, because they are being
        moved off it in the same run (in check mode the group has not moved yet).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - cloudcred.ec2.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Delete the launch configuration qateam-app-asg moved away from, unless another group still uses it
  cloudcred.ec2.launch_configuration:
    name: qateam-app-lc
    state: absent
"""

RETURN = r"""
launch_configuration:
  description: Name of the launch configuration as it was before the run; null when it did not exist.
  returned: always
  type: str
  sample: qateam-app-lc
auto_scaling_groups:
  description: Auto Scaling groups that still launch from it (it is then kept), sorted.
  returned: always
  type: list
  elements: str
  sample: []
actions:
  description: The mutating API operations made (in check mode, that would be made), C(DeleteLaunchConfiguration).
  returned: always
  type: list
  elements: str
  sample: [DeleteLaunchConfiguration]
option:
  description: The option whose value was refused, before any write; a caller names its own variable from it.
  returned: failure, when one option is at fault
  type: str
  sample: name
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.cloudcred.ec2.plugins.module_utils._common import Writes, fail_json_error
from ansible_collections.cloudcred.ec2.plugins.module_utils._launch_configuration import (
    auto_scaling_groups_on_launch_configuration,
    delete_launch_configuration,
    describe_launch_configuration,
    jsonable_settings,
)

NAME_MAX = 255  # Auto Scaling's XmlStringMaxLen255


def ensure_absent(client, *, name, except_groups, writes, warn):
    """``(changed, before, groups keeping it)``: delete the launch configuration unless a group uses it."""
    found = describe_launch_configuration(client, name)
    if found is None:
        return False, None, []
    users = [g for g in auto_scaling_groups_on_launch_configuration(client, name) if g not in except_groups]
    if users:
        warn(f"launch configuration {name} is kept: Auto Scaling groups launch from it: {', '.join(users)}")
        return False, found, users
    writes("DeleteLaunchConfiguration", delete_launch_configuration, client, name)
    return True, found, []


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["absent"], default="absent"),
        except_auto_scaling_groups=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    if not 1 <= len(name) <= NAME_MAX:
        module.fail_json(msg=f"name must be 1-{NAME_MAX} characters; got {len(name)}", option="name")
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    writes = Writes(module.check_mode)
    try:
        changed, before, users = ensure_absent(
            client,
            name=name,
            except_groups=set(module.params["except_auto_scaling_groups"]),
            writes=writes,
            warn=module.warn,
        )
    except AnsibleAWSError as e:
        fail_json_error(module, e)
    before_settings = jsonable_settings(before) if before else {}
    module.exit_json(
        changed=changed,
        actions=writes.actions,
        launch_configuration=name if before else None,
        auto_scaling_groups=users,
        diff={
            "before": before_settings,
            "after": before_settings if before and not changed else {},
            "before_header": f"launch configuration {name}" if before else "(absent)",
            "after_header": "(absent)" if changed or not before else f"launch configuration {name}",
        },
    )


if __name__ == "__main__":
    main()
