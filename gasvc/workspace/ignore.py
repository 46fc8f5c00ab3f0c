"""`.gasignore`: files and folders that `gas status` does not list and `gas add` does not stage.

gitignore's syntax and precedence: a `.gasignore` in the workspace root or in any folder of a
segment holds one pattern a line (blank lines and `# comments` aside; `!` re-includes; a
pattern with a `/` before its end is anchored to the file's folder, else it matches a name at
any depth; a trailing `/` matches folders only; `*`, `?`, `[...]` match within one name, `**`
across folders; `\\` escapes). The last matching line of the deepest file decides; the
built-in DEFAULTS come below every file. An ignored folder is not walked (nothing inside it can
be re-included, as in git). Rules never hide a tracked file: callers check the index.

Each pattern becomes a regular expression matched against one entry, not against whole paths:
the entry's path relative to the file's folder, with a trailing "/" for a folder. A file's
patterns are one alternation, last line first, so one match finds the deciding line.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from stat import S_ISREG
from typing import NamedTuple

from gasvc.errors import GasError
from gasvc.model.metadata import METADATA
from gasvc.workspace.layout import CATALOG, Layout, split_shown
from gasvc.workspace.state import State

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


class BadIgnoreFile(GasError):
    code, status = "BadIgnoreFile", 400


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
    return f"(?!/)[{'^' if negate else ''}{body}]", i + 1


def _name_regex(part: str) -> str:
    """One path component of a pattern (no "/") as a regex."""
    out, i = "", 0
    while i < len(part):
        char = part[i]
        if char == "*":
            while i < len(part) and part[i] == "*":
                i += 1
            out += "[^/]*"
            continue
        if char == "?":
            out += "[^/]"
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


def translate(line: str) -> tuple[str, bool] | None:
    """(regex, negated) of one line of a `.gasignore`; None for a blank line or a comment."""
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
    regex = "" if anchored else "(?:.*/)?"
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += ".+" if last else "(?:.*/)?"
        else:
            regex += _name_regex(part) + ("" if last else "/")
    return regex + ("/" if folders_only else "/?"), negated


@dataclass(frozen=True)
class RuleFile:
    """The patterns of one `.gasignore` (or the defaults), for entries below `base`."""

    base: str  # workspace-relative folder, "" or "train/images/"
    rules: tuple[Rule, ...]
    regex: re.Pattern[str] | None

    @classmethod
    def parse(cls, base: str, source: str, text: str) -> RuleFile:
        rules, parts = [], []
        for number, line in enumerate(text.split("\n"), 1):
            found = translate(line)
            if found is not None:
                rules.append(Rule(source, number, line.rstrip("\r"), found[1]))
                parts.append(f"({found[0]})")
        for rule, part in zip(rules, parts, strict=True):
            try:
                re.compile(part)
            except re.error as error:
                raise BadIgnoreFile(f"{source}:{rule.line}: gas cannot read the pattern"
                                    f" {rule.pattern!r} ({error})",
                                    "fix or remove the line (gitignore syntax)") from None
        regex = re.compile("|".join(reversed(parts))) if parts else None
        return cls(base, tuple(rules), regex)

    def decide(self, subject: str) -> Rule | None:
        """The last rule matching `subject` (workspace-relative; a folder ends with "/")."""
        if self.regex is None or not subject.startswith(self.base):
            return None
        match = self.regex.fullmatch(subject, len(self.base))
        if match is None:
            return None
        assert match.lastindex is not None
        return self.rules[len(self.rules) - match.lastindex]


_DEFAULT_FILE = RuleFile.parse("", BUILT_IN, "\n".join(DEFAULTS))


#: Files parsed by this process, by (path, stat): each is compiled once.
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
    _PARSED[key] = RuleFile.parse(base, source, data.decode("utf-8", "surrogateescape"))
    return _PARSED[key]


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
        if not os.path.islink(path):
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
