"""`gas diff A B` and `gas show` between server commits that were never materialized locally.

The same two versions are made twice: on the server through the Open API client, and in a local
workspace by `gas add` / `gas commit`. A second workspace knows the server commits by their
metadata only (state NULL, as `gas fetch` leaves them), so its diff must come from the server
(gasvc's diff details; or ListSegmentDiffs, ListDataDiffs, GetDiff, and details of the changed
items only) — and must say exactly what the local diff of the local commits says.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from serverproc import ServerProcess

from gasvc.api.client import ApiClient
from gasvc.api.transfer import FormUploads, Upload
from gasvc.cli import main
from gasvc.cli.render_diff import diff_json
from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.diff import diff as diffing
from gasvc.workspace.diff.diff_result import DiffRequest, NotMaterialized
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.sync.remote import set_remote
from gasvc.workspace.worktree.pathspec import parse_pathspec

Version = dict[str, dict[str, tuple[bytes, dict[str, Any]]]]
BOX_A = {"box2d": {"xmin": 1, "ymin": 1, "xmax": 5, "ymax": 5}, "category": "car"}
BOX_B = {"box2d": {"xmin": 6, "ymin": 6, "xmax": 9, "ymax": 9}, "category": "car"}
CATALOG_1 = {"BOX2D": {"categories": [{"name": "car"}, {"name": "truck"}]},
             "CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]}}
CATALOG_2 = {"BOX2D": {"categories": [{"name": "car"}, {"name": "truck"}]},
             "CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"},
                                               {"name": "bird"}]}}
V1: Version = {"train": {
    "images/1.jpg": (b"one", {"BOX2D": [BOX_A, BOX_B]}),
    "images/2.jpg": (b"two", {"CLASSIFICATION": {"category": "dog"}}),
    "images/3.jpg": (b"three", {"CLASSIFICATION": {"category": "cat"}}),
    "images/5.jpg": (b"five", {}),
}}
V2: Version = {
    "train": {
        "images/1.jpg": (b"ONE", {"BOX2D": [{**BOX_A, "category": "truck"}, BOX_B]}),
        "images/2.jpg": (b"two", {"CLASSIFICATION": {"category": "cat"}}),
        "images/4.jpg": (b"four", {"CLASSIFICATION": {"category": "bird"}}),
        "images/5.jpg": (b"five", {}),
    },
    "val": {"a.jpg": (b"validation", {"CLASSIFICATION": {"category": "dog"}})},
}


# the versions on the server ---------------------------------------------------------------
def upload(api: ApiClient, dataset: str, draft: int, old: Version, new: Version,
           files: Path) -> None:
    """Make the draft show `new` instead of `old`; contents pass through files in `files`."""
    uploads = FormUploads(api, dataset, draft)
    for segment, items in new.items():
        if segment not in old:
            api.create_segment(dataset, draft, segment)
        objects = []
        for path, (content, label) in items.items():
            if old.get(segment, {}).get(path) == (content, label):
                continue
            checksum = hashlib.sha1(content).hexdigest()
            (files / checksum).write_bytes(content)
            uploads.upload(segment, Upload(checksum, len(content), files / checksum))
            objects.append({"remotePath": path, "checksum": checksum, "fileSize": len(content),
                            **({"label": label} if label else {})})
        if objects:
            api.callback(dataset, draft, segment, objects)
    for segment, items in old.items():
        for path in items.keys() - new.get(segment, {}).keys():
            api.delete_data(dataset, draft, segment, path)


def server_commits(api: ApiClient, name: str, files: Path) -> tuple[str, str, str]:
    """(dataset id, first commit, second commit)."""
    dataset = api.create_dataset(name)
    draft = api.create_draft(dataset, "main", "v1")
    upload(api, dataset, draft, {}, V1, files)
    api.request("PUT", "labels/catalogs", dataset, json={"catalog": CATALOG_1,
                                                         "draftNumber": draft})
    first = api.commit(dataset, draft, "Import")
    draft = api.create_draft(dataset, "main", "v2")
    upload(api, dataset, draft, V1, V2, files)
    api.request("PUT", "labels/catalogs", dataset, json={"catalog": CATALOG_2,
                                                         "draftNumber": draft})
    second = api.commit(dataset, draft, "Relabel and extend", "With a validation set.")
    return dataset, first, second


def fetched_workspace(root: Path, url: str, name: str, dataset_id: str, first: str,
                      second: str) -> Layout:
    """A workspace that knows the two server commits by their metadata only."""
    layout = init(root)
    state = State(layout.state_db)
    try:
        set_remote(state, url, name, dataset_id)
        with state.transaction():
            state.add_commit(CommitRecord(first, ROOT_COMMIT, "Import", "", "alice", 1_700_000_000,
                                          None, first))
            state.add_commit(CommitRecord(second, first, "Relabel and extend",
                                          "With a validation set.", "alice", 1_700_000_100,
                                          None, second))
            state.set_ref("remotes/main", second)
    finally:
        state.close()
    return layout


# the same versions made locally -----------------------------------------------------------
def write_version(root: Path, version: Version, catalog: dict[str, Any]) -> None:
    for segment, items in version.items():
        for path, (content, _) in items.items():
            target = root / segment / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        lines = [json.dumps({"file_name": p, "label": label}) + "\n"
                 for p, (_, label) in sorted(items.items()) if label]
        (root / segment / "metadata.jsonl").write_text("".join(lines))
    (root / "catalog.json").write_text(json.dumps(catalog))


def gas(root: Path, *args: str, env: dict[str, str | None] | None = None,
        code: int = 0) -> str:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, list(args), env={
            "GAS_AUTHOR": "alice", "GAS_COMMIT_DATE": "1700000000", "GAS_URL": None,
            "GAS_CONFIG": "/nonexistent/gasconfig", **(env or {})})
    finally:
        os.chdir(cwd)
    assert result.exit_code == code, result.output
    return result.output


def local_workspace(root: Path) -> Layout:
    root.mkdir()
    gas(root, "init", "--no-remote")
    write_version(root, V1, CATALOG_1)
    gas(root, "add", "-A")
    gas(root, "add", "catalog.json")
    gas(root, "commit", "-m", "Import")
    (root / "train/images/3.jpg").unlink()
    write_version(root, V2, CATALOG_2)
    gas(root, "add", "-A")
    gas(root, "add", "catalog.json")
    gas(root, "commit", "-m", "Relabel and extend")
    return Layout(root)


# fixtures ---------------------------------------------------------------------------------
class Counting:
    """An ApiClient that counts the diff calls made through it; `extension` False: as against
    a server without gasvc's storage extension, "details": one without its diff details."""

    def __init__(self, api: ApiClient, extension: bool | str = True) -> None:
        self.api, self.calls, self.extension = api, Counter[str](), extension

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        if name == "storage_extension" and not self.extension:
            return lambda dataset_id: None  # as from servers without gasvc's extension
        if name == "storage_extension" and self.extension == "details":
            def older(dataset_id: str) -> Any:
                found = self.api.storage_extension(dataset_id)
                assert found is not None
                del found["extra"]["diffLimit"]
                return found
            return older
        return getattr(self.api, name)


