"""The tensorbay CLI's command lines in `gas`: which of gas's verbs means the tensorbay one.

`gas ls`, `cp` and `config` are the tensorbay CLI's only. The verbs gas already has keep their
meaning unless the command line is the tensorbay form:

- `rm`, `commit`, `log`, `branch`, `tag`, `draft`: the first argument is a TBRN (`tb:…`), and
  for `log` not a range (`gas log tb:cats@v1..tb:cats@dev` is gas's);
- `dataset`: no sub-command (`gas dataset`, `gas dataset tb:NAME`, `gas dataset -d -y tb:NAME`);
- `auth`: `-s/--status`, `-u` (unset), no arguments (asks for the key) or a URL alone.

Only this module is imported to decide, so that commands that stay gas's load nothing more.
"""

from __future__ import annotations

import importlib

import click

#: verb → "module:attribute" of its tensorbay form.
FORMS = {
    "rm": "tensorbay_data:rm", "dataset": "tensorbay_data:dataset",
    "commit": "tensorbay_versions:commit", "draft": "tensorbay_versions:draft",
    "branch": "tensorbay_versions:branch", "tag": "tensorbay_versions:tag",
    "log": "tensorbay_log:log", "auth": "tensorbay_setup:auth",
}
#: Options (of either form) followed by a value, skipped when looking for the first argument.
VALUE_OPTIONS = frozenset({"-m", "--message", "-n", "--max-count", "-j", "--jobs", "--sort",
                           "-p", "--profile", "--ca-bundle"})
HELP = frozenset({"-h", "--help"})


def first_argument(args: list[str]) -> str | None:
    """The first positional argument, skipping options and their values."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--":
            continue
        elif arg.startswith("-") and len(arg) > 1:
            skip = arg in VALUE_OPTIONS
        else:
            return arg
    return None


def _short_flags(args: list[str]) -> set[str]:
    """Single-letter flags, also from clusters like `-ua`."""
    return {letter for arg in args if arg.startswith("-") and not arg.startswith("--")
            for letter in arg[1:]}


def _auth_is_tensorbay(args: list[str]) -> bool:
    if HELP & set(args):
        return False
    if "--status" in args or {"s", "u"} & _short_flags(args):
        return True
    positional = [a for a in args if not a.startswith("-")]
    if {"-g", "--get", "--unset"} & set(args):
        return False
    return not positional or (len(positional) == 1 and "://" in positional[0])


def is_tensorbay_form(name: str, args: list[str]) -> bool:
    if name not in FORMS:
        return False
    if name == "auth":
        return _auth_is_tensorbay(args)
    first = first_argument(args)
    if name == "dataset":
        return not HELP & set(args) and (first is None or first.startswith("tb:"))
    if name == "log" and first is not None and ".." in first:
        return False  # a range of TBRNs is gas's `log A..B`
    return first is not None and first.startswith("tb:")


def tensorbay_command(name: str, args: list[str]) -> click.Command | None:
    """The tensorbay form of verb `name` when `args` are its command line, else None."""
    if not is_tensorbay_form(name, args):
        return None
    module, _, attribute = FORMS[name].partition(":")
    command: click.Command = getattr(importlib.import_module(f"gasvc.cli.{module}"), attribute)
    return command
