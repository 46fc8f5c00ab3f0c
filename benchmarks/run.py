"""gasvc side by side with git and DVC on the same synthetic dataset, in one run.

Generates N files of S bytes in K segments (plus labels in each segment's metadata.jsonl),
gives git, gas and DVC each a copy of the same bytes, starts a local `gas server`, and times:

  1. status on a clean tree                    5. clone into an empty folder (dvc pull)
  2. status after `touch` of every file        6. 100 changed files + 100 changed labels:
     (first and second run)                       status, commit, push (with HTTP requests)
  3. add -A + commit of all files (dvc add)    7. diff of two server revisions 100 items apart
  4. push of all files (dvc push, local dir)   8. peak RSS of each command
                                               9. push and clone of 2,000 files of 1 MB
                                                  (and `cp` of them to a local folder)

each as the median of --runs runs with min and max, then prints one table (operation, gas, git,
dvc, gas / best peer, target) and writes it as JSON under benchmarks/results/.

    .venv/bin/python benchmarks/run.py                       # N=100,000 x 4 KB in 4 segments
    .venv/bin/python benchmarks/run.py --with-dvc            # also DVC (own venv, made once)
    .venv/bin/python benchmarks/run.py --quick               # N=5,000: a CI smoke run
    .venv/bin/python benchmarks/run.py --server              # and the 1M-item server figures
    .venv/bin/python benchmarks/run.py --million             # 1,000,000 files (million.py)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datagen
import floors
import large
import measure
import million
import peers
import report
import server_bench
from datagen import Dataset
from measure import Done, Measure
from peers import GasServer, Tool
from report import Row

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
QUICK_FILES = 5_000
CHANGES = 100
#: Pause after `touch`, so that no tool sees a file modified within its "racy" window (git and
#: gas both distrust a stat taken within a second or two of the file's mtime).
RACY_PAUSE = 2.5
MEMORY_TARGET_MB = 300.0
WARM_NOTE = ("gasvc's bytecode compiled first, as an installation has it; "
             "page cache warm for every tool: each tree is read in full before it is timed, "
             "status and diff get one untimed run first, push and clone read files just "
             "written; push runs each go to a new, empty remote; `sync` before every timed "
             "add, push and clone, so no tool pays for another's pending writes")


@dataclass
class Bench:
    args: argparse.Namespace
    work: Path
    dataset: Dataset
    trees: dict[str, Path]
    tools: dict[str, Tool]
    server: GasServer
    rows: list[Row] = field(default_factory=list)

    @property
    def peers(self) -> list[str]:
        return [name for name in ("git", "dvc") if name in self.tools]

    @property
    def names(self) -> list[str]:
        return ["gas", *self.peers]

    def row(self, row: Row) -> Row:
        self.rows.append(row)
        return row


def settle() -> None:
    """Write back every dirty page now, untimed (else the next timed writer may pay for it)."""
    os.sync()


def say(text: str) -> None:
    print(text, flush=True)


def show(tool: str, what: str, done: Done | tuple[Done, ...], extra: str = "") -> None:
    runs = done if isinstance(done, tuple) else (done,)
    seconds = sum(d.seconds for d in runs)
    rss = max(d.rss_mb for d in runs)
    say(f"    {tool} {what}: {seconds:.3f} s, {rss:.0f} MB{extra}")


# set-up -----------------------------------------------------------------------------------
def make_trees(args: argparse.Namespace, work: Path) -> tuple[Dataset, dict[str, Path]]:
    source = work / "source"
    say(f"generating {args.files:,} files of {args.size:,} B in {args.segments} segments ...")
    started = time.perf_counter()
    dataset = datagen.generate(source, args.files, args.size, args.segments)
    names = ["gas", "git", *(["dvc"] if args.with_dvc else [])]
    trees = {}
    for name in names:
        trees[name] = work / "trees" / name
        trees[name].parent.mkdir(parents=True, exist_ok=True)
        datagen.copy_tree(source, trees[name])
    measure.discard(source)
    say(f"  made {len(names)} identical copies in {time.perf_counter() - started:.1f} s")
    return dataset, trees


def make_tools(args: argparse.Namespace, home: Path) -> dict[str, Tool]:
    env = peers.environment(home)
    tools = {"gas": Tool("gas", peers.gas_command(), env),
             "git": Tool("git", ["git"], env)}
    say(f"gasvc bytecode written in {peers.compile_gas(tools['gas'])}")
    if args.with_dvc:
        tools["dvc"] = Tool("dvc", peers.ensure_dvc(), env)
    return tools


# 3. add + commit ---------------------------------------------------------------------------
def reset_and_commit(b: Bench, name: str) -> tuple[Done, ...]:
    """Start the tool's state afresh, read the tree once, then add + commit every file."""
    root, tool = b.trees[name], b.tools[name]
    if name == "gas":
        measure.discard(root / ".gas")
        tool(root, "init", "--no-remote")
        datagen.read_all(root)
        settle()
        return tool(root, "add", "-A"), tool(root, "commit", "-m", "all files")
    if name == "git":
        measure.discard(root / ".git")
        tool(root, "init", "-q", "-b", "main")
        datagen.read_all(root)
        settle()
        return tool(root, "add", "-A"), tool(root, "commit", "-q", "-m", "all files")
    measure.discard(root / ".dvc")
    for stale in [*root.glob("*.dvc"), root / ".dvcignore"]:
        if stale.is_file():
            stale.unlink()
    tool(root, "init", "--no-scm", "-q")
    tool(root, "config", "core.analytics", "false")
    tool(root, "config", "core.check_update", "false")
    datagen.read_all(root)
    settle()
    return (tool(root, "add", *b.dataset.segments),)


