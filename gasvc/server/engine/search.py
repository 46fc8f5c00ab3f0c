"""Basic search (spec 2.13, 3.16): a commit's files that match the filters, kept as a version.

The result is a commit of the searched dataset that no branch points at, whose parent is the
commit searched: `searchResultId` is the dataset's id and `searchResultCommitId` that commit's,
so the normal read endpoints (segments, data details, statistics, sensors) serve it with
`commit=`. It holds the segments with a match (their descriptions and sensors), only the
matching files (`unit: file`; fusion: a frame's matching data) or whole frames with a match
(`unit: frame`), labels, the catalog and the notes. Nothing is copied: trees and labels are
content-addressed. The commit is scanned on a read snapshot (no writer waits for the O(files)
scan); only the result, O(matches), is written. `POST searchResults/{jobId}/datasets` makes a
new dataset of it.

A dataset keeps the results of its latest five searches (spec 3.16): a search that succeeds
deletes the result commits of the older ones (the jobs stay, listed with their result ids),
so reading one or making a dataset of it answers ResourceNotExist, saying why. A result a
branch, tag or draft was made on stays: it is a version of its own then. Either way the job is
marked (`result_dropped`) and no later search looks at it again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gasvc.errors import InvalidParams, NameConflict, ResourceNotExist
from gasvc.model import tree
from gasvc.model.names import ROOT_COMMIT, check_dataset_name
from gasvc.model.snapshot import Item, Segment, VersionState, frame, stored_frame
from gasvc.server.engine.context import EXPIRED_SEARCH_HINT, Context, Objects
from gasvc.server.engine.searchfilters import Candidate, Matcher, check_filters, matcher
from gasvc.server.meta import MetaTx
from gasvc.server.params import MAX_ALIAS, check_bool, check_text
from gasvc.server.records import Commit, Dataset, Job, User


def check_arguments(ctx: Context, tx: MetaTx, dataset: Dataset,
                    arguments: dict[str, Any]) -> None:
    """Refuse a search that cannot run, when it is created."""
    commit = arguments.get("commit")
    if not isinstance(commit, str) or tx.commit(dataset.id, commit) is None:
        raise ResourceNotExist(f"commit {commit!r} does not exist",
                               "search a commit of the dataset (check out a branch or tag)")
    check_filters(arguments, dataset.type != 0)


@dataclass
class Matches:
    """What a search found, read on one snapshot: the commit searched, its state, and the
    matching (key, stored value) entries of each segment with a match."""

    searched: Commit
    state: VersionState
    segments: dict[str, list[tuple[str, Any]]]


def find_matches(ctx: Context, tx: MetaTx, dataset: Dataset, arguments: dict[str, Any]
                 ) -> Matches:
    """Scan the commit in a read transaction (O(files), no writer waits for it)."""
    searched = tx.commit(dataset.id, arguments["commit"])
    if searched is None:
        raise ResourceNotExist(f"commit {arguments['commit']!r} no longer exists")
    objects = ctx.objects(tx)
    state = ctx.commit_state(tx, dataset, searched.id)
    match, whole = matcher(arguments), arguments.get("unit", "file") == "frame"
    found = {name: list(_matches(objects, name, segment, dataset.type != 0, match, whole))
             for name, segment in state.segments.items()}
    return Matches(searched, state, {name: entries for name, entries in found.items() if entries})


def save_result(ctx: Context, tx: MetaTx, dataset: Dataset, job: Job, found: Matches
                ) -> dict[str, Any]:
    """Write the result commit in `tx` (O(matches)); the job's result."""
    objects = ctx.objects(tx)
    result = VersionState(found.state.catalog, dict(found.state.notes), {})
    for name, entries in found.segments.items():
        segment = found.state.segments[name]
        result.segments[name] = Segment(segment.description, tree.build(entries, objects.put),
                                        dict(segment.sensors))
    commit = Commit(uuid.uuid4().hex, found.searched.id, objects.put(result.stored()),
                    f"search result of job {job.id}", job.title, job.author, ctx.now(),
                    found.searched.depth + 1)
    tx.add_commit(dataset.id, commit)
    return {"searchResultId": dataset.id, "searchResultCommitId": commit.id}


