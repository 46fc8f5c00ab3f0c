"""`gas review`'s web app without a browser: the session token and the Host check, the JSON the
page reads (pages, filters), files with byte ranges from the working tree and `.gas/objects`,
which shapes count as removed, added, changed or unchanged, and the command's errors."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests
from gascli import Gas, failed
from reviewpage import ReviewProcess, png
from serverproc import ServerProcess
from test_diff_server import fetched_workspace
from test_review_page import mask, mask_commits, picture, uploaded

from gasvc.api.client import ApiClient
from gasvc.api.transfer import FormUploads
from gasvc.review.files import FileSource, FileUnavailable, Wanted
from gasvc.review.index import Query, ReviewIndex
from gasvc.review.shapes import sides
from gasvc.workspace.diff.diff_result import DiffResult, ItemDiff
from gasvc.workspace.store.layout import Layout

IMAGE = png(8, 4, lambda x, y: (x * 30, y * 60, 0))
BOX = {"box2d": {"xmin": 1, "ymin": 1, "xmax": 3, "ymax": 3}, "category": "car"}


@pytest.fixture(scope="module")
def gas(tmp_path_factory: pytest.TempPathFactory) -> Gas:
    return Gas(tmp_path_factory.mktemp("home"), GAS_URL="", GAS_ACCESS_KEY="")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, gas: Gas) -> Path:
    """HEAD: an image with a box and a text file; the working tree: the box renamed, the text
    file rewritten."""
    root = tmp_path_factory.mktemp("ws")
    gas(root, "init", "--no-remote")
    (root / "train").mkdir()
    (root / "train/pic.png").write_bytes(IMAGE)
    (root / "train/notes.txt").write_text("0123456789 committed")
    labels = {"pic.png": {"BOX2D": [BOX]}, "notes.txt": {"CLASSIFICATION": {"category": "x"}}}
    write_labels(root, labels)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "one")
    (root / "train/notes.txt").write_text("the working tree's text")
    write_labels(root, {**labels, "pic.png": {"BOX2D": [{**BOX, "category": "bus"}]}})
    return root


def write_labels(root: Path, labels: dict[str, Any]) -> None:
    (root / "train/metadata.jsonl").write_text("".join(
        json.dumps({"file_name": name, "label": label}) + "\n" for name, label in labels.items()))


@pytest.fixture(scope="module")
def review(workspace: Path, gas: Gas) -> Iterator[tuple[str, str]]:
    """(base URL, token) of `gas review` (the index against the working tree)."""
    with ReviewProcess(workspace, gas.env) as running:
        base, _, token = running.url.partition("?token=")
        yield base, token


def get(review: tuple[str, str], path: str, **kwargs: Any) -> requests.Response:
    base, token = review
    headers = {"X-Review-Token": token, **kwargs.pop("headers", {})}
    return requests.get(base + path, headers=headers, timeout=10, **kwargs)


def test_nothing_without_the_token_or_from_another_host(review: tuple[str, str]) -> None:
    base, token = review
    assert requests.get(base + "api/summary", timeout=10).status_code == 403
    assert requests.get(base, params={"token": token + "x"}, timeout=10).status_code == 403
    assert requests.get(base, params={"token": token}, timeout=10).status_code == 200
    assert get(review, "api/summary").status_code == 200
    # a page of another site that resolves its name to 127.0.0.1 (DNS rebinding)
    assert get(review, "api/summary", headers={"Host": "evil.example"}).status_code == 421
    # a POST needs the header: a token in the URL is not enough
    posted = requests.post(base + "api/draft/commit", params={"token": token}, json={},
                           timeout=10)
    assert posted.status_code == 403
    posted = requests.post(base + "api/draft/commit", json={}, timeout=10,
                           headers={"X-Review-Token": token})
    assert posted.status_code == 409 and "no open draft" in posted.json()["error"]
    # the static files hold no data: served to anyone, with the page's strict policy
    static = requests.get(base + "static/common.js", timeout=10)
    assert static.status_code == 200 and "X-Review-Token" in static.text
    page = requests.get(base, params={"token": token}, timeout=10)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f'data-token="{token}"' in page.text


def test_items_pages_and_filters(review: tuple[str, str]) -> None:
    summary = get(review, "api/summary").json()
    assert (summary["old"], summary["new"], summary["source"]) == (
        "index", "working tree", "local")
    assert summary["facets"]["change"] == [{"value": "modified", "count": 1},
                                           {"value": "label", "count": 1}]
    assert summary["facets"]["category"] == [{"value": "bus", "count": 1},
                                             {"value": "car", "count": 1},
                                             {"value": "x", "count": 1}]
    first = get(review, "api/items", params={"limit": 1}).json()
    assert first["total"] == 2 and [i["path"] for i in first["items"]] == ["train/notes.txt"]
    second = get(review, "api/items", params={"limit": 1, "offset": 1}).json()
    assert [(i["path"], i["change"]) for i in second["items"]] == [("train/pic.png", "label")]
    only = get(review, "api/items", params={"change": "modified"}).json()
    assert [i["path"] for i in only["items"]] == ["train/notes.txt"]
    by_category = get(review, "api/items", params={"labelType": "BOX2D", "category": "bus"})
    assert [i["path"] for i in by_category.json()["items"]] == ["train/pic.png"]
    assert get(review, "api/items", params={"category": "cat"}).json()["total"] == 0
    assert get(review, "api/item", params={"path": "train/nothing.png"}).status_code == 404


def test_an_item_with_its_shapes_and_diff_text(review: tuple[str, str]) -> None:
    item = get(review, "api/item", params={"path": "train/pic.png"}).json()
    assert item["media"] == "image" and item["change"] == "label"
    assert item["text"] == ["L  train/pic.png", "    BOX2D[0].category: car → bus"]
    assert [(s["labelType"], s["status"]) for s in item["before"]["shapes"]] == [
        ("BOX2D", "changed")]
    assert item["after"]["shapes"][0]["instance"]["category"] == "bus"
    other = get(review, "api/item", params={"path": "train/notes.txt"}).json()
    assert other["media"] == "other" and other["text"][1].startswith("    file: ")


def test_files_with_ranges_from_the_working_tree_and_the_objects(
        review: tuple[str, str]) -> None:
    notes = {"path": "train/notes.txt"}
    after = get(review, "file", params={**notes, "side": "after"})
    assert after.content == b"the working tree's text"
    assert after.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert after.headers["Content-Type"] == "application/octet-stream"
    before = get(review, "file", params={**notes, "side": "before"},
                 headers={"Range": "bytes=2-5"})
    assert before.status_code == 206 and before.content == b"2345"
    assert before.headers["Content-Range"] == "bytes 2-5/20"
    image = get(review, "file", params={"path": "train/pic.png", "side": "before"})
    assert image.content == IMAGE and image.headers["Content-Type"] == "image/png"
    assert get(review, "file", params={"path": "train/pic.png", "side": "middle"}
               ).status_code == 404


def test_files_of_server_versions_by_their_urls_and_of_a_draft(tmp_path: Path) -> None:
    """A server without the batch extension: each file (and mask) by the signed URL of its
    item's details at the side's version — a commit, or the draft under review."""
    with ServerProcess(tmp_path / "data", extra_args=("--no-batch-extension",)) as server:
        key = server.add_user("alice")
        with closing(ApiClient(server.url, key)) as api:
            dataset, first, second = mask_commits(api, tmp_path)
            draft = api.create_draft(dataset, "main", "retaken")
            uploads = FormUploads(api, dataset, draft)
            api.callback(dataset, draft, "train", [{
                "remotePath": "road.png", **uploaded(uploads, tmp_path, picture(200)),
                "label": {"SEMANTIC_MASK": uploaded(uploads, tmp_path, mask(120))}}])
        root = tmp_path / "fetched"
        fetched_workspace(root, server.url, "masked", dataset, first, second)
        gas = Gas(tmp_path / "home")
        gas.login(server, key)
        with ReviewProcess(root, gas.env, "--draft", str(draft)) as running:
            base, _, token = running.url.partition("?token=")
            review = (base, token)
            assert get(review, "api/summary").json()["draft"]["number"] == draft
            road = {"path": "train/road.png"}
            assert get(review, "file", params={**road, "side": "before"}).content == picture(40)
            assert get(review, "file", params={**road, "side": "after"}).content == picture(200)
            for side in ("before", "after"):
                masked = get(review, "file", params={**road, "side": side,
                                                      "mask": "SEMANTIC_MASK"})
                assert masked.content == mask(120)
                assert masked.headers["Content-Type"] == "image/png"


# the parts, one by one --------------------------------------------------------------------
def shapes_of(old: Any, new: Any) -> tuple[list[tuple[str, int, str]], ...]:
    return tuple([(s["labelType"], s["index"], s["status"]) for s in side]
                 for side in sides(old, new))


def test_shapes_match_equal_instances_then_pair_the_rest_in_order() -> None:
    car, bus, truck = ({**BOX, "category": c} for c in ("car", "bus", "truck"))
    moved = {**BOX, "box2d": {**BOX["box2d"], "xmin": 2}}
    assert shapes_of({"BOX2D": [car, bus, car]}, {"BOX2D": [car, truck, moved]}) == (
        [("BOX2D", 0, "unchanged"), ("BOX2D", 1, "changed"), ("BOX2D", 2, "changed")],
        [("BOX2D", 0, "unchanged"), ("BOX2D", 1, "changed"), ("BOX2D", 2, "changed")])
    assert shapes_of({"BOX2D": [car, car]}, {"BOX2D": [car]}) == (
        [("BOX2D", 0, "unchanged"), ("BOX2D", 1, "removed")], [("BOX2D", 0, "unchanged")])
    assert shapes_of(None, {"CLASSIFICATION": {"category": "cat"}}) == (
        [], [("CLASSIFICATION", 0, "added")])
    assert shapes_of({"CLASSIFICATION": {"category": "cat"}, "POLYGON": []},
                     {"CLASSIFICATION": {"category": "dog"}}) == (
        [("CLASSIFICATION", 0, "changed")], [("CLASSIFICATION", 0, "changed")])


def test_index_filters_by_type_and_category_together() -> None:
    result = DiffResult("a", "b", items=[
        ItemDiff("s", "1.jpg", "L", None, None, True, old_label={"BOX2D": [BOX]},
                 new_label={"BOX2D": [{"box2d": BOX["box2d"]}]}),
        ItemDiff("s", "2.jpg", "A", None, None, True,
                 new_label={"CLASSIFICATION": {"category": "car"}}),
    ])
    index = ReviewIndex(result)
    paths = [lambda q: [i["path"] for i in index.page(q, 0, 10)["items"]]][0]
    assert paths(Query(category="car")) == ["s/1.jpg", "s/2.jpg"]
    assert paths(Query(label_type="BOX2D", category="car")) == ["s/1.jpg"]
    assert paths(Query(category="")) == ["s/1.jpg"]  # the box that lost its category
    assert paths(Query(change="added")) == ["s/2.jpg"]
    assert index.facets()["category"] == [{"value": "", "count": 1},
                                          {"value": "car", "count": 2}]


def test_a_label_naming_a_file_outside_the_workspace_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"secret")
    root = tmp_path / "ws"
    (root / ".gas").mkdir(parents=True)
    files = FileSource(Layout(root), tmp_path, None)
    checksum = "5" * 40
    for local in ("../secret", "/etc/passwd", ".gas/state.sqlite", "a/../../secret"):
        wanted = Wanted(checksum, 6, "train", "x.png", local, "SEMANTIC_MASK", None, True)
        with pytest.raises(FileUnavailable):
            files.find(wanted)


def test_a_workspace_file_that_changed_since_is_not_taken_for_the_old_one(
        tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "train").mkdir(parents=True)
    (root / "train/x.png").write_bytes(b"new bytes")
    files = FileSource(Layout(root), tmp_path, None)
    with pytest.raises(FileUnavailable) as caught:
        files.find(Wanted("0" * 40, 9, "train", "x.png", None, None, None))
    assert caught.value.hint
    assert files.find(Wanted("0" * 40, 9, "train", "x.png", None, None, None, True)
                      ) == root / "train/x.png"


# the command's errors ---------------------------------------------------------------------
def test_bad_arguments_are_refused_before_serving(workspace: Path, gas: Gas) -> None:
    result = gas(workspace, "review", "--no-browser", "--draft", "1", "HEAD", check=False)
    assert result.returncode == 2 and "--draft reviews a draft" in result.stderr
    failed(gas(workspace, "review", "--no-browser", "--draft", "1", check=False), "remote")
    failed(gas(workspace, "review", "--no-browser", "nosuchrev", check=False), "nosuchrev")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = gas(workspace, "review", "--no-browser", "--port", str(port), check=False)
    failed(result, f"cannot listen on 127.0.0.1:{port}")
    assert "another --port" in result.stderr
