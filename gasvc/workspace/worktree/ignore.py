"""`.gasignore`: files and folders that `gas status` does not list and `gas add` does not stage.

gitignore's syntax and precedence: a `.gasignore` in the workspace root or in any folder of a
segment holds one pattern a line (blank lines and `# comments` aside; `!` re-includes; a
pattern with a `/` before its end is anchored to the file's folder, else it matches a name at
any depth; a trailing `/` matches folders only; `*`, `?`, `[...]` match within one name, `**`
across folders; `\\` escapes). The last matching line of the deepest file decides; the
built-in DEFAULTS come below every file. An ignored folder is not walked (nothing inside it can
be re-included, as in git). Rules never hide a tracked file: callers check the index.

Each pattern becomes a regular expression that matches one entry (never its ancestors, as a
whole-path matcher's would): an unanchored one the entry's name, an anchored one its path from
the file's folder, either with a trailing "/" for a folder. A file's patterns of each kind are
one alternation, last line first, so one match finds the deciding line, and a folder's names,
joined by "\0", are searched in one go (`RuleFile.judge`).
"""

from __future__ import annotations

import hashlib
import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from stat import S_ISREG
from typing import NamedTuple

from gasvc.errors import ClientError
from gasvc.model.metadata import METADATA
from gasvc.workspace.store.layout import CATALOG, Layout, split_shown
from gasvc.workspace.store.state import State

IGNORE_FILE = ".gasignore"
#: Never data unless a `.gasignore` says `!PATTERN`: OS and editor droppings, notebook and
#: Python caches, and the ignore files themselves (workspace settings, not dataset items).
DEFAULTS = (".DS_Store", "Thumbs.db", ".ipynb_checkpoints/", "__pycache__/", "*.swp", "*~",
            ".#*", IGNORE_FILE)
BUILT_IN = "<built-in>"


class Rule(NamedTuple):
    source: str  # the `.gasignore` (workspace-relative), or BUILT_IN
    line: int
    pattern: str  # as written
    negated: bool

    @property
    def ignores(self) -> bool:
        return not self.negated


class BadIgnoreFile(ClientError):
    """A `.gasignore` line that is no pattern."""


_CLASSES = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "digit": "0-9", "lower": "a-z",
            "upper": "A-Z", "space": r"\s", "xdigit": "0-9a-fA-F", "blank": r" \t"}


def _bracket(text: str, start: int) -> tuple[str, int] | None:
    """A `[...]` class at `start`: (regex, index after it), or None when it does not close."""
    i = start + 1
    negate = i < len(text) and text[i] in "!^"
    i += negate
    body, first = "", True
    while i < len(text) and (text[i] != "]" or first):
        first = False
        named = re.match(r"\[:([a-z]+):\]", text[i:])
        if named and named.group(1) in _CLASSES:
            body += _CLASSES[named.group(1)]
            i += named.end()
            continue
        char = text[i + 1] if text[i] == "\\" and i + 1 < len(text) else text[i]
        i += 2 if text[i] == "\\" and i + 1 < len(text) else 1
        body += char if char == "-" else re.escape(char)
    if i >= len(text):
        return None
    return f"(?![/\\0])[{'^' if negate else ''}{body}]", i + 1


def _name_regex(part: str) -> str:
    """One path component of a pattern (no "/") as a regex."""
    out, i = "", 0
    while i < len(part):
        char = part[i]
        if char == "*":
            while i < len(part) and part[i] == "*":
                i += 1
            out += ANY_IN_NAME + "*"
            continue
        if char == "?":
            out += ANY_IN_NAME
        elif char == "[" and (found := _bracket(part, i)) is not None:
            out += found[0]
            i = found[1]
            continue
        elif char == "\\" and i + 1 < len(part):
            i += 1
            out += re.escape(part[i])
        else:
            out += re.escape(char)
        i += 1
    return out


#: Regex pieces: a character of a name, of a path. Entries are matched "\0"-separated (the one
#: character no name holds, with "/"), so neither may match "\0".
ANY_IN_NAME = "[^/\\0]"
ANY = "[^\\0]"


def translate(line: str) -> tuple[str, bool, bool] | None:
    """(regex, negated, anchored) of one line of a `.gasignore`; None for a blank line or a
    comment. An anchored pattern's regex matches a path relative to the file's folder, another
    one's an entry's name (a folder's with a trailing "/" in both cases)."""
    text = line.rstrip("\r")
    while text.endswith(" ") and not text.endswith("\\ "):
        text = text[:-1]
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    text = text[1:] if negated else text
    folders_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    parts = text.lstrip("/").split("/") if text.startswith("/") and anchored else text.split("/")
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += f"{ANY}+" if last else f"(?:{ANY}*/)?"
        else:
            regex += _name_regex(part) + ("" if last else "/")
    return regex + ("/" if folders_only else "/?"), negated, anchored


def _needle(line: str) -> str:
    """The longest run of plain characters of a pattern ("" if none, or if it has a `[...]`
    class): every entry it matches holds that text."""
    body = line.rstrip().removeprefix("!")
    return "" if "[" in body else max(re.split(r"[*?\\/]", body), key=len)


