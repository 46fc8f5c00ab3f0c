"""The bytes of a fusion segment's gas files (`sensors.json`, `frames.jsonl`) kept for the
index: in `.gas/objects/` (where `gas commit` reads staged ones) or in the working tree."""

from __future__ import annotations

from pathlib import Path

from gasvc.errors import ClientError
from gasvc.model.canon import sha1_hex
from gasvc.workspace.store.layout import Layout, shown_path, write_atomic
from gasvc.workspace.store.objects import has_object


class LostGasFile(ClientError):
    """A staged `sensors.json` or `frames.jsonl` whose bytes gas no longer has."""


def keep_object(layout: Layout, checksum: str, data: bytes) -> None:
    """Keep a gas file's bytes in `.gas/objects/` (where `gas commit` reads staged ones)."""
    if not has_object(layout, checksum):
        write_atomic(layout.object_path(checksum), data, layout.tmp)


def stored_gas_file_bytes(layout: Layout, segment: str, name: str, checksum: str
                          ) -> bytes | None:
    """The bytes of a version of a segment's gas file kept in `.gas/objects/`, or the working
    file's (None: neither has them)."""
    if has_object(layout, checksum):
        return layout.object_path(checksum).read_bytes()
    working = Path(layout.file(segment, name))
    if working.is_file() and not working.is_symlink():
        data = working.read_bytes()
        if sha1_hex(data) == checksum:
            return data
    return None


def required(found: bytes | None, segment: str, name: str, hint: str) -> bytes:
    """The bytes of a staged gas file found by the callers' lookup; LostGasFile when none."""
    if found is None:
        raise LostGasFile(f"the staged {shown_path(segment, name)} is neither in .gas/objects"
                          " nor in the working tree", hint)
    return found
