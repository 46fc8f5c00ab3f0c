"""What the fault-injection test (test_faults.py) runs and checks: commands forked through
faultwrap.py, snapshots of a working tree and of what HEAD says it is, cheap workspace copies."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faultwrap import Outcome, run
from gascli import Gas

from gasvc.model.snapshot import iterate_items
from gasvc.workspace.store.refs import head_commit
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.commit import commit_state

DATE = "2026-01-02T03:04:05Z"
Tree = dict[str, Any]


def label(category: str) -> dict[str, Any]:
    return {"CLASSIFICATION": {"category": category}}


def labels_file(items: dict[str, str]) -> str:
    lines = [{"file_name": path, "label": label(category)} for path, category in items.items()]
    return "".join(json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n"
                   for line in lines)


def write(root: Path, files: dict[str, str]) -> None:
    """Write files as new ones (workspace copies share the old ones' inodes)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.write_text(content)


# snapshots ----------------------------------------------------------------------------------
def working_tree(root: Path) -> Tree:
    """Every file outside `.gas/` by path: its SHA-1; `metadata.jsonl` and the catalog parsed."""
    found: Tree = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] == ".gas":
            continue
        key = relative.as_posix()
        if path.name == "metadata.jsonl" and len(relative.parts) == 2:
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            found[key] = {line["file_name"]: line["label"] for line in lines if line["label"]}
        elif key == "catalog.json":
            found[key] = json.loads(path.read_text())
        else:
            found[key] = hashlib.sha1(path.read_bytes()).hexdigest()
    return {k: v for k, v in found.items() if v != {}}


def head_tree(root: Path) -> Tree:
    """What HEAD's commit says the working tree is, in `working_tree`'s terms."""
    state = State(root / ".gas" / "state.sqlite")
    try:
        version = commit_state(state, head_commit(state))
        found: Tree = {}
        if version.catalog:
            found["catalog.json"] = state.get_object(version.catalog)
        for name, info in version.segments.items():
            labels = {}
            for path, item in iterate_items(info.tree, state.get_object):
                found[f"{name}/{path}"] = item.checksum
                if item.label:
                    labels[path] = state.get_object(item.label)
            if labels:
                found[f"{name}/metadata.jsonl"] = labels
        return found
    finally:
        state.close()


def copy_workspace(source: Path, target: Path) -> Path:
    """A copy to run a command on: files hard-linked (commands only ever replace them), the
    state database copied."""
    if target.exists():
        shutil.rmtree(target)

    def link(src: str, dst: str) -> None:
        if "state.sqlite" in Path(src).name:
            shutil.copy2(src, dst)
        else:
            Path(dst).hardlink_to(src)

    shutil.copytree(source, target, copy_function=link, symlinks=True)
    return target


# the harness --------------------------------------------------------------------------------
class Harness:
    def __init__(self, gas: Gas, base: Path) -> None:
        self.env = {**gas.env, "GAS_COMMIT_DATE": DATE}
        self.base = base
        self.tried = self.held = 0
        self.counts: dict[str, int] = {}
        self.timing: dict[str, float] = {}
        self.seen_refusal = False

    def gas(self, cwd: Path, *args: str, kill_at: int = 0) -> Outcome:
        started = time.monotonic()
        done = run(kill_at, cwd, list(args), self.env)
        name = args[0] + ("-killed" if kill_at else "")
        self.timing[name] = self.timing.get(name, 0.0) + time.monotonic() - started
        return done

    def ok(self, cwd: Path, *args: str) -> Outcome:
        done = self.gas(cwd, *args)
        assert done.code == 0, f"gas {' '.join(args)} failed ({done.code}):\n{done.out}{done.err}"
        return done

    def status(self, root: Path) -> dict[str, Any] | None:
        """`gas status --json` (None when the folder is no workspace yet); a clean status
        must mean the working tree is HEAD's."""
        done = self.gas(root, "status", "--json")
        clean_error(done)
        if done.code != 0:
            assert "not inside a gas workspace" in done.err, done.err
            return None
        found: dict[str, Any] = json.loads(done.out)
        clean = not (found["staged"] or found["unstaged"] or found["untracked"]
                     or found.get("interrupted"))
        if clean:
            assert working_tree(root) == head_tree(root), "status is clean, the tree is not HEAD"
        return found

    def each_kill_point(self, name: str, attempt: Callable[[int], bool]) -> None:
        """attempt(N) for N = 1, 2, … until it reports the command finished before step N."""
        kill_at, started = 1, time.monotonic()
        while attempt(kill_at):
            kill_at += 1
            assert kill_at < 500, f"{name}: no end to the steps"
        self.counts[name] = kill_at - 1
        self.tried += kill_at - 1
        print(f"{name}: {kill_at - 1} kill points held ({time.monotonic() - started:.1f} s)")


def clean_error(done: Outcome) -> None:
    """A failure is an explained one, never a crash of gas itself."""
    if done.code not in (0, -9):
        assert done.code != 3 and "Traceback" not in done.err, done.err
        assert "error: " in done.err, done.err


def assert_clean(status: dict[str, Any] | None, branch: str | None = None) -> None:
    assert status is not None
    assert not (status["staged"] or status["unstaged"] or status["untracked"]
                or status.get("interrupted")), status
    if branch is not None:
        assert status["branch"] == branch, status


def no_stray_files(root: Path, *expected: Tree) -> None:
    """Every file in the working tree belongs to one of the expected trees (no temp files)."""
    known = set().union(*(tree.keys() for tree in expected))
    stray = sorted(set(working_tree(root)) - known)
    assert stray == [], f"files no version has: {stray}"


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the forked commands): unlike wall
    time, it does not grow when other work shares the machine."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
