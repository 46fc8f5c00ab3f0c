"""`gas review` in a real browser (Debian's Chromium driven by Playwright) against a real
`gas server`: a relabelling pass — boxes moved, a category changed, an image retaken with its
polygon moved, an item added and one deleted — reviewed from the workspace, then as a draft
that the page commits; and a changed mask, read from the server.

The shapes are asserted where the labels put them (image coordinates of the drawn SVG); the
statistics against counts worked out by hand. Screenshots: test-output/screenshots/.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas
from reviewpage import SCREENSHOTS, SHAPES_JS, ReviewProcess, launch_browser, png
from serverproc import ServerProcess
from test_diff_server import fetched_workspace

from gasvc.api.client import ApiClient
from gasvc.api.transfer import FormUploads, Upload

pytestmark = pytest.mark.slow(seconds=40)

W, H = 200, 100
CATALOG = {
    "BOX2D": {"categories": [{"name": "car"}, {"name": "bus"}, {"name": "truck"}]},
    "CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]},
    "POLYGON": {"categories": [{"name": "roof"}]},
    "MULTI_POLYGON": {"categories": [{"name": "houses"}]},
    "POLYLINE2D": {"categories": [{"name": "lane"}]},
    "KEYPOINTS2D": {"categories": [{"name": "person"}], "keypoints": [
        {"number": 3, "names": ["head", "hand", "foot"], "skeleton": [[0, 1], [1, 2]]}]},
}


def box(category: str, xmin: int, ymin: int, xmax: int, ymax: int) -> dict[str, Any]:
    return {"box2d": {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax},
            "category": category}


def roof(*corners: tuple[int, int]) -> dict[str, Any]:
    return {"polygon": [{"x": x, "y": y} for x, y in corners], "category": "roof"}


LANE = {"polyline2d": [{"x": 10, "y": 90}, {"x": 190, "y": 90}], "category": "lane"}
HOUSES = {"multiPolygon": [[{"x": 100, "y": 60}, {"x": 120, "y": 60}, {"x": 110, "y": 80}],
                           [{"x": 130, "y": 60}, {"x": 150, "y": 60}, {"x": 140, "y": 80}]],
          "category": "houses"}
PERSON = {"keypoints2d": [{"x": 150, "y": 10, "v": 2}, {"x": 160, "y": 40, "v": 2},
                          {"x": 170, "y": 80, "v": 2}], "category": "person"}
FIRST = {
    "a.png": {"BOX2D": [box("car", 10, 10, 60, 50), box("car", 100, 20, 150, 80)]},
    "b.png": {"BOX2D": [box("bus", 30, 30, 90, 70)], "CLASSIFICATION": {"category": "cat"}},
    "c.png": {"POLYGON": [roof((10, 10), (60, 10), (35, 40))], "KEYPOINTS2D": [PERSON],
              "POLYLINE2D": [LANE]},
    "gone.png": {"BOX2D": [box("car", 5, 5, 25, 25)]},
}
SECOND = {
    "a.png": {"BOX2D": [box("car", 20, 20, 70, 60), box("car", 100, 20, 150, 80)]},  # moved
    "b.png": {"BOX2D": [box("truck", 30, 30, 90, 70)], "CLASSIFICATION": {"category": "dog"}},
    "c.png": {"POLYGON": [roof((20, 20), (70, 20), (45, 50))], "KEYPOINTS2D": [PERSON],
              "MULTI_POLYGON": [HOUSES]},  # the lane removed, the houses added
    "new.png": {"BOX2D": [box("car", 40, 40, 80, 80)]},
}
CHANGES = {"train/a.png": "label", "train/b.png": "label", "train/c.png": "modified",
           "train/gone.png": "deleted", "train/new.png": "added"}
#: (side, type, status, x, y, width, height) per changed item, from the labels above.
SHAPES = {
    "train/a.png": [("before", "BOX2D", "changed", 10, 10, 50, 40),
                    ("before", "BOX2D", "unchanged", 100, 20, 50, 60),
                    ("after", "BOX2D", "changed", 20, 20, 50, 40),
                    ("after", "BOX2D", "unchanged", 100, 20, 50, 60)],
    "train/b.png": [("before", "BOX2D", "changed", 30, 30, 60, 40),
                    ("after", "BOX2D", "changed", 30, 30, 60, 40)],
    "train/c.png": [("before", "KEYPOINTS2D", "unchanged", 147, 7, 26, 76),
                    ("before", "POLYGON", "changed", 10, 10, 50, 30),
                    ("before", "POLYLINE2D", "removed", 10, 90, 180, 0),
                    ("after", "KEYPOINTS2D", "unchanged", 147, 7, 26, 76),
                    ("after", "MULTI_POLYGON", "added", 100, 60, 50, 20),
                    ("after", "POLYGON", "changed", 20, 20, 50, 30)],
    "train/gone.png": [("before", "BOX2D", "removed", 5, 5, 20, 20)],
    "train/new.png": [("after", "BOX2D", "added", 40, 40, 40, 40)],
}
#: Statistics rows of train (segment, type, category) → (before, after, delta), by hand:
#: cars 2 + 1 (gone) → 2 + 1 (new); the bus became a truck; the cat a dog.
STATS = {("items", "", ""): (4, 4, 0), ("type", "BOX2D", ""): (4, 4, 0),
         ("category", "BOX2D", "car"): (3, 3, 0), ("category", "BOX2D", "bus"): (1, 0, -1),
         ("category", "BOX2D", "truck"): (0, 1, 1),
         ("category", "CLASSIFICATION", "cat"): (1, 0, -1),
         ("category", "CLASSIFICATION", "dog"): (0, 1, 1),
         ("category", "POLYGON", "roof"): (1, 1, 0),
         ("category", "POLYLINE2D", "lane"): (1, 0, -1),
         ("category", "MULTI_POLYGON", "houses"): (0, 1, 1),
         ("category", "KEYPOINTS2D", "person"): (1, 1, 0)}


def picture(red: int) -> bytes:
    return png(W, H, lambda x, y: (red, (x * 255) // W, (y * 255) // H))


def write(root: Path, version: dict[str, dict[str, Any]], retaken: bool = False) -> None:
    folder = root / "train"
    folder.mkdir(parents=True, exist_ok=True)
    for name in version:
        if not (folder / name).exists() or (retaken and name == "c.png"):
            (folder / name).write_bytes(picture(250 if retaken and name == "c.png" else 40))
    (folder / "metadata.jsonl").write_text("".join(
        json.dumps({"file_name": name, "label": label}) + "\n"
        for name, label in sorted(version.items())))


# fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(http_server: ServerProcess) -> ServerProcess:
    return http_server


@pytest.fixture(scope="module")
def key(server: ServerProcess) -> str:
    return server.add_user("alice")


@pytest.fixture(scope="module")
def gas(tmp_path_factory: pytest.TempPathFactory, server: ServerProcess, key: str) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(server, key)
    return runner


@pytest.fixture(scope="module")
def maker(tmp_path_factory: pytest.TempPathFactory, gas: Gas) -> tuple[Path, int]:
    """A workspace whose first commit is pushed and whose second is left as a draft."""
    root = tmp_path_factory.mktemp("maker")
    gas(root, "init", "relabel")
    write(root, FIRST)
    (root / "catalog.json").write_text(json.dumps(CATALOG))
    gas(root, "add", "-A")
    gas(root, "add", "catalog.json")
    gas(root, "commit", "-m", "Import")
    gas(root, "push", "-q")
    (root / "train/gone.png").unlink()
    write(root, SECOND, retaken=True)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "Relabel")
    found = re.search(r"draft #(\d+)", gas(root, "push", "--draft").stdout)
    assert found is not None
    return root, int(found.group(1))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright, chromium = launch_browser()  # type: ignore[misc]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert not errors, errors


# the page, step by step -------------------------------------------------------------------
def listed(page: Any) -> dict[str, str]:
    return {node.get_attribute("data-path"): node.get_attribute("data-change")
            for node in page.query_selector_all("#items .item")}


def open_item(page: Any, path: str) -> list[tuple[Any, ...]]:
    page.click(f'#items .item[data-path="{path}"]')
    page.wait_for_selector(f'#detail .item-head[data-path="{path}"]')
    for side in ("before", "after"):
        page.wait_for_selector(f'#detail .pane[data-side="{side}"][data-ready="1"]')
    assert page.query_selector("#detail .pane[data-error]") is None, f"{path}: image not loaded"
    return sorted(tuple(shape) for shape in page.evaluate(SHAPES_JS))


def check_changes(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    assert listed(page) == CHANGES
    assert page.inner_text("#items h3.segment") == "train/"
    for path, shapes in SHAPES.items():
        assert open_item(page, path) == sorted(shapes), path
    # the keypoints are drawn with the catalog's skeleton: 3 points, 2 bones, per side
    open_item(page, "train/c.png")
    person = '#detail svg.canvas [data-label-type="KEYPOINTS2D"]'
    assert page.eval_on_selector_all(f"{person} circle", "n => n.length") == 6
    assert page.eval_on_selector_all(f"{person} line", "n => n.length") == 4
    # what `gas diff` prints of the item, and the classification as text
    open_item(page, "train/b.png")
    diff_text = page.inner_text("#detail .field-diff")
    assert "BOX2D[0].category: bus → truck" in diff_text
    assert "CLASSIFICATION.category: cat → dog" in diff_text
    assert "CLASSIFICATION[0] cat (changed)" in page.inner_text(
        '#detail .pane[data-side="before"] .label-text')


def check_filters(page: Any) -> None:
    def choose(name: str, value: str | None) -> dict[str, str]:
        page.select_option(f"#filter-{name}", "" if value is None else f"={value}")
        page.wait_for_function(
            "expected => document.querySelector('#count').textContent.startsWith(expected)",
            arg=str(len(expected_after(name, value))))
        return listed(page)

    chosen: dict[str, str | None] = {}

    def expected_after(name: str, value: str | None) -> list[str]:
        chosen[name] = value
        return [p for p in CHANGES if all(v is None or matches(p, n, v)
                                          for n, v in chosen.items())]

    assert choose("change", "deleted") == {"train/gone.png": "deleted"}
    assert choose("change", None) == CHANGES
    assert choose("labelType", "POLYGON") == {"train/c.png": "modified"}
    assert choose("labelType", None) == CHANGES
    assert choose("category", "car") == {p: CHANGES[p] for p in (
        "train/a.png", "train/gone.png", "train/new.png")}
    assert choose("labelType", "BOX2D") == {p: CHANGES[p] for p in (
        "train/a.png", "train/gone.png", "train/new.png")}
    assert choose("category", "bus") == {"train/b.png": "label"}
    choose("category", None)
    choose("labelType", None)
    # each filter's choices carry their counts
    assert "label (2)" in page.inner_text("#filter-change")
    assert "truck (1)" in page.inner_text("#filter-category")


def matches(path: str, name: str, value: str) -> bool:
    if name == "change":
        return CHANGES[path] == value
    labels = [v.get(path.removeprefix("train/")) or {} for v in (FIRST, SECOND)]
    kinds = {(t, i.get("category")) for label in labels for t, found in label.items()
             for i in (found if isinstance(found, list) else [found])}
    return any(t == value if name == "labelType" else c == value for t, c in kinds)


def check_statistics(page: Any) -> None:
    page.click("#tab-stats")
    page.wait_for_selector("#stats-table tbody tr[data-row='category']")
    rows = {}
    for row in page.query_selector_all("#stats-table tbody tr[data-segment='train']"):
        kind = row.get_attribute("data-row")
        if kind == "segment-row":
            continue
        name = (kind, row.get_attribute("data-label-type") or "",
                row.get_attribute("data-category") or "")
        rows[name] = tuple(int(row.query_selector(f"td.{c}").inner_text())  # type: ignore
                           for c in ("before", "after", "delta"))
    assert {k: rows[k] for k in STATS} == STATS
    bus = page.query_selector('#chart g.bar[data-label-type="BOX2D"][data-category="bus"]')
    assert bus is not None
    assert (bus.query_selector("rect.before").get_attribute("data-value"),
            bus.query_selector("rect.after").get_attribute("data-value")) == ("1", "0")
    assert len(page.query_selector_all("#chart g.bar")) == sum(
        1 for k in STATS if k[0] == "category")


# tests ------------------------------------------------------------------------------------
def test_review_of_two_local_commits(maker: tuple[Path, int], gas: Gas, page: Any) -> None:
    root, _ = maker
    with ReviewProcess(root, gas.env, "HEAD~1", "HEAD") as review:
        check_changes(page, review.url)
        open_item(page, "train/c.png")
        page.screenshot(path=str(SCREENSHOTS / "review-item.png"), full_page=True)
        check_filters(page)
        check_statistics(page)
        page.screenshot(path=str(SCREENSHOTS / "review-statistics.png"), full_page=True)
        # without the token nothing is served
        assert page.request.get(review.url.split("?")[0] + "api/summary").status == 403


def test_review_of_a_draft_commits_it(maker: tuple[Path, int], gas: Gas, page: Any,
                                      server: ServerProcess, key: str) -> None:
    root, number = maker
    with ReviewProcess(root, gas.env, "--draft", str(number)) as review:
        check_changes(page, review.url)  # the server's diff, its files fetched from it
        assert f"Draft #{number}" in page.inner_text("#draft-title")
        page.fill("#draft-message", "Relabel, reviewed")
        questions: list[str] = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        page.click("#commit-draft")
        page.wait_for_function(
            "() => document.querySelector('#draft-status').textContent.startsWith('committed')")
        assert questions == [f"Commit draft #{number} to branch main?"]
        assert page.is_disabled("#commit-draft") and page.is_disabled("#close-draft")
        page.screenshot(path=str(SCREENSHOTS / "review-draft-committed.png"), full_page=True)
    with closing(ApiClient(server.url, key)) as api:
        dataset = api.find_dataset("relabel")
        assert dataset is not None
        drafts = {d["number"]: d for d in api.list_drafts(dataset["id"], "ALL")}
        assert drafts[number]["status"] == "COMMITTED"
        head = next(iter(api.commits(dataset["id"], "main")))
        assert head["title"] == "Relabel, reviewed"
    # the workspace took the server's commit as its own: nothing left to push
    assert "[not pushed]" not in gas(root, "log", "--oneline").stdout


# a changed mask, from the server ----------------------------------------------------------
MASK_CATALOG = {"SEMANTIC_MASK": {"categories": [{"name": "background", "categoryId": 0},
                                                 {"name": "road", "categoryId": 1}]}}


def mask(left: int) -> bytes:
    return png(W, H, lambda x, y: (1 if left <= x < left + 60 and y >= 50 else 0,))


def mask_commits(api: ApiClient, files: Path) -> tuple[str, str, str]:
    """Two server commits of one image whose semantic mask's road moves right."""
    dataset = api.create_dataset("masked")
    commits = []
    for number, left in enumerate((20, 120)):
        draft = api.create_draft(dataset, "main", f"v{number}")
        if number == 0:
            api.create_segment(dataset, draft, "train")
            api.put_catalog(dataset, draft, MASK_CATALOG)
        uploads = FormUploads(api, dataset, draft)
        image, road = (uploaded(uploads, files, content) for content in (picture(40),
                                                                          mask(left)))
        api.callback(dataset, draft, "train", [{"remotePath": "road.png", **image,
                                                "label": {"SEMANTIC_MASK": road}}])
        commits.append(api.commit(dataset, draft, f"v{number}"))
    return dataset, commits[0], commits[1]


