"""Data items, labels, catalog, notes, statistics, total size and masks through the SDK."""

from __future__ import annotations

import pytest
from sdkrunner import SdkRunner

#: Every test runs against the embedded server and a scaled-out one (PostgreSQL + S3).
pytestmark = [pytest.mark.parametrize("server", ["embedded", "scaled"], indirect=True,
                                      scope="module"),
              pytest.mark.slow(seconds=45)]


def test_labels_of_every_type_round_trip(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "labels_of_every_type_round_trip")


def test_upload_dataset_round_trip(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "upload_dataset_round_trip")


def test_ordering_is_code_point_order(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "ordering_is_code_point_order")


def test_overwrite_replaces_file_and_drops_label(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "overwrite_replaces_file_and_drops_label")


def test_upload_label_replaces_labels(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "upload_label_replaces_labels")


def test_delete_data(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "delete_data")


def test_list_paging_over_300_items(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "list_paging_over_300_items")


def test_skip_uploaded_files(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "skip_uploaded_files")


def test_catalog_round_trip_and_versions(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "catalog_round_trip_and_versions")


def test_notes_are_versioned(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "notes_are_versioned")


def test_label_statistics_exact(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "label_statistics_exact")


def test_total_size(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "total_size")


def test_masks_round_trip(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "masks_round_trip")


def test_root_commit_reads_as_empty(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "root_commit_reads_as_empty")


def test_invalid_uploads_are_rejected(sdk: SdkRunner) -> None:
    sdk.run("scn_data", "invalid_uploads_are_rejected")