def bench_add_commit(b: Bench) -> None:
    say("3. add -A + commit of all files (dvc: dvc add of the segment folders)")
    both, add, commit = (Row(3, "add -A + commit, all files", limit=1.0, against="git"),
                         Row(3, "  add -A alone (info)"), Row(3, "  commit alone (info)"))
    for _ in range(b.args.runs):
        for name in b.names:
            done = reset_and_commit(b, name)
            show(name, "add + commit", done)
            both.tools.setdefault(name, Measure()).add(*done)
            add.tools.setdefault(name, Measure()).add(done[0])
            if len(done) > 1:
                commit.tools.setdefault(name, Measure()).add(done[1])
    for row in (both, add, commit):
        b.row(row)


# 1. and 2. status --------------------------------------------------------------------------
def status(b: Bench, name: str) -> Done:
    return b.tools[name](b.trees[name], "status")


def bench_clean_status(b: Bench) -> None:
    say("1. status on a clean tree (one untimed run first)")
    row = b.row(Row(1, "status, clean tree", limit=1.3, against="git"))
    for name in b.names:
        status(b, name)
        for _ in range(b.args.runs):
            done = status(b, name)
            show(name, "status", done)
            row.tools.setdefault(name, Measure()).add(done)
        if name == "gas" and "nothing to commit" not in done.stdout:
            raise RuntimeError(f"gas status of the clean tree is not clean:\n{done.stdout[:2000]}")


def bench_touched_status(b: Bench) -> None:
    say(f"2. status after touch of every file (then a {RACY_PAUSE} s pause), 1st and 2nd run")
    first = b.row(Row(2, "status after touch, 1st run"))
    second = b.row(Row(2, "status after touch, 2nd run", limit=2.0, against="git"))
    for _ in range(b.args.runs):
        for name in b.names:
            datagen.touch_all(b.trees[name])
            time.sleep(RACY_PAUSE)
            one, two = status(b, name), status(b, name)
            show(name, "status after touch", one)
            show(name, "  again", two)
            first.tools.setdefault(name, Measure()).add(one)
            second.tools.setdefault(name, Measure()).add(two)


# 4. push -----------------------------------------------------------------------------------
def gas_push_fresh(b: Bench, snapshot: Path) -> tuple[Done, int]:
    """Push every file from the committed state to a new, empty server."""
    # its summary line is shown; -q would print nothing
    return large.push_to_fresh_server(b, b.trees["gas"], snapshot, settle)


