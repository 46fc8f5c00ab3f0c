"""Loading modules without cyclic garbage collection.

A run of the collector scans every object made since the last freeze, again and again while
imports go on (a module load makes thousands of functions, classes and dicts; none of them is
garbage). `gas` loads its top level without it (gasvc/cli/__init__.py), then each command's
module and the HTTP client when first needed (~7 ms of collections in a `gas diff` of two
server revisions): `without_collection()` pauses the collector around such a load and sets
aside (gc.freeze) what the load made, so that later collections do not scan it either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def pause() -> bool:
    """Stop cyclic garbage collection; returns whether it was on (for `resume`)."""
    collecting = gc.isenabled()
    gc.disable()
    return collecting


def resume(collecting: bool) -> None:
    """Set aside for good what was made since `pause`, and collect again if it was on."""
    gc.freeze()
    if collecting:
        gc.enable()


@contextmanager
def without_collection() -> Iterator[None]:
    """No cyclic garbage collection inside; what was made by then is set aside for good."""
    collecting = pause()
    try:
        yield
    finally:
        resume(collecting)
