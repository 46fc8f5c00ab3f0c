"""Every label the SDK can write round-trips exactly, both ways (property test, hypothesis).

`labelgen` generates labels of every non-mask type and a catalog they conform to, as JSON (in
this process: cheap); the SDK builds its objects from them in its own interpreter, one run per
example. SDK → gas: the SDK uploads them, `gas clone` must give, in `metadata.jsonl` and
`catalog.json`, exactly what the SDK dumps (types of numbers included). gas → SDK: gas writes
them in `metadata.jsonl`, pushes, and the SDK must read exactly what was written. Both with the
batch extension and without (`server` is parametrized).

Masks (`test_masks_round_trip`): the SDK uploads semantic, instance and panoptic masks with
their info; the clone must hold each mask's bytes (under `@masks/`) and its info as the SDK sent
it; gas then relabels the items (a classification added beside the masks) and pushes, and the
SDK must read the same masks back.

Few fixed examples (derandomized) by default, as each costs an SDK run and a clone or push;
GAS_SDK_LABEL_EXAMPLES=N runs N fresh random ones.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from labelgen import MASKED_CATEGORY, labelled_items, masked_items
from sdkrunner import SdkRunner
from serverproc import ServerProcess

pytestmark = pytest.mark.slow(seconds=45)

EXPLORE = os.environ.get("GAS_SDK_LABEL_EXAMPLES")
SETTINGS = settings(max_examples=int(EXPLORE or 8), derandomize=EXPLORE is None, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck))
SEGMENTS = ("boxes", "more")
_NUMBERS = itertools.count()


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values with their types: 0, 0.0, -0.0, False and True all differ."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def split(labels: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The items over two segments (the SDK uploads each segment another way)."""
    paths = sorted(labels)
    half = (len(paths) + 1) // 2
    return {SEGMENTS[0]: {p: labels[p] for p in paths[:half]},
            SEGMENTS[1]: {p: labels[p] for p in paths[half:]}}


