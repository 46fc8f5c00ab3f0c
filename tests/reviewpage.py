"""Helpers of the `gas review` page tests: PNG images, the `gas review` process, the browser.

The browser is Debian's Chromium (`/usr/bin/chromium`, installed by scripts/bootstrap) driven by
Playwright; Playwright never downloads a browser of its own. Screenshots go to
`test-output/screenshots/` at the repository's root (git-ignored).
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pytest

CHROMIUM = Path(os.environ.get("GASVC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, ...]]) -> bytes:
    """A PNG image: RGB when `pixel` gives 3 values, grey (a mask's ids) when it gives 1."""
    channels = len(pixel(0, 0))
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in pixel(x, y))
                    for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def launch_browser() -> object:
    """(playwright, browser). Where Chromium or Playwright is missing the test is skipped on a
    developer's machine, and fails in CI (`GASVC_CI=1`, set by .ci/run): CI never skips it."""
    missing = pytest.fail if os.environ.get("GASVC_CI") == "1" else pytest.skip
    try:
        from playwright import sync_api
    except ImportError:
        missing("Playwright is not installed (scripts/bootstrap)")
    if not CHROMIUM.exists():
        missing(f"no Chromium at {CHROMIUM}: apt-get install chromium (scripts/bootstrap)")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    return playwright, browser


class ReviewProcess:
    """`gas review --no-browser ARGS` in `cwd`, until the `with` block ends (Ctrl-C)."""

    def __init__(self, cwd: Path, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "gasvc", "review", "--no-browser",
                                      *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("gas review: http://127.0.0.1:"):
            self.proc.kill()
            _, errors = self.proc.communicate()
            raise AssertionError(f"gas review did not start: {line!r}\n{errors}")
        self.url = line.split(": ", 1)[1].strip()

    def __enter__(self) -> ReviewProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        assert self.proc.stderr is not None
        errors = self.proc.stderr.read()
        assert "Traceback" not in errors, errors


#: Shapes drawn in an item's panes, in image coordinates: (side, type, status, x, y, w, h).
SHAPES_JS = """() => [...document.querySelectorAll('#detail svg.canvas [data-label-type]')].map(
  (node) => {
    const m = node.ownerSVGElement.getScreenCTM();
    const b = node.getBoundingClientRect();
    return [node.dataset.side, node.dataset.labelType, node.dataset.status,
            Math.round((b.left - m.e) / m.a), Math.round((b.top - m.f) / m.d),
            Math.round(b.width / m.a), Math.round(b.height / m.d)];
  })"""
