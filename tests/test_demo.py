"""The README's main job (`scripts/demo` → `gas demo`) runs its whole story."""

from __future__ import annotations

import pytest

from gasvc.demo import run_demo

# slow: in CI always; `-m "not slow"` leaves it out locally (docs/testing.md)
pytestmark = pytest.mark.slow(seconds=8)


def test_demo_story_runs_end_to_end() -> None:
    text = "\n".join(run_demo())
    assert "server running at http://127.0.0.1:" in text
    assert "Created dataset pets" in text
    assert "CLASSIFICATION.category: dog → wolf" in text
    assert "BOX2D[0].category: car → truck" in text
    assert "(tag: v1) Import three images" in text
    assert text.rstrip().endswith("server stopped; demo done")
    assert text.count("nothing to commit, working tree clean") == 1
