"""Segments, catalog, notes, labels, statistics, data, sensors, frames, diffs, policies."""

from __future__ import annotations

from typing import Any

from gasvc.errors import InvalidParams
from gasvc.server.engine import Engine
from gasvc.server.http import Call, paged

D = "/datasets/{dataset_id}"


def routes(engine: Engine) -> list[tuple[str, str, Any]]:
    ct, da, st, df = engine.content, engine.data, engine.stats, engine.diffs
    cm = engine.copymove
    extension = [  # gasvc's: advertised with the batch extension (signing.batch_extra)
        ("POST", D + "/data/details", lambda c: da.lookup_details(
            c.user, c.dataset_id, c.status(), c.body, c.base_url)),
        ("GET", D + "/diffs/{basehead}/details", lambda c: engine.diff_details.page(
            c.user, c.dataset_id, c.path["basehead"], c.paging(), c.base_url)),
    ] if ct.batch_extension else []

    def listing(field: str, method: Any, *extra: str) -> Any:
        """A data listing: segment + status + paging or a single `remotePath`."""
        def fetch(c: Call, offset: int, limit: int) -> Any:
            args = [c.query.get(name) for name in extra]
            return method(c.user, c.dataset_id, c.status(), c.need_query("segmentName"), *args,
                          offset, limit, c.query.get("remotePath"), c.base_url)
        return paged(field, fetch)

    def copy_or_move_data(c: Call) -> None:
        """`POST data?multipleCopy` or `?multipleMove` (OperateData)."""
        if "multipleCopy" not in c.query and "multipleMove" not in c.query:
            raise InvalidParams("POST data needs the query key multipleCopy or multipleMove")
        cm.data(c.user, c.dataset_id, c.body, move="multipleMove" in c.query)

    return [
        ("GET", D + "/segments", paged("segments", lambda c, o, n: ct.list_segments(
            c.user, c.dataset_id, c.status(), o, n))),
        ("POST", D + "/segments", lambda c: (
            cm.segment(c.user, c.dataset_id, c.body, move="move" in c.query)
            if "copy" in c.query or "move" in c.query
            else ct.create_segment(c.user, c.dataset_id, c.body))),
        ("POST", D + "/data", lambda c: copy_or_move_data(c)),
        ("DELETE", D + "/segments", lambda c: ct.delete_segment(c.user, c.dataset_id, c.body)),
        ("GET", D + "/labels/catalogs",
         lambda c: ct.get_catalog(c.user, c.dataset_id, c.status())),
        ("PUT", D + "/labels/catalogs", lambda c: ct.put_catalog(c.user, c.dataset_id, c.body)),
        ("GET", D + "/labels/statistics", lambda c: st.labels(c.user, c.dataset_id, c.status())),
        ("GET", D + "/total-size",
         lambda c: st.total_size(c.user, c.dataset_id, c.query.get("commit"))),
        ("GET", D + "/notes", lambda c: ct.get_notes(c.user, c.dataset_id, c.status())),
        ("PATCH", D + "/notes", lambda c: ct.update_notes(c.user, c.dataset_id, c.body)),
        ("GET", D + "/policies", lambda c: ct.policy(
            c.user, c.dataset_id, c.status(), c.base_url, c.int_query("expired", 0),
            c.query.get("segmentName"))),
        ("GET", D + "/storage-extension",
         lambda c: ct.read_policy(c.user, c.dataset_id, c.base_url)),
        ("PUT", D + "/multi/callback", lambda c: da.callback(c.user, c.dataset_id, c.body)),
        ("PUT", D + "/callback", lambda c: da.callback(
            c.user, c.dataset_id, {**c.body, "objects": [c.body]})),
        ("PUT", D + "/multi/data/labels",
         lambda c: da.upload_labels(c.user, c.dataset_id, c.body)),
        ("PUT", D + "/labels", lambda c: da.upload_label(c.user, c.dataset_id, c.body)),
        ("GET", D + "/data", paged("data", lambda c, o, n: da.list_paths(
            c.user, c.dataset_id, c.status(), c.need_query("segmentName"), o, n))),
        ("GET", D + "/data/details", listing("dataDetails", da.details)),
        ("GET", D + "/data/urls", listing("urls", da.urls)),
        ("GET", D + "/masks/urls", listing("urls", da.mask_urls, "maskType")),
        ("DELETE", D + "/data",
         lambda c: da.delete(c.user, c.dataset_id, c.body, "remotePath")),
        ("DELETE", D + "/frames", lambda c: da.delete(c.user, c.dataset_id, c.body, "frameId")),
        ("GET", D + "/sensors", lambda c: ct.list_sensors(
            c.user, c.dataset_id, c.status(), c.need_query("segmentName"))),
        ("POST", D + "/sensors", lambda c: ct.upload_sensor(c.user, c.dataset_id, c.body)),
        ("DELETE", D + "/sensors", lambda c: ct.delete_sensor(c.user, c.dataset_id, c.body)),
        ("GET", D + "/diffs/{basehead}",
         lambda c: df.get_diff(c.user, c.dataset_id, c.path["basehead"])),
        ("GET", D + "/diffs/{basehead}/segments", paged("segments", lambda c, o, n:
         df.list_segment_diffs(c.user, c.dataset_id, c.path["basehead"], o, n))),
        ("GET", D + "/diffs/{basehead}/segments/{segment}", lambda c: df.get_segment_diff(
            c.user, c.dataset_id, c.path["basehead"], c.path["segment"])),
        ("GET", D + "/diffs/{basehead}/segments/{segment}/data", paged("data", lambda c, o, n:
         df.list_data_diffs(c.user, c.dataset_id, c.path["basehead"], c.path["segment"], o, n))),
        *extension,
    ]
