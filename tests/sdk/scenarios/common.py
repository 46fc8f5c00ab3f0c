"""What a scenario may need beyond its two GAS clients, read from run_scenario's environment."""

from __future__ import annotations

import os


def site_url() -> str:
    """The server's site URL, for building extra `GAS` clients."""
    return os.environ["GAS_TEST_URL"]


def user_name() -> str:
    """Nickname of the user behind `gas`."""
    return os.environ["GAS_TEST_USER"]


def other_user_name() -> str:
    """Nickname of the user behind `gas_other`."""
    return os.environ["GAS_TEST_USER2"]
