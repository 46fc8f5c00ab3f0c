"""Diffs through the SDK's get_diff and the raw diff endpoints."""

from __future__ import annotations

import pytest
from sdkrunner import SdkRunner

#: Every test runs against the embedded server and a scaled-out one (PostgreSQL + S3).
pytestmark = [pytest.mark.parametrize("server", ["embedded", "scaled"], indirect=True,
                                      scope="module"),
              pytest.mark.slow(seconds=20)]


def test_diff_of_draft_and_commit(sdk: SdkRunner) -> None:
    sdk.run("scn_diffs", "diff_of_draft_and_commit")


def test_diff_between_two_commits_raw(sdk: SdkRunner) -> None:
    sdk.run("scn_diffs", "diff_between_two_commits_raw")


def test_data_diff_paging(sdk: SdkRunner) -> None:
    sdk.run("scn_diffs", "data_diff_paging")
