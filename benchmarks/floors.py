"""What no Python tool can beat on this machine: start-up, imports, one `stat`, one read per file.

Measured on the same tree the tools work on, after it was read once (page cache warm).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path

import measure
from datagen import STATE_DIRS, tree_files
from measure import Measure
from peers import Tool

STARTS = 10


def child(python: str, code: str, env: dict[str, str], runs: int) -> Measure:
    """`python -c code`, `runs` times."""
    result = Measure()
    for _ in range(runs):
        result.add(measure.run([python, "-c", code], Path.cwd(), env))
    return result


def in_process(function: Callable[[], object], runs: int) -> Measure:
    result = Measure()
    for _ in range(runs):
        started = time.perf_counter()
        function()
        result.seconds.append(time.perf_counter() - started)
        result.rss_mb.append(0.0)
    return result


def stat_all(paths: list[str]) -> None:
    for path in paths:
        os.stat(path)


def walk_and_stat(root: Path) -> None:
    """A directory walk that stats every entry, as a status scan does."""
    stack = [root.as_posix()]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name in STATE_DIRS:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat(follow_symlinks=False)


def walk_and_stat_forked(root: Path, workers: int) -> None:
    """The same walk, its top-level folders dealt out to `workers` forked processes."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name not in STATE_DIRS)
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_walk_each, args=(folders[i::workers],))
             for i in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()


def _walk_each(folders: list[Path]) -> None:
    for folder in folders:
        walk_and_stat(folder)


def all_folders(root: Path) -> list[str]:
    found, stack = [], [root.as_posix()]
    while stack:
        folder = stack.pop()
        found.append(folder)
        with os.scandir(folder) as entries:
            stack += [e.path for e in entries
                      if e.name not in STATE_DIRS and e.is_dir(follow_symlinks=False)]
    return found


def native_listings(folders: list[str], threads: int) -> None:
    """What `gas status` pays on a clean tree: every folder listed and stat'ed natively."""
    from concurrent.futures import ThreadPoolExecutor

    from gasvc._listing import list_dir

    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(list_dir, folders):
            pass


def hash_all(paths: list[str]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            hashlib.sha1(handle.read()).digest()


def write_all(root: Path, paths: list[str], size: int) -> None:
    """Write a copy of every file and `sync` it (the floor of a clone's writes), then drop it."""
    data = b"\0" * size
    target = root.parent / (root.name + "-floor-copy")
    measure.discard(target)
    os.sync()
    for path in paths:
        out = target / os.path.relpath(path, root)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    os.sync()
    measure.discard(target)


def measure_floors(python: str, gas: Tool, root: Path, size: int,
                   runs: int) -> dict[str, Measure]:
    paths = [str(p) for p in tree_files(root)]
    env = gas.env
    starts = max(STARTS, runs)
    cores = os.cpu_count() or 1
    return {
        "python -c pass (interpreter start)": child(python, "pass", env, starts),
        "python -c 'import gasvc.cli'": child(python, "import gasvc.cli", env, starts),
        "python -c 'import gasvc.cli.work' (what `gas status` loads)":
            child(python, "import gasvc.cli.work", env, starts),
        "gas --version (CLI start, no work)": _gas_version(gas, starts),
        f"os.stat of {len(paths):,} files (in-process)": in_process(lambda: stat_all(paths), runs),
        f"scandir walk + stat of {len(paths):,} files (in-process)":
            in_process(lambda: walk_and_stat(root), runs),
        f"scandir walk + stat of {len(paths):,} files, {cores} forked processes":
            in_process(lambda: walk_and_stat_forked(root, cores), runs),
        **_native_floor(root, len(paths), runs, cores),
        f"read + SHA-1 of {len(paths):,} files (in-process)":
            in_process(lambda: hash_all(paths), runs),
        f"write {len(paths):,} files of {size:,} B + sync (in-process)":
            in_process(lambda: write_all(root, paths, size), runs),
    }


def _native_floor(root: Path, files: int, runs: int, cores: int) -> dict[str, Measure]:
    try:
        import gasvc._listing  # noqa: F401
    except ImportError:  # not compiled here: status uses its Python listing
        return {}
    folders = all_folders(root)
    threads = 2 * cores
    return {f"native listing (gasvc._listing) of {files:,} files, {threads} threads":
            in_process(lambda: native_listings(folders, threads), runs)}


def _gas_version(gas: Tool, runs: int) -> Measure:
    result = Measure()
    for _ in range(runs):
        result.add(gas(Path.cwd(), "--version"))
    return result


def table(floors: dict[str, Measure]) -> str:
    width = max(len(name) for name in floors)
    lines = [f"{'floor'.ljust(width)} | median (min–max)", f"{'-' * width}-|-----------------"]
    for name, m in floors.items():
        lines.append(f"{name.ljust(width)} | {m.median:.4f} s ({min(m.seconds):.4f}–"
                     f"{max(m.seconds):.4f})")
    return "\n".join(lines)
