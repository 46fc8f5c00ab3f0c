"""What a scenario may need beyond its two GAS clients, read from run_scenario's environment."""

from __future__ import annotations

import os
from typing import Any


def site_url() -> str:
    """The server's site URL, for building extra `GAS` clients."""
    return os.environ["GAS_TEST_URL"]


def user_name() -> str:
    """Nickname of the user behind `gas`."""
    return os.environ["GAS_TEST_USER"]


def other_user_name() -> str:
    """Nickname of the user behind `gas_other`."""
    return os.environ["GAS_TEST_USER2"]


def contents(data: Any) -> bytes:
    """`data.open().read()` of an SDK data or mask, closing what it opened."""
    file = data.open()
    try:
        return file.read()  # type: ignore[no-any-return]
    finally:
        if hasattr(file, "close"):
            file.close()
