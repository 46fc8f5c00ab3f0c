"""Run one SDK scenario: `<tensorbay python> run_scenario.py MODULE FUNCTION`.

Environment: GAS_TEST_URL (site URL), GAS_TEST_KEY and GAS_TEST_KEY2 (two users' access keys),
REQUESTS_CA_BUNDLE (the server's certificate). Calls `MODULE.FUNCTION(gas, gas_other)` where
MODULE lives in `scenarios/`; an exception (a failed assert) exits non-zero with a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path


def main(module_name: str, function_name: str) -> None:
    sys.path.insert(0, str(Path(__file__).with_name("scenarios")))
    from tensorbay import GAS

    url = os.environ["GAS_TEST_URL"]
    gas = GAS(os.environ["GAS_TEST_KEY"], url)
    gas_other = GAS(os.environ["GAS_TEST_KEY2"], url)
    scenario = getattr(importlib.import_module(module_name), function_name)
    scenario(gas, gas_other)
    print(f"scenario {module_name}.{function_name} passed")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} MODULE FUNCTION")
    main(sys.argv[1], sys.argv[2])
