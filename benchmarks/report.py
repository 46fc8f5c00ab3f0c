"""The suite's one table (operation, gas, git, dvc, cp, gas / best peer, target) and its JSON."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from measure import Measure

#: The columns: gas, its peers, and `cp` (a plain copy, the floor of the large-file rows).
TOOLS = ("gas", "git", "dvc", "cp")
NONE = "—"


@dataclass
class Row:
    """One operation: each tool's samples; the figure is the median time, or for a memory row
    (unit "MB") the highest peak RSS of the same samples.

    `limit` is the target: gas's figure must stay at most `limit` times the `against` tool's
    (or at most `limit` itself when `against` is empty); `max_requests` bounds gas's HTTP calls.
    """

    op: int
    name: str
    tools: dict[str, Measure] = field(default_factory=dict)
    unit: str = "s"
    limit: float | None = None
    against: str = ""
    max_requests: int | None = None
    note: str = ""

    def figure(self, tool: str) -> float | None:
        measure = self.tools.get(tool)
        if measure is None or not measure.seconds:
            return None
        return measure.peak_rss if self.unit == "MB" else measure.median

    def ratio(self) -> float | None:
        """gas over the best (lowest) peer figure."""
        gas = self.figure("gas")
        peers = [f for t in TOOLS[1:] if (f := self.figure(t)) is not None]
        return gas / min(peers) if gas is not None and peers and min(peers) > 0 else None

    def target(self) -> str:
        parts = []
        if self.limit is not None:
            bound = f"{self.limit:g} × {self.against}" if self.against else f"{self.limit:g}"
            unit = "" if self.against else (f" {self.unit}" if self.unit != "×" else " ×")
            parts.append(f"≤ {bound}{unit}")
        if self.max_requests is not None:
            parts.append(f"≤ {self.max_requests} requests")
        return ", ".join(parts)

    def ok(self) -> bool | None:
        """Met (True), missed (False), or not judged (None: no target, or the peer not run)."""
        gas = self.figure("gas")
        if gas is None or (self.limit is None and self.max_requests is None):
            return None
        verdicts = []
        if self.limit is not None:
            bound = self.figure(self.against) if self.against else 1.0
            if bound is None:
                return None
            verdicts.append(gas <= self.limit * bound)
        if self.max_requests is not None:
            verdicts.append(max(self.tools["gas"].requests) <= self.max_requests)
        return all(verdicts)

    def cell(self, tool: str) -> str:
        measure = self.tools.get(tool)
        if measure is None or not measure.seconds:
            return NONE
        if self.unit == "MB":
            return f"{measure.peak_rss:,.0f} MB"
        if self.unit == "×":
            return f"{measure.median:.2f} ×"
        if len(measure.seconds) == 1:
            text = f"{measure.median:.3f} s"
        else:
            text = (f"{measure.median:.3f} s ({min(measure.seconds):.3f}–"
                    f"{max(measure.seconds):.3f})")
        if measure.requests:
            text += f", {max(measure.requests)} req"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "op": self.op, "operation": self.name, "unit": self.unit,
            "tools": {tool: {**asdict(m), "figure": self.figure(tool)}
                      for tool, m in self.tools.items() if m.seconds},
            "ratio_gas_best_peer": self.ratio(), "target": self.target(), "ok": self.ok(),
            "note": self.note,
        }


def verdict(ok: bool | None) -> str:
    return "" if ok is None else "yes" if ok else "NO"


def table(rows: list[Row]) -> str:
    header = ("operation", *TOOLS, "gas/best peer", "target", "met")
    lines = [(f"{row.op}. {row.name}", *(row.cell(t) for t in TOOLS),
              f"{ratio:.2f}" if (ratio := row.ratio()) is not None else NONE,
              row.target(), verdict(row.ok())) for row in rows]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = []
    for line in [header, tuple("-" * w for w in widths), *lines]:
        cells = (text.ljust(width) for text, width in zip(line, widths, strict=True))
        out.append(" | ".join(cells).rstrip())
    return "\n".join(out)


def markdown(rows: list[Row]) -> str:
    """The same table in Markdown, for docs/performance.md."""
    header = ("operation", *TOOLS, "gas / best peer", "target", "met")
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        ratio = row.ratio()
        cells = (f"{row.op}. {row.name}", *(row.cell(t) for t in TOOLS),
                 f"{ratio:.2f}" if ratio is not None else NONE, row.target(),
                 verdict(row.ok()))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def save(directory: Path, body: dict[str, Any], rows: list[Row]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"suite-{time.strftime('%Y%m%d-%H%M%S')}.json"
    body = {**body, "rows": [row.as_json() for row in rows], "table": table(rows),
            "markdown": markdown(rows)}
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    return path
