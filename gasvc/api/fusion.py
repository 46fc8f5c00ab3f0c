"""The Open API calls of fusion datasets (spec 2.10): sensors and frames."""

from __future__ import annotations

from typing import Any

from gasvc.api.client import ApiClient


def list_sensors(client: ApiClient, dataset_id: str, segment: str, commit: str
                 ) -> list[dict[str, Any]]:
    """ListSensor: every sensor of a segment at a commit."""
    body = client.request("GET", "sensors", dataset_id,
                          params={"segmentName": segment, "commit": commit})
    return list(body["sensors"])


def upload_sensor(client: ApiClient, dataset_id: str, draft: int, segment: str,
                  sensor: dict[str, Any]) -> None:
    """UploadSensor: add a sensor, or replace the one of its name."""
    client.request("POST", "sensors", dataset_id,
                   json={**sensor, "segmentName": segment, "draftNumber": draft})


def delete_sensor(client: ApiClient, dataset_id: str, draft: int, segment: str,
                  name: str) -> None:
    client.request("DELETE", "sensors", dataset_id,
                   json={"segmentName": segment, "sensorName": name, "draftNumber": draft})


def delete_frame(client: ApiClient, dataset_id: str, draft: int, segment: str,
                 frame_id: str) -> None:
    """DeleteFrame: a frame and all its data."""
    client.request("DELETE", "frames", dataset_id,
                   json={"segmentName": segment, "frameId": frame_id, "draftNumber": draft})
