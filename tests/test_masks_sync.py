"""Masks between a workspace and the server (no SDK): push sends mask images before the labels
that name them, and the server lists their checksums; a push that fails before its commit
reuses its draft when run again (never a new open draft per try); a server that lists masks
without checksums (TensorBay) is cloned by downloading and hashing the images, with the same
label ids; a clean status reads no mask image (their listing's fingerprint, else their stat
cache)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, failed, write
from httpuser import user_fixtures
from rawapi import RawApi
from rewriteproxy import RewritingProxy
from serverproc import ServerProcess

IMAGE = "@masks/train/a.jpg.semantic.png"
INFO = [{"categoryId": 0, "attributes": {"occluded": True}}]


key, gas, api = user_fixtures("alice")


@pytest.fixture(scope="module")
def proxy(http_server: ServerProcess) -> Iterator[RewritingProxy]:
    with RewritingProxy(http_server.url) as running:
        yield running


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def porcelain(gas: Gas, root: Path) -> list[str]:
    return gas(root, "status", "--porcelain").stdout.strip("\n").splitlines()


def set_mask(root: Path, info: list[dict[str, Any]]) -> None:
    (root / "train/metadata.jsonl").write_text(json.dumps(
        {"file_name": "a.jpg", "label": {"SEMANTIC_MASK": {"path": IMAGE, "info": info}}}) + "\n")


def pushed(gas: Gas, root: Path, name: str) -> Path:
    """A new dataset `name` whose first commit, train/a.jpg with a semantic mask, is pushed."""
    gas(root, "init", name)
    write(root, {"train/a.jpg": "A", IMAGE: "MASK"})
    set_mask(root, INFO)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push")
    return root


def dataset_id(api: RawApi, name: str) -> str:
    return str(api.list_datasets(name)["datasets"][0]["id"])


def test_push_sends_the_mask_and_the_server_lists_its_checksum(gas: Gas, api: RawApi,
                                                               tmp_path: Path) -> None:
    pushed(gas, tmp_path / "ws", "masks_listed")
    ident = dataset_id(api, "masks_listed")
    commit = api.call("GET", f"datasets/{ident}/commits", params={"offset": 0, "limit": 1}
                      )["commits"][0]["commitId"]
    [item] = api.data_details(ident, "train", commit=commit)
    mask = item["label"]["SEMANTIC_MASK"]
    assert (mask["checksum"], mask["fileSize"], mask["info"]) == (sha1("MASK"), 4, INFO)
    assert mask["remotePath"] == "a.png"
    assert api.get_url(mask["url"]).content == b"MASK"


def test_a_push_that_fails_before_its_commit_reuses_its_draft(gas: Gas, api: RawApi,
                                                              tmp_path: Path) -> None:
    root = pushed(gas, tmp_path / "ws", "masks_retry")
    (root / IMAGE).write_text("MASK 2")
    gas(root, "commit", "-a", "-m", "second")
    shutil.rmtree(root / ".gas/objects")  # the committed image is gone from everywhere
    (root / IMAGE).write_text("MASK 3")
    ident = dataset_id(api, "masks_retry")
    for _ in range(3):
        result = gas(root, "push", check=False)
        failed(result, f"the committed image of {IMAGE} is neither in .gas/objects nor in the"
               " working file")
        drafts = api.call("GET", f"datasets/{ident}/drafts",
                          params={"status": "OPEN", "offset": 0, "limit": 128})["drafts"]
        assert len(drafts) == 1, drafts
    (root / IMAGE).write_text("MASK 2")  # the committed bytes again
    gas(root, "push")
    assert api.call("GET", f"datasets/{ident}/drafts",
                    params={"status": "OPEN", "offset": 0, "limit": 128})["drafts"] == []
    assert porcelain(gas, root) == []


def test_a_listing_without_mask_checksums_is_cloned_by_hashing_the_images(
        gas: Gas, key: str, proxy: RewritingProxy, tmp_path: Path) -> None:
    pushed(gas, tmp_path / "ws", "masks_bare")
    proxy.bare_masks = True
    try:
        through = Gas(tmp_path / "home2", GAS_URL=proxy.url, GAS_ACCESS_KEY=key)
        through(tmp_path, "clone", "masks_bare", "clone")
    finally:
        proxy.bare_masks = False
    clone = tmp_path / "clone"
    assert (clone / IMAGE).read_text() == "MASK"
    line = json.loads((clone / "train/metadata.jsonl").read_text())["label"]["SEMANTIC_MASK"]
    assert line == {"checksum": sha1("MASK"), "fileSize": 4, "info": INFO, "path": IMAGE}
    assert porcelain(gas, clone) == []
    assert gas(clone, "diff", "HEAD").stdout == ""  # label ids: the server's


def test_a_clean_status_reads_no_mask_image(gas: Gas, tmp_path: Path) -> None:
    root = pushed(gas, tmp_path / "ws", "masks_cache")
    image = root / IMAGE
    time.sleep(0.2)  # past the racy window: a status records the image's stat as trusted
    assert porcelain(gas, root) == [] and porcelain(gas, root) == []
    with sqlite3.connect(root / ".gas/state.sqlite") as db:
        [(mtime,)] = db.execute("SELECT mtime_ns FROM masks WHERE path = ?", (IMAGE,))
        assert mtime == image.stat().st_mtime_ns
        assert db.execute("SELECT value FROM meta WHERE key = 'masks.clean'").fetchone()
    # other bytes, same size, inode and mtime: only reading the image would tell
    with image.open("r+b") as handle:
        handle.write(b"KSAM")
    os.utime(image, ns=(mtime, mtime))
    assert porcelain(gas, root) == []  # @masks/ lists as it did: not looked at one by one
    write(root, {"@masks/train/stray.png": "S"})
    assert porcelain(gas, root) == ["?? @masks/train/stray.png"]  # the stat cache: not read
    image.touch()
    assert porcelain(gas, root) == [f" M {IMAGE}", "?? @masks/train/stray.png"]


def test_a_server_diff_names_the_changed_mask(gas: Gas, key: str, tmp_path: Path) -> None:
    root = pushed(gas, tmp_path / "ws", "masks_server_diff")
    gas(tmp_path, "clone", "masks_server_diff", "other")
    (root / IMAGE).write_text("MASK 2")
    set_mask(root, [{"categoryId": 1, "attributes": {"occluded": True}}])
    gas(root, "commit", "-a", "-m", "second")
    gas(root, "push")
    other = tmp_path / "other"
    gas(other, "fetch")
    diff = gas(other, "diff", "HEAD", "origin/main").stdout.splitlines()
    assert diff == [
        "L  train/a.jpg",
        f"    mask: {IMAGE}: {sha1('MASK')[:7]} (4 B) → {sha1('MASK 2')[:7]} (6 B)",
        "    SEMANTIC_MASK.info[0].categoryId: 0 → 1"], diff


def test_a_mask_whose_file_name_would_be_too_long_is_refused_at_clone(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    name = "n" * 245 + ".jpg"  # a file name the server takes; with ".semantic.png", too long
    ident = api.create_dataset("masks_long")
    draft = api.create_draft(ident)
    api.create_segment(ident, draft, "train")
    api.upload_file(ident, draft, "train", name, b"A")
    api.upload_blob(api.policy(ident, draft, "train"), b"MASK")
    label = {"SEMANTIC_MASK": {"checksum": sha1("MASK"), "fileSize": 4}}
    api.call("PUT", f"datasets/{ident}/multi/data/labels", json={
        "segmentName": "train", "draftNumber": draft,
        "objects": [{"remotePath": name, "label": label}]})
    api.commit(ident, draft)
    result = gas(tmp_path, "clone", "masks_long", "clone", check=False)
    failed(result, "with a SEMANTIC_MASK, whose image's file name here would be longer than"
           " 255 bytes")
    assert not (tmp_path / "clone").exists()
