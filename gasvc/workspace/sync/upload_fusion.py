"""Sending one commit's changes to a fusion segment into an open draft (spec 2.10, 3.11).

In order: sensors added or changed (UploadSensor replaces one of the same name), then the
frames that differ between the commit's tree and its parent's (`tree.diff`): a deleted frame is
DeleteFrame; a frame that lost a sensor's data is deleted and sent again whole (the API deletes
data of frames only with their frame); every other changed sensor's data is a callback with
its frameId and sensorName, which replaces that sensor's data — its file (uploaded only if the
server lacks the bytes), remote path, timestamp and label; the images of the label's new masks
are uploaded before it, as for a normal segment (upload_masks.py). Sensors removed go last.

Everything is idempotent within a draft, so an interrupted push, run again, ends the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from gasvc.api.fusion import delete_frame, delete_sensor, upload_sensor
from gasvc.api.transfer import Upload
from gasvc.errors import ResourceNotExist
from gasvc.model import tree
from gasvc.model.fusion import data_file
from gasvc.model.snapshot import FrameEntry, Segment, VersionState, frame
from gasvc.workspace.sync.upload import Job, Sender
from gasvc.workspace.sync.upload_masks import mask_uploads


def send_sensors(sender: Sender, name: str, old: Segment | None, new: Segment) -> None:
    """Sensors the commit adds or changes (before any frame names them)."""
    before = old.sensors if old is not None else {}
    conn = sender.conn
    for sensor_name in sorted(new.sensors):
        if before.get(sensor_name) != new.sensors[sensor_name]:
            upload_sensor(conn.client, conn.dataset_id, sender.draft, name,
                          new.sensors[sensor_name])


def drop_sensors(sender: Sender, name: str, old: Segment | None, new: Segment) -> None:
    """Sensors the commit removes (after the frames no longer name them)."""
    conn = sender.conn
    for sensor_name in sorted((old.sensors if old is not None else {}).keys() - new.sensors):
        with contextlib.suppress(ResourceNotExist):  # an interrupted push deleted it
            delete_sensor(conn.client, conn.dataset_id, sender.draft, name, sensor_name)


def send_frames(sender: Sender, name: str, old: Segment | None, new: Segment) -> None:
    """The frames that differ: deletions now, callbacks into the sender's pool in groups."""
    sender.storage(name)
    limit = sender.conn.batch_limit(sender.batch)
    group: list[tuple[str, FrameEntry, FrameEntry | None]] = []
    for frame_id, entry, previous in _changed_data(sender, name, old, new):
        group.append((frame_id, entry, previous))
        sender.stats.changes += 1
        if len(group) >= limit:
            sender.pool.submit(_job(sender, name, group))
            group = []
    if group:
        sender.pool.submit(_job(sender, name, group))


def _changed_data(sender: Sender, name: str, old: Segment | None, new: Segment
                  ) -> Iterator[tuple[str, FrameEntry, FrameEntry | None]]:
    """(frame id, entry, the entry before: None if new) of each sensor's data to send; frames
    to delete are deleted on the way."""
    get = sender.state.get_object
    old_tree = old.tree if old is not None else tree.EMPTY
    for frame_id, before_value, after_value in tree.diff(old_tree, new.tree, get):
        before = {entry.sensor: entry for entry in frame(before_value)}
        after = frame(after_value)
        removed = before.keys() - {entry.sensor for entry in after}
        if not after or removed:
            _delete_frame(sender, name, frame_id)
            if not after:
                sender.stats.changes += 1
                continue
        for entry in after:
            previous = before.get(entry.sensor)
            if removed or previous != entry:
                yield frame_id, entry, previous


def _delete_frame(sender: Sender, name: str, frame_id: str) -> None:
    conn = sender.conn
    with contextlib.suppress(ResourceNotExist):  # an interrupted push deleted it
        delete_frame(conn.client, conn.dataset_id, sender.draft, name, frame_id)


def _job(sender: Sender, segment: str,
         group: list[tuple[str, FrameEntry, FrameEntry | None]]) -> Job:
    """One callback request (made on this thread: it reads labels from the state database):
    it uploads the data's bytes that may be new and the images of new masks first."""
    objects: list[dict[str, Any]] = []
    uploads: list[Upload] = []
    for frame_id, entry, previous in group:
        obj: dict[str, Any] = {"frameId": frame_id, "sensorName": entry.sensor,
                               "remotePath": entry.path, "checksum": entry.checksum,
                               "fileSize": entry.size}
        if entry.timestamp is not None:
            obj["timestamp"] = entry.timestamp
        if entry.label:
            obj["label"] = sender.label(entry.label)
        path = data_file(entry.sensor, entry.path)
        if previous is None or previous.checksum != entry.checksum:
            uploads.append(Upload(entry.checksum, entry.size,
                                  sender.source(segment, path, entry.checksum)))
        old_label = previous.label if previous is not None else None
        if entry.label and entry.label != old_label:
            uploads += mask_uploads(sender.label, sender.conn.layout, segment, path, old_label,
                                    entry.label)
        objects.append(obj)
    sender.conn.progress.add_total(len(objects), sum(u.size for u in uploads))
    return Job("files", segment, objects, uploads)


def send_fusion(sender: Sender, old: VersionState, new: VersionState) -> None:
    """Every fusion segment of `new` that differs from `old`: sensors, frames, sensors gone."""
    changed = [name for name in sorted(new.segments)
               if old.segments.get(name) != new.segments[name]]
    for name in changed:
        send_sensors(sender, name, old.segments.get(name), new.segments[name])
    with sender.pool:
        for name in changed:
            send_frames(sender, name, old.segments.get(name), new.segments[name])
    for name in changed:
        drop_sensors(sender, name, old.segments.get(name), new.segments[name])
