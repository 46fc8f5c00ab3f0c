"""What a server lists is checked before anything is written from it: clone, pull and checkout of
fetched versions refuse reserved names, a file that is also a folder, a `metadata.jsonl` item at a
segment's root and duplicate paths, with an error naming the items; a refused clone leaves no
workspace behind, a refused pull or checkout changes nothing in the workspace.

The hostile server is a real `gas server` behind a rewriting proxy (rewriteproxy.py): the
datasets are made by alice, public, and cloned by bob through the proxy, which renames items.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, failed
from rawapi import RawApi
from rewriteproxy import RewritingProxy
from serverproc import ServerProcess

HINT = "hint: gas cannot check out this version of the dataset, and changed nothing here"
#: Bytes an attacker would like to see as the cloner's state database.
JUNK_DB = b"SQLite format 3\x00" + b"attacker" * 64
JUNK_WAL = b"\x37\x7f\x06\x82" + b"junk" * 64


@pytest.fixture(scope="module")
def proxy(http_server: ServerProcess) -> Iterator[RewritingProxy]:
    with RewritingProxy(http_server.url) as running:
        yield running


@pytest.fixture(autouse=True)
def honest(proxy: RewritingProxy) -> Iterator[None]:
    proxy.reset()
    yield
    proxy.reset()


@pytest.fixture(scope="module")
def alice(http_server: ServerProcess) -> RawApi:
    return RawApi(http_server.api, http_server.add_user("alice"), http_server.verify)


@pytest.fixture(scope="module")
def bob_key(http_server: ServerProcess) -> str:
    return http_server.add_user("bob")


@pytest.fixture
def bob(tmp_path: Path, proxy: RewritingProxy, bob_key: str) -> Gas:
    """bob's `gas`, talking to the server through the proxy."""
    return Gas(tmp_path / "home", GAS_URL=proxy.url, GAS_ACCESS_KEY=bob_key)


def publish(api: RawApi, name: str, files: dict[str, dict[str, bytes]],
            dataset_id: str | None = None) -> str:
    """A commit of `files` (segment → path → bytes) on a public dataset (new unless given)."""
    if dataset_id is None:
        dataset_id = api.create_dataset(name, is_public=True)
    draft = api.create_draft(dataset_id)
    for segment, items in files.items():
        made = api.request("POST", f"datasets/{dataset_id}/segments",
                           json={"name": segment, "draftNumber": draft})
        assert made.status_code == 200 or "already exists" in made.text, made.text
        for path, content in items.items():
            api.upload_file(dataset_id, draft, segment, path, content)
    api.commit(dataset_id, draft)
    return dataset_id


def digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path → SHA-256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused_clone(bob: Gas, tmp_path: Path, name: str, message: str) -> None:
    """bob's clone of `name` fails with `message`, and leaves no workspace: neither a new
    folder, nor anything in an empty folder it was given."""
    failed(result := bob(tmp_path, "clone", name, check=False), message)
    assert HINT in result.stderr
    assert not (tmp_path / name).exists()
    given = tmp_path / "given"
    given.mkdir()
    failed(bob(tmp_path, "clone", name, str(given), check=False), message)
    assert list(given.iterdir()) == []


# clone -----------------------------------------------------------------------------------------
def test_a_segment_named_gas(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                             tmp_path: Path) -> None:
    publish(alice, "h-seg", {"train": {"a.jpg": b"A"}})
    proxy.segments = {"train": ".gas"}
    refused_clone(bob, tmp_path, "h-seg", "the server lists a segment gas refuses: invalid"
                  " segment name '.gas': '.gas' is reserved")


def test_a_default_segment_holding_the_state_db(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                                tmp_path: Path) -> None:
    publish(alice, "h-db", {"": {"x1.bin": JUNK_DB, "x2.bin": JUNK_WAL}})
    proxy.paths = {"x1.bin": ".gas/state.sqlite", "x2.bin": ".gas/state.sqlite-wal"}
    refused_clone(bob, tmp_path, "h-db", "invalid remote path '.gas/state.sqlite': '.gas' is"
                  " reserved")


def test_a_file_that_is_also_a_folder(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                      tmp_path: Path) -> None:
    publish(alice, "h-clash", {"s": {"clash": b"C", "clasi/inner.jpg": b"I", "z.jpg": b"Z"}})
    proxy.paths = {"clasi/inner.jpg": "clash/inner.jpg"}
    proxy.page_limit = 1  # 'clash' is downloaded before its folder is listed
    refused_clone(bob, tmp_path, "h-clash", "the server lists both the file 's/clash' and"
                  " 's/clash/inner.jpg', inside a folder of the same name")


def test_an_item_named_metadata_jsonl(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                      tmp_path: Path) -> None:
    publish(alice, "h-meta", {"s": {"a.jpg": b"A", "m.jpg": b"M"}})
    proxy.paths = {"m.jpg": "metadata.jsonl"}
    refused_clone(bob, tmp_path, "h-meta", "the server lists a file 's/metadata.jsonl': in a"
                  " workspace that name holds the segment's labels")