#: How many search results a dataset keeps usable: the latest (spec 3.16).
KEPT_RESULTS = 5


def drop_old_results(tx: MetaTx, dataset: Dataset) -> None:
    """Delete the result commits of the dataset's searches but the latest KEPT_RESULTS (in the
    transaction that saves a new result). Each job is marked once its result is dealt with
    (deleted, or kept as a version of its own), and not looked at again: a search reads the
    KEPT_RESULTS + 1 results not marked yet, not every search the dataset ran."""
    for job in tx.search_results(dataset.id)[KEPT_RESULTS:]:
        assert job.result is not None
        tx.drop_unused_commit(dataset.id, json.loads(job.result)["searchResultCommitId"])
        tx.update_job(job.id, result_dropped=1)


def _matches(objects: Objects, name: str, segment: Segment, fusion: bool, match: Matcher,
             whole: bool) -> Iterator[tuple[str, Any]]:
    """(key, stored value) of the segment's matching files (or frames), in key order."""
    def label(item: Item) -> dict[str, Any]:
        return dict(objects.get(item.label)) if item.label else {}

    for key, value in tree.iterate(segment.tree, objects.get):
        if not fusion:
            item = Item.from_stored(value)
            if match(Candidate(name, key, item.size, label(item))):
                yield key, value
            continue
        entries = frame(value)
        kept = [e for e in entries
                if match(Candidate(name, e.path, e.size, label(e.item), key, e.sensor))]
        if kept:
            yield key, value if whole else stored_frame(kept)


def materialize(ctx: Context, tx: MetaTx, user: User, job: Job, body: dict[str, Any]) -> str:
    """A new dataset of the user holding a search job's result as its first commit on main."""
    name = check_dataset_name(body.get("datasetName"))
    source = ctx.readable(tx, user, job.dataset_id)
    if job.type != "basicSearch" or job.status != "SUCCESS" or job.result is None:
        raise InvalidParams(f"job {job.id} has no search result",
                            "wait until the basic search job is SUCCESS")
    found = tx.commit(source.id, json.loads(job.result)["searchResultCommitId"])
    if found is None:
        raise ResourceNotExist(f"the result of search job {job.id} is no longer kept",
                               EXPIRED_SEARCH_HINT)
    if tx.dataset_by_name(user.id, name) is not None:
        raise NameConflict(f"dataset {name!r} already exists", "choose another name")
    now = ctx.now()
    dataset = Dataset(uuid.uuid4().hex, user.id, name, source.type,
                      check_text(body.get("alias"), "alias", MAX_ALIAS),
                      check_bool(body.get("isPublic", False), "isPublic"), "", "main", now)
    commit = Commit(uuid.uuid4().hex, ROOT_COMMIT, found.root, found.title, found.description,
                    user.name, now, 1)
    tx.add_dataset(dataset, now)
    tx.add_commit(dataset.id, commit)
    tx.add_branch(dataset.id, "main", commit.id)
    for checksum in sorted(set(_blobs(ctx.objects(tx), VersionState.from_stored(
            ctx.objects(tx).get(found.root)), source.type != 0))):
        tx.grant_blob(dataset.id, checksum, None)  # size: asked of the store once
    return dataset.id


def _blobs(objects: Objects, state: VersionState, fusion: bool) -> Iterator[str]:
    """Every checksum a version references: files and masks."""
    for segment in state.segments.values():
        for _, value in tree.iterate(segment.tree, objects.get):
            for item in ([e.item for e in frame(value)] if fusion else [Item.from_stored(value)]):
                yield item.checksum
                label = objects.get(item.label) if item.label else {}
                yield from (mask["checksum"] for kind, mask in label.items()
                            if kind.endswith("_MASK") and isinstance(mask, dict))
