"""`run.py --million`: 1,000,000 files of 4 KB in 10 segments, one run, beside git only: clean
status, add + commit, push, clone and their peak RSS (the phases that say whether gas stays
linear and within its memory bound), and rows 10: each operation's time per file against the
100,000-file suite run given (`--baseline`, else the newest in benchmarks/results/), where
"linear" means at most 1.5 times the 100,000-file run's time per file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from measure import Measure
from report import Row

FILES = 1_000_000
SEGMENTS = 10
LINEAR = 1.5
#: (row name in both runs, short name): the operations whose time per file is compared.
COMPARED = (("status, clean tree", "clean status"),
            ("add -A + commit, all files", "add -A + commit"),
            ("push, all files", "push"),
            ("clone into an empty folder", "clone"))


def newest_baseline(results: Path) -> Path | None:
    """The newest suite JSON of a 100,000-file run (not quick) in `results`."""
    for path in sorted(results.glob("suite-*.json"), reverse=True):
        try:
            config = json.loads(path.read_text())["config"]
        except (OSError, ValueError, KeyError):
            continue
        if config.get("files") == 100_000 and not config.get("quick"):
            return path
    return None


def linearity_rows(rows: list[Row], files: int, baseline: Path | None) -> list[Row]:
    """Rows 10: gas's time per file here over its time per file in `baseline`."""
    if baseline is None:
        return []
    before = {row["operation"]: row for row in json.loads(baseline.read_text())["rows"]}
    base_files = int(json.loads(baseline.read_text())["config"]["files"])
    found = []
    for name, short in COMPARED:
        here = next((row for row in rows if row.name == name), None)
        there = before.get(name, {}).get("tools", {}).get("gas", {}).get("figure")
        if here is None or not there or here.figure("gas") is None:
            continue
        ratio = (here.figure("gas") or 0) / files / (there / base_files)
        found.append(Row(10, f"{short}: time per file / the {base_files:,}-file run's",
                         tools={"gas": Measure([ratio], [0.0])}, unit="×", limit=LINEAR,
                         note=f"baseline {baseline.name}"))
    return found


def describe(baseline: Path | None) -> dict[str, Any]:
    return {"million": True, "baseline": baseline.name if baseline else None}
