"""Pure parts of sync: the framed stream parser and the per-item merge of a replayed change
(the merge engine, as `gas pull` uses it)."""

from __future__ import annotations

import hashlib

import pytest

from gasvc.model.frames import END, Frame, FrameError, FrameParser, header
from gasvc.model.merge import VersionMerge
from gasvc.model.merge import merge_item as engine_merge_item
from gasvc.model.snapshot import Item, VersionState


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def parse(stream: bytes, cut: int) -> list[object]:
    """Events of `stream` fed in pieces of `cut` bytes, content chunks joined per frame."""
    parser, events, content = FrameParser(), [], b""
    for start in range(0, len(stream), cut):
        for event in parser.feed(stream[start : start + cut]):
            if isinstance(event, memoryview):
                content += event
            else:
                if event is END:
                    events.append(content)
                    content = b""
                events.append(event)
    parser.close()
    return events


FILES = [b"hello", b"", b"x" * 5000]
STREAM = b"".join(header(sha1(f), len(f)) + f for f in FILES) + header(sha1(b"gone"), -1)


@pytest.mark.parametrize("cut", [1, 2, 7, 64, 4096, len(STREAM)])
def test_frames_parse_whatever_the_chunking(cut: int) -> None:
    expected: list[object] = []
    for content in FILES:
        expected += [Frame(sha1(content), len(content)), content, END]
    expected += [Frame(sha1(b"gone"), -1), b"", END]
    assert parse(STREAM, cut) == expected


@pytest.mark.parametrize("bad", [
    STREAM[:-3],  # cut inside a header
    header(sha1(b"abc"), 3) + b"ab",  # cut inside content
    b'{"checksum": "../../etc/passwd", "size": 1}\nx',
    b'{"checksum": "' + sha1(b"a").encode() + b'", "size": -2}\n',
    b"x" * 5000,  # a header without end
])
def test_bad_streams_are_refused(bad: bytes) -> None:
    with pytest.raises(FrameError):
        parse(bad, 100)


def test_content_comes_as_views_of_the_chunk_fed() -> None:
    """No copy of the bytes: a chunk that holds the end of one file and the start of the next
    (as most chunks of a stream of large files do) is handed on as two views of itself."""
    first, second = b"a" * 10, b"b" * 20
    chunk = header(sha1(first), 10) + first[:4]
    rest = first[4:] + header(sha1(second), 20) + second
    parser = FrameParser()
    parts = [event for event in parser.feed(chunk) if isinstance(event, memoryview)]
    later = [event for event in parser.feed(rest) if isinstance(event, memoryview)]
    parser.close()
    assert [bytes(part) for part in parts + later] == [first[:4], first[4:], second]
    assert [part.obj for part in parts + later] == [chunk, rest, rest]
    assert all(part.obj is chunk for part in parts) and all(part.obj is rest for part in later)


BASE = Item("f0", 1, None, "l0")
#: label objects by id: each sets the same field differently
LABELS = {f"l{n}": {"CLASSIFICATION": {"category": f"c{n}"}} for n in range(3)}


def merge_item(target: Item | None, before: Item | None, after: Item | None,
               prefer: str | None = None) -> tuple[Item | None, bool]:
    """The engine's merge of a replayed change `before → after` onto `target` (ours is the
    replayed commit): (merged item, conflict?)."""
    result = VersionMerge(VersionState())
    merged = engine_merge_item("s", "p", before, after, target, result, LABELS.__getitem__,
                               lambda value: "new", prefer)
    return (merged if not result.conflicts or prefer else None,
            bool(result.conflicts) and prefer is None)


@pytest.mark.parametrize(("target", "after", "merged", "conflict"), [
    (BASE, Item("f1", 1, None, "l0"), Item("f1", 1, None, "l0"), False),  # only we changed
    (Item("f2", 2, None, "l0"), BASE, Item("f2", 2, None, "l0"), False),  # only they changed
    # we changed the file, they the label
    (Item("f0", 1, None, "l2"), Item("f1", 1, None, "l0"), Item("f1", 1, None, "l2"), False),
    (Item("f2", 2, None, "l0"), Item("f1", 1, None, "l0"), None, True),  # both changed the file
    # both made the same change
    (Item("f1", 1, None, "l0"), Item("f1", 1, None, "l0"), Item("f1", 1, None, "l0"), False),
    (Item("f0", 1, None, "l2"), Item("f0", 1, None, "l1"), None, True),  # same label field
    (Item("f0", 1, None, "l2"), None, None, True),  # we deleted, they relabelled
    (None, Item("f1", 1, None, "l0"), None, True),  # they deleted, we changed
    (None, None, None, False),  # both deleted
])
def test_merge_item(target: Item | None, after: Item | None, merged: Item | None,
                    conflict: bool) -> None:
    assert merge_item(target, BASE, after) == (merged, conflict)


def test_merge_item_settles_conflicts_with_a_side() -> None:
    ours, theirs = Item("f1", 1, None, "l0"), Item("f2", 2, None, "l0")
    assert merge_item(theirs, BASE, ours, "ours") == (ours, False)
    assert merge_item(theirs, BASE, ours, "theirs") == (theirs, False)
