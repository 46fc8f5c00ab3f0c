"""Row 9 of the suite: push and clone of large files (2,000 files of 1 MB in 2 segments), beside
`dvc push` / `dvc pull` with a local directory remote and a plain `cp` of the same files to a
local folder (alone, and followed by `sync`: a copy that is on disk, as a push acknowledges).

Each tool gets its own copy of the bytes; every timed command runs after `sync` (untimed). gas
pushes to a new, empty server each run and clones into an empty folder; DVC pushes to a new,
empty remote folder and pulls into a folder holding only its `.dvc` files and config.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datagen
import measure
from measure import Done, Measure
from report import Row

FILES = 2_000
QUICK_FILES = 8
SIZE = 1024 * 1024
SEGMENTS = 2


def bench_large(b: Any, say: Callable[[str], None], settle: Callable[[], None]) -> None:
    """Rows 9: push and clone of 2,000 files of 1 MB (`b` is run.py's `Bench`)."""
    work = b.work / "large"
    files = FILES if not b.args.quick else QUICK_FILES
    say(f"9. push and clone of {files:,} files of 1 MB: gas, dvc, cp to a local folder")
    source = work / "source"
    started = time.perf_counter()
    dataset = datagen.generate(source, files, SIZE, SEGMENTS)
    trees = {name: work / name for name in ("gas", *(["dvc"] if "dvc" in b.tools else []))}
    for tree in trees.values():
        datagen.copy_tree(source, tree)
    say(f"  made {len(trees) + 1} copies in {time.perf_counter() - started:.1f} s")
    label = f"{files:,} files of 1 MB"
    rows = {key: Row(9, f"{what}, {label}", limit=0.5, against="dvc")
            for key, what in (("push", "push"), ("clone", "clone (dvc pull)"))}
    versus = {key: Row(9, f"  {what}, {label}, vs cp", limit=2.0, against="cp")
              for key, what in (("push", "push"), ("clone", "clone"))}
    synced = Row(9, f"  cp + sync, {label} (info)")
    gas_state = _gas_commit(b, trees["gas"])
    dvc_ready = "dvc" in trees and _dvc_add(b, trees["dvc"], dataset.segments)
    for number in range(1, b.args.runs + 1):
        push, requests = push_to_fresh_server(b, trees["gas"], gas_state, settle, "-q")
        say(f"    gas push: {push.seconds:.3f} s, {requests} requests")
        rows["push"].tools.setdefault("gas", Measure()).add(push, requests=requests)
        clone = _gas_clone(b, work, number, settle)
        say(f"    gas clone: {clone.seconds:.3f} s")
        rows["clone"].tools.setdefault("gas", Measure()).add(clone)
        if dvc_ready:
            done = _dvc_push(b, trees["dvc"], work, number, settle)
            say(f"    dvc push: {done.seconds:.3f} s")
            rows["push"].tools.setdefault("dvc", Measure()).add(done)
            done = _dvc_pull(b, trees["dvc"], work, number, settle)
            say(f"    dvc pull: {done.seconds:.3f} s")
            rows["clone"].tools.setdefault("dvc", Measure()).add(done)
        copy, with_sync = _cp(b, source, dataset.segments, work, settle)
        say(f"    cp: {copy.seconds:.3f} s; cp + sync: {with_sync.seconds:.3f} s")
        synced.tools.setdefault("cp", Measure()).add(with_sync)
        for key in ("push", "clone"):
            versus[key].tools.setdefault("gas", Measure()).add(
                push if key == "push" else clone)
            versus[key].tools.setdefault("cp", Measure()).add(copy)
    for row in (rows["push"], versus["push"], rows["clone"], versus["clone"], synced):
        b.row(row)
    shutil.rmtree(work, ignore_errors=True)


def _gas_commit(b: Any, root: Path) -> Path:
    """Add and commit every file (untimed); a copy of the committed `.gas` to push from."""
    gas = b.tools["gas"]
    gas(root, "init", "--no-remote")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "large files")
    snapshot = root.parent / "gas-state-committed"
    datagen.copy_tree(root / ".gas", snapshot)
    return snapshot


def push_to_fresh_server(b: Any, root: Path, snapshot: Path, settle: Callable[[], None],
                         *options: str) -> tuple[Done, int]:
    """Push `root`, its .gas reset to `snapshot`, to a new, empty server: (done, requests)."""
    gas = b.tools["gas"]
    b.server.fresh()
    gas.env.update(b.server.env())
    gas(b.work, "dataset", "create", "bench")
    measure.discard(root / ".gas")  # (also the 100,000-file push's: not deleted now)
    datagen.copy_tree(snapshot, root / ".gas")
    gas(root, "remote", "set", b.server.url, "bench")
    settle()
    b.server.log.mark()
    done = gas(root, "push", *options)
    return done, b.server.log.since_mark()


def _gas_clone(b: Any, work: Path, number: int, settle: Callable[[], None]) -> Done:
    clones = work / "clones"
    shutil.rmtree(clones, ignore_errors=True)
    clones.mkdir()
    settle()
    done: Done = b.tools["gas"](clones, "clone", "bench", f"gas-{number}", "-q")
    return done


def _dvc_add(b: Any, root: Path, segments: list[str]) -> bool:
    dvc = b.tools["dvc"]
    dvc(root, "init", "--no-scm", "-q")
    dvc(root, "config", "core.analytics", "false")
    dvc(root, "config", "core.check_update", "false")
    dvc(root, "add", *segments)
    return True


def _dvc_push(b: Any, root: Path, work: Path, number: int, settle: Callable[[], None]) -> Done:
    remote = work / "dvc-remotes" / f"remote-{number}"
    shutil.rmtree(remote.parent, ignore_errors=True)
    remote.mkdir(parents=True)
    b.tools["dvc"](root, "remote", "add", "-d", "-f", "local", remote)
    settle()
    done: Done = b.tools["dvc"](root, "push")
    return done


def _dvc_pull(b: Any, root: Path, work: Path, number: int, settle: Callable[[], None]) -> Done:
    target = work / "dvc-pulls" / f"dvc-{number}"
    shutil.rmtree(target.parent, ignore_errors=True)
    (target / ".dvc").mkdir(parents=True)
    shutil.copy2(root / ".dvc" / "config", target / ".dvc" / "config")
    for name in [*root.glob("*.dvc"), root / ".dvcignore"]:
        if name.is_file():
            shutil.copy2(name, target / name.name)
    settle()
    done: Done = b.tools["dvc"](target, "pull")
    return done


def _cp(b: Any, source: Path, segments: list[str], work: Path, settle: Callable[[], None]
        ) -> tuple[Done, Done]:
    """`cp -r` of the segment folders into an empty folder, then the same followed by `sync`."""
    found = []
    for command in ("cp -r {src} {dst}", "cp -r {src} {dst} && sync"):
        target = work / "cp-target"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        settle()
        text = command.format(src=" ".join(str(source / s) for s in segments), dst=target)
        found.append(measure.run(["sh", "-c", text], work, b.tools["gas"].env))
    shutil.rmtree(work / "cp-target", ignore_errors=True)
    return found[0], found[1]