#: How a user may write `metadata.jsonl` lines: json.dumps' default (non-ASCII as \\u escapes),
#: UTF-8 as is, or compact with sorted keys (the form gas writes, which `gas add` reads faster).
STYLES: dict[str, dict[str, Any]] = {
    "ascii": {},
    "utf-8": {"ensure_ascii": False},
    "compact": {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")},
}


def json_line(value: Any, style: str) -> str:
    """`value` as one line in `style` (\\u escapes where UTF-8 cannot go: lone surrogates)."""
    text = json.dumps(value, **STYLES[style])
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(value)
    return text + "\n"


def cloned_labels(folder: Path) -> dict[str, Any]:
    """{remotePath: label} of a segment folder's `metadata.jsonl` (none: {})."""
    metadata = folder / "metadata.jsonl"
    if not metadata.exists():
        return {}
    lines = [json.loads(line) for line in metadata.read_text().splitlines() if line]
    return {line["file_name"]: line["label"] for line in lines}


@pytest.fixture(scope="module", params=["batch", "standard"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           tls_cert: tuple[Path, Path]) -> Iterator[ServerProcess]:
    """gas pushes and clones through the batch extension, and through the standard flow only
    (upload callbacks carrying the labels) on a server without it."""
    extra = ("--no-batch-extension",) if request.param == "standard" else ()
    with ServerProcess(tmp_path_factory.mktemp("https") / "data", tls=tls_cert,
                       extra_args=extra) as proc:
        yield proc


@pytest.fixture(scope="module")
def gas(server: ServerProcess, alice: str, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(server, alice)
    return runner


@SETTINGS
@given(labelled_items())
def test_gas_clones_exactly_what_the_sdk_uploaded(sdk: SdkRunner, gas: Gas,
                                                  example: tuple[dict[str, Any], Any]) -> None:
    labels, catalog = example
    name = f"labels_from_sdk_{next(_NUMBERS)}"
    with tempfile.TemporaryDirectory(prefix="gasvc-labels-") as temp:
        work = Path(temp)
        (work / "labels.json").write_text(json.dumps({"catalog": catalog,
                                                      "segments": split(labels)}))
        (work / "files").mkdir()
        sdk.run("scn_labels", "upload", DATASET=name, LABELS=str(work / "labels.json"),
                DUMPS=str(work / "dumps.json"), WORKDIR=str(work / "files"))
        dumped = json.loads((work / "dumps.json").read_text())
        gas(work, "clone", name, "clone")
        clone = work / "clone"
        catalog_file = clone / "catalog.json"
        assert same(json.loads(catalog_file.read_text()) if catalog_file.exists() else {},
                    dumped["catalog"])
        for segment, items in dumped["segments"].items():
            found = cloned_labels(clone / segment)
            wanted = {path: label for path, label in items.items() if label}
            assert sorted(found) == sorted(wanted), segment
            for path, label in wanted.items():
                assert same(found[path], label), (segment, path, found[path], label)
            for path in items:
                assert (clone / segment / path).read_text() == f"{segment}/{path}"
        assert "nothing to commit" in gas(clone, "status").stdout


@SETTINGS
@given(labelled_items(rotation_ints=False), st.sampled_from(sorted(STYLES)))
def test_sdk_reads_exactly_what_gas_pushed(sdk: SdkRunner, gas: Gas,
                                           example: tuple[dict[str, Any], Any], style: str
                                           ) -> None:
    labels, catalog = example
    name = f"labels_from_gas_{next(_NUMBERS)}"
    segments = split(labels)
    with tempfile.TemporaryDirectory(prefix="gasvc-labels-") as temp:
        work = Path(temp) / "work"
        gas(work, "init", name)
        if catalog:
            (work / "catalog.json").write_text(json_line(catalog, style))
        for segment, items in segments.items():
            (work / segment).mkdir()
            for path in items:
                (work / segment / path).write_text(f"{segment}/{path}")
            (work / segment / "metadata.jsonl").write_text("".join(
                json_line({"file_name": path, "label": label}, style)
                for path, label in items.items() if label))
        gas(work, "add", "-A")
        gas(work, "commit", "-m", "labels from gas")
        gas(work, "push")
        (Path(temp) / "labels.json").write_text(json.dumps({"catalog": catalog,
                                                            "segments": segments}))
        sdk.run("scn_labels", "read", DATASET=name, LABELS=str(Path(temp) / "labels.json"))


def mask_files(clone: Path) -> dict[bytes, Path]:
    """The files under any `@masks` folder of a clone, by content."""
    return {path.read_bytes(): path for path in clone.rglob("*")
            if path.is_file() and "@masks" in path.relative_to(clone).parts}


@settings(SETTINGS)
@given(masked_items())
def test_masks_round_trip(sdk: SdkRunner, gas: Gas, example: tuple[dict[str, Any], Any]
                          ) -> None:
    items, catalog = example
    name = f"masks_{next(_NUMBERS)}"
    with tempfile.TemporaryDirectory(prefix="gasvc-masks-") as temp:
        work = Path(temp)
        labels_file = work / "labels.json"
        labels_file.write_text(json.dumps({"catalog": catalog, "segments": split(items)}))
        (work / "files").mkdir()
        sdk.run("scn_labels", "upload_masks", DATASET=name, LABELS=str(labels_file),
                DUMPS=str(work / "dumps.json"), WORKDIR=str(work / "files"))
        dumped = json.loads((work / "dumps.json").read_text())
        gas(work, "clone", name, "clone")
        clone = work / "clone"
        files = mask_files(clone)
        for segment, masked in dumped.items():
            found = cloned_labels(clone / segment)
            assert sorted(found) == sorted(masked), segment
            for path, masks in masked.items():
                assert sorted(found[path]) == sorted(masks), (segment, path, found[path])
                for kind, mask in masks.items():
                    assert bytes.fromhex(mask["content"]) in files, (segment, path, kind)
                    pointed = clone / found[path][kind]["path"]  # the line points at its file
                    assert pointed.read_bytes() == bytes.fromhex(mask["content"])
                    assert same(found[path][kind].get("info"), mask["info"]), (
                        segment, path, kind, found[path][kind], mask["info"])
        assert "nothing to commit" in gas(clone, "status").stdout
        for segment in dumped:  # gas writes labels with masks: a classification beside them
            metadata = clone / segment / "metadata.jsonl"
            lines = [json.loads(line) for line in metadata.read_text().splitlines() if line]
            for line in lines:
                line["label"]["CLASSIFICATION"] = {"category": MASKED_CATEGORY}
            metadata.write_text("".join(json.dumps(line) + "\n" for line in lines))
        gas(clone, "add", "-A")
        gas(clone, "commit", "-m", "classified")
        gas(clone, "push")
        sdk.run("scn_labels", "read_masks", DATASET=name, LABELS=str(labels_file),
                CATEGORY=MASKED_CATEGORY)