@pytest.fixture(scope="module")
def server(http_server: ServerProcess) -> ServerProcess:
    """Plain HTTP: `requests` lets REQUESTS_CA_BUNDLE override a client's own CA bundle."""
    return http_server


@pytest.fixture(scope="module")
def alice(server: ServerProcess) -> str:
    return server.add_user("alice")


@pytest.fixture(scope="module")
def api(server: ServerProcess, alice: str) -> Iterator[ApiClient]:
    with closing(ApiClient(server.url, alice)) as api:
        yield api


@pytest.fixture(scope="module")
def remote(api: ApiClient, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    return server_commits(api, "diffs1", tmp_path_factory.mktemp("contents"))


@pytest.fixture
def fetched(tmp_path: Path, server: ServerProcess, remote: tuple[str, str, str]) -> Layout:
    return fetched_workspace(tmp_path / "fetched", server.url, "diffs1", *remote)


@pytest.fixture
def env(server: ServerProcess, alice: str) -> dict[str, str | None]:
    return {"GAS_ACCESS_KEY": alice}


def run_diff(layout: Layout, request: DiffRequest, api: Any, dataset: str
             ) -> diffing.DiffResult:
    state = State(layout.state_db)
    try:
        return diffing.diff(layout, state, request, lambda: (api, dataset))
    finally:
        state.close()


def comparable(result: diffing.DiffResult) -> dict[str, Any]:
    found = diff_json(result)
    return {k: v for k, v in found.items() if k not in ("old", "new", "source")}


# tests ------------------------------------------------------------------------------------
def test_server_diff_equals_local_diff(tmp_path: Path, fetched: Layout, api: ApiClient,
                                       remote: tuple[str, str, str]) -> None:
    dataset, first, second = remote
    counting = Counting(api)
    on_server = run_diff(fetched, DiffRequest((first, second)), counting, dataset)
    local = local_workspace(tmp_path / "local")
    here = run_diff(local, DiffRequest(("HEAD~1", "HEAD")), None, "")
    assert on_server.source == "server" and here.source == "local"
    assert (on_server.old, on_server.new) == (first, second)
    assert comparable(on_server) == comparable(here)
    codes = {item.key: item.code for item in on_server.items}
    assert codes == {"train/images/1.jpg": "M", "train/images/2.jpg": "L",
                     "train/images/3.jpg": "D", "train/images/4.jpg": "A", "val/a.jpg": "A"}
    # the whole diff with the details of the changed items in one answer (gasvc's diff details)
    assert counting.calls["diff_details"] == 1
    assert sum(counting.calls[name] for name in ("segment_diffs", "data_diffs", "get_diff",
                                                 "lookup_details", "data_detail")) == 0
    # without them: details looked up per segment and side (train at both commits, val at the
    # second): both sides of M and L, one side of A and D
    older = Counting(api, extension="details")
    assert comparable(run_diff(fetched, DiffRequest((first, second)), older, dataset)
                      ) == comparable(here)
    assert older.calls["lookup_details"] == 3 and older.calls["diff_details"] == 0
    assert older.calls["data_detail"] == older.calls["data_details"] == 0
    # a server without gasvc's extension is asked item by item, with the same answer
    standard = Counting(api, extension=False)
    assert comparable(run_diff(fetched, DiffRequest((first, second)), standard, dataset)
                      ) == comparable(here)
    assert standard.calls["data_detail"] == 2 + 2 + 1 + 1 + 1
    assert standard.calls["lookup_details"] == 0
    state = State(fetched.state_db)
    try:  # nothing of either version was stored locally
        assert state.db.execute("SELECT COUNT(*) FROM objects").fetchone()[0] == 0
        assert state.commit(second).state is None  # type: ignore[union-attr]
    finally:
        state.close()


def test_diff_details_pages_hold_every_change_once(api: ApiClient,
                                                  remote: tuple[str, str, str]) -> None:
    """gasvc's diff details, paged small: the pages together list what one page lists, the
    changed items of a modified segment and of one added whole, with their details."""
    dataset, first, second = remote
    basehead = f"commit-{first}...commit-{second}"
    whole = list(api.diff_details(dataset, basehead, 1000))
    paged = list(api.diff_details(dataset, basehead, 2))
    assert len(whole) == 1 and len(paged) == 3
    assert [d for page in paged for d in page["data"]] == whole[0]["data"]
    assert all(page["segments"] == whole[0]["segments"] for page in paged)
    found = {(d["segmentName"], d["remotePath"]): (d["action"], d["old"] and d["old"]["checksum"],
                                                   d["new"] and d["new"]["checksum"])
             for d in whole[0]["data"]}
    sha = {name: hashlib.sha1(content).hexdigest() for name, content in (
        ("one", b"one"), ("ONE", b"ONE"), ("two", b"two"), ("three", b"three"),
        ("four", b"four"), ("validation", b"validation"))}
    assert found == {
        ("train", "images/1.jpg"): ("modify", sha["one"], sha["ONE"]),
        ("train", "images/2.jpg"): ("modify", sha["two"], sha["two"]),
        ("train", "images/3.jpg"): ("delete", sha["three"], None),
        ("train", "images/4.jpg"): ("add", None, sha["four"]),
        ("val", "a.jpg"): ("add", None, sha["validation"])}
    assert whole[0]["catalog"] == {"action": "modify"} and whole[0]["totalCount"] == 5


def test_server_diff_fetches_nothing_for_name_status(fetched: Layout, api: ApiClient,
                                                     remote: tuple[str, str, str]) -> None:
    dataset, first, second = remote
    counting = Counting(api)
    result = run_diff(fetched, DiffRequest((first, second), details=False), counting, dataset)
    assert [(i.key, i.code, i.label_changed) for i in result.items] == [
        ("train/images/1.jpg", "M", True), ("train/images/2.jpg", "L", True),
        ("train/images/3.jpg", "D", True), ("train/images/4.jpg", "A", True),
        ("val/a.jpg", "A", True)]
    assert counting.calls["data_detail"] == 0 and counting.calls["catalog"] == 0
    assert result.catalog is not None and result.catalog.code == "M"


def test_server_diff_paths(fetched: Layout, api: ApiClient, remote: tuple[str, str, str]
                           ) -> None:
    dataset, first, second = remote
    counting = Counting(api)
    request = DiffRequest((first, second), specs=(parse_pathspec("train/images/2.jpg"),))
    result = run_diff(fetched, request, counting, dataset)
    assert [i.key for i in result.items] == ["train/images/2.jpg"]
    assert result.segments == [] and result.catalog is None
    assert [(c.path, c.old, c.new) for c in result.items[0].label] == [
        ("CLASSIFICATION.category", "dog", "cat")]
    assert counting.calls["data_diffs"] == 1  # val/ is not even listed


def test_gas_diff_between_server_commits(tmp_path: Path, fetched: Layout,
                                         remote: tuple[str, str, str],
                                         env: dict[str, str | None]) -> None:
    _, first, second = remote
    local = local_workspace(tmp_path / "local")
    for options in ([], ["--stat"], ["--name-status"]):
        assert gas(fetched.root, "diff", first, second, *options, env=env) == gas(
            local.root, "diff", "HEAD~1", "HEAD", *options)
    assert "BOX2D[0].category: car → truck" in gas(fetched.root, "diff", first[:8], "origin/main",
                                                   env=env)
    body = json.loads(gas(fetched.root, "diff", first, second, "--json", env=env))
    assert body["source"] == "server"


#: Run as `python -X importtime -c BUILT diff A B`: the real command, then (on stderr, after the
#: import times) the dataclasses defined and the patterns with lone surrogates compiled in the
#: modules of ours it loaded.
BUILT = """
import dataclasses, json, re, sys
from gasvc.cli import main
try:
    main(sys.argv[1:], prog_name="gas")
except SystemExit as done:
    assert not done.code, done.code
ours = {name: vars(module) for name, module in sys.modules.items() if name.startswith("gasvc")}
classes = [f"{name}.{value.__name__}" for name, found in ours.items() for value in found.values()
           if dataclasses.is_dataclass(value) and getattr(value, "__module__", "") == name]
surrogates = [f"{name}.{key}" for name, found in ours.items() for key, value in found.items()
              if isinstance(value, re.Pattern) and isinstance(value.pattern, str)
              and any("\\ud800" <= c <= "\\udfff" for c in value.pattern)]
print("built:", json.dumps({"dataclasses": classes, "surrogates": surrogates}), file=sys.stderr)
"""


#: What a diff of two server commits never loads.
UNUSED = {"gasvc.workspace.diff.diff_local", "gasvc.cli.merging",
          "gasvc.workspace.worktree.fusion_files",
          # datasets are created and found by other commands
          "gasvc.workspace.sync.datasets", "gasvc.workspace.store.create",
          # the profiles file: there is no ~/.gasconfig to read
          "configparser", "gasvc.cli.gasconfig",
          # counts per segment (--stat, --json), `gas show`
          "gasvc.workspace.diff.diff_stats", "gasvc.workspace.diff.show"}


@pytest.mark.parametrize("options", [(), ("--name-status",)])
def test_gas_diff_of_server_commits_loads_no_local_diff(fetched: Layout,
                                                       remote: tuple[str, str, str],
                                                       env: dict[str, str | None],
                                                       options: tuple[str, ...]) -> None:
    """The real command, started afresh: the same output, without loading what a diff of two
    server commits does not use (the diff's row 7 in benchmarks/run.py), nor building the
    classes and patterns of what it does not do."""
    _, first, second = remote
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("GAS_")}
    child_env.update({"GAS_AUTHOR": "alice", "GAS_CONFIG": "/nonexistent/gasconfig",
                      **{k: v for k, v in env.items() if v is not None}})
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", BUILT, "diff", first,
                           second, *options], cwd=fetched.root, env=child_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == gas(fetched.root, "diff", first, second, *options, env=env)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "gasvc.workspace.diff.diff_remote" in imported
    # label fields and mask changes: only for the details of items whose label changed (here,
    # every item of the full diff)
    labels = {"gasvc.workspace.diff.label_changes"}
    assert imported & labels == (labels if not options else set())
    assert not imported & UNUSED
    [built] = [json.loads(line.removeprefix("built:")) for line in done.stderr.splitlines()
               if line.startswith("built:")]
    names = {name.rsplit(".", 1)[-1] for name in built["dataclasses"]}
    assert "DiffResult" in names and "Connected" in names  # (what it uses)
    # each class costs ~0.5 ms to build (Python 3.11 compiles its methods one by one)
    assert not names & {"SegmentStat", "Shown", "Login", "Profile"}
    assert ("MaskDiff" in names) == (not options)
    # a class of lone surrogates takes ~0.4 ms to compile: compiled only when first needed
    assert built["surrogates"] == []


