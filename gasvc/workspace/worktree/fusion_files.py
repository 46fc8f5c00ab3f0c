"""The gas files of a fusion workspace's segments, as `gas add` takes them.

A fusion workspace (its dataset is of type 1; `dataset.fusion` in meta) holds in each segment
folder a `sensors.json` and a `frames.jsonl` (model/fusion.py). To the index they are files like
the data files; before `gas add` stages them, `prepare_add` checks them against the working
tree (known sensors, files that exist in their sensor's folder, frame ids not repeated) and
writes them back canonically, a new frame (a line without `frame_id`) getting its id. A bad
line stops `gas add` before anything is staged. The checks live in fusion_prepare.py, loaded
only in a fusion workspace.
"""

from __future__ import annotations

from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State, is_fusion
from gasvc.workspace.worktree.pathspec import PathSpec


def prepare_add(layout: Layout, state: State, segments: list[str], specs: list[PathSpec]
                ) -> None:
    """Check and write canonically the `sensors.json` and `frames.jsonl` the specs name."""
    if not is_fusion(state):
        return
    from gasvc.model.fusion import SENSORS
    from gasvc.model.fusion_frames import FRAMES
    from gasvc.workspace.worktree.fusion_prepare import prepare_segment

    for segment in segments:
        names_sensors = any(spec.covers(segment, SENSORS) for spec in specs)
        names_frames = any(spec.covers(segment, FRAMES) for spec in specs)
        if names_sensors or names_frames:
            prepare_segment(layout, state, segment, names_sensors, names_frames)
