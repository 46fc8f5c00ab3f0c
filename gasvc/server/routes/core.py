"""Users, storage configs, datasets, branches, drafts, commits and tags."""

from __future__ import annotations

from typing import Any

from gasvc.server.engine import Engine
from gasvc.server.http import paged

D = "/datasets/{dataset_id}"


def routes(engine: Engine) -> list[tuple[str, str, Any]]:
    ds, vc = engine.datasets, engine.versions

    return [
        ("GET", "/users", lambda c: ds.user_info(c.user)),
        ("GET", "/storage-configs", paged(
            "configs", lambda c, o, n: ds.list_configs(
            c.user, c.query.get("name"), o, n, c.exact_names))),
        ("POST", "/storage-configs/{kind}",
         lambda c: ds.create_config(c.user, c.path["kind"], c.body)),
        ("DELETE", "/storage-configs/{name}", lambda c: ds.delete_config(c.user, c.path["name"])),
        ("GET", "/datasets", paged(
            "datasets", lambda c, o, n: ds.list(
            c.user, c.query.get("name"), o, n, c.exact_names))),
        ("POST", "/datasets", lambda c: {"id": ds.create(c.user, c.body)}),
        ("GET", D, lambda c: ds.get(c.user, c.dataset_id)),
        ("PATCH", D, lambda c: ds.update(c.user, c.dataset_id, c.body)),
        ("DELETE", D, lambda c: ds.delete(c.user, c.dataset_id)),
        ("GET", D + "/branches", paged("branches", lambda c, o, n: vc.list_branches(
            c.user, c.dataset_id, c.query.get("name"), o, n, c.exact_names))),
        ("POST", D + "/branches", lambda c: vc.create_branch(c.user, c.dataset_id, c.body)),
        ("DELETE", D + "/branches", lambda c: vc.delete_branch(c.user, c.dataset_id, c.body)),
        ("GET", D + "/drafts", paged("drafts", lambda c, o, n: vc.list_drafts(
            c.user, c.dataset_id, c.query.get("status"), c.query.get("branchName"), o, n))),
        ("POST", D + "/drafts",
         lambda c: {"draftNumber": vc.create_draft(c.user, c.dataset_id, c.body)}),
        ("PATCH", D + "/drafts/{number}",
         lambda c: vc.update_draft(c.user, c.dataset_id, c.path["number"], c.body)),
        ("GET", D + "/commits", paged("commits", lambda c, o, n: vc.list_commits(
            c.user, c.dataset_id, c.query.get("commit"), o, n))),
        ("POST", D + "/commits", lambda c: {"commitId": vc.commit(c.user, c.dataset_id, c.body)}),
        ("GET", D + "/tags", paged("tags", lambda c, o, n: vc.list_tags(
            c.user, c.dataset_id, c.query.get("name"), o, n, c.exact_names))),
        ("POST", D + "/tags", lambda c: vc.create_tag(c.user, c.dataset_id, c.body)),
        ("DELETE", D + "/tags", lambda c: vc.delete_tag(c.user, c.dataset_id, c.body)),
    ]