def _tuple(found: list[str] | None) -> tuple[str, ...] | None:
    return None if found is None else tuple(found)


def _alternation(parts: list[str]) -> re.Pattern[str] | None:
    """One regex trying `parts` (last first) on each entry of a string, each entry after a
    "\0" (a literal first character: the search skips from one to the next); the match's
    `lastindex` counts from the last part."""
    if not parts:
        return None
    return re.compile(r"\0(?:" + "|".join(f"({part})" for part in reversed(parts))
                      + r")(?=\0|\Z)")


@dataclass(frozen=True)
class RuleFile:
    """The patterns of one `.gasignore` (or the defaults), for entries below `base`: those
    matching names, and the anchored ones matching paths, each one regex."""

    base: str  # workspace-relative folder, "" or "train/images/"
    rules: tuple[Rule, ...]
    names: re.Pattern[str] | None
    name_rules: tuple[int, ...]  # index in `rules` of each part of `names`
    paths: re.Pattern[str] | None
    path_rules: tuple[int, ...]
    #: per regex, text that every entry it matches holds one of (None: no such text), so
    #: that a folder holding none of them is not searched
    name_needles: tuple[str, ...] | None = None
    path_needles: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, base: str, source: str, text: str) -> RuleFile:
        rules: list[Rule] = []
        parts: dict[bool, list[str]] = {False: [], True: []}
        indexes: dict[bool, list[int]] = {False: [], True: []}
        needles: dict[bool, list[str] | None] = {False: [], True: []}
        for number, line in enumerate(text.split("\n"), 1):
            found = translate(line)
            if found is None:
                continue
            rule = Rule(source, number, line.rstrip("\r"), found[1])
            try:
                re.compile(found[0])
            except re.error as error:
                raise BadIgnoreFile(f"{source}:{number}: gas cannot read the pattern"
                                    f" {rule.pattern!r} ({error})",
                                    "fix or remove the line (gitignore syntax)") from None
            parts[found[2]].append(found[0])
            indexes[found[2]].append(len(rules))
            rules.append(rule)
            needle, kind = _needle(line), needles[found[2]]
            needles[found[2]] = None if kind is None or not needle else [*kind, needle]
        return cls(base, tuple(rules), _alternation(parts[False]), tuple(indexes[False]),
                   _alternation(parts[True]), tuple(indexes[True]),
                   _tuple(needles[False]), _tuple(needles[True]))

    def judge(self, folder: str, names: list[str]) -> dict[int, Rule]:
        """By index in `names` (entries of the workspace-relative `folder`, sub-folders with a
        trailing "/"), the last rule matching each entry it matches."""
        if not folder.startswith(self.base):
            return {}
        found: dict[int, int] = {}
        for regex, indexes, prefix, needles in (
                (self.names, self.name_rules, "", self.name_needles),
                (self.paths, self.path_rules, folder[len(self.base):], self.path_needles)):
            if regex is None:
                continue
            text = "\0" + ("\0".join(prefix + name for name in names) if prefix
                            else "\0".join(names))
            if needles is not None and not any(needle in text for needle in needles):
                continue
            starts: list[int] = []  # where each entry's "\0" is, once a match needs it
            for match in regex.finditer(text):
                assert match.lastindex is not None
                starts = starts or list(accumulate(
                    (len(prefix) + len(name) + 1 for name in names), initial=0))
                row = bisect_right(starts, match.start()) - 1
                rule = indexes[len(indexes) - match.lastindex]
                found[row] = max(found.get(row, -1), rule)
        return {row: self.rules[rule] for row, rule in found.items()}

    def decide(self, subject: str) -> Rule | None:
        """The last rule matching `subject` (workspace-relative; a folder ends with "/")."""
        if not subject.startswith(self.base):
            return None
        folder, _, name = subject.rstrip("/").rpartition("/")
        name += "/" if subject.endswith("/") else ""
        return self.judge(folder + "/" if folder else "", [name]).get(0)


_DEFAULT_FILE = RuleFile.parse("", BUILT_IN, "\n".join(DEFAULTS))


#: Files parsed by this process, by (path, stat): each is compiled once (if its stat can be
#: trusted to change with its content).
_PARSED: dict[tuple[str, int, int, int], RuleFile] = {}