def test_command_modules_load_without_collection() -> None:
    """A command's modules and the HTTP client load with the garbage collector paused, and what
    they made is set aside (gc.freeze) for later collections not to scan; the collector runs
    again afterwards."""
    script = (
        "import gc, sys\n"
        "from gasvc.cli import main\n"
        "from gasvc.cli.loading import without_collection\n"
        "frozen = gc.get_freeze_count()\n"
        "assert 'gasvc.cli.diffing' not in sys.modules\n"
        "assert main.get_command(None, 'diff') is not None\n"
        "assert 'gasvc.cli.diffing' in sys.modules and gc.isenabled()\n"
        "assert gc.get_freeze_count() > frozen + 1000, (frozen, gc.get_freeze_count())\n"
        "with without_collection():\n"
        "    assert not gc.isenabled()\n"
        "    import requests\n"
        "assert gc.isenabled()\n"
        "gc.disable()\n"
        "with without_collection():\n"
        "    pass\n"
        "assert not gc.isenabled()  # left as it was\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def test_gas_show_server_commit(tmp_path: Path, fetched: Layout, remote: tuple[str, str, str],
                                env: dict[str, str | None]) -> None:
    _, first, second = remote
    shown = gas(fetched.root, "show", "origin/main", env=env)
    assert shown.startswith(f"commit {second} (origin/main)\nAuthor: alice\n")
    assert "A  val/a.jpg" in shown and "M  catalog.json" in shown
    first_shown = gas(fetched.root, "show", first, "--name-status", env=env)
    assert first_shown.endswith("A\tcatalog.json\nA\ttrain/\nA\ttrain/images/1.jpg\n"
                                "A\ttrain/images/2.jpg\nA\ttrain/images/3.jpg\n"
                                "A\ttrain/images/5.jpg\n")


