"""Benchmark the server targets on a large dataset, over HTTP against a real server process.

Targets (1,000,000 items in 10 segments, a 2-core machine):
  * committing a draft with 10 changed items takes under 0.5 s;
  * ListSegmentDiffs / ListDataDiffs between two commits 10 items apart answer in under 0.1 s;
  * paging through a 100,000-item segment (limit 128) costs time linear in the items: the last
    pages are no slower than the first ones;
  * the server process stays under 500 MB (peak RSS, VmHWM).

The dataset is made in-process through the engine (not timed as a target) and cached under
`benchmarks/.cache/`; each run works on a copy of it, so reruns start from the same state.

    .venv/bin/python benchmarks/server_bench.py            # full size: 1,000,000 items
    .venv/bin/python benchmarks/server_bench.py --quick    # 20,000 items, a CI smoke run
    .venv/bin/python benchmarks/server_bench.py --loop-latency  # see loop_latency.py
    .venv/bin/python benchmarks/server_bench.py --database postgresql://… --blobs s3://…
        # the same figures on PostgreSQL + S3 (the dataset is moved there by `gas server migrate`)
    .venv/bin/python benchmarks/server_bench.py --engines
        # the same, on a PostgreSQL and a SeaweedFS started for the run (tests/engines.py)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
API_PATH = "gatewayv2/tensorbay-open-api/v1/"
PAGE = 128
CALLBACK_BATCH = 1000
BLOB_COUNT = 16
COMMIT_ROUNDS = 5
WARM_REPEATS = 20
EDGE_PAGES = 10
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 900.0
QUICK_ITEMS = 20_000
MB = 1024 * 1024
#: Bump when the prepared dataset's layout changes, so that stale caches are not reused.
LAYOUT = 3

COMMIT_TARGET = 0.5
DIFF_TARGET = 0.1
PAGING_RATIO_TARGET = 1.5
MEMORY_TARGET_MB = 500.0


# results -----------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the report: `value` in `unit`, judged against `target` when there is one."""

    operation: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    detail: str = ""

    def figure(self) -> str:
        if self.unit == "s":
            text = f"{self.value:.4f} s" if self.value < 10 else f"{self.value:.1f} s"
        else:
            text = f"{self.value:,.2f} {self.unit}".rstrip()
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class Report:
    config: dict[str, Any]
    setup: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.operation}: {row.figure()}", flush=True)


def judged(operation: str, value: float, limit: float, unit: str = "s", detail: str = "") -> Row:
    target = f"< {limit:g} {unit}" if unit != "x" else f"<= {limit:g}x"
    ok = value <= limit if unit == "x" else value < limit
    return Row(operation, value, unit, target, ok, detail)


def spread(samples: list[float]) -> str:
    return (f"median of {len(samples)}; min {min(samples):.4f}, max {max(samples):.4f}"
            if len(samples) > 1 else "one call")


# the prepared dataset ----------------------------------------------------------------------
@dataclass
class Prepared:
    """A data dir holding one dataset: `sizes[i]` items in segment `segments[i]`, committed."""

    dataset_id: str
    key: str
    commit_id: str
    segments: list[str]
    sizes: list[int]
    blobs: list[tuple[str, int]]
    seconds: dict[str, float]
    data_dir: Path = Path()

    def save(self, path: Path) -> None:
        info = asdict(self)
        del info["data_dir"]
        path.write_text(json.dumps(info, indent=1))

    @classmethod
    def load(cls, path: Path, data_dir: Path) -> Prepared:
        info = json.loads(path.read_text())
        info["blobs"] = [tuple(b) for b in info["blobs"]]
        return cls(**info, data_dir=data_dir)


def item_path(segment: int, index: int) -> str:
    """Distinct per segment: equal segments would share every leaf and flatter the numbers."""
    return f"images/s{segment:02d}-{index:07d}.jpg"