def dvc_push_fresh(b: Bench, number: int) -> Done:
    dvc, root = b.tools["dvc"], b.trees["dvc"]
    remote = b.work / "dvc-remotes" / f"remote-{number}"
    measure.discard(remote.parent)  # the previous run's
    remote.mkdir(parents=True)
    dvc(root, "remote", "add", "-d", "-f", "local", remote)
    settle()
    return dvc(root, "push")


def bench_push(b: Bench) -> None:
    say("4. push of all files: gas to a new local server, dvc to a new local directory remote")
    row = b.row(Row(4, "push, all files", limit=0.4, against="dvc"))
    snapshot = b.work / "gas-state-committed"
    datagen.copy_tree(b.trees["gas"] / ".gas", snapshot)
    server_rss = Measure()
    for number in range(1, b.args.runs + 1):
        done, requests = gas_push_fresh(b, snapshot)
        show("gas", "push", done, f", {requests} requests: {done.stdout.strip()[:100]}")
        row.tools.setdefault("gas", Measure()).add(done, requests=requests)
        server_rss.seconds.append(0.0)
        server_rss.rss_mb.append(b.server.peak_rss())
        if "dvc" in b.tools:
            done = dvc_push_fresh(b, number)
            show("dvc", "push", done, f": {done.stdout.strip()[-80:]}")
            row.tools.setdefault("dvc", Measure()).add(done)
    measure.discard(snapshot)
    b.row(Row(8, "gas server peak RSS (VmHWM) after a full push (info)",
              tools={"gas": server_rss}, unit="MB"))


# 5. clone ----------------------------------------------------------------------------------
def gas_clone(b: Bench, number: int) -> Done:
    clones = b.work / "clones"
    clones.mkdir(exist_ok=True)
    for old in clones.glob("gas-*"):
        measure.discard(old)
    settle()
    return b.tools["gas"](clones, "clone", "bench", f"gas-{number}", "-q")


def dvc_pull(b: Bench, number: int) -> Done:
    """`dvc pull` into an empty folder holding only the .dvc files and the config."""
    clones, source = b.work / "clones", b.trees["dvc"]
    for old in clones.glob("dvc-*"):
        measure.discard(old)
    target = clones / f"dvc-{number}"
    (target / ".dvc").mkdir(parents=True)
    shutil.copy2(source / ".dvc" / "config", target / ".dvc" / "config")
    for name in [*source.glob("*.dvc"), source / ".dvcignore"]:
        if name.is_file():
            shutil.copy2(name, target / name.name)
    settle()
    return b.tools["dvc"](target, "pull")


def check_files(b: Bench, root: Path, tool: str) -> None:
    """A clone holds every data file and each segment's metadata.jsonl."""
    found = sum(1 for path in datagen.tree_files(root) if path.parent != root)
    expected = b.dataset.files + len(b.dataset.segments)
    if found != expected:
        raise RuntimeError(f"{tool} clone in {root} has {found} files, not {expected}")


def bench_clone(b: Bench) -> None:
    say("5. clone into an empty folder: gas clone vs dvc pull from the local remote")
    row = b.row(Row(5, "clone into an empty folder", limit=0.25, against="dvc"))
    for number in range(1, b.args.runs + 1):
        b.server.log.mark()
        done = gas_clone(b, number)
        requests = b.server.log.since_mark()
        show("gas", "clone", done, f", {requests} requests")
        check_files(b, b.work / "clones" / f"gas-{number}", "gas")
        row.tools.setdefault("gas", Measure()).add(done, requests=requests)
        if "dvc" in b.tools:
            done = dvc_pull(b, number)
            show("dvc", "pull", done)
            check_files(b, b.work / "clones" / f"dvc-{number}", "dvc")
            row.tools.setdefault("dvc", Measure()).add(done)
    for old in (b.work / "clones").glob("dvc-*"):
        measure.discard(old)


