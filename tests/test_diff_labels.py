"""`gas diff --stat` label counts (per segment, label type and category: before, after, delta),
`--json`'s `labelStat`, `--labels-only`, and `gas diff --check RULES` — against numbers worked
out by hand from the labels below, locally and for two server commits never downloaded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from serverproc import ServerProcess
from test_diff_server import fetched_workspace, gas, local_workspace, run_diff, server_commits

from gasvc.api.client import ApiClient
from gasvc.cli.render_labels import label_stat_json
from gasvc.workspace.diff.check import BadRules, parse_rules
from gasvc.workspace.diff.diff_result import DiffRequest


def box(category: str, x: int = 1) -> dict[str, Any]:
    return {"box2d": {"xmin": x, "ymin": 1, "xmax": x + 4, "ymax": 5}, "category": category}


CATALOG = {"BOX2D": {"categories": [{"name": "car"}, {"name": "bus"}, {"name": "truck"}]},
           "CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]}}
FIRST = {
    "train/1.jpg": {"BOX2D": [box("car"), box("car", 9), box("bus", 20)]},
    "train/2.jpg": {"BOX2D": [box("car")], "CLASSIFICATION": {"category": "cat"}},
    "train/3.jpg": {"CLASSIFICATION": {"category": "dog"}},
    "train/4.jpg": None,
    "val/a.jpg": {"BOX2D": [box("car")]},
}
# 1.jpg: the bus removed, a car became a truck; 2.jpg deleted; 5.jpg added with a bus;
# 6.jpg added without a label; 3.jpg, 4.jpg and val unchanged
SECOND = {
    "train/1.jpg": {"BOX2D": [box("car"), box("truck", 9)]},
    "train/3.jpg": {"CLASSIFICATION": {"category": "dog"}},
    "train/4.jpg": None,
    "train/5.jpg": {"BOX2D": [box("bus")]},
    "train/6.jpg": None,
    "val/a.jpg": {"BOX2D": [box("car")]},
}
#: train before: 4 items, 3 labelled; BOX2D car 3, bus 1; CLASSIFICATION cat 1, dog 1.
#: train after: 5 items, 3 labelled; BOX2D car 1, truck 1, bus 1; CLASSIFICATION dog 1.
LABELS_ONLY = """\
 labels           before  after  delta
 train/
   items               4      5     +1
   labelled items      3      3      0
   BOX2D               4      3     -1
     bus               1      1      0
     car               3      1     -2
     truck             0      1     +1
   CLASSIFICATION      2      1     -1
     cat               1      0     -1
     dog               1      1      0
"""


def write_labels(root: Path, version: dict[str, Any]) -> None:
    lines: dict[str, list[str]] = {}
    for name, label in version.items():
        segment, _, path = name.partition("/")
        (root / segment).mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
        lines.setdefault(segment, [])
        if label:
            lines[segment].append(json.dumps({"file_name": path, "label": label}) + "\n")
    for segment, found in lines.items():
        (root / segment / "metadata.jsonl").write_text("".join(found))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two commits, FIRST and SECOND, in a workspace without a remote."""
    root = tmp_path_factory.mktemp("labels")
    gas(root, "init", "--no-remote")
    write_labels(root, FIRST)
    (root / "catalog.json").write_text(json.dumps(CATALOG))
    gas(root, "add", "-A")
    gas(root, "add", "catalog.json")
    gas(root, "commit", "-m", "first")
    (root / "train/2.jpg").unlink()
    write_labels(root, SECOND)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "second")
    return root


def test_stat_counts_labels_per_segment_type_and_category(repo: Path) -> None:
    assert gas(repo, "diff", "--stat", "--labels-only", "HEAD~1", "HEAD") == LABELS_ONLY
    full = gas(repo, "diff", "--stat", "HEAD~1", "HEAD")
    assert full.startswith(" train/ | 2 added, 1 deleted, 1 label changed\n")
    assert full.endswith("\n\n" + LABELS_ONLY)
    # the working tree against the index counts the same way (nothing changed: no output)
    assert gas(repo, "diff", "--stat") == ""


