"""`.gas/objects/`: the bytes of files added locally, by SHA-1, so that committed content that is
not yet on the server survives the user editing or deleting the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from gasvc.workspace.layout import Layout
from gasvc.workspace.scan import READ_CHUNK


def has_object(layout: Layout, checksum: str) -> bool:
    return layout.object_path(checksum).is_file()


def store_file(layout: Layout, source: Path, known: str | None = None) -> tuple[str, int]:
    """Copy `source` into the object store while hashing it once; returns (SHA-1, size).

    `known` is a checksum to skip the copy for (content the server already has).
    """
    tmp_dir = layout.objects / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha1(), 0
    fd, tmp = tempfile.mkstemp(dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        checksum = digest.hexdigest()
        target = layout.object_path(checksum)
        if checksum != known and not target.exists():
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
        return checksum, size
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def durable() -> None:
    """Flush written objects to disk before the index that names them is committed."""
    os.sync()