def read_rule_file(root: str, base: str) -> RuleFile | None:
    """The `.gasignore` of the workspace-relative folder `base`, if it is a readable file (a
    symbolic link is not followed: it counts as absent)."""
    path = os.path.join(root, base, IGNORE_FILE)
    source = base + IGNORE_FILE
    try:
        stat = os.lstat(path)
        if not S_ISREG(stat.st_mode):
            return None
        key = (path, stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if key in _PARSED:
            return _PARSED[key]
        with open(path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise BadIgnoreFile(f"cannot read {source}: {error.strerror}",
                            "make the file readable, or remove it") from None
    parsed = RuleFile.parse(base, source, data.decode("utf-8", "surrogateescape"))
    if _trusted(stat.st_mtime_ns):  # else the file may change again and keep this stat
        _PARSED[key] = parsed
    return parsed


def _trusted(mtime_ns: int) -> bool:
    """Whether a stat with this mtime tells the file's content (git's racy rule)."""
    from gasvc.workspace.worktree.compare import trusted_mtime  # compare.py imports this one

    return trusted_mtime(mtime_ns) != 0


class Rules(NamedTuple):
    """The rules that apply in one folder: its ignore files, deepest first, and the defaults;
    `ignored` when the folder itself (or one above it) is ignored."""

    files: tuple[RuleFile, ...]
    ignored: bool = False

    def decide(self, subject: str) -> Rule | None:
        """The rule deciding about `subject` (workspace-relative; a folder ends with "/")."""
        for rule_file in self.files:
            rule = rule_file.decide(subject)
            if rule is not None:
                return rule
        return None

    def ignored_entries(self, folder: str, names: list[str]) -> list[bool]:
        """Per entry of the workspace-relative `folder` (sub-folders with a trailing "/"),
        whether the rules ignore it: one regex search per rule file over all the names."""
        if self.ignored:
            return [True] * len(names)
        decided: dict[int, Rule] = {}
        for rule_file in reversed(self.files):  # the deeper decide
            decided.update(rule_file.judge(folder, names))
        flags = [False] * len(names)
        for row, rule in decided.items():
            flags[row] = not rule.negated
        return flags

    def is_ignored(self, subject: str) -> bool:
        if self.ignored:
            return True
        rule = self.decide(subject)
        return rule is not None and not rule.negated

    def below(self, root: str, folder: str, has_file: bool, ignored: bool) -> Rules:
        """The rules of the sub-folder `folder` ("train/a/"), which holds a `.gasignore` when
        `has_file`, and is itself ignored when `ignored`."""
        found = read_rule_file(root, folder) if has_file else None
        files = self.files if found is None else (found, *self.files)
        return Rules(files, self.ignored or ignored)


def root_rules(root: str) -> Rules:
    """The rules of the workspace root: its `.gasignore`, then the defaults."""
    found = read_rule_file(root, "")
    return Rules((_DEFAULT_FILE,) if found is None else (found, _DEFAULT_FILE))


def rules_at(root: str, folder: str) -> Rules:
    """The rules inside the workspace-relative folder `folder` ("" or "train/a/"): every
    `.gasignore` on the way down read, every folder on the way judged."""
    rules = root_rules(root)
    path = ""
    for part in filter(None, folder.split("/")):
        path += part + "/"
        has_file = os.path.isfile(os.path.join(root, path, IGNORE_FILE))
        rules = rules.below(root, path, has_file, rules.is_ignored(path))
    return rules


def path_rule(root: str, path: str, is_folder: bool) -> tuple[Rule | None, bool]:
    """(the rule deciding about a workspace-relative path, whether it is ignored): a path in
    an ignored folder is ignored by that folder's rule."""
    parent, _, name = path.rstrip("/").rpartition("/")
    rules = root_rules(root)
    deciding: Rule | None = None
    walked = ""
    for part in filter(None, parent.split("/")):
        walked += part + "/"
        rule = rules.decide(walked)
        if rule is not None and rule.ignores and not rules.ignored:
            deciding = rule
        has_file = os.path.isfile(os.path.join(root, walked, IGNORE_FILE))
        rules = rules.below(root, walked, has_file, rule is not None and rule.ignores)
    if rules.ignored:
        return deciding, True
    subject = (parent + "/" if parent else "") + name + ("/" if is_folder else "")
    rule = rules.decide(subject)
    return rule, rule is not None and rule.ignores


def fingerprint(root: str) -> str:
    """What the recorded folder listings assume of the rules no folder listing shows: the
    root's `.gasignore` and the defaults (a nested file is in its folder's listing)."""
    digest = hashlib.sha1("\n".join(DEFAULTS).encode())
    path = os.path.join(root, IGNORE_FILE)
    try:
        if S_ISREG(os.lstat(path).st_mode):  # as `read_rule_file`: a link, FIFO, ... is absent
            with open(path, "rb") as handle:
                digest.update(b"\0" + handle.read())
    except OSError:
        pass
    return digest.hexdigest()


def check_paths(layout: Layout, state: State, paths: list[str]
                ) -> list[tuple[Rule | None, bool]]:
    """`gas check-ignore`: per workspace-relative path, (the rule deciding, whether ignored);
    (None, False) for a tracked file and for what gas itself keeps (the root, `catalog.json`,
    a segment's `metadata.jsonl`)."""
    root = str(layout.root)
    found: list[tuple[Rule | None, bool]] = []
    for path in paths:
        segment, rest = split_shown(path)
        tracked = segment is not None and rest and (
            (entry := state.entry(segment, rest)) is not None and entry.sum is not None)
        if path in ("", ".", CATALOG) or tracked or (segment is not None and rest == METADATA):
            found.append((None, False))
        else:
            found.append(path_rule(root, path, os.path.isdir(os.path.join(root, path))))
    return found