def test_json_has_the_same_numbers(repo: Path) -> None:
    found = json.loads(gas(repo, "diff", "--json", "HEAD~1", "HEAD"))["labelStat"]
    (train,) = found["segments"]
    assert train["segment"] == "train" and found["total"]["segment"] == ""
    assert train["items"] == {"before": 4, "after": 5, "delta": 1}
    assert train["labelled"] == {"before": 3, "after": 3, "delta": 0}
    types = {t["labelType"]: t for t in train["labelTypes"]}
    assert {k: types["BOX2D"][k] for k in ("before", "after", "delta")} == {
        "before": 4, "after": 3, "delta": -1}
    assert {c["category"]: (c["before"], c["after"], c["delta"])
            for c in types["BOX2D"]["categories"]} == {
        "bus": (1, 1, 0), "car": (3, 1, -2), "truck": (0, 1, 1)}
    assert {c["category"]: c["delta"] for c in types["CLASSIFICATION"]["categories"]} == {
        "cat": -1, "dog": 0}


def test_path_limits_count_only_the_named_items(repo: Path) -> None:
    found = json.loads(gas(repo, "diff", "--json", "HEAD~1", "HEAD", "--", "train/1.jpg"))
    (train,) = found["labelStat"]["segments"]
    assert train["items"] == {"before": 1, "after": 1, "delta": 0}
    assert {c["category"]: (c["before"], c["after"]) for t in train["labelTypes"]
            for c in t["categories"]} == {"bus": (1, 0), "car": (2, 1), "truck": (0, 1)}


def test_staged_and_worktree_sides_are_counted_from_head(repo: Path, tmp_path: Path) -> None:
    """The index and the working tree are HEAD corrected by their changes."""
    write_labels(repo, {**SECOND, "train/5.jpg": {"BOX2D": [box("bus"), box("car", 30)]}})
    try:
        gas(repo, "add", "train/metadata.jsonl")
        (repo / "train/6.jpg").unlink()
        staged = json.loads(gas(repo, "diff", "--staged", "--json"))["labelStat"]
        assert staged["segments"][0]["labelTypes"][0]["categories"][1] == {
            "category": "car", "before": 1, "after": 2, "delta": 1}
        unstaged = json.loads(gas(repo, "diff", "--json"))["labelStat"]["segments"][0]
        assert unstaged["items"] == {"before": 5, "after": 4, "delta": -1}
        assert unstaged["labelTypes"][0]["before"] == 4  # the index has the staged car
    finally:
        gas(repo, "restore", "--staged", "train")
        gas(repo, "restore", "train")
    assert gas(repo, "status", "--porcelain").strip() == ""


RULES = """\
# the gate of a relabelling pass
max-deleted 1          # one file may go
max-loss 50% BOX2D bus
max-loss 50% BOX2D
no-empty-label
labels-in-catalog
"""


def test_check_names_the_failed_rules_and_their_items(repo: Path) -> None:
    (repo.parent / "rules.txt").write_text(RULES)
    out = gas(repo, "diff", "--check", str(repo.parent / "rules.txt"), "HEAD~1", "HEAD",
              code=1)
    assert out.splitlines() == [
        "ok    max-deleted 1",
        "ok    max-loss 50% BOX2D bus",
        "FAIL  max-loss 50% BOX2D",
        "      train/: BOX2D car: 3 → 1 (-66.7 %)",
        "      train/1.jpg: BOX2D car: 2 → 1",
        "      train/2.jpg: BOX2D car: 1 → 0",
        "FAIL  no-empty-label",
        "      train/6.jpg: no label",
        "ok    labels-in-catalog",
        "error: 2 of 5 rules failed: max-loss 50% BOX2D, no-empty-label",
        f"hint: fix what is listed above, or change the rules in {repo.parent / 'rules.txt'}",
    ]
    body = json.loads(gas(repo, "diff", "--check", str(repo.parent / "rules.txt"), "--json",
                          "HEAD~1", "HEAD", code=1).split("\nerror:")[0])
    assert body["ok"] is False
    assert [r["ok"] for r in body["rules"]] == [True, True, False, False, True]
    assert body["rules"][3]["failures"] == [{"where": "train/6.jpg", "what": "no label"}]
    (repo.parent / "pass.txt").write_text("max-deleted 1\nmax-loss 70% BOX2D\n")
    assert gas(repo, "diff", "--check", str(repo.parent / "pass.txt"), "HEAD~1", "HEAD") == (
        "ok    max-deleted 1\nok    max-loss 70% BOX2D\n")
    (repo.parent / "strict.txt").write_text("max-deleted 0\n")
    assert "      train/2.jpg: deleted" in gas(repo, "diff", "--check",
                                               str(repo.parent / "strict.txt"), "HEAD~1",
                                               "HEAD", code=1)