# 6. a hundred changes ----------------------------------------------------------------------
def commit_changes(b: Bench, name: str) -> tuple[Done, ...]:
    tool, root = b.tools[name], b.trees[name]
    if name == "dvc":
        return (tool(root, "add", *b.dataset.segments),)
    quiet = ["-q"] if name == "git" else []
    return tool(root, "add", "-A"), tool(root, "commit", *quiet, "-m", "changes")


def push_changes(b: Bench, name: str) -> tuple[Done, int | None]:
    if name == "dvc":
        return b.tools["dvc"](b.trees["dvc"], "push"), None
    b.server.log.mark()
    done = b.tools["gas"](b.trees["gas"], "push", "-q")
    return done, b.server.log.since_mark()


def bench_changes(b: Bench) -> None:
    say(f"6. {CHANGES} changed files and {CHANGES} changed labels (other files): "
        "status, commit, push")
    label = f"{CHANGES} files + {CHANGES} labels changed"
    rows = {"status": b.row(Row(6, f"status, {label}", limit=2.0, against="git")),
            "commit": b.row(Row(6, f"add -A + commit, {label}", limit=1.0,
                                against="git")),
            "push": b.row(Row(6, f"push, {label}", limit=2.0, max_requests=20))}
    files = b.dataset.files
    for number in range(1, b.args.runs + 1):
        offset = number * 7 + 1
        roots = list(b.trees.values())
        datagen.change_files(roots, b.dataset, datagen.spread(CHANGES, files, offset),
                             f"round {number}")
        datagen.change_labels(roots, b.dataset,
                              datagen.spread(CHANGES, files, offset + files // CHANGES // 2))
        for name in b.names:
            done = status(b, name)
            show(name, "status", done)
            rows["status"].tools.setdefault(name, Measure()).add(done)
            commit = commit_changes(b, name)
            show(name, "add + commit", commit)
            rows["commit"].tools.setdefault(name, Measure()).add(*commit)
            if name != "git":
                push, requests = push_changes(b, name)
                show(name, "push", push, f", {requests} requests" if requests is not None else "")
                rows["push"].tools.setdefault(name, Measure()).add(push, requests=requests)


# 7. diff -----------------------------------------------------------------------------------
def server_ids(b: Bench) -> list[str]:
    """The server ids of the gas workspace's last two commits, newest first."""
    lines = b.tools["gas"](b.trees["gas"], "log", "--oneline", "-n", "2").stdout.splitlines()
    return [line.split()[0] for line in lines]


#: A diff takes ~0.15 s, where a scheduler tick or a page written back moves one sample by
#: 10 %: its median is taken of this many times `--runs` samples.
DIFF_RUNS_PER_RUN = 3


def bench_diff(b: Bench) -> None:
    say(f"7. diff of two server revisions {CHANGES} files apart (gas: in a clone that holds "
        "neither; git: local)")
    numbers = datagen.spread(CHANGES, b.dataset.files, b.args.runs * 7 + 3)
    datagen.change_files([b.trees["gas"], b.trees["git"]], b.dataset, numbers, "diff")
    for name in ("gas", "git"):
        commit_changes(b, name)
    b.tools["gas"](b.trees["gas"], "push", "-q")
    clone = next((b.work / "clones").glob("gas-*"))
    gas, git = b.tools["gas"], b.tools["git"]
    gas(clone, "fetch")
    new, old = server_ids(b)
    row = b.row(Row(7, f"diff of two server revisions, {CHANGES} items apart", limit=0.15,
                    max_requests=5))
    for name, tool, cwd, args in (("gas", gas, clone, (old, new)),
                                  ("git", git, b.trees["git"], ("HEAD~1", "HEAD"))):
        first = tool(cwd, "diff", *args)
        if name == "gas" and first.stdout.count("\n") < CHANGES:
            raise RuntimeError(f"gas diff {old} {new} shows too little:\n{first.stdout[:2000]}")
        settle()  # the push and fetch before left pages to write back
        for _ in range(DIFF_RUNS_PER_RUN * b.args.runs):
            b.server.log.mark()
            done = tool(cwd, "diff", *args)
            requests = b.server.log.since_mark() if name == "gas" else None
            show(name, "diff", done, f", {requests} requests" if requests is not None else "")
            row.tools.setdefault(name, Measure()).add(done, requests=requests)


# 9. large files (large.py) -------------------------------------------------------------------
def bench_large_files(b: Bench) -> None:
    if not b.args.no_large:
        large.bench_large(b, say, settle)


# 8. memory ---------------------------------------------------------------------------------
def memory_rows(b: Bench) -> None:
    """Peak RSS of every timed command, from the same samples."""
    for row in [r for r in b.rows if r.unit == "s" and "gas" in r.tools
                and r.against != "cp"]:  # a "vs cp" row repeats a gas command's samples
        b.row(Row(8, f"peak RSS: {row.name.strip()}", tools=row.tools, unit="MB",
                  limit=MEMORY_TARGET_MB))


# the run -----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--files", type=int, help="N: data files (default 100,000; "
                        f"{QUICK_FILES:,} with --quick)")
    parser.add_argument("--size", type=int, default=4096, help="S: bytes per file")
    parser.add_argument("--segments", type=int, default=4, help="K: segments (folders)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure")
    parser.add_argument("--quick", action="store_true",
                        help=f"N={QUICK_FILES:,}: a smoke run for CI (timings not judged)")
    parser.add_argument("--with-dvc", action="store_true",
                        help="also DVC (installed once into benchmarks/.venv-dvc)")
    parser.add_argument("--server", action="store_true",
                        help="also the server figures (server_bench.py; 1M items, or 20,000 "
                        "with --quick)")
    parser.add_argument("--no-floors", action="store_true", help="skip the floor measurements")
    parser.add_argument("--no-large", action="store_true",
                        help="skip row 9 (push and clone of 2,000 files of 1 MB)")
    parser.add_argument("--million", action="store_true",
                        help="1,000,000 files in 10 segments, one run, beside git: clean status, "
                        "add + commit, push, clone, memory, and time per file against a "
                        "100,000-file run (rows 10; see million.py)")
    parser.add_argument("--baseline", type=Path,
                        help="with --million: the 100,000-file suite JSON to compare with "
                        "(default: the newest in --results)")
    parser.add_argument("--workdir", type=Path, default=HERE / ".cache" / "suite",
                        help="scratch folder (emptied first)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch folder and what was moved aside")
    args = parser.parse_args(argv)
    if args.million:
        args.files = args.files or million.FILES
        args.segments, args.runs = million.SEGMENTS, 1
        args.no_large = args.no_floors = True
    if args.files is None:
        args.files = QUICK_FILES if args.quick else 100_000
    if args.files < 2 * CHANGES * 2 or args.segments < 1 or args.runs < 1 or args.size < 1:
        parser.error(f"need --files >= {4 * CHANGES}, --segments, --runs, --size >= 1")
    return args


def exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # unwinds through the `finally` that stops the server


def source_version() -> str:
    """The last commit that changed gasvc/, and whether gasvc/ has uncommitted changes."""
    repo = HERE.parent
    head = subprocess.run(["git", "log", "-1", "--format=%h", "--", "gasvc"], cwd=repo,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "gasvc"], cwd=repo,
                           capture_output=True, text=True).stdout.strip()
    return f"{head or 'unknown'}{' + uncommitted changes in gasvc/' if dirty else ''}"


