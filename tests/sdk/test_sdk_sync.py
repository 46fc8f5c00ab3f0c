"""`gas push` writes what the unmodified SDK reads; `gas clone` reads what the SDK uploads."""

from __future__ import annotations

import json
from pathlib import Path

from gascli import Gas, write
from sdkrunner import SdkRunner
from serverproc import ServerProcess

CAT = {"CLASSIFICATION": {"category": "cat"}}
DOG = {"CLASSIFICATION": {"category": "dog"}}


def gas_for(server: ServerProcess, key: str, home: Path) -> Gas:
    runner = Gas(home)
    runner.login(server, key)
    return runner


def metadata(labels: dict[str, dict[str, object]]) -> str:
    return "".join(json.dumps({"file_name": path, "label": label}) + "\n"
                   for path, label in labels.items())


def test_sdk_reads_what_gas_pushed(sdk: SdkRunner, server: ServerProcess, alice: str,
                                   tmp_path: Path) -> None:
    gas = gas_for(server, alice, tmp_path / "home")
    work = tmp_path / "work"
    gas(work, "init", "sync_sdk_read")
    write(work, {"train/a.txt": "A", "train/sub/b.txt": "B", "test/c.txt": "C",
                 "train/metadata.jsonl": metadata({"a.txt": CAT})})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "first")
    gas(work, "push")
    write(work, {"train/sub/b.txt": "B2", "train/metadata.jsonl": metadata({"a.txt": DOG,
                                                                              "sub/b.txt": CAT})})
    (work / "test/c.txt").unlink()
    write(work, {"test/d.txt": "D"})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "second")
    gas(work, "push")
    expected = {"train": {"a.txt": ["A", DOG], "sub/b.txt": ["B2", CAT]},
                "test": {"d.txt": ["D", None]}}
    sdk.run("scn_sync", "read_pushed", DATASET="sync_sdk_read", EXPECTED=json.dumps(expected),
            TITLES=json.dumps(["second", "first"]))


def test_gas_clones_what_the_sdk_uploaded(sdk: SdkRunner, server: ServerProcess, alice: str,
                                          tmp_path: Path) -> None:
    expected = {"train": {"x.txt": ["X", CAT], "deep/y.txt": ["Y", None]},
                "val": {"z.txt": ["Z", DOG]}}
    source = tmp_path / "sdk-files"
    source.mkdir()
    sdk.run("scn_sync", "upload_for_clone", DATASET="sync_sdk_clone",
            EXPECTED=json.dumps(expected), WORKDIR=str(source))
    gas = gas_for(server, alice, tmp_path / "home")
    gas(tmp_path, "clone", "sync_sdk_clone", "clone")
    clone = tmp_path / "clone"
    for segment, items in expected.items():
        for path, (content, _) in items.items():
            assert (clone / segment / path).read_text() == content
    assert json.loads((clone / "train/metadata.jsonl").read_text()) == {
        "file_name": "x.txt", "label": CAT}
    assert "nothing to commit" in gas(clone, "status").stdout
    write(clone, {"val/z.txt": "Z2"})
    gas(clone, "add", "-A")
    gas(clone, "commit", "-m", "from gas")
    gas(clone, "push")
    expected["val"]["z.txt"] = ["Z2", DOG]
    sdk.run("scn_sync", "read_pushed", DATASET="sync_sdk_clone", EXPECTED=json.dumps(expected),
            TITLES=json.dumps(["from gas", "from the sdk"]))
