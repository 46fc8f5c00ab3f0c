"""A property of the incremental `gas status` and `gas add`: after any sequence of changes to a
workspace, they say and stage exactly what they do from scratch — the same workspace copied with
every cache dropped (recorded folder listings and their digests, recorded label lines, the stat
cache and the label files' stats: statusworld.from_scratch) — and what the model expects
(statusmodel.py: the files, labels and ignore rules read without gasvc, against the index and
HEAD the model keeps).

A hypothesis state machine writes, rewrites (same size, same bytes, other sizes), touches,
deletes, renames files and folders, swaps files and folders, edits `.gasignore` files and
`metadata.jsonl` lines (labels changed in place, lines added, deleted, doubled, swapped,
reordered, spelled otherwise, blank or unreadable lines), with mtimes in the past, older, on
whole seconds or within the racy window (statusworld.STAMPS), and runs status, `add -A`, `add
PATH`, `commit` and `commit -a` in between, each also on the from-scratch copy
(statuschecks.py). A few rules tell a short story the random ones rarely do: everything
committed and recorded clean before the next changes (`settle`), git's racy case (`same_tick`),
ignore rules changed over a folder recorded clean (`ignore_story`). Both folder listings run:
the native module and the Python one (scan.py's fallback), switched between commands too.

Examples are fixed (derandomized) and few, so the module costs well under a minute;
GAS_PROPERTY_EXAMPLES=N explores N fresh random examples instead. A failure hypothesis found is
kept below as a plain regression test.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from statuschecks import (
    FOLDERS,
    IGNORE_LINES,
    LABELS,
    NAMES,
    CheckedWorkspace,
    line,
    named,
    respelled,
)
from statusmodel import IGNORE_FILE, METADATA, SEGMENTS
from statusworld import NATIVE, PYTHON, STAMPS, Command, Runner, use_listing

from gasvc.workspace.store.create import init

pytestmark = pytest.mark.slow(seconds=25)

EXPLORE = os.environ.get("GAS_PROPERTY_EXAMPLES")
CONTENT = st.binary(max_size=6)


class StatusMachine(CheckedWorkspace, RuleBasedStateMachine):
    """Changes and commands on one workspace; every command checked against the oracle and the
    model."""

    def teardown(self) -> None:
        self.close()

    # setting up ---------------------------------------------------------------------------
    @initialize(python=st.booleans(), files=st.lists(
        st.tuples(st.sampled_from(SEGMENTS), st.sampled_from(FOLDERS), st.sampled_from(NAMES),
                  CONTENT), max_size=6), labelled=st.booleans())
    def start(self, python: bool, files: list[tuple[str, str, str, bytes]],
              labelled: bool) -> None:
        use_listing(python)
        init(self.root)
        for segment in SEGMENTS:
            (self.root / segment).mkdir()
        for segment, folder, name, data in files:
            if self.free(f"{segment}/{folder}{name}"):
                self.disk.write(f"{segment}/{folder}{name}", data, "past")
        if labelled:
            for segment in SEGMENTS:
                lines = [line(path.partition("/")[2], LABELS[n % 3], 0)
                         for n, path in enumerate(self.files(segment))]
                self.disk.write(f"{segment}/{METADATA}", "".join(x + "\n" for x in lines).encode(),
                                "past")
        self.started = True
        self.check_add(None)
        self.check_commit(False, first=True)

    @rule(python=st.booleans())
    def switch_listing(self, python: bool) -> None:
        """The other folder listing from now on (its digests never pass for the other's)."""
        use_listing(python)

    # files ----------------------------------------------------------------------------------
    @rule(segment=st.sampled_from(SEGMENTS), folder=st.sampled_from(FOLDERS),
          name=st.sampled_from(NAMES), data=CONTENT, stamp=st.sampled_from(STAMPS),
          in_place=st.booleans())
    def write_file(self, segment: str, folder: str, name: str, data: bytes, stamp: str,
                   in_place: bool) -> None:
        """A new file (folders made as needed), or new bytes of any size for one."""
        if self.free(f"{segment}/{folder}{name}"):
            self.disk.write(f"{segment}/{folder}{name}", data, stamp, in_place)

    @rule(data=st.data(), stamp=st.sampled_from(STAMPS), in_place=st.booleans())
    def rewrite_same_size(self, data: st.DataObject, stamp: str, in_place: bool) -> None:
        files = [p for p in self.files() if (self.root / p).stat().st_size]
        if files:
            path = data.draw(st.sampled_from(files))
            old = (self.root / path).read_bytes()
            new = data.draw(st.binary(min_size=len(old), max_size=len(old)).filter(
                lambda b, old=old: b != old))
            self.disk.write(path, new, stamp, in_place)

    @rule(data=st.data(), stamp=st.sampled_from(STAMPS), in_place=st.booleans())
    def rewrite_same_bytes(self, data: st.DataObject, stamp: str, in_place: bool) -> None:
        if files := self.files():
            path = data.draw(st.sampled_from(files))
            self.disk.write(path, (self.root / path).read_bytes(), stamp, in_place)

    @rule(data=st.data(), racy=st.booleans())
    def touch(self, data: st.DataObject, racy: bool) -> None:
        if files := self.files():
            self.disk.touch(data.draw(st.sampled_from(files)), racy)

    @rule(data=st.data())
    def delete_file(self, data: st.DataObject) -> None:
        if files := self.files():
            self.disk.delete(data.draw(st.sampled_from(files)))

    @rule(data=st.data())
    def delete_folder(self, data: st.DataObject) -> None:
        if found := self.folders():
            self.disk.delete(data.draw(st.sampled_from(found)))

    @rule(data=st.data(), segment=st.sampled_from(SEGMENTS), folder=st.sampled_from(FOLDERS),
          name=st.sampled_from(NAMES))
    def rename_file(self, data: st.DataObject, segment: str, folder: str, name: str) -> None:
        """A file moved (same inode, mtime and size) to a new name, over a file or not."""
        target = f"{segment}/{folder}{name}"
        files = [p for p in self.files() if p != target and not target.startswith(p + "/")]
        if files and self.free(target):
            self.disk.rename(data.draw(st.sampled_from(files)), target)

    @rule(data=st.data(), name=st.sampled_from(NAMES), content=CONTENT)
    def file_to_folder(self, data: st.DataObject, name: str, content: bytes) -> None:
        if files := self.files():
            path = data.draw(st.sampled_from(files))
            self.disk.delete(path)
            self.disk.write(f"{path}/{name}", content, "past")

    @rule(data=st.data(), content=CONTENT)
    def folder_to_file(self, data: st.DataObject, content: bytes) -> None:
        if found := self.folders():
            path = data.draw(st.sampled_from(found))
            self.disk.delete(path)
            self.disk.write(path, content, "past")

    @rule(data=st.data(), what=st.sampled_from(("file", "labels", "ignore")),
          command=st.sampled_from(("status", "add")))
    def same_tick(self, data: st.DataObject, what: str, command: str) -> None:
        """Git's racy case: a file written, seen by a command within its mtime's tick, then
        rewritten at the same size, mtime and inode; the command must not have trusted the stat
        it took (the next ones must read the file)."""
        if what == "file":
            files = [p for p in self.files() if (self.root / p).stat().st_size]
            if not files:
                return
            path = data.draw(st.sampled_from(files))
            old = (self.root / path).read_bytes()
            new = bytes(byte ^ 1 for byte in old)
        elif what == "labels":
            segment = data.draw(st.sampled_from(SEGMENTS))
            named = self.files(segment)
            if not named:
                return
            path = f"{segment}/{METADATA}"
            rest = (self.root / path).read_bytes() if (self.root / path).is_file() else b""
            item = data.draw(st.sampled_from(named)).partition("/")[2]
            old = (line(item, LABELS[0], 0) + "\n").encode() + rest
            new = (line(item, LABELS[1], 0) + "\n").encode() + rest  # cat → dog
        else:
            path, old, new = IGNORE_FILE, b"*.tmp\n", b"*.png\n"
        self.disk.write(path, old, "racy")
        if command == "status":
            self.check_status(False)
        else:
            self.check_add(None)
        self.disk.write(path, new, "keep-in-place")
        self.check_status(False)

    # ignore rules and labels ----------------------------------------------------------------
    @rule(data=st.data(), where=st.sampled_from(("", "train/", "train/sub/", "val/")),
          action=st.sampled_from(("add", "remove", "change", "replace", "delete")),
          stamp=st.sampled_from(STAMPS), in_place=st.booleans())
    def edit_ignore(self, data: st.DataObject, where: str, action: str, stamp: str,
                    in_place: bool) -> None:
        folder = self.root / where
        if not folder.is_dir():
            return
        path = folder / IGNORE_FILE
        lines = path.read_text().splitlines() if path.is_file() else []
        if action == "delete":
            self.disk.delete(f"{where}{IGNORE_FILE}")
            return
        if action == "add":
            lines.insert(data.draw(st.integers(0, len(lines))),
                         data.draw(st.sampled_from(IGNORE_LINES)))
        elif action in ("remove", "change") and lines:
            i = data.draw(st.integers(0, len(lines) - 1))
            same = [x for x in IGNORE_LINES if len(x) == len(lines[i])]
            if action == "remove" or not same:
                del lines[i]
            else:  # another line of the same length
                lines[i] = data.draw(st.sampled_from(same))
        elif action == "replace":
            lines = data.draw(st.lists(st.sampled_from(IGNORE_LINES), max_size=4))
        self.disk.write(f"{where}{IGNORE_FILE}", "".join(x + "\n" for x in lines).encode(),
                        stamp, in_place)

    @rule(data=st.data(), where=st.sampled_from(("", "train/", "train/sub/", "val/")),
          name=st.sampled_from(("c.tmp", "z.png", "b.jpg")), lines=st.lists(
              st.sampled_from(IGNORE_LINES), min_size=1, max_size=3),
          action=st.sampled_from(("add", "remove", "change", "replace", "delete")),
          stamp=st.sampled_from(STAMPS))
    def ignore_story(self, data: st.DataObject, where: str, name: str, lines: list[str],
                     action: str, stamp: str) -> None:
        """A folder recorded clean with a file its `.gasignore` may ignore, then the rules
        changed: what they ignore is judged again, there and below (a folder's record holds
        its ignored files)."""
        folder = where or "train/"  # the root's rules apply in every segment
        if not (self.free(folder + name) and self.free(where + IGNORE_FILE)):
            return
        self.disk.write(f"{folder}{name}", b"data", "past")
        self.disk.write(f"{where}{IGNORE_FILE}", "".join(x + "\n" for x in lines).encode(),
                        "past")
        self.settle()
        if self.agreed:
            self.edit_ignore(data, where, action, stamp, in_place=False)
            self.check_status(False)

    @rule(data=st.data(), segment=st.sampled_from(SEGMENTS),
          action=st.sampled_from(("set", "add", "delete", "duplicate", "swap", "shuffle",
                                  "respell", "blank", "unreadable", "remove")),
          stamp=st.sampled_from(STAMPS), in_place=st.booleans())
    def edit_labels(self, data: st.DataObject, segment: str, action: str, stamp: str,
                    in_place: bool) -> None:
        """An edit of `metadata.jsonl`; a line naming a file twice, or one that is no JSON, is an
        error, the same both ways."""
        path = self.root / segment / METADATA
        lines = path.read_text().split("\n")[:-1] if path.is_file() else []
        if action == "remove":
            self.disk.delete(f"{segment}/{METADATA}")
            return
        if action in ("set", "add"):
            names = sorted({p.partition("/")[2] for p in self.files(segment)}
                           | {p.partition("/")[2] for p in self.model.index
                              if p.startswith(segment + "/")} | {"sub/ghost.jpg"})
            name = data.draw(st.sampled_from(names))
            new = line(name, data.draw(st.sampled_from(LABELS)), data.draw(st.integers(0, 2)))
            at = [i for i, raw in enumerate(lines)
                  if named(raw) == name]
            if action == "set" and at:
                lines[at[0]] = new
            else:
                lines.insert(data.draw(st.integers(0, len(lines))), new)
        elif action in ("blank", "unreadable"):
            lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(
                ("", "  ") if action == "blank" else ('{"file_name": "a.jpg", "label": }',))))
        elif action == "shuffle":
            lines = data.draw(st.permutations(lines))
        elif lines:
            i = data.draw(st.integers(0, len(lines) - 1))
            j = data.draw(st.integers(0, len(lines) - 1))
            if action == "delete":
                del lines[i]
            elif action == "duplicate":
                lines.insert(j, lines[i])
            elif action == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            elif action == "respell" and lines[i].strip():
                lines[i] = respelled(lines[i], data.draw(st.integers(0, 2)))
        self.disk.write(f"{segment}/{METADATA}", "".join(x + "\n" for x in lines).encode(),
                        stamp, in_place)

    # commands ---------------------------------------------------------------------------------
    @rule(ignored=st.booleans())
    def status(self, ignored: bool) -> None:
        self.check_status(ignored)

    @rule()
    def add_all(self) -> None:
        self.check_add(None)

    @rule(data=st.data())
    def add_path(self, data: st.DataObject) -> None:
        specs = sorted({*self.files(), *self.folders(), *SEGMENTS, *self.model.index,
                        *self.model.head})
        self.check_add(data.draw(st.sampled_from(specs)))

    @rule(all_tracked=st.booleans())
    def commit(self, all_tracked: bool) -> None:
        self.check_commit(all_tracked)

    @rule()
    def settle(self) -> None:
        """Everything added and committed, then a status: the folders are recorded clean, so
        the changes that follow meet the records (deltas, recorded label lines), not a tree
        compared in detail because an untracked file is in every folder."""
        self.check_add(None)
        if self.agreed and self.model.index != self.model.head:
            self.check_commit(False)
        self.check_status(False)

