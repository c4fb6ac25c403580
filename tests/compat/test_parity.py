# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""parity.py finds a difference wherever one is (run by scripts/compat before it trusts parity.py's verdict)."""

import json

import parity


def test_equal_results_are_equal():
    result = {"changed": False, "role": {"arn": "arn:aws:iam::1:role/a", "tags": {"t": "1"}}, "warnings": ["w"]}
    assert parity.differences(result, json.loads(json.dumps(result))) == []


def test_a_differing_value_a_missing_key_and_a_list_are_named():
    worker = {"changed": True, "role": {"managed_policies": ["a", "b"]}, "rc": 0}
    module = {"changed": True, "role": {"managed_policies": ["a", "c"]}, "warnings": ["w"]}
    assert parity.differences(worker, module) == [
        "/rc only in the worker result: 0",
        "/role/managed_policies[1]: worker 'b' != module 'c'",
        "/warnings only in the module result: ['w']",
    ]


def test_main_fails_on_a_difference_and_on_no_pairs(tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"same": [{"a": 1}, {"a": 1}], "other": [{"a": 1}, {"a": 2}]}))
    assert parity.main(str(path)) == 1
    assert capsys.readouterr().out.endswith("parity: 1 passed, 1 failed\n")
    path.write_text("{}")
    assert parity.main(str(path)) == 1


def test_only_ansible_cores_import_deprecations_are_left_out(tmp_path):
    imported = {
        "collection_name": "ansible.builtin",
        "msg": "Importing 'to_native' from 'ansible.module_utils._text' is deprecated.",
        "version": "2.24",
    }
    passing = {"collection_name": "ansible.builtin", "msg": "Passing `warnings` to `exit_json` is deprecated."}
    worker = {"changed": False, "deprecations": [passing]}
    module = {"changed": False, "deprecations": [imported, passing, imported]}
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"pair": [worker, module]}))
    assert parity.main(str(path)) == 0
    path.write_text(json.dumps({"pair": [{"changed": False, "deprecations": []}, module]}))
    assert parity.main(str(path)) == 1  # another deprecation still counts
    path.write_text(json.dumps({"pair": [{"changed": False}, {"changed": False, "deprecations": [imported]}]}))
    assert parity.main(str(path)) == 0  # only import deprecations: as if none came
