"""Progress leaves the library through callbacks; the CLI draws them (cli/progress.py).

A `Progress` is called with (files, bytes) done since the last call — the same callable a
`BlobSource` takes — and is told of totals as they become known.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, files: int, nbytes: int) -> None:
        """`files` more files and `nbytes` more bytes are done."""

    def add_total(self, files: int, nbytes: int) -> None:
        """The work grew by this much (totals are learnt page by page)."""

    def phase(self, name: str) -> None:
        """A new stage began, e.g. "listing", "downloading", "uploading"."""


class Silent:
    """A `Progress` that ignores everything."""

    def __call__(self, files: int, nbytes: int) -> None:
        return None

    def add_total(self, files: int, nbytes: int) -> None:
        return None

    def phase(self, name: str) -> None:
        return None


SILENT = Silent()