def uploaded(uploads: FormUploads, files: Path, content: bytes) -> dict[str, Any]:
    checksum = hashlib.sha1(content).hexdigest()
    (files / checksum).write_bytes(content)
    uploads.upload("train", Upload(checksum, len(content), files / checksum))
    return {"checksum": checksum, "fileSize": len(content)}


def test_review_draws_masks_read_from_the_server(tmp_path: Path, server: ServerProcess,
                                                 key: str, gas: Gas, page: Any) -> None:
    with closing(ApiClient(server.url, key)) as api:
        dataset, first, second = mask_commits(api, tmp_path)
    root = tmp_path / "fetched"
    fetched_workspace(root, server.url, "masked", dataset, first, second)
    with ReviewProcess(root, gas.env, first, second) as review:
        page.goto(review.url)
        page.wait_for_selector("body[data-ready='1']")
        assert listed(page) == {"train/road.png": "label"}
        shapes = open_item(page, "train/road.png")
        assert [s[:3] for s in shapes] == [("after", "SEMANTIC_MASK", "changed"),
                                           ("before", "SEMANTIC_MASK", "changed")]
        # each side's mask image was served and coloured (ids → translucent colour)
        page.wait_for_function("""() => [...document.querySelectorAll(
            '#detail image[data-label-type="SEMANTIC_MASK"]')].every(
            (node) => node.getAttribute('href').startsWith('data:image/png'))""")
        assert page.query_selector("#detail image[data-unavailable]") is None
        # the diff text names the mask image that changed, as `gas diff` does
        assert "mask: @masks/train/road.png.semantic.png:" in page.inner_text("#detail")
        page.screenshot(path=str(SCREENSHOTS / "review-mask.png"), full_page=True)
