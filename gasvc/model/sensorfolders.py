"""Where a fusion segment's files live in its folder: a folder per sensor, named as the sensor
(escaped with `@` when the name is one of gas's own files or starts with `@`).

Pure names, no errors: the server's merge (model/merge.py) names a sensor's data by it, and
imports nothing that reads the workspace's files.
"""

from __future__ import annotations

SENSORS = "sensors.json"
FRAMES = "frames.jsonl"
METADATA = "metadata.jsonl"
#: Files of a fusion segment's folder that are gas's, never data.
GAS_FILES = frozenset({SENSORS, FRAMES, METADATA})
ESCAPE = "@"


def _escaped_sensor(name: str) -> bool:
    return name in GAS_FILES or name.startswith(ESCAPE)


def sensor_folder(name: str) -> str:
    """The folder of a sensor's data in its segment's folder."""
    return ESCAPE + name if _escaped_sensor(name) else name


def folder_sensor(folder: str) -> str | None:
    """The sensor whose folder this is (None: the name of a gas file)."""
    if folder.startswith(ESCAPE):
        rest = folder[len(ESCAPE):]
        return rest if _escaped_sensor(rest) else None
    return None if folder in GAS_FILES else folder


def data_file(sensor: str, remote_path: str) -> str:
    """The path in the segment of a sensor's data with this remote path."""
    return f"{sensor_folder(sensor)}/{remote_path}"


def remote_path_of(sensor: str, file: str) -> str | None:
    """The remote path of a file named as `sensor`'s data (None: not in its folder)."""
    folder = sensor_folder(sensor) + "/"
    return file[len(folder):] if file.startswith(folder) and len(file) > len(folder) else None
