"""What the server accepts, gas commits: labels the SDK uploaded without fitting the catalog.

The server checks no label against the catalog (spec 3.8 leaves it optional) and the SDK sends
any, so `gas commit` warns about a changed label that does not fit (with its `metadata.jsonl`
line) and commits it; `--strict` or `gas config commit.strict true` refuses it. A label unchanged
since HEAD is never checked again, strict or not.
"""

from __future__ import annotations

import json
from pathlib import Path

from gascli import Gas, failed
from sdkrunner import SdkRunner
from serverproc import ServerProcess

CATALOG = {"SENTENCE": {"lexicon": [["hello", "h", "ah", "l", "ow"]]},
           "CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]}}
LABELS: dict[str, dict[str, object] | None] = {
    "a.wav": {"SENTENCE": [{"sentence": [{"text": "hello"}], "attributes": {"speaker": "A"}}]},
    "b.wav": {"SENTENCE": [{"sentence": [{"text": "world"}]}]},
    "c.jpg": {"CLASSIFICATION": {"category": "cat"}},
}
SPEAKER = ("train/metadata.jsonl:1: train/a.wav: SENTENCE[0]: attribute 'speaker' is not in"
           " the catalog")
CTA = "train/metadata.jsonl:3: train/c.jpg: CLASSIFICATION: category 'cta' is not in the catalog"
WARNING = "warning: labels do not fit catalog.json (committed; `gas commit --strict` refuses them):"


def relabel(clone: Path, path: str, label: dict[str, object]) -> None:
    """Give `path` of segment train a new label in the clone's metadata.jsonl."""
    file = clone / "train/metadata.jsonl"
    lines = [json.loads(line) for line in file.read_text().splitlines()]
    for line in lines:
        if line["file_name"] == path:
            line["label"] = label
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))


def sentence(text: str, **attributes: str) -> dict[str, object]:
    return {"SENTENCE": [{"sentence": [{"text": text}],
                          **({"attributes": attributes} if attributes else {})}]}


def test_gas_commits_what_the_sdk_and_server_accept(sdk: SdkRunner, server: ServerProcess,
                                                     alice: str, tmp_path: Path) -> None:
    env = {"DATASET": "catalog_loose", "CATALOG": json.dumps(CATALOG)}
    source = tmp_path / "sdk-files"
    source.mkdir()
    sdk.run("scn_catalog", "upload", LABELS=json.dumps(LABELS), WORKDIR=str(source), **env)
    gas = Gas(tmp_path / "home")
    gas.login(server, alice)
    gas(tmp_path, "clone", "catalog_loose", "clone")
    clone = tmp_path / "clone"
    assert json.loads((clone / "catalog.json").read_text()) == CATALOG
    gas(clone, "config", "commit.strict", "true")

    # another item: a.wav's label does not fit, but it is untouched, so even strict commits
    relabel(clone, "b.wav", sentence("there"))
    done = gas(clone, "commit", "-a", "-m", "b")
    assert done.stderr == "" and " 1 change" in done.stdout

    # that very item: refused when strict (the setting, or --strict), a warning otherwise
    relabel(clone, "a.wav", sentence("hi", speaker="A"))
    for strict in ([], ["--strict"]):
        refused = gas(clone, "commit", "-a", *strict, "-m", "a", check=False)
        failed(refused, f"labels do not fit catalog.json:\n  {SPEAKER}\n")
        assert "gas commit --no-strict" in refused.stderr
    gas(clone, "config", "-u", "commit.strict")
    done = gas(clone, "commit", "-a", "-m", "a")
    assert done.stderr == f"{WARNING}\n  {SPEAKER}\n"
    assert gas(clone, "log", "--oneline").stdout.splitlines()[0].endswith(" a")

    # a category not in the catalog: the server accepts it too, so it is the same warning
    relabel(clone, "c.jpg", {"CLASSIFICATION": {"category": "cta"}})
    failed(gas(clone, "commit", "-a", "--strict", "-m", "c", check=False), CTA)
    gas(clone, "config", "commit.strict", "1")
    done = gas(clone, "commit", "-a", "--no-strict", "-m", "c")
    assert done.stderr == f"{WARNING}\n  {CTA}\n"
    assert gas(clone, "status", "--porcelain").stdout.strip() == ""

    gas(clone, "push")
    pushed = {**LABELS, "a.wav": sentence("hi", speaker="A"), "b.wav": sentence("there"),
              "c.jpg": {"CLASSIFICATION": {"category": "cta"}}}
    sdk.run("scn_catalog", "read", LABELS=json.dumps(pushed), **env)
