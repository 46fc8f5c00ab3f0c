"""The benchmark suite's --quick mode runs end to end (timings are not judged here), on the
fewest files it accepts so that the smoke run stays short."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# slow: in CI always; `-m "not slow"` leaves it out locally (docs/testing.md)
pytestmark = pytest.mark.slow(seconds=15)

ROOT = Path(__file__).resolve().parent.parent
FILES = 400  # the least run.py accepts: 4 x its 100 changed files
OPERATIONS = ("1. status", "2. status after touch", "3. add -A + commit", "4. push",
              "5. clone", "6. ", "7. diff", "8. peak RSS", "9. push", "9. clone")


def test_quick_suite_writes_every_figure(tmp_path: Path) -> None:
    results = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--runs", "1",
         "--files", str(FILES), "--size", "256", "--no-floors",
         "--workdir", str(tmp_path / "work"), "--results", str(results)],
        capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr  # missed targets are reported, not fatal
    [report] = list(results.glob("suite-*.json"))
    data = json.loads(report.read_text())
    assert data["config"]["files"] == FILES
    assert {row["op"] for row in data["rows"]} == set(range(1, 10))
    assert all("gas" in row["tools"] or "cp" in row["tools"] for row in data["rows"])
    table = data["table"]
    for operation in OPERATIONS:
        assert operation in table, f"{operation!r} missing from the table"


def test_scale_bench_runs_end_to_end(tmp_path: Path) -> None:
    """Push and clone through the embedded server and two scaled instances, a few files."""
    results = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale_bench.py"), "--files", "60",
         "--size", "100", "--configs", "embedded,s3x2", "--workdir", str(tmp_path),
         "--results", str(results)],
        capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    [report] = list(results.glob("scale-*.json"))
    data = json.loads(report.read_text())
    for name in ("embedded", "s3x2"):
        phases = {row["phase"]: row for row in data["results"][name]}
        assert set(phases) == {"idle", "push", "clone"}
        assert phases["push"]["files"] == phases["clone"]["files"] == 60
        assert phases["idle"]["probes"] and phases["clone"]["p99 ms"] >= 0


def test_a_ratio_row_is_judged_by_its_ratio() -> None:
    """Rows 10 (time per file, unit "×") are met only at most at their limit (they once read
    a peak RSS of 0 and always said "yes")."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from measure import Measure
        from report import Row
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    over = Row(10, "clone: time per file", tools={"gas": Measure([2.05], [0.0])}, unit="×",
               limit=1.5)
    under = Row(10, "push: time per file", tools={"gas": Measure([1.2], [0.0])}, unit="×",
                limit=1.5)
    assert (over.figure("gas"), over.ok()) == (2.05, False)
    assert (under.figure("gas"), under.ok()) == (1.2, True)