def test_dataset_found_by_name(tmp_path: Path, server: ServerProcess,
                               remote: tuple[str, str, str], env: dict[str, str | None]) -> None:
    _, first, second = remote
    layout = fetched_workspace(tmp_path / "ws", server.url, "diffs1", "", first, second)
    assert "D\ttrain/images/3.jpg" in gas(layout.root, "diff", first, second, "--name-status",
                                          env=env)


def test_without_remote_says_what_to_do(tmp_path: Path, remote: tuple[str, str, str]) -> None:
    _, first, second = remote
    layout = fetched_workspace(tmp_path / "ws", "", "", "", first, second)
    state = State(layout.state_db)
    try:
        with pytest.raises(NotMaterialized, match="not available locally"):
            diffing.diff(layout, state, DiffRequest((first, second)))
    finally:
        state.close()
    output = gas(layout.root, "diff", first, second, code=1)
    assert "remote" in output and "hint:" in output  # whether or not it could materialize


def test_details_lookup_extension(api: ApiClient, remote: tuple[str, str, str]) -> None:
    import hashlib

    from gasvc.errors import InvalidParams

    dataset, first, second = remote
    found = api.lookup_details(dataset, "train", second,
                               ["images/4.jpg", "images/none.jpg", "images/1.jpg"])
    assert [d["remotePath"] for d in found] == ["images/4.jpg", "images/1.jpg"]
    assert [d["checksum"] for d in found] == [hashlib.sha1(b"four").hexdigest(),
                                              hashlib.sha1(b"ONE").hexdigest()]
    assert found[0]["label"] == {"CLASSIFICATION": {"category": "bird"}}
    assert api.lookup_details(dataset, "val", first, ["a.jpg"]) == []  # no val/ back then
    with pytest.raises(InvalidParams, match="at most 1000"):
        api.lookup_details(dataset, "train", second, ["images/1.jpg"] * 1001)
    with pytest.raises(InvalidParams):
        api.lookup_details(dataset, "train", second, ["../escape.jpg"])
