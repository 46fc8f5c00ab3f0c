"""Masks in fusion workspaces against a real plain-HTTP server (no SDK: tests/sdk/
test_sdk_fusion_masks.py has the SDK's side): a sensor's data with a mask pushes its image
first and clones back with the image at `@masks/<segment>/<sensor>/<remotePath>.<kind>.png`;
a server that lists fusion masks without their checksum (TensorBay) is cloned by hashing the
images; `masks/urls` answers per frame in a fusion segment; checkout and pull move the images."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, write
from rawapi import RawApi, sha1
from rewriteproxy import RewritingProxy
from serverproc import ServerProcess

SENSORS = [{"name": "Lidar", "type": "LIDAR"}, {"name": "Camera", "type": "CAMERA"}]
IMAGE = "@masks/seq/Camera/0.jpg.semantic.png"
INFO = [{"categoryId": 0, "attributes": {"occluded": True}}]


@pytest.fixture(scope="module")
def key(http_server: ServerProcess) -> str:
    return http_server.add_user("alice")


@pytest.fixture(scope="module")
def gas(http_server: ServerProcess, key: str, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(http_server, key)
    return runner


@pytest.fixture(scope="module")
def api(http_server: ServerProcess, key: str) -> RawApi:
    return RawApi(http_server.api, key, http_server.verify)


@pytest.fixture(scope="module")
def proxy(http_server: ServerProcess) -> Iterator[RewritingProxy]:
    with RewritingProxy(http_server.url) as running:
        yield running


def jsonl(values: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


def mask_line(info: list[dict[str, Any]]) -> str:
    return jsonl([{"file_name": "Camera/0.jpg",
                   "label": {"SEMANTIC_MASK": {"path": IMAGE, "info": info}}}])


def line(root: Path) -> dict[str, Any]:
    [found] = [json.loads(text) for text in (root / "seq/metadata.jsonl").read_text().splitlines()]
    assert found["file_name"] == "Camera/0.jpg"
    mask: dict[str, Any] = found["label"]["SEMANTIC_MASK"]
    return mask


def porcelain(gas: Gas, root: Path) -> list[str]:
    return gas(root, "status", "--porcelain").stdout.strip("\n").splitlines()


def pushed(gas: Gas, root: Path, name: str) -> Path:
    """A fusion dataset `name` pushed: segment seq, two frames (Lidar, Camera), Camera/0.jpg
    with a semantic mask."""
    gas(root, "init", name, "--fusion")
    write(root, {
        "seq/sensors.json": json.dumps(SENSORS),
        "seq/Lidar/0.bin": "L0", "seq/Camera/0.jpg": "C0", "seq/Lidar/1.bin": "L1",
        "seq/frames.jsonl": jsonl([{"data": {"Lidar": "Lidar/0.bin", "Camera": "Camera/0.jpg"}},
                                   {"data": {"Lidar": "Lidar/1.bin"}}]),
        "seq/metadata.jsonl": mask_line(INFO), IMAGE: "MASK"})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push")
    return root


def dataset_id(api: RawApi, name: str) -> str:
    return str(api.list_datasets(name)["datasets"][0]["id"])


def head_commit(api: RawApi, ident: str) -> str:
    return str(api.call("GET", f"datasets/{ident}/commits", params={"offset": 0, "limit": 1}
                        )["commits"][0]["commitId"])


def test_push_sends_the_mask_and_a_clone_puts_it_in_place(gas: Gas, api: RawApi,
                                                          tmp_path: Path) -> None:
    pushed(gas, tmp_path / "ws", "fmask_push")
    ident = dataset_id(api, "fmask_push")
    frames = api.data_details(ident, "seq", commit=head_commit(api, ident))
    camera = next(data for data in frames[0]["frame"] if data["sensorName"] == "Camera")
    mask = camera["label"]["SEMANTIC_MASK"]
    assert (mask["checksum"], mask["fileSize"], mask["info"]) == (sha1(b"MASK"), 4, INFO)
    assert api.get_url(mask["url"]).content == b"MASK"
    gas(tmp_path, "clone", "fmask_push", "copy")
    copy = tmp_path / "copy"
    assert (copy / IMAGE).read_text() == "MASK"
    assert line(copy) == {"checksum": sha1(b"MASK"), "fileSize": 4, "info": INFO, "path": IMAGE}
    assert porcelain(gas, copy) == []
    assert gas(copy, "diff", "HEAD").stdout == ""


def test_masks_urls_of_a_fusion_segment_are_per_frame(gas: Gas, api: RawApi,
                                                      tmp_path: Path) -> None:
    pushed(gas, tmp_path / "ws", "fmask_urls")
    ident = dataset_id(api, "fmask_urls")
    commit = head_commit(api, ident)
    params = {"segmentName": "seq", "commit": commit, "offset": 0, "limit": 128}
    frames = api.data_details(ident, "seq", commit=commit)
    semantic = api.call("GET", f"datasets/{ident}/masks/urls",
                        params={**params, "maskType": "SEMANTIC_MASK"})
    assert semantic["totalCount"] == 2 and len(semantic["urls"]) == 2
    first, second = semantic["urls"]
    assert [first["frameId"], second["frameId"]] == [frame["frameId"] for frame in frames]
    assert [entry["sensorName"] for entry in first["urls"]] == ["Camera"]
    assert api.get_url(first["urls"][0]["url"]).content == b"MASK"
    assert second["urls"] == []
    instance = api.call("GET", f"datasets/{ident}/masks/urls",
                        params={**params, "maskType": "INSTANCE_MASK"})
    assert [entry["urls"] for entry in instance["urls"]] == [[], []]
    single = api.request("GET", f"datasets/{ident}/masks/urls", params={
        "segmentName": "seq", "commit": commit, "maskType": "SEMANTIC_MASK",
        "remotePath": "0.jpg"})
    assert single.status_code == 400, single.text
    assert "mask URLs by remotePath are for normal datasets" in single.json()["message"]


def test_a_fusion_listing_without_mask_checksums_is_cloned_by_hashing_the_images(
        gas: Gas, key: str, proxy: RewritingProxy, tmp_path: Path) -> None:
    pushed(gas, tmp_path / "ws", "fmask_bare")
    proxy.bare_masks = True
    try:
        through = Gas(tmp_path / "home2", GAS_URL=proxy.url, GAS_ACCESS_KEY=key)
        through(tmp_path, "clone", "fmask_bare", "clone")
    finally:
        proxy.bare_masks = False
    clone = tmp_path / "clone"
    assert (clone / IMAGE).read_text() == "MASK"
    assert line(clone) == {"checksum": sha1(b"MASK"), "fileSize": 4, "info": INFO,
                           "path": IMAGE}
    assert porcelain(gas, clone) == []
    assert gas(clone, "diff", "HEAD").stdout == ""  # label ids: the server's


def test_checkout_and_pull_move_fusion_mask_images(gas: Gas, tmp_path: Path) -> None:
    root = pushed(gas, tmp_path / "ws", "fmask_moves")
    gas(tmp_path, "clone", "fmask_moves", "other")
    other = tmp_path / "other"
    (root / IMAGE).write_text("MASK 2")
    (root / "seq/metadata.jsonl").write_text(jsonl([{"file_name": "Camera/0.jpg", "label": {
        "SEMANTIC_MASK": {**line(root), "info": []}}}]))
    assert porcelain(gas, root) == [f" M {IMAGE}", " L seq/Camera/0.jpg"]
    gas(root, "commit", "-a", "-m", "second")
    assert line(root)["checksum"] == sha1(b"MASK 2")
    gas(root, "checkout", "HEAD~1")
    assert (root / IMAGE).read_text() == "MASK" and line(root)["info"] == INFO
    assert porcelain(gas, root) == []
    gas(root, "checkout", "main")
    assert (root / IMAGE).read_text() == "MASK 2" and line(root)["info"] == []
    gas(root, "push")
    assert "Fast-forward" in gas(other, "pull").stdout
    assert (other / IMAGE).read_text() == "MASK 2"
    assert line(other) == {"checksum": sha1(b"MASK 2"), "fileSize": 6, "info": [],
                           "path": IMAGE}
    assert porcelain(gas, other) == []


def test_without_the_batch_extension_images_come_by_their_listed_urls(tmp_path: Path) -> None:
    """A server without the batch extension (as TensorBay): a clone downloads the images by
    the URLs in the frames' labels, and a checkout of a commit whose image is not local
    finds it by the URL its fusion segment lists at that commit."""
    with ServerProcess(tmp_path / "data", extra_args=("--no-batch-extension",)) as server:
        gas = Gas(tmp_path / "home")
        gas.login(server, server.add_user("alice"))
        root = pushed(gas, tmp_path / "ws", "fmask_urls_only")
        (root / IMAGE).write_text("MASK 2")
        gas(root, "commit", "-a", "-m", "second")
        gas(root, "push")
        gas(tmp_path, "clone", "fmask_urls_only", "copy")
        copy = tmp_path / "copy"
        assert (copy / IMAGE).read_text() == "MASK 2"
        gas(copy, "checkout", "HEAD~1")
        assert (copy / IMAGE).read_text() == "MASK"
        assert line(copy)["checksum"] == sha1(b"MASK")
        assert porcelain(gas, copy) == []
