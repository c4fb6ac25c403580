# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make compat: compare what parity.yml registered in the worker and as a module, pair by pair.

python parity.py RESULTS.json    prints one line per pair and "parity: N passed, M failed"; exit 1 on a difference
"""

from __future__ import annotations

import json
import sys

# Keys whose values differ by construction between two runs, whatever path ran them: none so far. A key added here
# says why.
IGNORED: frozenset[str] = frozenset()


def import_deprecation(item) -> bool:
    """ansible-core's deprecation of a name imported from its own module_utils (2.20: "Importing 'to_native' from
    'ansible.module_utils._text' is deprecated", raised by amazon.aws's imports). A module process records it in
    every result, because it imports amazon.aws anew; in the worker path the imports were made once, when
    ansible-playbook loaded the action plugin, and the controller printed the same deprecation then (see the
    compat logs). It says nothing about the task, so it is left out of both sides; every other deprecation counts."""
    return (
        isinstance(item, dict)
        and item.get("collection_name") == "ansible.builtin"
        and str(item.get("msg", "")).startswith("Importing '")
    )


def comparable(result: dict) -> dict:
    """The registered result without import_deprecation items."""
    if not isinstance(result, dict) or "deprecations" not in result:
        return result
    kept = [item for item in result["deprecations"] if not import_deprecation(item)]
    if kept:
        return {**result, "deprecations": kept}
    return {key: value for key, value in result.items() if key != "deprecations"}  # none left: as if none came


def differences(worker, module, where="") -> list[str]:
    """Where two registered results differ, as paths into them (ids included: both runs see the same account)."""
    if isinstance(worker, dict) and isinstance(module, dict):
        found = []
        for key in sorted(set(worker) | set(module)):
            if key in IGNORED:
                continue
            if key not in worker or key not in module:
                side = "worker" if key in worker else "module"
                found.append(
                    f"{where}/{key} only in the {side} result: {(worker if side == 'worker' else module)[key]!r}"
                )
                continue
            found.extend(differences(worker[key], module[key], f"{where}/{key}"))
        return found
    if isinstance(worker, list) and isinstance(module, list) and len(worker) == len(module):
        return [
            d
            for index, pair in enumerate(zip(worker, module, strict=True))
            for d in differences(*pair, f"{where}[{index}]")
        ]
    return [] if worker == module else [f"{where}: worker {worker!r} != module {module!r}"]


def main(path: str) -> int:
    with open(path, encoding="utf-8") as results:
        pairs = json.load(results)
    failed = 0
    for name, (worker, module) in sorted(pairs.items()):
        found = differences(comparable(worker), comparable(module))
        failed += bool(found)
        print(f"  parity {name}: " + ("equal" if not found else "DIFFERENT\n    " + "\n    ".join(found[:10])))
    print(f"parity: {len(pairs) - failed} passed, {failed} failed")
    return 1 if failed or not pairs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