def test_check_of_the_working_tree_finds_labels_outside_the_catalog(repo: Path) -> None:
    """Commits refuse such labels; the working tree (what `gas add` would stage) has them."""
    (repo.parent / "catalog-rule.txt").write_text("labels-in-catalog\n")
    write_labels(repo, {**SECOND, "train/3.jpg": {"CLASSIFICATION": {"category": "cow"}}})
    try:
        out = gas(repo, "diff", "--check", str(repo.parent / "catalog-rule.txt"), code=1)
    finally:
        gas(repo, "restore", "train")
    assert out.splitlines()[:2] == [
        "FAIL  labels-in-catalog",
        "      train/3.jpg: CLASSIFICATION: category 'cow' is not in the catalog"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "has no rules"),
    ("# only a comment\n", "has no rules"),
    ("max-deleted\n", "line 1: cannot read 'max-deleted'"),
    ("max-deleted 1\nmax-loss 5\n", "line 2: cannot read 'max-loss 5'"),
    ("no-empty-label yes\n", "cannot read 'no-empty-label yes'"),
    ("at most 10 deleted\n", "unknown rule 'at'"),
])
def test_bad_rules_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(BadRules) as caught:
        parse_rules(text, "rules.txt")
    assert message in caught.value.message and caught.value.hint


def test_bad_rules_file_exits_2_without_a_traceback(repo: Path) -> None:
    out = gas(repo, "diff", "--check", "missing.txt", "HEAD~1", "HEAD", code=2)
    assert "cannot read the rules file missing.txt" in out and "Traceback" not in out
    out = gas(repo, "diff", "--labels-only", code=2)
    assert "--labels-only goes with --stat" in out


# two server commits, never downloaded: the server lists the old side ----------------------
@pytest.fixture(scope="module")
def server(http_server: ServerProcess) -> ServerProcess:
    return http_server


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[ApiClient]:
    with closing(ApiClient(server.url, server.add_user("alice"))) as api:
        yield api


def test_server_diff_counts_labels_as_the_local_diff(tmp_path: Path, server: ServerProcess,
                                                     api: ApiClient) -> None:
    dataset, first, second = server_commits(api, "labelcounts", tmp_path)
    fetched = fetched_workspace(tmp_path / "fetched", server.url, "labelcounts", dataset,
                                first, second)
    request = DiffRequest((first, second), details=False, labels=True)
    on_server = run_diff(fetched, request, api, dataset)
    here = run_diff(local_workspace(tmp_path / "local"),
                    DiffRequest(("HEAD~1", "HEAD"), details=False, labels=True), None, "")
    assert on_server.source == "server"
    assert label_stat_json(on_server.label_stats) == label_stat_json(here.label_stats)
    # test_diff_server's V1 → V2, by hand: train keeps 4 items, 3 labelled; a car became a
    # truck, dog → cat, cat deleted, bird added; val is new with one dog
    train, val = on_server.label_stats or []
    assert train.objects("BOX2D", "car").delta == -1 and train.objects("BOX2D", "truck").after == 1
    assert [(c.category, c.count.before, c.count.after)
            for t in train.types if t.label_type == "CLASSIFICATION" for c in t.categories] == [
        ("bird", 0, 1), ("cat", 1, 1), ("dog", 1, 0)]
    assert (val.items.before, val.items.after, val.objects("CLASSIFICATION", "dog").after) == (
        0, 1, 1)
    assert on_server.catalogs is not None and "bird" in json.dumps(on_server.catalogs[1])


def test_a_tree_is_counted_once_then_read_from_the_cache(repo: Path) -> None:
    """The old side's counts are kept per tree (trees never change); the cache is read back."""
    from gasvc.model.labelstats import LabelCounts
    from gasvc.workspace.diff.labelcounts import CACHE
    from gasvc.workspace.store.state import State

    gas(repo, "diff", "--stat", "HEAD~1", "HEAD")
    state = State(repo / ".gas" / "state.sqlite")
    try:
        keys = [k for (k,) in state.db.execute("SELECT key FROM meta WHERE key LIKE ?",
                                               (CACHE + "%",))]
        assert keys
        for key in keys:  # make the cached figures recognisable
            counts = LabelCounts.from_stored(json.loads(state.get(key) or ""))
            counts.items += 1000
            with state.transaction():
                state.set(key, json.dumps(counts.stored()))
    finally:
        state.close()
    found = json.loads(gas(repo, "diff", "--json", "HEAD~1", "HEAD"))["labelStat"]
    assert found["segments"][0]["items"] == {"before": 1004, "after": 1005, "delta": 1}
