"""Diffs (spec 2.12, 3.15): the SDK's get_diff on commits and drafts, and raw HTTP for
`base...head`, GetDiff and GetSegmentDiff, and paging of data diffs."""

from __future__ import annotations

from typing import Any

from scn_data import LABELS, catalog, expect, labeled, workdir, write
from tensorbay import GAS
from tensorbay.dataset import Data, Segment
from tensorbay.exception import InvalidParamsError, ResourceNotExistError
from tensorbay.label import Catalog, Label

UNCHANGED = ("", "unmodify")
BOX = {"BOX2D": LABELS["BOX2D"]}
POLYGON = {"POLYGON": LABELS["POLYGON"]}

# (action, file action, label action) per remotePath; None = unchanged sub-part
Expected = dict[str, tuple[str, str | None, str | None]]

DRAFT_CHANGES: dict[str, tuple[str, Expected]] = {
    "gone": ("delete", {"x.txt": ("delete", "delete", "delete")}),
    "keep": ("modify", {
        "b.txt": ("delete", "delete", "delete"),
        "c.txt": ("modify", "modify", None),
        "d.txt": ("modify", None, "modify"),
        "e.txt": ("modify", "modify", "modify"),
        "f.txt": ("add", "add", "add"),
        "g.txt": ("modify", None, "delete"),
        "h.txt": ("add", "add", None),
    }),
    "new": ("add", {"n.txt": ("add", "add", None)}),
}


def _raw(dataset_client: Any, section: str, **params: Any) -> Any:
    return dataset_client._client.open_api_do(
        "GET", section, dataset_client.dataset_id, params=params or None
    ).json()


def _data_actions(data_diffs: Any) -> Expected:
    return {
        item.remote_path: (
            item.action,
            None if item.file.action in UNCHANGED else item.file.action,
            None if item.label.action in UNCHANGED else item.label.action,
        )
        for item in data_diffs
    }


def _raw_actions(items: list[dict[str, Any]]) -> Expected:
    return {
        item["remotePath"]: (
            item["action"],
            None if item["file"]["action"] in UNCHANGED else item["file"]["action"],
            None if item["label"]["action"] in UNCHANGED else item["label"]["action"],
        )
        for item in items
    }


def _changed(dataset_diff: Any) -> dict[str, tuple[str, Expected]]:
    """{segment: (action, data actions)} of a DatasetDiff, without unmodified segments."""
    found = {}
    for segment_diff in dataset_diff:
        if segment_diff.action == "unmodify":
            assert len(segment_diff) == 0
            continue
        found[segment_diff.name] = (segment_diff.action, _data_actions(segment_diff))
    return found


def _raw_diff(dataset_client: Any, basehead: str) -> dict[str, tuple[str, Expected]]:
    """Like `_changed`, through ListSegmentDiffs / ListDataDiffs directly."""
    page = _raw(dataset_client, f"diffs/{basehead}/segments", offset=0, limit=128)
    assert page["totalCount"] == len(page["segments"])
    found = {}
    for segment in page["segments"]:
        assert set(segment) >= {"name", "action"}
        if segment["action"] == "unmodify":
            continue
        data = _raw(dataset_client, f"diffs/{basehead}/segments/{segment['name']}/data",
                    offset=0, limit=128)
        assert data["totalCount"] == len(data["data"])
        for item in data["data"]:
            assert set(item) >= {"remotePath", "action", "file", "label"}
        found[segment["name"]] = (segment["action"], _raw_actions(data["data"]))
    return found


def _reverse(changes: dict[str, tuple[str, Expected]]) -> dict[str, tuple[str, Expected]]:
    swap = {"add": "delete", "delete": "add", "modify": "modify", None: None}
    return {
        name: (swap[action], {
            path: (swap[a], swap[f], swap[la])  # type: ignore[index]
            for path, (a, f, la) in items.items()
        })
        for name, (action, items) in changes.items()
    }


def _initial_everything_added() -> dict[str, tuple[str, Expected]]:
    keep: Expected = {name: ("add", "add", "add") for name in ("b.txt", "d.txt", "e.txt",
                                                               "g.txt")}
    keep.update({name: ("add", "add", None) for name in ("a.txt", "c.txt")})
    return {
        "gone": ("add", {"x.txt": ("add", "add", "add")}),
        "keep": ("add", keep),
        "same": ("add", {"s.txt": ("add", "add", None)}),
    }


