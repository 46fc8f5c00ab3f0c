"""`gas review` on a big diff: time to the first page, and the page's memory.

A workspace (no remote) gets N labelled images in one commit, then a second commit that moves
every box (and renames every tenth box's category): N changed items. Then `gas review HEAD~1
HEAD --no-browser` runs as a real process and Debian's Chromium (through Playwright, never a
downloaded browser) opens its page. Measured:

- diff + start: from starting `gas review` to its printed URL (the diff with every changed
  item's labels, and the index of the page);
- first page: from starting `gas review` to the list's first page shown (the page's
  `data-ready`), and the page's load alone;
- one item opened (both images and their boxes drawn), the next page, a filter applied;
- memory: the page's JS heap and DOM nodes (Chromium's Performance.getMetrics), and the
  `gas review` process's RSS.

    .venv/bin/python benchmarks/review_bench.py                 # N = 100,000 (a few minutes)
    .venv/bin/python benchmarks/review_bench.py --items 2000    # a quick run

Results: printed, and written to benchmarks/results/review-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("GASVC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def tiny_png(width: int = 64, height: int = 48) -> bytes:
    rows = b"".join(b"\x00" + bytes((x * 4) % 256 for x in range(width) for _ in range(3))
                    for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def gas(cwd: Path, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gasvc", *args], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def labels(number: int, moved: int) -> dict[str, Any]:
    category = ("car", "bus")[number % 2]
    if moved and number % 10 == 0:
        category = "truck"
    x = number % 40 + moved
    return {"BOX2D": [{"box2d": {"xmin": x, "ymin": 5, "xmax": x + 20, "ymax": 30},
                       "category": category}]}


def write_metadata(root: Path, items: int, moved: int) -> None:
    with (root / "train" / "metadata.jsonl").open("w") as out:
        for number in range(items):
            out.write(json.dumps({"file_name": f"img/{number:07}.png",
                                  "label": labels(number, moved)}) + "\n")


def make_workspace(root: Path, items: int, env: dict[str, str]) -> dict[str, float]:
    if root.exists():
        shutil.rmtree(root)
    (root / "train" / "img").mkdir(parents=True)
    image = tiny_png()
    for number in range(items):
        (root / "train" / "img" / f"{number:07}.png").write_bytes(image)
    write_metadata(root, items, 0)
    times = {"init": gas(root, env, "init", "--no-remote")}
    times["add"] = gas(root, env, "add", "-A")
    times["commit"] = gas(root, env, "commit", "-q", "-m", "import")
    write_metadata(root, items, 5)
    times["relabel commit"] = gas(root, env, "commit", "-q", "-a", "-m", "relabel")
    return times


def measure(root: Path, env: dict[str, str]) -> dict[str, float]:
    import psutil
    from playwright.sync_api import sync_playwright

    found: dict[str, float] = {}
    with sync_playwright() as playwright:  # the browser is up first: not part of the times
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(600_000)
        started = time.perf_counter()
        review = subprocess.Popen([sys.executable, "-m", "gasvc", "review", "--no-browser",
                                   "HEAD~1", "HEAD"], cwd=root, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert review.stdout is not None
            line = review.stdout.readline()
            found["diff + start (s)"] = time.perf_counter() - started
            url = line.split(": ", 1)[1].strip()
            loading = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']")
            now = time.perf_counter()
            found["first page from start (s)"] = now - started
            found["page load alone (s)"] = now - loading
            found["items listed"] = len(page.query_selector_all("#items .item"))
            found["one item opened (s)"] = timed(lambda: open_first(page))
            found["next page (s)"] = timed(lambda: next_page(page))
            found["a filter applied (s)"] = timed(lambda: choose_category(page))
            client = page.context.new_cdp_session(page)
            client.send("Performance.enable")
            metrics = {m["name"]: m["value"] for m in
                       client.send("Performance.getMetrics")["metrics"]}
            found["page JS heap used (MB)"] = metrics["JSHeapUsedSize"] / 2**20
            found["page JS heap total (MB)"] = metrics["JSHeapTotalSize"] / 2**20
            found["page DOM nodes"] = metrics["Nodes"]
            found["gas review RSS (MB)"] = psutil.Process(review.pid).memory_info().rss / 2**20
        finally:
            review.terminate()
            review.wait(30)
            browser.close()
    return found


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def open_first(page: Any) -> None:
    page.click("#items .item")
    for side in ("before", "after"):
        page.wait_for_selector(f'#detail .pane[data-side="{side}"][data-ready="1"]')


def next_page(page: Any) -> None:
    before = page.inner_text("#page")
    page.click("#next")
    page.wait_for_function("old => document.querySelector('#page').textContent !== old",
                           arg=before)


def choose_category(page: Any) -> None:
    page.select_option("#filter-category", "=truck")
    page.wait_for_function("() => document.querySelector('#page').textContent.startsWith('1–')")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=HERE / ".cache" / "review")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--keep", action="store_true", help="Keep the workspace afterwards.")
    args = parser.parse_args()
    home = args.workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home), "GAS_CONFIG": str(home / ".gasconfig"),
           "GAS_AUTHOR": "bench", "PYTHONPATH": str(HERE.parent)}
    for name in ("GAS_URL", "GAS_ACCESS_KEY"):
        env.pop(name, None)
    root = args.workdir / "ws"
    print(f"making a workspace of {args.items:,} items and a commit changing each ...")
    setup = make_workspace(root, args.items, env)
    found = measure(root, env)
    width = max(len(name) for name in found)
    print(f"\n`gas review HEAD~1 HEAD`, {args.items:,} changed items")
    for name, value in found.items():
        print(f"  {name:<{width}}  {value:,.2f}" if isinstance(value, float) else
              f"  {name:<{width}}  {value:,}")
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"review-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"items": args.items, "setup (s)": setup, "review": found},
                              indent=2) + "\n")
    print(f"\nwritten to {out}")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
