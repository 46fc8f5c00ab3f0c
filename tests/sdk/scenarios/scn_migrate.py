"""Fill a server through the SDK, then read everything back as JSON (`gas server migrate`)."""

from __future__ import annotations

import json
from typing import Any

from scn_data import CATALOG, LABELS, catalog, contents, labeled, workdir
from tensorbay import GAS
from tensorbay.dataset import Dataset


def populate(gas: GAS, gas_other: GAS) -> None:
    """Two commits (a tag on the first), a branch, an open draft with pending changes, and a
    public dataset of the other user."""
    tmp = workdir()
    local = Dataset("moved")
    local.load_catalog(_write_catalog(tmp))
    segment = local.create_segment("train")
    for index, kind in enumerate(LABELS):
        segment.append(labeled(tmp, f"train/{index}.bin", f"file {index}".encode(),
                               {kind: LABELS[kind]}))
    gas.create_dataset("moved")
    client = gas.upload_dataset(local, jobs=2, quiet=True)
    client.commit("first", tag="v1")
    client.create_draft("second")
    client.get_segment("train").upload_file(labeled(tmp, "train/extra.bin", b"extra").path)
    client.commit("second")
    client.create_branch("dev")
    client.create_draft("pending")
    client.get_segment("train").upload_file(labeled(tmp, "train/pending.bin", b"pending").path)
    other = gas_other.create_dataset("theirs", is_public=True)
    other.create_draft("d")
    other.get_or_create_segment("s").upload_file(labeled(tmp, "s/x.bin", b"theirs").path)
    other.commit("theirs")


def _write_catalog(tmp: str) -> str:
    path = f"{tmp}/catalog.json"
    with open(path, "w") as file:
        json.dump(CATALOG, file)
    return path


def dump(gas: GAS, gas_other: GAS) -> None:
    """Print what the SDK reads of every visible dataset, every version of it."""
    out: dict[str, Any] = {}
    for name in gas.list_dataset_names():
        client = gas.get_dataset(name)
        versions: dict[str, Any] = {
            "branches": sorted((b.name, b.commit_id) for b in client.list_branches()),
            "tags": sorted((t.name, t.commit_id) for t in client.list_tags()),
            "commits": [(c.commit_id, c.title) for c in client.list_commits()],
            "drafts": [(d.number, d.title, d.status) for d in client.list_drafts()],
        }
        for commit_id, _ in versions["commits"]:
            client.checkout(commit_id)
            versions[commit_id] = _content(client, name, gas)
        for number, _, _ in versions["drafts"]:
            client.checkout(draft_number=number)
            versions[f"draft {number}"] = _content(client, name, gas)
        out[name] = versions
    print(json.dumps(out, sort_keys=True, default=str))
    assert catalog() is not None


def _content(client: Any, name: str, gas: GAS) -> dict[str, Any]:
    found: dict[str, Any] = {"catalog": client.get_catalog().dumps(),
                             "notes": client.get_notes().dumps()}
    for segment_name in client.list_segment_names():
        segment = client.get_segment(segment_name)
        found[segment_name] = [
            (data.path, contents(data).decode(), data.label.dumps())
            for data in segment.list_data()]
    return found