def _build_history(gas: GAS, name: str) -> tuple[Any, str, str]:
    """Commit 1, then a draft with every kind of change; returns (client on draft, c1, tmp)."""
    tmp = workdir()
    dataset_client = gas.create_dataset(name)
    dataset_client.create_draft("first")
    dataset_client.upload_catalog(catalog())
    keep = dataset_client.get_or_create_segment("keep")
    for path in ("a.txt", "c.txt"):
        keep.upload_file(write(tmp, path, path.encode()), path)
    for path in ("b.txt", "d.txt", "e.txt", "g.txt"):
        keep.upload_data(labeled(tmp, path, path.encode(), BOX))
    gone = dataset_client.get_or_create_segment("gone")
    gone.upload_data(labeled(tmp, "x.txt", b"x", BOX))
    same = dataset_client.get_or_create_segment("same")
    same.upload_file(write(tmp, "s.txt", b"s"), "s.txt")
    dataset_client.commit("first")
    first = dataset_client.status.commit_id

    dataset_client.create_draft("second")
    keep = dataset_client.get_segment("keep")
    keep.delete_data("b.txt")
    keep.upload_file(write(tmp, "c2.txt", b"c changed"), "c.txt")
    relabel = Data(write(tmp, "d.txt", b"d.txt"))
    relabel.label = Label.loads(POLYGON)
    keep.upload_label(relabel)
    keep.upload_data(labeled(tmp, "e2.txt", b"e changed", POLYGON, target_remote_path="e.txt"))
    keep.upload_data(labeled(tmp, "f.txt", b"f", BOX))
    keep.upload_file(write(tmp, "g.txt", b"g.txt"), "g.txt")  # same bytes, label dropped
    keep.upload_file(write(tmp, "h.txt", b"a.txt"), "h.txt")  # a.txt's bytes under a new path
    dataset_client.delete_segment("gone")
    dataset_client.get_or_create_segment("new").upload_file(write(tmp, "n.txt", b"n"), "n.txt")
    dataset_client.upload_catalog(Catalog.loads({"BOX2D": {"categories": [{"name": "01"}]}}))
    dataset_client.update_notes(is_continuous=True)
    return dataset_client, first, tmp


# scenarios -------------------------------------------------------------------------------
def diff_of_draft_and_commit(gas: GAS, gas_other: GAS) -> None:
    """get_diff on a draft (head draft-N) and on the commit made from it; the first commit."""
    dataset_client, first, _ = _build_history(gas, "diff_actions")
    draft_number = dataset_client.status.draft_number
    assert _changed(dataset_client.get_diff()) == DRAFT_CHANGES
    assert _raw_diff(dataset_client, f"draft-{draft_number}") == DRAFT_CHANGES
    diff = dataset_client.get_diff()
    assert [segment.name for segment in diff] == ["gone", "keep", "new"]
    assert [item.remote_path for item in diff["keep"]] == sorted(DRAFT_CHANGES["keep"][1])

    dataset_client.commit("second")
    second = dataset_client.status.commit_id
    assert _changed(dataset_client.get_diff()) == DRAFT_CHANGES
    assert _changed(dataset_client.get_diff(head=second)) == DRAFT_CHANGES
    assert _changed(dataset_client.get_diff(head=first)) == _initial_everything_added()
    # a committed draft still diffs against its parent commit
    assert _changed(dataset_client.get_diff(head=draft_number)) == DRAFT_CHANGES
    # a new, untouched draft: no changes
    dataset_client.create_draft("empty")
    assert _changed(dataset_client.get_diff()) == {}


