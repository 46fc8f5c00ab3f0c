"""Revisions and paths in `gas diff` and `gas clone`, git's `-q`, and label diffs as printed: run
for real through the `gas` command against a plain-HTTP server process.

The dataset's history: `first` (tagged v1) ← `second` on main (a label changed, b.jpg added),
and `first` ← `third` on exp (c.jpg added): so main and exp forked at v1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gascli import Gas, failed, write
from serverproc import ServerProcess

DATASET = "revs-ds"


def label(path: str, value: dict[str, object]) -> str:
    return json.dumps({"file_name": path, "label": value}) + "\n"


@pytest.fixture(scope="module")
def gas(http_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(http_server, http_server.add_user("alice"))
    return runner


@pytest.fixture(scope="module")
def origin(gas: Gas, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace that made the history above and pushed it all; it is left on main."""
    root = tmp_path_factory.mktemp("origin") / DATASET
    gas(root, "init", DATASET)
    write(root, {"train/a.jpg": "A", "train/metadata.jsonl": label(
        "a.jpg", {"CLASSIFICATION": {"category": "cat"}})})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push")
    gas(root, "tag", "v1")
    write(root, {"train/b.jpg": "B", "train/metadata.jsonl": label(
        "a.jpg", {"CLASSIFICATION": {"category": "dog"}})})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "second")
    gas(root, "push")
    gas(root, "checkout", "-b", "exp", "v1")
    write(root, {"train/c.jpg": "C"})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "third")
    gas(root, "push")
    gas(root, "switch", "main")
    return root


def out(gas: Gas, root: Path, *args: str) -> str:
    return gas(root, *args).stdout


# 1. ranges ----------------------------------------------------------------------------------
def test_a_range_diffs_exactly_like_two_arguments(gas: Gas, origin: Path) -> None:
    two = out(gas, origin, "diff", "--name-status", "v1", "exp")
    assert two == "A\ttrain/c.jpg\n"
    assert out(gas, origin, "diff", "--name-status", "v1..exp") == two
    assert out(gas, origin, "diff", "--name-status", f"tb:{DATASET}@v1..tb:{DATASET}@exp") == two
    assert out(gas, origin, "diff", "--name-status", f"tb:{DATASET}@v1", f"tb:{DATASET}@exp"
               ) == two
    assert out(gas, origin, "diff", "v1..exp") == out(gas, origin, "diff", "v1", "exp")
    assert out(gas, origin, "diff", "exp..") == out(gas, origin, "diff", "exp", "HEAD")


def test_three_dots_diff_from_where_the_branches_forked(gas: Gas, origin: Path) -> None:
    # main..exp also undoes main's own changes; main...exp is exp's side only, as in git
    assert out(gas, origin, "diff", "--name-status", "main..exp") == (
        "L\ttrain/a.jpg\nD\ttrain/b.jpg\nA\ttrain/c.jpg\n")
    assert out(gas, origin, "diff", "--name-status", "main...exp") == "A\ttrain/c.jpg\n"
    assert out(gas, origin, "diff", "--name-status", "exp...main") == (
        "L\ttrain/a.jpg\nA\ttrain/b.jpg\n")
    assert out(gas, origin, "diff", "--name-status",
               f"tb:{DATASET}@main...tb:{DATASET}@exp") == "A\ttrain/c.jpg\n"


def test_bad_ranges_are_refused(gas: Gas, origin: Path) -> None:
    failed(gas(origin, "diff", "v1..exp..main", check=False), "invalid range")
    failed(gas(origin, "diff", "v1..", "main", check=False), "stands alone")
    failed(gas(origin, "diff", f"tb:{DATASET}@v1..tb:other@exp", check=False),
           "names dataset 'other'")


def titles(gas: Gas, root: Path, *args: str) -> list[str]:
    return [line.split(" ")[-1] for line in out(gas, root, "log", "--oneline", *args).splitlines()]


def test_log_takes_a_range_too(gas: Gas, origin: Path) -> None:
    assert titles(gas, origin, "main..exp") == ["third"]
    assert titles(gas, origin, "exp..main") == ["second"]
    tbrns = f"tb:{DATASET}@v1..tb:{DATASET}@exp"
    assert titles(gas, origin, "v1..exp") == titles(gas, origin, tbrns) == ["third"]
    assert titles(gas, origin, "exp..") == ["second"]  # A.. is A..HEAD (main)
    assert titles(gas, origin, "exp..exp") == []
    failed(gas(origin, "log", "main...exp", check=False), "gas log takes A..B")


