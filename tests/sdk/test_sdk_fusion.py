"""Fusion datasets through the SDK: sensors, frames, fusion uploads."""

from __future__ import annotations

from sdkrunner import SdkRunner


def test_sensors_round_trip(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "sensors_round_trip")


def test_frames_sorted_by_frame_id(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "frames_sorted_by_frame_id")


def test_upload_to_unknown_sensor_fails(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "upload_to_unknown_sensor_fails")


def test_fusion_dataset_upload_round_trip(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "fusion_dataset_upload_round_trip")


def test_delete_frame(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "delete_frame")


def test_frames_paging(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "frames_paging")


def test_upload_label_in_fusion_segment(sdk: SdkRunner) -> None:
    sdk.run("scn_fusion", "upload_label_in_fusion_segment")