class CommandMachine(StatusMachine):
    """The same through the real `gas` command."""

    def make_runner(self) -> Runner:
        return Command(self.base / "home")


def examples(count: int, steps: int) -> settings:
    """One failure shrunk (not each distinct one: shrinking a run of commands is slow)."""
    return settings(max_examples=int(EXPLORE or count), derandomize=EXPLORE is None,
                    deadline=None, database=None, stateful_step_count=steps,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck))


#: A failure is shrunk for minutes (each try replays commands): not cut short by the timeout.
SHRINKING = pytest.mark.timeout(1200)


@SHRINKING
def test_status_and_add_match_a_status_from_scratch() -> None:
    run_state_machine_as_test(StatusMachine, settings=examples(60, 30))


@SHRINKING
def test_the_gas_command_matches_a_status_from_scratch() -> None:
    run_state_machine_as_test(CommandMachine, settings=examples(4, 15))


def test_both_listings_are_there() -> None:
    """The machine switches between two real implementations (when the module is built)."""
    if NATIVE == PYTHON:
        pytest.skip("gasvc._listing is not built: only the Python listing runs")
    assert NATIVE[0] is not PYTHON[0]


# failures the property found, kept as plain tests -----------------------------------------
def test_add_of_a_staged_deletion_in_a_folder_recorded_clean() -> None:
    """`gas add PATH` of a file whose deletion is staged matched it from scratch (the
    comparison reports the row without a file) but not through a folder recorded clean
    (not compared): "pathspec did not match any files"."""
    machine = StatusMachine()
    try:
        machine.start(python=False, files=[("train", "", "a.jpg", b"")], labelled=False)
        machine.disk.delete("train/a.jpg")
        machine.add_all()
        machine.status(ignored=False)  # records train/ clean: the row without a file is no change
        machine.check_add("train/a.jpg")
    finally:
        machine.teardown()


