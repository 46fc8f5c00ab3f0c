"""A clone's downloads written straight at their place (api/landing.py `Sink`, `in_place`):
where no file is, the bytes go there at once and are removed when they do not match their
checksum or the stream ends inside them; where something is (a resumed clone's partial file, a
link), the temporary file and its rename are used as ever, so a link is replaced, never
followed. Streams are built with the real framing (model/frames.py) and fed in small chunks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from gasvc.api import landing
from gasvc.api.landing import Download, TransferError
from gasvc.model.frames import FrameError, header


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def stream(*files: bytes, sent: dict[int, bytes] | None = None) -> list[bytes]:
    """The framed stream of `files` (file i's bytes replaced by `sent[i]`), in 7-byte chunks."""
    body = b"".join(header(sha1(data), len(data)) + (sent or {}).get(i, data)
                    for i, data in enumerate(files))
    return [body[start:start + 7] for start in range(0, len(body), 7)]


def land(chunks: list[bytes], targets: list[tuple[bytes, Path]], tmp: Path
            ) -> list[tuple[Path, int, int]]:
    wanted: dict[str, list[Download]] = {}
    for data, target in targets:
        wanted.setdefault(sha1(data), []).append(Download(sha1(data), len(data), str(target)))
    written = landing.receive(chunks, wanted, tmp, in_place=True)
    return [(Path(w.item.target), w.mtime_ns, w.ino) for w in written]


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    folder = tmp_path / ".gas-tmp"
    folder.mkdir()
    return folder


def test_new_files_are_written_in_place_with_their_stat(tmp_path: Path, tmp: Path) -> None:
    a, b = b"alpha" * 100, b"beta"
    targets = [(a, tmp_path / "seg/x/a.jpg"), (b, tmp_path / "seg/b.jpg"),
               (a, tmp_path / "seg/y/copy-of-a.jpg")]
    written = land(stream(a, b), targets, tmp)
    assert {path: path.read_bytes() for path, _, _ in written} == {
        path: data for data, path in targets}
    for path, mtime_ns, ino in written:  # the stat recorded is the file's own
        assert (os.stat(path).st_mtime_ns, os.stat(path).st_ino) == (mtime_ns, ino)
    assert list(tmp.iterdir()) == []


def test_bytes_that_do_not_match_leave_no_file(tmp_path: Path, tmp: Path) -> None:
    good, bad = b"good", b"expected"
    targets = [(good, tmp_path / "seg/good.jpg"), (bad, tmp_path / "seg/bad.jpg")]
    with pytest.raises(TransferError, match="do not match"):
        land(stream(good, bad, sent={1: b"EXPECTED"}), targets, tmp)
    assert (tmp_path / "seg/good.jpg").read_bytes() == good
    assert not (tmp_path / "seg/bad.jpg").exists()
    assert list(tmp.iterdir()) == []


def test_a_stream_cut_inside_a_file_leaves_no_part_of_it(tmp_path: Path, tmp: Path) -> None:
    data = b"x" * 1000
    with pytest.raises(FrameError):
        land(stream(data)[:-3], [(data, tmp_path / "seg/cut.jpg")], tmp)
    assert not (tmp_path / "seg/cut.jpg").exists()
    assert list(tmp.iterdir()) == []


def test_a_file_already_there_is_replaced_whole(tmp_path: Path, tmp: Path) -> None:
    """A resumed clone's file cut short: replaced by rename, so never seen half written."""
    data, target = b"complete content", tmp_path / "seg/partial.jpg"
    target.parent.mkdir()
    target.write_bytes(b"compl")
    old_inode = target.stat().st_ino
    [(_, _, ino)] = land(stream(data), [(data, target)], tmp)
    assert target.read_bytes() == data and ino == target.stat().st_ino != old_inode
    assert list(tmp.iterdir()) == []


def test_a_link_in_the_way_is_replaced_not_followed(tmp_path: Path, tmp: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not yours")
    data, target = b"the file", tmp_path / "seg/link.jpg"
    target.parent.mkdir()
    target.symlink_to(outside)
    land(stream(data), [(data, target)], tmp)
    assert not target.is_symlink() and target.read_bytes() == data
    assert outside.read_bytes() == b"not yours"
