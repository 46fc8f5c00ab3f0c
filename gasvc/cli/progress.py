"""Drawing the library's progress callbacks as a tqdm bar on stderr (files, with bytes beside).

The bar is drawn only when stderr is a terminal and `--quiet` is not given, so scripts and pipes
see nothing extra.
"""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm


def human(nbytes: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(nbytes) < 1000 or unit == "GB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return f"{nbytes:.1f} TB"


class Bar:
    """A `Progress` (gasvc/workspace/sync/progress.py) drawn with tqdm."""

    def __init__(self, quiet: bool = False) -> None:
        enabled = not quiet and sys.stderr.isatty()
        self.bar = tqdm(total=0, unit="file", file=sys.stderr, disable=not enabled,
                        dynamic_ncols=True, leave=True, mininterval=0.2)
        self.done_bytes = self.total_bytes = 0

    def __call__(self, files: int, nbytes: int) -> None:
        self.done_bytes += nbytes
        self.bar.set_postfix_str(f"{human(self.done_bytes)}/{human(self.total_bytes)}",
                                 refresh=False)
        self.bar.update(files)

    def add_total(self, files: int, nbytes: int) -> None:
        self.total_bytes += nbytes
        self.bar.total = (self.bar.total or 0) + files
        self.bar.refresh()

    def phase(self, name: str) -> None:
        self.bar.set_description_str(name, refresh=False)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.close()
