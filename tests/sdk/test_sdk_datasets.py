"""Datasets, storage configs and access rules through the unmodified tensorbay 1.24.2 SDK."""

from __future__ import annotations

import pytest
from sdkrunner import SdkRunner

SCENARIOS = [
    "create_normal_and_fusion",
    "get_new_dataset",
    "get_dataset_follows_default_branch",
    "alias_and_public_round_trip",
    "rename_dataset",
    "delete_dataset",
    "duplicate_name_conflicts",
    "list_names_pages_beyond_128",
    "exact_match_first",
    "storage_configs",
    "storage_configs_are_private",
    "private_dataset_hidden_from_others",
    "public_dataset_read_only_for_others",
]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_datasets(sdk: SdkRunner, scenario: str) -> None:
    sdk.run("scn_datasets", scenario)


def test_missing_name_resolves_to_nothing(sdk: SdkRunner) -> None:
    """The SDK's name lookups are answered by exact name only (X-Source), so a deleted or
    missing name never binds to a similar one."""
    sdk.run("scn_datasets", "missing_name_resolves_to_nothing")