def diff_between_two_commits_raw(gas: GAS, gas_other: GAS) -> None:
    """`base...head` between arbitrary versions, revisions by tag, GetDiff, GetSegmentDiff."""
    dataset_client, first, tmp = _build_history(gas, "diff_basehead")
    draft_number = dataset_client.status.draft_number
    dataset_client.commit("second", tag="v2")
    second = dataset_client.status.commit_id
    dataset_client.create_tag("v1", revision=first)
    dataset_client.create_draft("third")
    dataset_client.get_segment("same").upload_file(write(tmp, "t.txt", b"t"), "t.txt")
    dataset_client.commit("third")
    third = dataset_client.status.commit_id

    assert _raw_diff(dataset_client, f"commit-{first}...commit-{second}") == DRAFT_CHANGES
    assert _raw_diff(dataset_client, "commit-v1...commit-v2") == DRAFT_CHANGES
    assert _raw_diff(dataset_client, f"commit-{first}...draft-{draft_number}") == DRAFT_CHANGES
    assert _raw_diff(dataset_client, f"commit-{second}...commit-{first}") == _reverse(
        DRAFT_CHANGES)
    assert _raw_diff(dataset_client, f"commit-{first}...commit-{first}") == {}
    assert _raw_diff(dataset_client, "commit-v2") == DRAFT_CHANGES
    two_steps = {**DRAFT_CHANGES, "same": ("modify", {"t.txt": ("add", "add", None)})}
    assert _raw_diff(dataset_client, f"commit-{first}...commit-{third}") == two_steps
    assert _raw_diff(dataset_client, f"commit-{third}") == {
        "same": ("modify", {"t.txt": ("add", "add", None)})
    }
    assert _raw_diff(dataset_client, "commit-main") == _raw_diff(dataset_client,
                                                                 f"commit-{third}")
    root = "0" * 32
    assert _raw_diff(dataset_client, f"commit-{root}...commit-{first}") == (
        _initial_everything_added())

    summary = _raw(dataset_client, f"diffs/commit-{first}...commit-{second}")
    assert summary["action"] == "modify"
    assert summary["segments"]["stats"] == {
        "total": 3, "additions": 1, "deletions": 1, "modifications": 1
    }
    assert summary["data"]["stats"] == {
        "total": 9, "additions": 3, "deletions": 2, "modifications": 4
    }
    assert summary["catalog"]["action"] == "modify"
    assert summary["notes"]["action"] == "modify"
    summary = _raw(dataset_client, f"diffs/commit-{second}...commit-{third}")
    assert summary["segments"]["stats"] == {
        "total": 1, "additions": 0, "deletions": 0, "modifications": 1
    }
    assert summary["catalog"]["action"] in UNCHANGED
    assert summary["notes"]["action"] in UNCHANGED
    assert _raw(dataset_client, f"diffs/commit-{first}...commit-{first}")["action"] in (
        UNCHANGED)

    basehead = f"commit-{first}...commit-{second}"
    keep = _raw(dataset_client, f"diffs/{basehead}/segments/keep")
    assert keep["name"] == "keep" and keep["action"] == "modify"
    assert keep["data"]["stats"] == {
        "total": 7, "additions": 2, "deletions": 1, "modifications": 4
    }
    assert "sensors" in keep or "sensor" in keep
    new = _raw(dataset_client, f"diffs/{basehead}/segments/new")
    assert (new["action"], new["data"]["action"]) == ("add", "add")
    assert new["data"]["stats"] == {"total": 1, "additions": 1, "deletions": 0,
                                    "modifications": 0}
    gone = _raw(dataset_client, f"diffs/{basehead}/segments/gone")
    assert gone["action"] == "delete"
    assert gone["data"]["stats"]["deletions"] == 1
    same = _raw(dataset_client, f"diffs/{basehead}/segments/same")
    assert same["action"] in UNCHANGED and same["data"]["stats"]["total"] == 0
    expect(ResourceNotExistError, _raw, dataset_client, f"diffs/{basehead}/segments/nowhere")
    expect(ResourceNotExistError, _raw, dataset_client, f"diffs/commit-{'f' * 32}/segments")
    expect(ResourceNotExistError, _raw, dataset_client, "diffs/draft-999/segments")
    expect(InvalidParamsError, _raw, dataset_client, "diffs/nonsense-1/segments")


def data_diff_paging(gas: GAS, gas_other: GAS) -> None:
    """More than 256 data diffs: SDK paging, and raw pages whose totalCount is the count."""
    tmp = workdir()
    names = [f"file{index:03d}.txt" for index in range(300)]
    local = Segment("big")
    for name in names:
        local.append(Data(write(tmp, name, name.encode())))
    dataset_client = gas.create_dataset("diff_paging")
    dataset_client.create_draft("300")
    dataset_client.upload_segment(local, jobs=8, quiet=True)
    dataset_client.commit("300 files")

    diff = dataset_client.get_diff()
    assert [segment.name for segment in diff] == ["big"]
    big = diff["big"]
    assert big.action == "add"
    assert len(big) == 300
    assert big[256].remote_path == names[256]
    assert [item.remote_path for item in big] == names
    assert {(i.action, i.file.action) for i in big} == {("add", "add")}

    section = f"diffs/commit-{dataset_client.status.commit_id}/segments/big/data"
    pages = [(0, 128), (128, 128), (256, 44), (250, 128), (300, 128)]
    for offset, limit in pages:
        page = _raw(dataset_client, section, offset=offset, limit=limit)
        assert page["totalCount"] == 300
        assert [item["remotePath"] for item in page["data"]] == names[offset : offset + limit]

    dataset_client.create_draft("drop")
    dataset_client.delete_segment("big")
    dropped = dataset_client.get_diff()["big"]
    assert dropped.action == "delete"
    assert len(dropped) == 300
    assert {(i.action, i.file.action) for i in dropped} == {("delete", "delete")}
