"""Version-level content: segments, catalog, notes, sensors, upload policies (spec 2.4–2.10)."""

from __future__ import annotations

from typing import Any

from gasvc.errors import InvalidParams, NameConflict, ParamsMissing, ResourceNotExist
from gasvc.model.names import check_segment_name
from gasvc.model.snapshot import Segment, VersionState
from gasvc.server.engine import signing
from gasvc.server.engine.context import Context
from gasvc.server.engine.scopes import reading, writing
from gasvc.server.params import MAX_DESCRIPTION, check_bool, check_text
from gasvc.server.records import User

SENSOR_TYPES = ("LIDAR", "RADAR", "CAMERA", "FISHEYE_CAMERA")


class Content:
    def __init__(self, ctx: Context, url_ttl: int, batch_extension: bool = True) -> None:
        self.ctx = ctx
        self.url_ttl = url_ttl
        self.batch_extension = batch_extension

    # segments ----------------------------------------------------------------------------
    def list_segments(self, user: User, dataset_id: str, status: dict[str, Any], offset: int,
                      limit: int) -> tuple[list[dict[str, Any]], int]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            segments = self.ctx.version(tx, dataset, status).state.segments
        names = sorted(segments)
        return [
            {"name": name, "description": segments[name].description}
            for name in names[offset : offset + limit]
        ], len(names)

    def create_segment(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        name = check_segment_name(body.get("name"))
        description = check_text(body.get("description"), "description", MAX_DESCRIPTION)
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            if name in w.state.segments:
                raise NameConflict(f"segment {name!r} already exists")
            w.state.segments[name] = Segment(description)

    def delete_segment(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        name = body.get("segmentName")
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            if not isinstance(name, str) or name not in w.state.segments:
                raise ResourceNotExist(f"segment {name!r} does not exist")
            del w.state.segments[name]
            w.tx.clear_changes(w.dataset.id, w.draft.number, name)

    # catalog and notes -------------------------------------------------------------------
    def get_catalog(self, user: User, dataset_id: str, status: dict[str, Any]) -> dict[str, Any]:
        with reading(self.ctx, user, dataset_id, status) as r:
            digest = r.version.state.catalog
            return {"catalog": r.objects.get(digest) if digest else {}}

    def put_catalog(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        catalog = body.get("catalog")
        if not isinstance(catalog, dict) or not catalog:
            raise InvalidParams("the catalog is empty", "upload a catalog with label types")
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            w.state.catalog = w.objects.put(catalog)

    def get_notes(self, user: User, dataset_id: str, status: dict[str, Any]) -> dict[str, Any]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            return self.ctx.version(tx, dataset, status).state.notes

    def update_notes(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            notes = w.state.notes
            if "isContinuous" in body:
                notes["isContinuous"] = check_bool(body["isContinuous"], "isContinuous")
            if "binPointCloudFields" in body:
                fields = body["binPointCloudFields"]
                if fields is not None and not (
                    isinstance(fields, list) and all(isinstance(f, str) for f in fields)
                ):
                    raise InvalidParams("binPointCloudFields must be a list of names or null")
                notes["binPointCloudFields"] = fields

    # sensors -----------------------------------------------------------------------------
    def list_sensors(self, user: User, dataset_id: str, status: dict[str, Any],
                     segment: str) -> dict[str, Any]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            sensors = self.ctx.version(tx, dataset, status).segment(segment).sensors
        return {"sensors": [sensors[name] for name in sorted(sensors)]}

    def upload_sensor(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        sensor = {k: v for k, v in body.items() if k not in ("draftNumber", "segmentName")}
        name, kind = sensor.get("name"), sensor.get("type")
        if not isinstance(name, str) or not name:
            raise ParamsMissing("a sensor needs a name")
        if kind not in SENSOR_TYPES:
            raise InvalidParams(f"invalid sensor type {kind!r}", f"use one of {SENSOR_TYPES}")
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            segment = self._segment(w.state, body.get("segmentName"))
            segment.sensors[name] = sensor

    def delete_sensor(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            segment = self._segment(w.state, body.get("segmentName"))
            name = body.get("sensorName")
            if name not in segment.sensors:
                raise ResourceNotExist(f"sensor {name!r} does not exist")
            del segment.sensors[name]

    @staticmethod
    def _segment(state: VersionState, name: Any) -> Segment:
        segment = state.segments.get(name) if isinstance(name, str) else None
        if segment is None:
            raise ResourceNotExist(f"segment {name!r} does not exist", "create the segment first")
        return segment

    # uploads -----------------------------------------------------------------------------
    def policy(self, user: User, dataset_id: str, status: dict[str, Any], base: str,
               expired: int, segment: str | None = None) -> dict[str, Any]:
        if segment is not None:
            check_segment_name(segment)
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            if status.get("draftNumber") is not None:
                self.ctx.open_draft(tx, dataset, status["draftNumber"])
        ttl = max(60, min(expired or self.url_ttl, self.url_ttl))
        answer = signing.policy(self.ctx.secret, base, dataset.id, user.id, self.ctx.now() + ttl,
                                self.ctx.blobs.direct_downloads)
        if not self.batch_extension:
            answer["extra"] = {k: v for k, v in answer["extra"].items()
                               if k not in signing.batch_extra(base)}
        return answer

    def read_policy(self, user: User, dataset_id: str, base: str) -> dict[str, Any]:
        """gasvc's extension: a token for batch downloads of a readable dataset."""
        if not self.batch_extension:
            raise ResourceNotExist("this server does not offer the batch extension")
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
        expires = self.ctx.now() + self.url_ttl
        return signing.read_policy(self.ctx.secret, base, dataset.id, user.id, expires,
                                   self.ctx.blobs.direct_downloads)
