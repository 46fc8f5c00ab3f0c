"""Run scenarios against a real server with the unmodified tensorbay 1.24.2 SDK.

Scenario modules (`scenarios/scn_*.py`) import `tensorbay`, so only the tensorbay interpreter
runs them, through `run_scenario.py`; this pytest never imports them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sdkrunner import SdkRunner
from serverproc import ServerProcess

collect_ignore = ["scenarios", "run_scenario.py"]


@pytest.fixture
def sdk(tensorbay_python: Path, server: ServerProcess, alice: str, bob: str) -> SdkRunner:
    """`sdk.run("scn_module", "function")` runs a scenario against the HTTPS `server`."""
    return SdkRunner(tensorbay_python, server, alice, bob)
