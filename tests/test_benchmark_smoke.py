"""The benchmark suite runs end to end (a small quick run, no DVC); its timings are not judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
#: Smaller than --quick's 5,000 files, to keep CI fast; the code paths are the same.
FILES = "1000"


def test_quick_suite_writes_every_operation(tmp_path: Path) -> None:
    results = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--files", FILES, "--runs", "1", "--no-floors",
         "--workdir", str(tmp_path / "work"), "--results", str(results)],
        capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    [path] = results.glob("suite-*.json")
    body = json.loads(path.read_text())
    assert {row["op"] for row in body["rows"]} == set(range(1, 9))
    for row in body["rows"]:
        assert "gas" in row["tools"], row
        if row["op"] in (1, 2, 3):
            assert "git" in row["tools"], row
    assert body["config"]["files"] == int(FILES)
    assert "gas/best peer" in body["table"]
    assert not (tmp_path / "work").exists()