def segment_sizes(items: int, segments: int) -> list[int]:
    return [items // segments + (1 if i < items % segments else 0) for i in range(segments)]


def make_blobs(blob_dir: Path) -> list[tuple[str, int]]:
    """A few small distinct blobs, stored where `DirectoryBlobStore` looks for them."""
    from gasvc.server.blobs import DirectoryBlobStore

    store, blobs = DirectoryBlobStore(blob_dir), []
    for index in range(BLOB_COUNT):
        data = f"gasvc benchmark blob {index}\n".encode() * (index + 1)
        checksum = hashlib.sha1(data).hexdigest()
        target = store.path(checksum)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        blobs.append((checksum, len(data)))
    return blobs


def item_object(path: str, blob: tuple[str, int]) -> dict[str, Any]:
    return {"remotePath": path, "checksum": blob[0], "fileSize": blob[1]}


def populate(engine: Any, user: Any, dataset_id: str, draft: int, prepared: Prepared) -> None:
    """Create every segment of the draft and register its items, CALLBACK_BATCH per call."""
    for seg, (name, size) in enumerate(zip(prepared.segments, prepared.sizes, strict=True)):
        engine.content.create_segment(user, dataset_id, {"name": name, "draftNumber": draft})
        for start in range(0, size, CALLBACK_BATCH):
            objects = [item_object(item_path(seg, i), prepared.blobs[(i + seg) % BLOB_COUNT])
                       for i in range(start, min(start + CALLBACK_BATCH, size))]
            engine.data.callback(user, dataset_id, {
                "segmentName": name, "draftNumber": draft, "objects": objects})
        print(f"    segment {name}: {size:,} items staged", flush=True)


def build_dataset(data_dir: Path, items: int, segments: int) -> Prepared:
    """Make the dataset through the engine in-process; returns it with its set-up times."""
    from gasvc.server.blobs import DirectoryBlobStore
    from gasvc.server.engine import Engine
    from gasvc.server.meta import SqliteMetaStore

    data_dir.mkdir(parents=True)
    blob_dir = data_dir / "blobs"
    engine = Engine(SqliteMetaStore(data_dir / "meta.sqlite"), DirectoryBlobStore(blob_dir))
    key = engine.datasets.add_user("bench")
    user = engine.datasets.authenticate(key)
    dataset_id = engine.datasets.create(user, {"name": "bench", "type": 0})
    prepared = Prepared(dataset_id, key, "", [f"seg-{i:02d}" for i in range(segments)],
                        segment_sizes(items, segments), make_blobs(blob_dir), {})
    engine.data.grant_blobs(dataset_id, dict(prepared.blobs))
    draft = engine.versions.create_draft(user, dataset_id, {"branchName": "main", "title": "t"})
    started = time.perf_counter()
    populate(engine, user, dataset_id, draft, prepared)
    prepared.seconds["stage items (in-process callbacks)"] = time.perf_counter() - started
    started = time.perf_counter()
    prepared.commit_id = engine.versions.commit(
        user, dataset_id, {"draftNumber": draft, "title": "initial"})
    prepared.seconds["first commit (in-process)"] = time.perf_counter() - started
    return prepared


def compact(meta_path: Path) -> None:
    """VACUUM away the staged changes' pages and fold the WAL into the database file."""
    gc.collect()  # closes the engine's connections
    conn = sqlite3.connect(meta_path, isolation_level=None)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def prepare(items: int, segments: int, fresh: bool) -> Prepared:
    """The cached prepared dataset of this size, made first when missing or `fresh`."""
    home = CACHE / f"server-v{LAYOUT}-{items}x{segments}"
    info, data_dir = home / "prepared.json", home / "data"
    if info.exists() and not fresh:
        print(f"set-up: reusing {home.relative_to(HERE.parent)} (--fresh to rebuild)")
        return Prepared.load(info, data_dir)
    shutil.rmtree(home, ignore_errors=True)
    print(f"set-up: {items:,} items in {segments} segments, in-process through the engine")
    started = time.perf_counter()
    prepared = build_dataset(data_dir, items, segments)
    compact(data_dir / "meta.sqlite")
    prepared.seconds["total set-up"] = time.perf_counter() - started
    prepared.data_dir = data_dir
    prepared.save(info)
    return prepared


def working_copy(prepared: Prepared) -> Prepared:
    """A copy of the prepared data dir for this run: runs never see each other's commits."""
    target = prepared.data_dir.parent.parent / (prepared.data_dir.parent.name + "-run")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(prepared.data_dir, target / "data")
    return Prepared(**{**asdict(prepared), "data_dir": target / "data"})


# the server process ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def proc_memory(pid: int) -> dict[str, float]:
    """VmHWM (peak RSS) and VmRSS of a process, in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0]) / 1024
    return found


class Server:
    """`python -m gasvc server start` on a free port; logs beside the data dir."""

    def __init__(self, data_dir: Path, stores: list[str] | None = None) -> None:
        self.data_dir = data_dir
        #: where the server keeps its data: the data dir, or `--database … --blobs …`
        self.stores = stores or ["--data-dir", str(data_dir)]
        self.port = free_port()
        self.log = data_dir.parent / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/{API_PATH}"

    def start(self, key: str) -> None:
        command = [sys.executable, "-m", "gasvc", "server", "start", *self.stores,
                   "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
            if self._answers(key):
                return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {READY_TIMEOUT:.0f} s; see {self.log}")

    def _answers(self, key: str) -> bool:
        try:
            response = requests.get(self.api + "users", headers={"X-Token": key}, timeout=2)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def memory(self) -> dict[str, float]:
        assert self.proc is not None
        return proc_memory(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextmanager
def running_server(data_dir: Path, key: str, stores: list[str] | None = None
                   ) -> Iterator[Server]:
    """A started server, stopped on the way out whatever happens."""
    server = Server(data_dir, stores)
    try:
        server.start(key)
        yield server
    finally:
        server.stop()


class Api:
    """Timed JSON calls to the Open API, on one keep-alive session."""

    def __init__(self, root: str, key: str, dataset_id: str) -> None:
        self.root = f"{root}datasets/{dataset_id}/"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["X-Token"] = key

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             **params: Any) -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        response = self.session.request(method, self.root + path, json=body, params=params or None,
                                        timeout=REQUEST_TIMEOUT)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        result: dict[str, Any] = response.json()
        return result, elapsed

    def timed(self, path: str, repeats: int, **params: Any) -> tuple[dict[str, Any], list[float]]:
        """GET `path` `repeats` times: the last answer and every call's time."""
        times: list[float] = []
        result: dict[str, Any] = {}
        for _ in range(repeats):
            result, elapsed = self.call("GET", path, **params)
            times.append(elapsed)
        return result, times


# commits -----------------------------------------------------------------------------------
def round_segment(p: Prepared, number: int) -> str:
    return p.segments[number % len(p.segments)]


def ten_changes(p: Prepared, number: int) -> list[dict[str, Any]]:
    """Round `number`'s changes, spread over its segment: 6 items get another blob, 4 are new."""
    seg = number % len(p.segments)
    size = p.sizes[seg]
    picks = [(size * i // 10 + number) % size for i in range(10)]
    modified = [item_object(item_path(seg, i), p.blobs[(i + seg + 1) % BLOB_COUNT])
                for i in picks[:6]]
    added = [item_object(item_path(seg, i).replace(".jpg", f"-new{number}.jpg"),
                         p.blobs[i % BLOB_COUNT]) for i in picks[6:]]
    return modified + added


def commit_round(api: Api, p: Prepared, number: int, report: Report) -> str:
    draft = api.call("POST", "drafts", {"branchName": "main", "title": f"round {number}"})
    number_ = draft[0]["draftNumber"]
    report.samples.setdefault("create draft", []).append(draft[1])
    callback = api.call("PUT", "multi/callback", {
        "segmentName": round_segment(p, number), "draftNumber": number_,
        "objects": ten_changes(p, number)})
    report.samples.setdefault("callback (10 items)", []).append(callback[1])
    result, elapsed = api.call("POST", "commits", {"draftNumber": number_, "title": "ten"})
    report.samples.setdefault("commit 10 changed items", []).append(elapsed)
    return str(result["commitId"])


def bench_commits(api: Api, p: Prepared, report: Report) -> list[str]:
    """COMMIT_ROUNDS drafts of 10 changes each; returns [setup commit, round 1, ...]."""
    commits = [p.commit_id]
    for number in range(1, COMMIT_ROUNDS + 1):
        commits.append(commit_round(api, p, number, report))
    times = report.samples["commit 10 changed items"]
    report.add(judged("commit 10 changed items", statistics.median(times), COMMIT_TARGET,
                      detail=spread(times)))
    report.add(judged("  worst commit", max(times), COMMIT_TARGET))
    for name in ("create draft", "callback (10 items)"):
        samples = report.samples[name]
        report.add(Row(f"  {name} (info)", statistics.median(samples), "s", detail=spread(samples)))
    return commits


# diffs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DiffCase:
    name: str
    path: str
    expect_total: int


def diff_cases(p: Prepared, commits: list[str]) -> list[DiffCase]:
    """Four cases, each on a commit pair no earlier call has diffed (so the first is cold)."""
    last = len(commits) - 1
    return [
        DiffCase("ListSegmentDiffs head-only", f"diffs/commit-{commits[last]}/segments", 1),
        DiffCase("ListSegmentDiffs base...head",
                 f"diffs/commit-{commits[last - 2]}...commit-{commits[last - 1]}/segments", 1),
        DiffCase("ListDataDiffs head-only",
                 f"diffs/commit-{commits[last - 2]}/segments/{round_segment(p, last - 2)}/data",
                 10),
        DiffCase("ListDataDiffs base...head",
                 f"diffs/commit-{commits[last - 4]}...commit-{commits[last - 3]}/segments/"
                 f"{round_segment(p, last - 3)}/data", 10),
    ]


def check_diff(case: DiffCase, result: dict[str, Any]) -> None:
    """One changed segment, or its 10 items: 6 modified and 4 added."""
    if "segments" in result:
        found = [s["data"]["stats"] for s in result["segments"]]
    else:
        actions = [d["action"] for d in result["data"]]
        found = [{"total": len(actions), "additions": actions.count("add"), "deletions": 0,
                  "modifications": actions.count("modify")}]
    expected = {"total": 10, "additions": 4, "deletions": 0, "modifications": 6}
    if result["totalCount"] != case.expect_total or found != [expected]:
        raise RuntimeError(f"{case.name}: wrong answer {json.dumps(result)[:500]}")


def bench_diffs(api: Api, p: Prepared, commits: list[str], report: Report) -> None:
    for case in diff_cases(p, commits):
        first, cold = api.timed(case.path, 1, offset=0, limit=PAGE)
        _, warm = api.timed(case.path, WARM_REPEATS, offset=0, limit=PAGE)
        report.samples[case.name + " warm"] = warm
        check_diff(case, first)
        report.add(judged(f"{case.name} (cold)", cold[0], DIFF_TARGET, detail="first call"))
        report.add(judged(f"{case.name} (warm)", statistics.median(warm), DIFF_TARGET,
                          detail=spread(warm)))


# paging ------------------------------------------------------------------------------------
def read_all_pages(api: Api, p: Prepared, segment: str, size: int) -> list[float]:
    """Every page of ListData in order, checking that the pages cover the segment exactly."""
    times, seen, previous = [], 0, ""
    for offset in range(0, size, PAGE):
        result, elapsed = api.call("GET", "data", segmentName=segment, commit=p.commit_id,
                                   offset=offset, limit=PAGE)
        paths = [item["remotePath"] for item in result["data"]]
        if result["totalCount"] != size or paths != sorted(paths) or paths[0] <= previous:
            raise RuntimeError(f"ListData page at {offset} is wrong: {json.dumps(result)[:300]}")
        times.append(elapsed)
        seen, previous = seen + len(paths), paths[-1]
    if seen != size:
        raise RuntimeError(f"ListData gave {seen} items, the segment has {size}")
    return times


def edge_pages(size: int) -> int:
    """How many pages count as "the first" and "the last": EDGE_PAGES, or fewer if small."""
    return max(1, min(EDGE_PAGES, -(-size // PAGE) // 2))


def edge_details(api: Api, p: Prepared, segment: str, size: int) -> list[float]:
    """Each call's time reading the first and then the last pages of ListDataDetails."""
    offsets, edge = list(range(0, size, PAGE)), edge_pages(size)
    return [api.call("GET", "data/details", segmentName=segment, commit=p.commit_id,
                     offset=offset, limit=PAGE)[1]
            for offset in offsets[:edge] + offsets[-edge:]]


def paging_rows(label: str, times: list[float], edge: int) -> list[Row]:
    """First and last `edge` pages of `times`; linear paging when their per-page medians match.

    Medians, not sums, are compared: one stalled call on a busy machine must not fail the check.
    """
    first, last = times[:edge], times[-edge:]
    ratio = statistics.median(last) / statistics.median(first)
    medians = (f"per-page medians {statistics.median(first) * 1000:.2f} ms / "
               f"{statistics.median(last) * 1000:.2f} ms")
    return [
        Row(f"{label}: first {edge} pages", sum(first), "s"),
        Row(f"{label}: last {edge} pages", sum(last), "s"),
        judged(f"{label}: last/first pages", ratio, PAGING_RATIO_TARGET, "x", medians),
    ]


def bench_paging(api: Api, p: Prepared, report: Report) -> None:
    segment, size = p.segments[0], p.sizes[0]
    times = read_all_pages(api, p, segment, size)
    report.samples["ListData page"] = times
    edge = edge_pages(size)
    for row in paging_rows(f"ListData {size:,} items", times, edge):
        report.add(row)
    total = sum(times)
    report.add(Row(f"ListData {size:,} items: all {len(times)} pages", total, "s",
                   detail=f"{size / total:,.0f} items/s"))
    details = edge_details(api, p, segment, size)
    report.samples["ListDataDetails first and last pages"] = details
    for row in paging_rows("ListDataDetails", details, edge):
        report.add(row)


# memory and the whole run ------------------------------------------------------------------
def memory_rows(label: str, memory: dict[str, float]) -> list[Row]:
    return [judged(f"server peak RSS (VmHWM){label}", memory["VmHWM"], MEMORY_TARGET_MB, "MB"),
            Row(f"server RSS now (VmRSS){label}", memory["VmRSS"], "MB")]


def bench_big_diff(api: Api, p: Prepared, server: Server, report: Report) -> None:
    """Info only: ListSegmentDiffs of the set-up commit against the root: every item added."""
    path = f"diffs/commit-{p.commit_id}/segments"
    result, times = api.timed(path, 1, offset=0, limit=PAGE)
    added = sum(s["data"]["stats"]["additions"] for s in result["segments"])
    report.add(Row("ListSegmentDiffs of the set-up commit (info)", times[0], "s",
                   detail=f"{added:,} items added"))
    for row in memory_rows(" after it", server.memory()):
        report.add(row)


def run_benchmarks(p: Prepared, report: Report, big_diff: bool,
                   stores: list[str] | None = None) -> None:
    with running_server(p.data_dir, p.key, stores) as server:
        api = Api(server.api, p.key, p.dataset_id)
        report.add(Row("server RSS after start (info)", server.memory()["VmRSS"], "MB"))
        print("commits:", flush=True)
        commits = bench_commits(api, p, report)
        print("diffs:", flush=True)
        bench_diffs(api, p, commits, report)
        print("paging:", flush=True)
        bench_paging(api, p, report)
        for row in memory_rows("", server.memory()):
            report.add(row)
        if big_diff:
            print("big diff:", flush=True)
            bench_big_diff(api, p, server, report)


# output ------------------------------------------------------------------------------------
def verdict(ok: bool | None) -> str:
    return "" if ok is None else "yes" if ok else "NO"


def print_table(report: Report) -> None:
    header = ("operation", "figure", "target", "ok?")
    lines = [(r.operation, r.figure(), r.target, verdict(r.ok)) for r in report.rows]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(4)]
    print()
    for line in [header, tuple("-" * w for w in widths), *lines]:
        cells = (text.ljust(width) for text, width in zip(line, widths, strict=True))
        print(" | ".join(cells).rstrip())


def as_json(report: Report) -> dict[str, Any]:
    return {**asdict(report), "rows": [{**asdict(r), "figure": r.figure()} for r in report.rows]}


def save(report: Report) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"server-{stamp}.json"
    path.write_text(json.dumps(as_json(report), indent=1) + "\n")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="data items in total")
    parser.add_argument("--segments", type=int, default=10, help="segments they are split in")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ITEMS:,} items: a smoke run for CI")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached dataset")
    parser.add_argument("--no-big-diff", action="store_true",
                        help="skip the (info only) diff of the set-up commit against the root")
    parser.add_argument("--loop-latency", action="store_true",
                        help="instead: p50/p99 of small requests during a large upload and "
                             "download (loop_latency.py)")
    parser.add_argument("--loop-size-mb", type=int, default=1024,
                        help="size of the upload and the download of --loop-latency")
    parser.add_argument("--database", metavar="URL",
                        help="measure a server on this (empty) PostgreSQL database: the prepared "
                             "dataset is moved there with `gas server migrate`; needs --blobs")
    parser.add_argument("--blobs", metavar="s3://BUCKET/PREFIX",
                        help="the (empty) bucket for --database (AWS_* variables set)")
    parser.add_argument("--engines", action="store_true",
                        help="measure on a PostgreSQL and a SeaweedFS started for the run on "
                             "loopback ports (tests/engines.py), instead of --database/--blobs")
    args = parser.parse_args(argv)
    if args.quick:
        args.items = QUICK_ITEMS
    if (args.database is None) != (args.blobs is None):
        parser.error("--database and --blobs go together")
    if args.segments < 1 or args.items < args.segments * PAGE * 2:
        parser.error("need at least 2 pages of items per segment")
    return args


@contextmanager
def throwaway_engines() -> Iterator[tuple[str, str]]:
    """(database URL, bucket) on a PostgreSQL and a SeaweedFS started for this run; the AWS_*
    variables are set for the processes it starts."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from engines import PostgresCluster, SeaweedS3, new_stores

    with contextlib.ExitStack() as stack:
        pg = PostgresCluster().start()
        stack.callback(pg.stop)
        s3 = SeaweedS3().start()
        stack.callback(s3.stop)
        stores = new_stores(pg, s3)
        os.environ.update(stores.env)
        yield stores.database, stores.blobs


def exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # unwinds through `running_server`, which stops the server


def run(args: argparse.Namespace) -> Report:
    """Prepare (or reuse) the dataset and measure every server target; print as it goes."""
    report = Report(config={"items": args.items, "segments": args.segments,
                            "commit_rounds": COMMIT_ROUNDS, "warm_repeats": WARM_REPEATS,
                            "page": PAGE, "python": sys.version.split()[0],
                            "cpus": os.cpu_count(), "load_average": os.getloadavg()})
    prepared = prepare(args.items, args.segments, args.fresh)
    report.setup = {"seconds": prepared.seconds,
                    "bench_process_peak_rss_mb": resource.getrusage(
                        resource.RUSAGE_SELF).ru_maxrss / 1024}
    for name, seconds in prepared.seconds.items():
        print(f"  {name}: {seconds:.1f} s")
    copy = working_copy(prepared)
    stores = None
    if args.database:
        report.config["stores"] = "postgresql + s3"
        started = time.monotonic()
        stores = ["--database", args.database, "--blobs", args.blobs]
        subprocess.run([sys.executable, "-m", "gasvc", "server", "migrate", "--from-data-dir",
                        str(copy.data_dir), *stores], check=True)
        report.setup["seconds"]["migrate"] = time.monotonic() - started
    run_benchmarks(copy, report, not args.no_big_diff, stores)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    if args.loop_latency:
        from loop_latency import print_result, run_loop_latency
        print_result(run_loop_latency(args.loop_size_mb, Server))
        return 0
    with contextlib.ExitStack() as stack:
        if args.engines:
            args.database, args.blobs = stack.enter_context(throwaway_engines())
        report = run(args)
    print_table(report)
    print(f"\nload average at start {report.config['load_average'][0]:.2f}, at end "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work skews the figures)")
    print(f"\nresults: {save(report).relative_to(HERE.parent)}")
    return 0 if all(r.ok is not False for r in report.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