def configuration(b: Bench) -> dict[str, Any]:
    return {"gasvc_source": source_version(),
        "files": b.args.files, "size": b.args.size, "segments": b.args.segments,
        "runs": b.args.runs, "quick": b.args.quick, "with_dvc": b.args.with_dvc,
        "versions": {name: tool.version() for name, tool in b.tools.items()},
        "python": sys.version.split()[0], "platform": platform.platform(),
        "cpus": os.cpu_count(), "load_average_start": os.getloadavg(),
        "racy_pause_s": RACY_PAUSE, "warm": WARM_NOTE,
        "rss_floor_mb": measure.launcher_floor_mb(),
    }


def run_suite(b: Bench) -> dict[str, Any]:
    config = configuration(b)
    say(f"gasvc {config['gasvc_source']}; versions: {config['versions']}\n{WARM_NOTE}")
    found: dict[str, Measure] = {}
    if not b.args.no_floors:
        say("floors ...")
        found = floors.measure_floors(sys.executable, b.tools["gas"], b.trees["gas"],
                                      b.args.size, b.args.runs)
    started = time.perf_counter()
    sources: dict[str, str] = {}
    config["gasvc_source_by_phase"] = sources
    phases = [bench_add_commit, bench_clean_status, bench_touched_status, bench_push,
              bench_clone, bench_changes, bench_diff, bench_large_files, memory_rows]
    if b.args.million:  # what says whether gas stays linear and within its memory bound
        phases = [bench_add_commit, bench_clean_status, bench_push, bench_clone, memory_rows]
    for phase in phases:
        sources[phase.__name__] = source_version()
        phase(b)
    if len(set(sources.values())) > 1:
        say(f"WARNING: gasvc changed during the run (editable install): {sources}")
    if b.args.million:
        baseline = b.args.baseline or million.newest_baseline(b.args.results)
        b.rows += million.linearity_rows(b.rows, b.args.files, baseline)
        config.update(million.describe(baseline))
    config["seconds"] = time.perf_counter() - started
    config["load_average_end"] = os.getloadavg()
    return {"config": config, "floors": {name: {"seconds": m.seconds, "median": m.median}
                                         for name, m in found.items()},
            "floors_table": floors.table(found) if found else ""}