# 3. TBRN paths ------------------------------------------------------------------------------
def test_diff_paths_may_be_tbrns(gas: Gas, origin: Path) -> None:
    path = out(gas, origin, "diff", "v1", "main", "--", "train/b.jpg")
    assert path.startswith("A  train/b.jpg\n")
    assert out(gas, origin, "diff", "v1", "main", "--", f"tb:{DATASET}:train://b.jpg") == path
    assert out(gas, origin, "diff", "--name-status", "v1", "main", "--", f"tb:{DATASET}:train"
               ) == "L\ttrain/a.jpg\nA\ttrain/b.jpg\n"
    assert out(gas, origin, "show", "--name-status", "main", "--",
               f"tb:{DATASET}:train://a.jpg").endswith("L\ttrain/a.jpg\n")


@pytest.mark.parametrize("path, message", [
    (f"tb:{DATASET}@v1:train://b.jpg", "names a revision (@v1) in a path"),
    (f"tb:{DATASET}#1:train://b.jpg", "names a revision (#1) in a path"),
    (f"tb:{DATASET}", "names no segment or file"),
    ("tb:other:train://b.jpg", "names dataset 'other'"),
])
def test_tbrn_paths_that_cannot_filter_are_refused(gas: Gas, origin: Path, path: str,
                                                   message: str) -> None:
    failed(gas(origin, "diff", "v1", "main", "--", path, check=False), message)


def test_a_tbrn_path_given_as_a_revision_says_where_paths_go(gas: Gas, origin: Path) -> None:
    result = gas(origin, "diff", f"tb:{DATASET}:train://b.jpg", check=False)
    failed(result, "names a segment or file, not a revision")
    assert "paths go after `--`" in result.stderr


# 2. clone -----------------------------------------------------------------------------------
@pytest.mark.parametrize("source, extra, message", [
    (f"tb:{DATASET}@v1:train://a.jpg", [], "no sparse clone"),
    (f"tb:{DATASET}:train", [], "no sparse clone"),
    (f"tb:{DATASET}#1", [], "is a draft"),
    (f"tb:{DATASET}@v1", ["-b", "exp"], "but -b names 'exp'"),
])
def test_clone_refuses_what_is_not_a_whole_revision(gas: Gas, origin: Path, tmp_path: Path,
                                                     source: str, extra: list[str],
                                                     message: str) -> None:
    failed(gas(tmp_path, "clone", source, "copy", *extra, check=False), message)
    assert not (tmp_path / "copy").exists()


def test_clone_of_a_tbrn_revision_is_that_revision(gas: Gas, origin: Path, tmp_path: Path
                                                   ) -> None:
    gas(tmp_path, "clone", f"tb:{DATASET}@v1", "at-v1")
    root = tmp_path / "at-v1"
    assert sorted(p.name for p in (root / "train").iterdir()) == ["a.jpg", "metadata.jsonl"]
    assert out(gas, root, "log", "--oneline").endswith(" (HEAD, tag: v1) first\n")
    gas(tmp_path, "clone", f"tb:{DATASET}@exp", "at-exp")
    assert sorted(p.name for p in (tmp_path / "at-exp/train").iterdir()) == [
        "a.jpg", "c.jpg", "metadata.jsonl"]
    assert "On branch exp" in out(gas, tmp_path / "at-exp", "status")


# 4. tags offline ----------------------------------------------------------------------------
def test_offline_tag_lists_local_tags_and_tagging_says_why_not(gas: Gas, tmp_path: Path
                                                               ) -> None:
    root = tmp_path / "offline"
    gas(root, "init", "--no-remote")
    write(root, {"train/a.jpg": "A"})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    assert out(gas, root, "tag") == ""
    result = gas(root, "tag", "v1", check=False)
    failed(result, "tags are made on the server, and this workspace has no remote")
    assert "gas remote set URL offline" in result.stderr
    assert out(gas, root, "tag", "--json") == "[]\n"


