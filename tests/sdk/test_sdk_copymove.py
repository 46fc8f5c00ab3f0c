"""Copy and move through the unmodified tensorbay 1.24.2 SDK (scenarios: scn_copymove)."""

from __future__ import annotations

import pytest
from sdkrunner import SdkRunner

#: Every test runs against the embedded server and a scaled-out one (PostgreSQL + S3).
pytestmark = [pytest.mark.parametrize("server", ["embedded", "scaled"], indirect=True,
                                      scope="module"),
              pytest.mark.slow(seconds=60)]


@pytest.mark.parametrize("scenario", [
    "copy_segment_in_draft", "move_segment_in_draft", "copy_segment_between_datasets_from_commit",
    "copy_segment_from_public_dataset_of_another_user", "copy_data_forms",
    "copy_data_between_datasets_from_commits", "move_data_forms", "fusion_segments",
])
def test_copy_and_move(sdk: SdkRunner, scenario: str) -> None:
    sdk.run("scn_copymove", scenario)
