"""A default segment made by the SDK, beside a segment named "default": `gas clone` puts them in
`default/` and `@default/` (never the workspace root), and the SDK reads back what gas pushed."""

from __future__ import annotations

import json
from pathlib import Path

from gascli import Gas, write
from sdkrunner import SdkRunner
from serverproc import ServerProcess

CAT = {"CLASSIFICATION": {"category": "cat"}}


def test_the_default_segment_round_trips_through_its_folder(
        sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    expected = {"": {"img0.jpg": ["zero", CAT], "sub/img1.jpg": ["one", None]},
                "default": {"img0.jpg": ["named zero", None]}}
    source = tmp_path / "sdk-files"
    source.mkdir()
    sdk.run("scn_sync", "upload_for_clone", DATASET="trust_sdk_default",
            EXPECTED=json.dumps(expected), WORKDIR=str(source))
    gas = Gas(tmp_path / "home")
    gas.login(server, alice)
    gas(tmp_path, "clone", "trust_sdk_default", "clone")
    clone = tmp_path / "clone"
    assert sorted(p.name for p in clone.iterdir()) == [".gas", "@default", "default"]
    assert (clone / "default/img0.jpg").read_text() == "zero"
    assert (clone / "default/sub/img1.jpg").read_text() == "one"
    assert (clone / "@default/img0.jpg").read_text() == "named zero"
    assert json.loads((clone / "default/metadata.jsonl").read_text()) == {
        "file_name": "img0.jpg", "label": CAT}
    status = gas(clone, "status", "--porcelain").stdout
    assert status.strip() == "", status
    write(clone, {"default/img0.jpg": "zero, by gas", "default/new.jpg": "new",
                  "@default/img0.jpg": "named zero, by gas"})
    gas(clone, "add", "-A")
    gas(clone, "commit", "-m", "from gas")
    gas(clone, "push")
    expected[""]["img0.jpg"] = ["zero, by gas", CAT]
    expected[""]["new.jpg"] = ["new", None]
    expected["default"]["img0.jpg"] = ["named zero, by gas", None]
    sdk.run("scn_sync", "read_pushed", DATASET="trust_sdk_default", EXPECTED=json.dumps(expected),
            TITLES=json.dumps(["from gas", "from the sdk"]))
    assert sorted(p.name for p in clone.iterdir()) == [".gas", "@default", "default"]