def test_duplicate_paths(bob: Gas, alice: RawApi, proxy: RewritingProxy, tmp_path: Path) -> None:
    publish(alice, "h-dup", {"s": {"a.jpg": b"A", "b.jpg": b"B"}})
    proxy.duplicate = True
    refused_clone(bob, tmp_path, "h-dup", "the server lists 's/a.jpg' twice")


def test_paths_out_of_order(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                            tmp_path: Path) -> None:
    publish(alice, "h-order", {"s": {"a.jpg": b"A", "b.jpg": b"B"}})
    proxy.paths = {"a.jpg": "c.jpg"}
    refused_clone(bob, tmp_path, "h-order", "the server lists 's/b.jpg' out of order (after"
                  " 's/c.jpg')")


@pytest.mark.parametrize("label, reason", [
    ({"BOX2D": [{"xmin": float("nan")}]}, "NaN or Infinity"),
    ({"BOX2D": [{"xmin": float("inf")}]}, "NaN or Infinity"),
    ({"x": json.loads("[" * 150 + "]" * 150)}, "nested deeper than 100 levels"),
    (["not", "an", "object"], "a label that is not a JSON object"),
])
def test_a_label_gas_would_not_read(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                    tmp_path: Path, label: Any, reason: str) -> None:
    name = f"h-label-{uuid.uuid4().hex[:8]}"
    publish(alice, name, {"s": {"a.jpg": b"A"}})
    proxy.labels = {"a.jpg": label}
    refused_clone(bob, tmp_path, name, reason)
    assert "'s/a.jpg'" in bob(tmp_path, "clone", name, check=False).stderr


def test_an_answer_that_is_not_json(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                    tmp_path: Path) -> None:
    publish(alice, "h-html", {"s": {"a.jpg": b"A"}})
    proxy.garbage = "/segments"
    result = bob(tmp_path, "clone", "h-html", check=False)
    failed(result, "/segments?commit=")
    assert "is not standard JSON" in result.stderr
    assert "hint: check that the URL is the one of a gas or TensorBay server" in result.stderr


def test_an_honest_listing_clones(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                  tmp_path: Path) -> None:
    publish(alice, "h-ok", {"s": {"clash.jpg": b"C", "clash/inner.jpg": b"I", "m/a": b"M"}})
    proxy.page_limit = 1
    bob(tmp_path, "clone", "h-ok")
    assert (tmp_path / "h-ok/s/clash/inner.jpg").read_bytes() == b"I"
    assert bob(tmp_path / "h-ok", "status", "--porcelain").stdout.strip() == ""


# pull and checkout of fetched versions ---------------------------------------------------------
def pull_refused(bob: Gas, root: Path, message: str) -> None:
    """After `gas fetch`, pull and checkout of the new commit are refused with `message`, and
    the workspace, `.gas/` included (state database bytes), is exactly as it was."""
    bob(root, "fetch")
    before = digest(root)
    remote = bob(root, "log", "--oneline", "-n", "1", "origin/main").stdout.split()[0]
    for command in (["pull"], ["checkout", remote]):
        result = bob(root, *command, check=False)
        failed(result, message)
        assert HINT in result.stderr
        assert digest(root) == before
    assert not (root / ".gas/state.sqlite-wal").exists()
    assert bob(root, "status", "--porcelain").stdout.strip() == ""


def test_pull_of_a_default_segment_holding_the_state_db(bob: Gas, alice: RawApi,
                                                        proxy: RewritingProxy,
                                                        tmp_path: Path) -> None:
    dataset_id = publish(alice, "p-db", {"s": {"a.jpg": b"A"}})
    bob(tmp_path, "clone", "p-db")
    publish(alice, "p-db", {"": {"x1.bin": JUNK_DB, "x2.bin": JUNK_WAL}}, dataset_id)
    proxy.paths = {"x1.bin": ".gas/state.sqlite", "x2.bin": ".gas/state.sqlite-wal"}
    pull_refused(bob, tmp_path / "p-db", "'.gas' is reserved")


def test_pull_of_a_file_that_is_also_a_folder(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                              tmp_path: Path) -> None:
    dataset_id = publish(alice, "p-clash", {"s": {"clash": b"C", "z.jpg": b"Z"}})
    bob(tmp_path, "clone", "p-clash")
    publish(alice, "p-clash", {"s": {"clasi/inner.jpg": b"I"}}, dataset_id)
    proxy.paths = {"clasi/inner.jpg": "clash/inner.jpg"}
    pull_refused(bob, tmp_path / "p-clash", "the server lists both the file 's/clash' and"
                 " 's/clash/inner.jpg'")


def test_pull_of_a_diff_listing_a_path_twice(bob: Gas, alice: RawApi, proxy: RewritingProxy,
                                             tmp_path: Path) -> None:
    dataset_id = publish(alice, "p-dup", {"s": {"a.jpg": b"A"}})
    bob(tmp_path, "clone", "p-dup")
    publish(alice, "p-dup", {"s": {"b.jpg": b"B", "c.jpg": b"C"}}, dataset_id)
    proxy.paths = {"c.jpg": "b.jpg"}
    pull_refused(bob, tmp_path / "p-dup", "lists 's/b.jpg' twice")