def claim(work: Path) -> Path:
    """Refuse to empty a scratch folder that another running suite is using."""
    lock = work.parent / f"{work.name}.pid"
    if lock.exists():
        try:
            other = int(lock.read_text())
            os.kill(other, 0)
        except (ValueError, ProcessLookupError):
            pass
        else:
            if other != os.getpid():
                raise SystemExit(f"{work} is in use by running suite {other}; "
                                 "wait for it or give --workdir")
    work.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(str(os.getpid()))
    return lock


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    work = args.workdir.resolve()
    lock = claim(work)
    try:
        bench, body = measure_all(args, work)
    finally:
        lock.unlink(missing_ok=True)
    say("\n" + report.table(bench.rows))
    if body["floors_table"]:
        say("\n" + body["floors_table"])
    if len(set(body["config"]["gasvc_source_by_phase"].values())) > 1:
        say(f"\nWARNING: gasvc changed during the run: {body['config']['gasvc_source_by_phase']}")
    say(f"\n{WARM_NOTE}.\nload average {body['config']['load_average_start'][0]:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end, on {os.cpu_count()} CPUs; "
        f"suite took {body['config']['seconds']:.0f} s")
    path = report.save(args.results, body, bench.rows)
    say(f"results: {path}")
    if not args.keep:  # after the results are saved: a million files take minutes
        measure.empty_trash()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def measure_all(args: argparse.Namespace, work: Path) -> tuple[Bench, dict[str, Any]]:
    """Set up in `work`, run every phase (and the server figures if asked)."""
    measure.use_trash(work.parent / f"{work.name}.trash")
    measure.discard(work)  # an earlier run's (removed at the end, with the trash)
    work.mkdir(parents=True)
    tools = make_tools(args, work / "home")
    dataset, trees = make_trees(args, work)
    bench = Bench(args, work, dataset, trees, tools, GasServer(work, tools["gas"]))
    try:
        body = run_suite(bench)
    finally:
        bench.server.stop()
    if args.server:
        body["server"] = server_bench.as_json(run_server(args))
    return bench, body


def run_server(args: argparse.Namespace) -> server_bench.Report:
    say("\nserver figures (server_bench.py) ...")
    server_report = server_bench.run(server_bench.parse_args(["--quick"] if args.quick else []))
    server_bench.print_table(server_report)
    return server_report


if __name__ == "__main__":
    sys.exit(main())
