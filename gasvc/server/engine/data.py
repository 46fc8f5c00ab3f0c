"""Data items: callbacks, labels, listings, URLs, deletion; frames of fusion segments.

A normal segment's tree maps remotePath → an `Item`; a fusion segment's tree maps frameId → a
frame, its `FrameEntry`s sorted by sensor (model/snapshot.py has their stored shapes). Labels are
content-addressed objects.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from gasvc.errors import InvalidParams, ParamsMissing, ResourceNotExist
from gasvc.model import tree
from gasvc.model.names import check_checksum, check_remote_path
from gasvc.model.snapshot import FrameEntry, Item, VersionState, frame, stored_frame
from gasvc.server.engine import signing
from gasvc.server.engine.callbacks import MASK_TYPES, Batch, asked_checksums, prepare
from gasvc.server.engine.context import Context, Objects
from gasvc.server.engine.grants import GrantWriter
from gasvc.server.engine.overlay import current_item, flush, stage, staged_text
from gasvc.server.engine.scopes import DraftWrite, VersionRead, reading, writing
from gasvc.server.records import User

#: Objects per callback, label, delete or details-lookup request.
MAX_OBJECTS = signing.BATCH_LIMIT
#: Makes a listed item from (objects, URL expiry, key, tree value).
ItemReader = Callable[[Objects, int, str, Any], dict[str, Any]]
_FRAME_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}|[0-9a-fA-F-]{32,36}")


def mask_path(remote_path: str) -> str:
    return posixpath.splitext(remote_path)[0] + ".png"


class Data:
    def __init__(self, ctx: Context, url_ttl: int) -> None:
        self.ctx = ctx
        self.url_ttl = url_ttl
        self._grants = GrantWriter(ctx.meta)

    # writes ------------------------------------------------------------------------------
    def callback(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        objects = _objects(body)
        prepared = [prepare(obj) for obj in objects]  # before the lock
        asked = asked_checksums(objects)
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            segment_name = _segment_name(w.state, body)
            batch = Batch(w, asked)
            for obj, ready in zip(objects, prepared, strict=True):
                if (w.dataset.type != 0 or ready is None
                        or not batch.stage(segment_name, ready)):
                    self._register(w, segment_name, obj, batch)
            w.tx.put_changes(w.dataset.id, w.draft.number, batch.changes)

    def _register(self, w: DraftWrite, segment_name: str, obj: dict[str, Any],
                  batch: Batch | None = None) -> None:
        path = check_remote_path(obj.get("remotePath"))
        checksum, size = self._blob(w, obj, batch)
        timestamp = obj.get("timestamp")
        if timestamp is not None and (not isinstance(timestamp, (int, float))
                                      or isinstance(timestamp, bool)):
            raise InvalidParams(f"timestamp of {path!r} must be a number")
        label = self._label(w, obj.get("label"), batch)
        if w.dataset.type == 0:
            value = Item(checksum, size, timestamp, label).stored()
            if batch is None:
                stage(w.tx, w.dataset, w.draft, segment_name, path, value)
            else:
                batch.changes.append((segment_name, path, staged_text(value)))
            return
        frame_id, sensor = obj.get("frameId"), obj.get("sensorName")
        if not isinstance(frame_id, str) or not _FRAME_ID.fullmatch(frame_id):
            raise InvalidParams(f"invalid frameId {frame_id!r}", "a frame id is a ULID")
        if sensor not in w.state.segments[segment_name].sensors:
            raise ResourceNotExist(f"sensor {sensor!r} does not exist in {segment_name!r}",
                                   "upload the sensor before its data")
        found = current_item(self.ctx, w.tx, w.dataset, w.draft, w.state, segment_name, frame_id)
        entries = {entry.sensor: entry for entry in frame(found)}
        entries[sensor] = FrameEntry(sensor, path, checksum, size, timestamp, label)
        stage(w.tx, w.dataset, w.draft, segment_name, frame_id,
              stored_frame(entries[name] for name in sorted(entries)))

    def _blob(self, w: DraftWrite, obj: dict[str, Any], batch: Batch | None = None
              ) -> tuple[str, int]:
        """The checksum and size of a file uploaded into this dataset."""
        checksum = check_checksum(obj.get("checksum"))
        size = obj.get("fileSize")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidParams(f"invalid fileSize {size!r} for {checksum}")
        granted, stored = (batch.size(checksum) if batch is not None and checksum in batch.asked
                           else (w.tx.has_blob(w.dataset.id, checksum),
                                 w.tx.blob_size(w.dataset.id, checksum)))
        if granted and stored is None:
            # granted before sizes were recorded: asked from the blob store once, then kept
            stored = self.ctx.blobs.size(checksum)
            if stored is not None:
                w.tx.grant_blob(w.dataset.id, checksum, stored)
        if not granted or stored is None:
            raise InvalidParams(f"no uploaded file has checksum {checksum}",
                                "upload the file to storage before its callback")
        if stored != size:
            raise InvalidParams(f"file {checksum} has {stored} bytes, not {size}")
        return checksum, size

    def _label(self, w: DraftWrite, label: Any, batch: Batch | None = None) -> str | None:
        if not label:
            return None
        if not isinstance(label, dict):
            raise InvalidParams("a label must be a JSON object keyed by label type")
        stored = dict(label)
        for kind in MASK_TYPES:
            if kind in label:
                mask = label[kind]
                if not isinstance(mask, dict):
                    raise InvalidParams(f"{kind} must be an object with checksum and fileSize")
                checksum, size = self._blob(w, mask, batch)
                stored[kind] = _stored_mask(kind, mask, checksum, size)
        return w.objects.put(stored) if batch is None else batch.label(stored)

    def grant_blob(self, dataset_id: str, checksum: str, size: int) -> None:
        """Record that `checksum` (of `size` bytes) was uploaded into the dataset, so it may
        reference it."""
        self.grant_blobs(dataset_id, {checksum: size})

    def grant_blobs(self, dataset_id: str, sizes: dict[str, int]) -> None:
        """`grant_blob` of many, committed together with those of concurrent uploads."""
        self._grants.grant(dataset_id, sizes)

    def missing_blobs(self, dataset_id: str, checksums: list[str]) -> list[str]:
        """The checksums the dataset may not reference yet (never uploaded into it)."""
        with self.ctx.meta.read() as tx:
            return tx.missing_blobs(dataset_id, checksums)

    def blob_urls(self, dataset_id: str, checksums: list[str], base: str) -> dict[str, Any]:
        """Download URLs of blobs uploaded into the dataset (the batch extension's `urls`)."""
        foreign = self.missing_blobs(dataset_id, checksums)
        if foreign:
            raise ResourceNotExist(f"{len(foreign)} of the files asked for are not in this "
                                   f"dataset, e.g. {foreign[0]}")
        expires = self.ctx.now() + self.url_ttl
        return {"urls": {checksum: self._url(base, checksum, expires) for checksum in checksums},
                "expireAt": expires}

    def upload_labels(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        objects = _objects(body)
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            segment_name = _segment_name(w.state, body)
            if w.dataset.type != 0:
                self._upload_frame_labels(w, segment_name, objects)
                return
            for obj in objects:
                path = check_remote_path(obj.get("remotePath"))
                value = current_item(self.ctx, w.tx, w.dataset, w.draft, w.state,
                                     segment_name, path)
                if value is None:
                    raise ResourceNotExist(f"data {path!r} does not exist in {segment_name!r}")
                label = self._label(w, obj.get("label"))
                stage(w.tx, w.dataset, w.draft, segment_name, path,
                      Item.from_stored(value).relabeled(label).stored())

    def _upload_frame_labels(self, w: DraftWrite, segment_name: str,
                             objects: list[dict[str, Any]]) -> None:
        """Fusion: relabel data by remotePath, found by one scan of the (flushed) frames."""
        w.state = flush(self.ctx, w.tx, w.dataset, w.draft)
        where = {entry.path: (frame_id, entry.sensor)
                 for frame_id, value in tree.iterate(w.state.tree(segment_name), w.objects.get)
                 for entry in frame(value)}
        for obj in objects:
            path = check_remote_path(obj.get("remotePath"))
            if path not in where:
                raise ResourceNotExist(f"data {path!r} does not exist in {segment_name!r}")
            frame_id, sensor = where[path]
            label = self._label(w, obj.get("label"))
            found = current_item(self.ctx, w.tx, w.dataset, w.draft, w.state, segment_name,
                                 frame_id)
            stage(w.tx, w.dataset, w.draft, segment_name, frame_id, stored_frame(
                entry._replace(label=label) if entry.sensor == sensor else entry
                for entry in frame(found)))

    def upload_label(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        self.upload_labels(user, dataset_id, {
            **body, "objects": [{"remotePath": body.get("remotePath"), "label": body.get("label")}]
        })

    def delete(self, user: User, dataset_id: str, body: dict[str, Any], key_field: str) -> None:
        """Delete data items (`remotePath`, a path or a list) or frames (`frameId`)."""
        keys = body.get(key_field)
        keys = keys if isinstance(keys, list) else [keys]
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            segment_name = _segment_name(w.state, body)
            for key in keys:
                if not isinstance(key, str) or current_item(
                    self.ctx, w.tx, w.dataset, w.draft, w.state, segment_name, key
                ) is None:
                    raise ResourceNotExist(f"{key!r} does not exist in {segment_name!r}")
                stage(w.tx, w.dataset, w.draft, segment_name, key, None)

    # reads -------------------------------------------------------------------------------
    def _entries(self, r: VersionRead, segment: str, offset: int, limit: int,
                 remote_path: str | None) -> tuple[list[tuple[str, Any]], int]:
        ref = r.version.tree(segment)
        if remote_path is None:
            return tree.page(ref, r.objects.get, offset, limit), ref.count
        value = tree.lookup(ref, remote_path, r.objects.get)
        return ([(remote_path, value)] if value is not None else []), int(value is not None)

    def list_paths(self, user: User, dataset_id: str, status: dict[str, Any], segment: str,
                   offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        with reading(self.ctx, user, dataset_id, status) as r:
            entries, total = self._entries(r, segment, offset, limit, None)
            if r.version.dataset.type == 0:
                return [{"remotePath": key} for key, _ in entries], total
            return [{"remotePath": e.path} for _, value in entries for e in frame(value)], total

    def details(self, user: User, dataset_id: str, status: dict[str, Any], segment: str,
                offset: int, limit: int, remote_path: str | None, base: str
                ) -> tuple[list[dict[str, Any]], int]:
        def normal(objects: Objects, expires: int, key: str, value: Any) -> dict[str, Any]:
            return self._item(objects, base, expires, key, Item.from_stored(value))

        def fusion(objects: Objects, expires: int, key: str, value: Any) -> dict[str, Any]:
            return {"frameId": key, "frame": [
                {"sensorName": e.sensor, **self._item(objects, base, expires, e.path, e.item)}
                for e in frame(value)]}

        return self._read_items(user, dataset_id, status, (segment, offset, limit, remote_path),
                                normal, fusion)

    def _read_items(self, user: User, dataset_id: str, status: dict[str, Any],
                    where: tuple[str, int, int, str | None], normal: ItemReader,
                    fusion: ItemReader) -> tuple[list[dict[str, Any]], int]:
        """A page (or the one `remotePath`) of a segment, each item made by `normal` or
        `fusion` (by the dataset's type) from (objects, URL expiry, key, tree value)."""
        with reading(self.ctx, user, dataset_id, status) as r:
            entries, total = self._entries(r, *where)
            expires = self.ctx.now() + self.url_ttl
            make = normal if r.version.dataset.type == 0 else fusion
            return [make(r.objects, expires, key, value) for key, value in entries], total

    def lookup_details(self, user: User, dataset_id: str, status: dict[str, Any],
                       body: dict[str, Any], base: str) -> dict[str, Any]:
        """gasvc's extension: the details of the listed `remotePaths` of a segment (of a
        normal dataset) in one answer, in their order; absent ones are left out."""
        segment, paths = body.get("segmentName"), body.get("remotePaths")
        if not isinstance(segment, str) or not isinstance(paths, list):
            raise ParamsMissing("segmentName and remotePaths (a list) are required")
        if len(paths) > MAX_OBJECTS:
            raise InvalidParams(f"at most {MAX_OBJECTS} remotePaths per request",
                                "ask in smaller batches")
        with reading(self.ctx, user, dataset_id, status) as r:
            if r.version.dataset.type != 0:
                raise InvalidParams("details by remotePaths are for normal datasets",
                                    "list the frames with GET data/details")
            ref = r.version.tree(segment)
            expires = self.ctx.now() + self.url_ttl
            found = [(path, tree.lookup(ref, check_remote_path(path), r.objects.get))
                     for path in paths]
            return {"dataDetails": [
                self._item(r.objects, base, expires, path, Item.from_stored(value))
                for path, value in found if value is not None]}

    def _item(self, objects: Objects, base: str, expires: int, path: str, item: Item
              ) -> dict[str, Any]:
        """One item of a data details answer."""
        found: dict[str, Any] = {
            "remotePath": path, "url": self._url(base, item.checksum, expires),
            "label": self._read_label(objects, base, expires, path, item.label),
            "fileSize": item.size, "checksum": item.checksum,
        }
        if item.timestamp is not None:
            found["timestamp"] = item.timestamp
        return found

    def _url(self, base: str, checksum: str, expires: int) -> str:
        return self.ctx.download_url(base, checksum, expires)

    def _read_label(self, objects: Objects, base: str, expires: int, path: str,
                    label_id: str | None) -> dict[str, Any]:
        if label_id is None:
            return {}
        label = dict(objects.get(label_id))
        for kind in MASK_TYPES:
            if kind in label:
                mask = label[kind]
                read = {"remotePath": mask_path(path),
                        "url": self._url(base, mask["checksum"], expires),
                        "checksum": mask["checksum"], "fileSize": mask["fileSize"]}
                if "info" in mask or kind == "PANOPTIC_MASK":
                    read["info"] = mask.get("info", [])
                label[kind] = read
        return label

    def urls(self, user: User, dataset_id: str, status: dict[str, Any], segment: str,
             offset: int, limit: int, remote_path: str | None, base: str
             ) -> tuple[list[dict[str, Any]], int]:
        def normal(objects: Objects, expires: int, key: str, value: Any) -> dict[str, Any]:
            return {"remotePath": key,
                    "url": self._url(base, Item.from_stored(value).checksum, expires)}

        def fusion(objects: Objects, expires: int, key: str, value: Any) -> dict[str, Any]:
            return {"frameId": key, "urls": [
                {"sensorName": e.sensor, "url": self._url(base, e.checksum, expires)}
                for e in frame(value)]}

        return self._read_items(user, dataset_id, status, (segment, offset, limit, remote_path),
                                normal, fusion)

    def mask_urls(self, user: User, dataset_id: str, status: dict[str, Any], segment: str,
                  mask_type: str, offset: int, limit: int, remote_path: str | None, base: str
                  ) -> tuple[list[dict[str, Any]], int]:
        """The URLs of one mask type's images, index-aligned with `data/details`: per item
        `{"url"}` (`{}` without that mask); in a fusion segment per frame, like `data/urls`,
        `{"frameId", "urls": [{"sensorName", "url"}]}` of the sensors' data with that mask."""
        if mask_type not in MASK_TYPES:
            raise InvalidParams(f"invalid maskType {mask_type!r}", f"use one of {MASK_TYPES}")

        def url(objects: Objects, expires: int, label_id: str | None) -> str | None:
            mask = (objects.get(label_id) if label_id else {}).get(mask_type)
            return self._url(base, mask["checksum"], expires) if mask else None

        with reading(self.ctx, user, dataset_id, status) as r:
            fusion = r.version.dataset.type != 0
            if fusion and remote_path is not None:
                raise InvalidParams("mask URLs by remotePath are for normal datasets",
                                    "list a fusion segment's mask URLs by frame, with offset"
                                    " and limit")
            entries, total = self._entries(r, segment, offset, limit, remote_path)
            expires = self.ctx.now() + self.url_ttl
            items: list[dict[str, Any]] = []
            for key, value in entries:
                if fusion:
                    found = [(e.sensor, url(r.objects, expires, e.label)) for e in frame(value)]
                    items.append({"frameId": key, "urls": [{"sensorName": sensor, "url": link}
                                                           for sensor, link in found if link]})
                else:
                    link = url(r.objects, expires, Item.from_stored(value).label)
                    items.append({"url": link} if link else {})
            return items, total


def _stored_mask(kind: str, mask: dict[str, Any], checksum: str, size: int) -> dict[str, Any]:
    """A mask as stored: checksum, size and info only (what the read form gives back, so a
    client can rebuild the stored label, and its id, from a listing); a panoptic mask always
    has its info (the SDK reads it)."""
    stored: dict[str, Any] = {"checksum": checksum, "fileSize": size}
    if "info" in mask or kind == "PANOPTIC_MASK":
        info = mask.get("info", [])
        if not isinstance(info, list):
            raise InvalidParams(f"the info of {kind} must be a list")
        stored["info"] = info
    return stored


def _objects(body: dict[str, Any]) -> list[dict[str, Any]]:
    objects = body.get("objects")
    if not isinstance(objects, list):
        raise ParamsMissing("objects is required (a list)")
    if len(objects) > MAX_OBJECTS:
        raise InvalidParams(f"at most {MAX_OBJECTS} objects per request",
                            "send them in smaller batches")
    if not all(isinstance(obj, dict) for obj in objects):
        raise InvalidParams("every object must be a JSON object")
    return objects


def _segment_name(state: VersionState, body: dict[str, Any]) -> str:
    name = body.get("segmentName")
    if not isinstance(name, str):
        raise ParamsMissing("segmentName is required")
    if name not in state.segments:
        raise ResourceNotExist(f"segment {name!r} does not exist", "create the segment first")
    return name