# 5. -q ----------------------------------------------------------------------------------------
def test_quiet_commands_print_nothing_but_do_their_work(gas: Gas, origin: Path, tmp_path: Path
                                                        ) -> None:
    def quiet(*args: str) -> None:
        result = gas(root, *args)
        assert result.stdout == "" and result.stderr == "", (args, result)

    root = tmp_path / "q"
    assert gas(tmp_path, "clone", "-q", DATASET, "q").stdout == ""
    assert (root / "train/b.jpg").read_text() == "B"
    quiet("fetch", "-q")
    quiet("checkout", "-q", "exp")
    assert (root / "train/c.jpg").exists() and not (root / "train/b.jpg").exists()
    quiet("switch", "-q", "main")
    write(root, {"train/d.jpg": "D"})
    quiet("add", "-q", "train/d.jpg")
    quiet("commit", "-q", "-m", "fourth")
    assert out(gas, root, "log", "--oneline", "-n", "1").endswith(" fourth\n")
    quiet("push", "-q")
    quiet("pull", "-q")
    quiet("tag", "-q", "v4")
    quiet("branch", "-q", "side")
    quiet("rm", "-q", "train/d.jpg")
    assert not (root / "train/d.jpg").exists()
    quiet("restore", "-q", "--staged", "train/d.jpg")
    quiet("restore", "-q", "train/d.jpg")
    assert (root / "train/d.jpg").read_text() == "D"
    assert "nothing to commit" in out(gas, root, "status")
    assert "v4" in out(gas, root, "tag", "-q")  # listing still lists, as in git
    assert "side" in out(gas, root, "branch", "-q")
    quiet("branch", "-q", "-d", "side")
    quiet("tag", "-q", "-d", "v4")
    assert "v4" not in out(gas, root, "tag")


def test_quiet_still_prints_errors(gas: Gas, origin: Path) -> None:
    failed(gas(origin, "checkout", "-q", "nope", check=False), "unknown revision 'nope'")
    failed(gas(origin, "tag", "-q", "v1", check=False), "already exists")
    nothing = gas(origin, "commit", "-q", "-m", "x", check=False)
    assert nothing.returncode == 1 and nothing.stdout == ""
    assert "nothing to commit" in nothing.stderr


# 6. label diffs as printed --------------------------------------------------------------------
def test_a_label_replaced_whole_reads_by_label_type(gas: Gas, tmp_path: Path) -> None:
    root = tmp_path / "labels"
    gas(root, "init", "--no-remote")
    write(root, {"train/a.jpg": "A", "train/metadata.jsonl": label(
        "a.jpg", {"CLASSIFICATION": {"category": "cat", "attributes": {"color": "red"}}})})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    box = {"box2d": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, "category": "car"}
    write(root, {"train/metadata.jsonl": label("a.jpg", {"BOX2D": [box]})})
    assert out(gas, root, "diff") == (
        "L  train/a.jpg\n"
        '    + BOX2D: [{"box2d": {"xmax": 3, "xmin": 1, "ymax": 4, "ymin": 2}, "category": "c…\n'
        "    - CLASSIFICATION\n")
    write(root, {"train/metadata.jsonl": label(
        "a.jpg", {"CLASSIFICATION": {"category": "dog", "attributes": {"size": 2}}})})
    assert out(gas, root, "diff") == (
        "L  train/a.jpg\n"
        "    - CLASSIFICATION.attributes.color\n"
        "    + CLASSIFICATION.attributes.size: 2\n"
        "    CLASSIFICATION.category: cat → dog\n")


def test_0_and_0_0_are_one_label_value_in_a_diff(gas: Gas, tmp_path: Path) -> None:
    root = tmp_path / "numbers"
    gas(root, "init", "--no-remote")
    box = {"box2d": {"xmin": 0, "ymin": 0, "xmax": 3, "ymax": 4}, "category": "car"}
    write(root, {"train/a.jpg": "A", "train/metadata.jsonl": label("a.jpg", {"BOX2D": [box]})})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    box["box2d"] = {"xmin": 0.0, "ymin": 0, "xmax": 3.0, "ymax": 4.5}
    write(root, {"train/metadata.jsonl": label("a.jpg", {"BOX2D": [box]})})
    assert out(gas, root, "diff") == "L  train/a.jpg\n    BOX2D[0].box2d.ymax: 4 → 4.5\n"
    box["box2d"] = {"xmin": 0.0, "ymin": 0, "xmax": 3.0, "ymax": 4}
    write(root, {"train/metadata.jsonl": label("a.jpg", {"BOX2D": [box]})})
    # the stored label differs (gas keeps 0 and 0.0 apart), its values do not
    assert out(gas, root, "diff") == (
        "L  train/a.jpg\n    label: no value changed, only how it is written (e.g. 0 → 0.0)\n")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "same values")
    body = json.loads(out(gas, root, "show", "--json"))
    assert [(i["status"], i["labelChanged"], i["label"]) for i in body["diff"]["items"]] == [
        ("L", True, [])]