def test_label_of_a_file_added_then_deleted_goes_with_it() -> None:
    """A file staged (never committed) then deleted: `gas add -A` stages its deletion and drops
    its label line, as for a committed file. It said "label for 'a.jpg/a.jpg', which is not a
    file" when it staged the deletion (in this process) before it checked the labels, and
    named line 0 (a recorded line) where it read the file through its recorded lines."""
    machine = StatusMachine()
    try:
        machine.start(python=False, files=[], labelled=False)
        machine.disk.write("val/a.jpg/a.jpg", b"", "past")
        machine.add_all()
        machine.disk.delete("val/a.jpg")
        machine.disk.write("val/a.jpg", b"", "past")
        machine.disk.write(f"val/{METADATA}", (line("a.jpg/a.jpg", LABELS[0], 0) + "\n"
                                               + line("a.jpg", LABELS[1], 0) + "\n").encode(),
                           "past")
        machine.check_add(None)
        assert machine.model.index == {"val/a.jpg": ("da39a3ee5e6b4b0d3255bfef95601890afd80709",
                                                     '{"CLASSIFICATION":{"category":"dog"}}')}
        machine.disk.delete("val/a.jpg")  # its line is recorded now
        machine.check_add("val")
        assert machine.model.index == {}
    finally:
        machine.teardown()


