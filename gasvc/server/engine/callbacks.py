"""A PutMultiCallback's items (spec 2.6.3) staged in bulk: what can be worked out without the
database (paths, checksums, labels without masks, the stored values) is, before the write
transaction; inside it, one query says which files the dataset was granted and their recorded
sizes, each distinct label is stored once, and the changes are written in one statement.
Writers of a server go one at a time, so what a transaction holds is what a push of many files
waits for.

Nothing is decided differently: an object this cannot prepare (a mask, anything wrong or odd)
goes through `Data._register` inside the transaction, which checks and raises as it always has,
in the objects' order; a prepared one is staged only if its file is granted to the dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from gasvc.errors import GasError
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.names import check_checksum, check_remote_path, is_sha1
from gasvc.model.snapshot import Item
from gasvc.server.engine.overlay import staged_text

if TYPE_CHECKING:
    from gasvc.server.engine.scopes import DraftWrite

#: Label keys whose value names a file the dataset must have been granted (data.MASK_TYPES).
MASK_TYPES = ("SEMANTIC_MASK", "INSTANCE_MASK", "PANOPTIC_MASK")


class Prepared(NamedTuple):
    """A normal item's callback object, checked as far as can be without the database."""

    path: str
    checksum: str
    size: int
    label: tuple[str, bytes] | None  # (id, canonical JSON) of its label, if any
    text: str  # the pending change as stored


def prepare(obj: dict[str, Any]) -> Prepared | None:
    """What a callback object stages; None when it must go the full way (see the module)."""
    try:
        path = check_remote_path(obj.get("remotePath"))
        checksum = check_checksum(obj.get("checksum"))
        size, timestamp, raw = obj.get("fileSize"), obj.get("timestamp"), obj.get("label")
        if type(size) is not int or size < 0:
            return None
        if timestamp is not None and (not isinstance(timestamp, (int, float))
                                      or isinstance(timestamp, bool)):
            return None
        label = None
        if raw:
            if not isinstance(raw, dict) or any(kind in raw for kind in MASK_TYPES):
                return None
            data = canonical_json(raw)
            label = (sha1_hex(data), data)
        return Prepared(path, checksum, size, label,
                        _staged_item(checksum, size, timestamp, label[0] if label else None))
    except (GasError, ValueError, TypeError):
        return None


def _staged_item(checksum: str, size: int, timestamp: Any, label: str | None) -> str:
    """`staged_text` of the item; written directly when it has no time (a third the time)."""
    if timestamp is None:
        label_text = "null" if label is None else f'"{label}"'
        return f'["{checksum}",{size},null,{label_text}]'
    return str(staged_text(Item(checksum, size, timestamp, label).stored()))


class Batch:
    """One callback's shared work inside its write transaction."""

    def __init__(self, w: DraftWrite, asked: list[str]) -> None:
        self.w = w
        self.asked = asked  # the objects' checksums (`asked_checksums`)
        self.sizes = w.tx.blob_sizes(w.dataset.id, self.asked)  # granted → recorded size
        self.changes: list[tuple[str, str, str | None]] = []
        self._labels: dict[bytes, str] = {}  # canonical JSON → id, of labels stored here

    def size(self, checksum: str) -> tuple[bool, int | None]:
        """Whether an asked file is granted to the dataset, and its recorded size."""
        return checksum in self.sizes, self.sizes.get(checksum)

    def stage(self, segment: str, ready: Prepared) -> bool:
        """Stage a prepared object; False when its file is not granted with the size it claims
        (the full way says why, or asks the blob store for a size never recorded)."""
        if self.sizes.get(ready.checksum) != ready.size:
            return False
        if ready.label is not None and ready.label[1] not in self._labels:
            self.w.tx.put_object(*ready.label)
            self._labels[ready.label[1]] = ready.label[0]
        self.changes.append((segment, ready.path, ready.text))
        return True

    def label(self, stored: dict[str, Any]) -> str:
        """A label's id, stored once per callback."""
        text = canonical_json(stored)
        found = self._labels.get(text)
        if found is None:
            found = self._labels[text] = self.w.objects.put(stored)
        return found


def asked_checksums(objects: list[dict[str, Any]]) -> list[str]:
    """The valid checksums the objects name, sorted: those a `Batch` asks the grants of (found
    before the write transaction)."""
    return sorted({c for obj in objects if isinstance(c := obj.get("checksum"), str)
                   and is_sha1(c)})
