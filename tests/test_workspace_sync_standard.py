"""The sync commands against a server without gasvc's batch extension: the standard Open API
flow (one upload per file under GetPolicy, callbacks of 50, one download per file by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gascli import Gas, write
from serverproc import ServerProcess
from test_workspace_sync import snapshot


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("plain") / "data"
    with ServerProcess(data, extra_args=("--no-batch-extension",)) as proc:
        yield proc


@pytest.fixture(scope="module")
def gas(plain: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(plain, plain.add_user("dave"))
    return runner


def test_push_clone_pull_checkout_per_file(gas: Gas, plain: ServerProcess,
                                           tmp_path: Path) -> None:
    start = plain.stdout_log.stat().st_size
    work = tmp_path / "work"
    gas(work, "init", "plain1")
    write(work, {f"train/{i:03d}.txt": f"file {i}" for i in range(120)})
    write(work, {"train/metadata.jsonl":
                 '{"file_name":"001.txt","label":{"CLASSIFICATION":{"category":"a"}}}\n'})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "first")
    assert "(120 changes, 120 files uploaded)" in gas(work, "push").stdout
    gas(tmp_path, "clone", "plain1", "copy")
    copy = tmp_path / "copy"
    assert snapshot(copy) == snapshot(work)
    write(copy, {"train/005.txt": "five, changed"})
    (copy / "train/006.txt").unlink()
    gas(copy, "add", "-A")
    gas(copy, "commit", "-m", "second")
    gas(copy, "push")
    assert "Fast-forward" in gas(work, "pull").stdout
    assert snapshot(work) == snapshot(copy)
    gas(copy, "checkout", "HEAD~1")  # bytes of 005/006 at HEAD~1: from the server, per item
    assert (copy / "train/005.txt").read_text() == "file 5"
    assert (copy / "train/006.txt").read_text() == "file 6"
    log = plain.stdout_log.read_bytes()[start:].decode()
    assert "/batch/" not in log
    assert log.count("multi/callback") == 3 + 1  # 120 items in callbacks of 50, then 1


def test_fusion_push_clone_checkout_per_file(gas: Gas, plain: ServerProcess,
                                             tmp_path: Path) -> None:
    """A fusion dataset in the standard flow: a file of an older commit comes from the
    segment's listing (data are looked up by remote path only in normal datasets)."""
    work = tmp_path / "work"
    gas(work, "init", "plainfusion", "--fusion")
    write(work, {"seq/sensors.json": '[{"name": "Lidar", "type": "LIDAR"}]',
                 "seq/Lidar/a.bin": "A",
                 "seq/frames.jsonl": '{"data": {"Lidar": "Lidar/a.bin"}}\n'})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "first")
    gas(work, "push")
    gas(tmp_path, "clone", "plainfusion", "copy")
    copy = tmp_path / "copy"
    assert snapshot(copy) == snapshot(work)
    write(copy, {"seq/Lidar/a.bin": "A2"})
    gas(copy, "commit", "-a", "-m", "second")
    gas(copy, "push")
    gas(copy, "checkout", "HEAD~1")
    assert (copy / "seq/Lidar/a.bin").read_text() == "A"
    gas(work, "pull")
    assert (work / "seq/Lidar/a.bin").read_text() == "A2"