def test_labels_dropped_with_their_files_are_named_in_one_order() -> None:
    """`gas add` names the label lines it removed with their deleted files in path order: it
    named them in the order of the file's lines from scratch, in the order the comparison
    met them through the recorded lines."""
    machine = StatusMachine()
    try:
        machine.start(python=False, files=[("train", "sub/", "keep.tmp", b""),
                                           ("train", "sub/inner/", "a.jpg", b"")],
                      labelled=True)
        machine.disk.delete("train/sub")
        machine.check_add(None)
    finally:
        machine.teardown()


def test_an_ignore_file_rewritten_within_its_mtime_tick_is_read_again() -> None:
    """A `.gasignore` rewritten in place with the same size and mtime (within the racy window:
    a stat that cannot be trusted) must be read again. The library kept the rules it had parsed
    for that stat for the life of the process (a `gas` command lives too short for it to
    matter; a program using the library does not)."""
    machine = StatusMachine()
    try:
        machine.start(python=False, files=[], labelled=False)
        machine.disk.write("train/c.tmp", b"1", "past")
        machine.disk.write("train/z.png", b"2", "past")
        machine.disk.write(IGNORE_FILE, b"*.tmp\n", "racy")
        machine.check_status(False)
        machine.disk.write(IGNORE_FILE, b"*.png\n", "keep-in-place")
        machine.check_status(False)
    finally:
        machine.teardown()
