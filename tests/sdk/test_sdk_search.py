"""Basic search through the unmodified tensorbay 1.24.2 SDK (scenarios: scn_search)."""

from __future__ import annotations

import pytest
from sdkrunner import SdkRunner

#: Every test runs against the embedded server and a scaled-out one (PostgreSQL + S3).
pytestmark = [pytest.mark.parametrize("server", ["embedded", "scaled"], indirect=True,
                                      scope="module"),
              pytest.mark.slow(seconds=40)]


@pytest.mark.parametrize("scenario", ["search_normal", "search_to_dataset", "search_refused",
                                      "search_fusion", "search_keeps_latest_five"])
def test_basic_search(sdk: SdkRunner, scenario: str) -> None:
    sdk.run("scn_search", scenario)
