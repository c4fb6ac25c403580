# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx extension for the offline docs build (scripts/docs): links to docs.ansible.com without intersphinx.

The generated pages reference labels of the Ansible docsite (``common_return_values``, other collections'
plugins such as ``amazon.aws.iam_policy``). intersphinx would resolve them from inventories downloaded at
build time; this build runs offline, so known external labels become plain links instead, and every other
unresolved reference (one of this collection's own pages missing) still fails the build.
"""

from __future__ import annotations

import re

from docutils import nodes

DOCSITE = "https://docs.ansible.com/ansible/latest/"

# Labels of the Ansible docsite that antsibull-docs' templates use.
DOCSITE_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
    "playbooks_variables": "playbook_guide/playbooks_variables.html",
    "module_defaults": "playbook_guide/playbooks_module_defaults.html",
    "playbooks_checkmode": "playbook_guide/playbooks_checkmode.html",
    "check_mode_dry": "playbook_guide/playbooks_checkmode.html",
    "playbooks_filters": "playbook_guide/playbooks_filters.html",
    "collections_installing": "collections_guide/collections_installing.html",
    "using_collections": "collections_guide/index.html",
    # "This module has a corresponding action plugin" on a module page with an action plugin
    "action_plugins": "plugins/action.html",
}

OWN_PREFIX = "ansible_collections.cloudcred.ec2."
PLUGIN_LABEL = re.compile(r"^ansible_collections\.(?P<ns>\w+)\.(?P<name>\w+)\.(?P<rest>[\w.]+?)(?:__.*)?$")


def _external_uri(target: str) -> str | None:
    if target in DOCSITE_LABELS:
        return DOCSITE + DOCSITE_LABELS[target]
    if target.startswith(OWN_PREFIX):
        return None  # ours must resolve inside the site
    match = PLUGIN_LABEL.match(target)
    if not match:
        return None
    return f"{DOCSITE}collections/{match['ns']}/{match['name']}/{match['rest']}.html"


def _missing_reference(app, env, node, contnode):  # pylint: disable=unused-argument
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "any"):
        return None
    uri = _external_uri(node.get("reftarget", ""))
    if uri is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", _missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
