"""Rules for the names users give: datasets, segments, remote paths, branches, tags, checksums.

They are checked before anything touches storage, on the server and in the client alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gasvc.errors import InvalidParams

ROOT_COMMIT = "0" * 32
MAX_NAME = 255
MAX_PATH = 1024
#: A folder name a workspace keeps for itself: never a segment name nor a part of a remote path
#: (compared case-insensitively, for file systems that fold case).
RESERVED_NAME = ".gas"

_SHA1 = re.compile(r"[0-9a-f]{40}")
_COMMIT_ID = re.compile(r"[0-9a-f]{32}")
#: Control characters, which no file name can hold (nor a lone surrogate: see `_first_unfit`).
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_REF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/]*")
#: Remote paths no rule refuses: parts of letters, digits, '_', '-' and '.', none starting with
#: a dot (so none is empty, '.', '..' or '.gas') — checked by one match.
_PLAIN_PATH = re.compile(r"[\w\-][\w.\-]*(?:/[\w\-][\w.\-]*)*", re.ASCII)


def is_sha1(value: str) -> bool:
    return bool(_SHA1.fullmatch(value))


def is_commit_id(value: str) -> bool:
    return bool(_COMMIT_ID.fullmatch(value))


def check_checksum(value: object) -> str:
    if not isinstance(value, str) or not is_sha1(value):
        raise InvalidParams(
            f"invalid checksum {value!r}", "a checksum is the SHA-1 of the file: 40 lowercase hex"
        )
    return value


def _check_text(kind: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidParams(f"{kind} must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise InvalidParams(f"{kind} is longer than {limit} characters", f"shorten the {kind}")
    unfit = _first_unfit(value)
    if unfit is not None and unfit < "\ud800":
        raise InvalidParams(f"{kind} {value!r} contains a control character", "remove it")
    if unfit is not None:
        raise InvalidParams(f"{kind} {value!r} contains a lone surrogate, which is not text",
                            "remove it; in JSON a character above U+FFFF is a pair of \\u escapes")
    return value


def _first_unfit(text: str) -> str | None:
    """The first control character or lone surrogate (half of a UTF-16 pair alone: JSON can
    write one, as \\ud800) in `text`, or None. Surrogates are found by encoding, which fails at
    the first (a regular expression's class of them takes ~0.4 ms to compile, at every start)."""
    control = _CONTROL.search(text)
    before = text if control is None else text[:control.start()]
    try:
        before.encode()
    except UnicodeEncodeError as error:  # UTF-8 encodes every character but a surrogate
        return text[error.start]
    return None if control is None else control.group()


def is_reserved(name: str) -> bool:
    return name.lower() == RESERVED_NAME


def check_remote_path(value: object) -> str:
    """A POSIX relative path: no leading '/', no '\\', no empty, '.', '..' or '.gas' parts."""
    if type(value) is str and len(value) <= MAX_PATH and _PLAIN_PATH.fullmatch(value):
        return value  # the usual case, in one step
    return _check_path_rules(value)


def _check_path_rules(value: object) -> str:
    """`check_remote_path` rule by rule: what a path `_PLAIN_PATH` does not match goes through."""
    path = _check_text("remote path", value, MAX_PATH)
    hint = "use a relative POSIX path such as 'images/0001.jpg'"
    if not path or path.startswith("/") or "\\" in path:
        raise InvalidParams(f"invalid remote path {path!r}: should follow linux style", hint)
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidParams(f"invalid remote path {path!r}: empty, '.' or '..' part", hint)
    if any(is_reserved(part) for part in parts):
        raise InvalidParams(f"invalid remote path {path!r}: '{RESERVED_NAME}' is reserved",
                            f"rename the folder: '{RESERVED_NAME}' holds a gas workspace's state")
    return path


def check_segment_name(value: object) -> str:
    """A segment name is one folder name: no '/', '\\', control characters, '.' or '..'."""
    name = _check_text("segment name", value, MAX_NAME)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidParams(
            f"invalid segment name {name!r}", "a segment name cannot contain '/' or '\\'"
        )
    if is_reserved(name):
        raise InvalidParams(f"invalid segment name {name!r}: '{RESERVED_NAME}' is reserved",
                            "choose another name: it holds a gas workspace's state")
    return name


#: Shown as escapes by `escaped`: control characters, '\\', and lone surrogates (a file name's
#: bytes that are not UTF-8, as Python decodes them; found apart, as in `_first_unfit`).
_CONTROL_OR_BACKSLASH = re.compile(r"[\x00-\x1f\x7f\\]")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(char: str) -> str:
    code = ord(char)
    if char in _ESCAPES:
        return _ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_unreadable(char: str) -> bool:
    return char < " " or char in "\x7f\\" or "\ud800" <= char <= "\udfff"


def is_readable(text: str) -> bool:
    """Whether `text` prints as itself on one line (`escaped` would change it)."""
    return _CONTROL_OR_BACKSLASH.search(text) is None and is_utf8(text)


def escaped(text: str) -> str:
    """`text` quoted for a message, its control characters, '\\' and bytes that are not UTF-8
    written as escapes, so that a name prints on one line and reads unambiguously."""
    if not is_utf8(text):  # lone surrogates: character by character
        return "'" + "".join(_escape(c) if _is_unreadable(c) else c for c in text) + "'"
    return "'" + _CONTROL_OR_BACKSLASH.sub(lambda match: _escape(match.group()), text) + "'"


def is_utf8(name: str) -> bool:
    """Whether a name found on disk was valid UTF-8 (else Python holds its bytes as surrogates,
    which no database, server or JSON document can hold)."""
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def _name_problem(kind: str, name: str, limit: int) -> str | None:
    """The first rule a name found on disk breaks (shared by files and folders), or None."""
    if not is_utf8(name):
        return f"the {kind} is not valid UTF-8"
    if _CONTROL.search(name):  # (no lone surrogate: it is UTF-8)
        return f"the {kind} contains a control character (newline, tab, ...)"
    if "\\" in name:
        return f"the {kind} contains '\\' (paths use '/')"
    if len(name) > limit:
        return f"the {kind} is longer than {limit} characters"
    if any(is_reserved(part) for part in name.split("/")):
        return f"'{RESERVED_NAME}' is reserved for a workspace's state"
    return None


def local_path_problem(path: str) -> str | None:
    """Why the server would refuse a working-tree file's path inside its segment, or None:
    the rules of `check_remote_path`, said for a file found on disk."""
    return _local_problem("path", path, MAX_PATH, check_remote_path)


def local_segment_problem(name: str) -> str | None:
    """Why the server would refuse a top-level folder's name as a segment name, or None."""
    return _local_problem("name", name, MAX_NAME, check_segment_name)


def _local_problem(kind: str, value: str, limit: int, check: Callable[[object], str]
                   ) -> str | None:
    problem = _name_problem(kind, value, limit)
    if problem is None:
        try:
            check(value)
        except InvalidParams as error:
            problem = error.message
    return problem


def check_dataset_name(value: object) -> str:
    name = _check_text("dataset name", value, MAX_NAME)
    if not name.strip() or name in (".", "..") or any(c in name for c in ":@#/\\"):
        raise InvalidParams(
            f"invalid dataset name {name!r}",
            "use letters, digits, '-', '_' or '.'; ':', '@', '#', '/', '.' and '..' alone "
            "are not allowed",
        )
    return name


def check_ref_name(kind: str, value: object) -> str:
    """Branch and tag names: git-like, never a 32-hex commit id, never '..'."""
    name = _check_text(f"{kind} name", value, MAX_NAME)
    if not _REF_NAME.fullmatch(name) or ".." in name or name.endswith("/") or is_commit_id(name):
        raise InvalidParams(
            f"invalid {kind} name {name!r}",
            f"a {kind} name starts with a letter or digit and uses letters, digits, '.', '_', '-'",
        )
    return name
