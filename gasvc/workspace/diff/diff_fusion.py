"""What changed inside a fusion segment's `sensors.json` and `frames.jsonl`, for `gas diff`.

Each is shown as fields, like a label: a frame added (`+ frame ID: {...}`), deleted
(`- frame ID`) or changed (`frame ID.Lidar.timestamp: 1.5 → 2`), a sensor added, removed or
changed field by field (`sensor Lidar.extrinsics.translation.x: 1 → 9`).
"""

from __future__ import annotations

from typing import Any

from gasvc.errors import GasError
from gasvc.model.fusion import SENSORS, parse_sensors
from gasvc.model.fusion_frames import FRAMES, parse_frames
from gasvc.model.labeldiff import FieldChange, field_changes
from gasvc.workspace.diff.diff_result import DiffResult, FileVersion
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State, is_fusion
from gasvc.workspace.versions.fusion import gas_file_bytes


def describe_gas_files(layout: Layout | None, state: State, result: DiffResult) -> None:
    """Fill in `content` of the changed gas files of a fusion workspace's diff (those whose
    versions can be read; an unreadable one is shown as a file change only)."""
    if not is_fusion(state):
        return
    for item in result.items:
        if item.path not in (SENSORS, FRAMES):
            continue

        def text(version: FileVersion | None, segment: str = item.segment,
                 name: str = item.path) -> str | None:
            if version is None:
                return ""
            data = gas_file_bytes(layout, segment, name, version.checksum)
            return None if data is None else data.decode(errors="replace")

        old, new = text(item.old), text(item.new)
        if old is None or new is None:
            continue
        try:
            item.content = (_sensor_changes if item.path == SENSORS else _frame_changes)(old,
                                                                                         new)
        except GasError:  # a working file that does not parse: `gas add` says why
            continue

def _sensor_changes(old: str, new: str) -> list[FieldChange]:
    def read(text: str) -> dict[str, Any]:
        return parse_sensors(text) if text.strip() else {}

    return _prefixed("sensor", field_changes(read(old), read(new)))

def _frame_changes(old: str, new: str) -> list[FieldChange]:
    def read(text: str) -> dict[str, Any]:
        return {str(frame.frame_id or f"(new, line {frame.line})"): {
            sensor: {"file": data.file, **({} if data.timestamp is None
                                           else {"timestamp": data.timestamp})}
            for sensor, data in frame.data.items()} for frame in parse_frames(text)}

    return _prefixed("frame", field_changes(read(old), read(new)))

def _prefixed(kind: str, changes: list[FieldChange]) -> list[FieldChange]:
    """`["01H…"].Lidar` → `frame 01H….Lidar`: each change names its frame or sensor."""
    out = []
    for change in changes:
        path = change.path
        if path.startswith('["'):
            key, _, rest = path[2:].partition('"]')
        else:
            key, dot, rest = path.partition(".")
            rest = dot + rest
        out.append(FieldChange(change.op, f"{kind} {key}{rest}", change.old, change.new))
    return out
