"""`gas diff --check RULES`: a gate for CI — the changes of a diff against a small rules file.

The file has one rule per line; `#` starts a comment; blank lines are ignored:

    max-deleted 10               # at most 10 files deleted (also: max-added, max-modified,
                                 #   max-changed: items changed in any way)
    max-loss 5%                  # no (label type, category) loses more than 5 % of its
                                 #   instances, in any segment
    max-loss 5% BOX2D            # ... of BOX2D's categories only
    max-loss 0% BOX2D car        # ... of BOX2D's `car` only
    no-empty-label               # no added or changed item ends without a label
    labels-in-catalog            # every added or changed label conforms to the new catalog

A loss is counted per segment against the segment's instances before (the label counts of
`gas diff --stat`). The result names, per rule, whether it held and the items that broke it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gasvc.errors import ClientError
from gasvc.model.catalog import validate_label
from gasvc.model.labelstats import NO_CATEGORY, instances
from gasvc.workspace.diff.diff_result import DiffResult, ItemDiff

#: Rules that take no argument, and what each says.
FLAGS = {"no-empty-label": "no added or changed item ends without a label",
         "labels-in-catalog": "every added or changed label conforms to the new catalog"}
#: Rules on a number of items: the change codes each counts.
LIMITS = {"max-deleted": "D", "max-added": "A", "max-modified": "M", "max-changed": "AMDL"}
RULE_NAMES = ", ".join([*LIMITS, "max-loss", *FLAGS])
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


class BadRules(ClientError):
    """A rules file gas cannot read (a usage error: exit 2)."""

    exit_code = 2


class CheckFailed(ClientError):
    """Changes that break at least one rule."""


@dataclass(frozen=True)
class Rule:
    text: str  # as written, without the comment
    name: str
    limit: float = 0  # items for max-*, percent for max-loss
    label_type: str | None = None
    category: str | None = None


@dataclass
class Outcome:
    rule: Rule
    failures: list[tuple[str, str]] = field(default_factory=list)  # (where, what)

    @property
    def ok(self) -> bool:
        return not self.failures


def parse_rules(text: str, source: str = "RULES") -> list[Rule]:
    """The rules of a rules file; BadRules names the line of any it cannot read."""
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if words:
            rules.append(_rule(words, f"{source}, line {number}"))
    if not rules:
        raise BadRules(f"{source} has no rules", f"write one rule per line: {RULE_NAMES}")
    return rules


def _rule(words: list[str], where: str) -> Rule:
    name, args, text = words[0], words[1:], " ".join(words)
    if name in FLAGS and not args:
        return Rule(text, name)
    if name in LIMITS and len(args) == 1 and args[0].isdigit():
        return Rule(text, name, int(args[0]))
    percent = _PERCENT.match(args[0]) if name == "max-loss" and 1 <= len(args) <= 3 else None
    if percent is not None:
        return Rule(text, name, float(percent.group(1)), *args[1:])
    if name in FLAGS or name in LIMITS or name == "max-loss":
        usage = {"max-loss": "max-loss PERCENT% [LABEL_TYPE [CATEGORY]]"}.get(
            name, name if name in FLAGS else f"{name} NUMBER")
        raise BadRules(f"{where}: cannot read {text!r}", f"write it as `{usage}`")
    raise BadRules(f"{where}: unknown rule {name!r}", f"the rules are: {RULE_NAMES}")


def check(result: DiffResult, rules: list[Rule]) -> list[Outcome]:
    """Each rule and the items (or segments) that break it; `result` must have its labels."""
    assert result.label_stats is not None and result.catalogs is not None
    return [Outcome(rule, _failures(result, rule)) for rule in rules]


def _failures(result: DiffResult, rule: Rule) -> list[tuple[str, str]]:
    if rule.name in LIMITS:
        found = [item for item in result.items if item.code in LIMITS[rule.name]]
        if len(found) <= rule.limit:
            return []
        what = {"D": "deleted", "A": "added", "M": "modified", "L": "label changed"}
        return [(item.key, what[item.code]) for item in found]
    if rule.name == "max-loss":
        return _losses(result, rule)
    changed = [item for item in result.items if item.code != "D"]
    if rule.name == "no-empty-label":
        return [(item.key, "no label") for item in changed if not item.new_label]
    assert result.catalogs is not None
    catalog = result.catalogs[1]
    return [(item.key, reason) for item in changed if item.new_label and
            (item.label_changed or item.code == "A")
            for reason in validate_label(item.new_label, catalog)]


def _losses(result: DiffResult, rule: Rule) -> list[tuple[str, str]]:
    """Per segment, each (type, category) the rule covers that lost more than its share; then
    the items where it lost instances."""
    assert result.label_stats is not None
    failures = []
    for stat in result.label_stats:
        for label_type in stat.types:
            if rule.label_type not in (None, label_type.label_type):
                continue
            for category in label_type.categories:
                count = category.count
                if rule.category not in (None, category.category) or count.delta >= 0:
                    continue
                if -count.delta * 100 > rule.limit * count.before:
                    kind = (label_type.label_type, category.category)
                    failures.append((f"{stat.segment}/", f"{_kind(kind)}: {count.before} → "
                                     f"{count.after} ({100 * count.delta / count.before:+.1f} %)"))
                    failures += _items_losing(result.items, stat.segment, kind)
    return failures


def _items_losing(items: list[ItemDiff], segment: str, kind: tuple[str, str]
                  ) -> list[tuple[str, str]]:
    found = []
    for item in items:
        if item.segment != segment:
            continue
        before, after = _count(item.old_label, kind), _count(item.new_label, kind)
        if after < before:
            found.append((item.key, f"{_kind(kind)}: {before} → {after}"))
    return found


def _count(label: dict[str, Any] | None, kind: tuple[str, str]) -> int:
    return sum(1 for found in instances(label) if found == kind)


def _kind(kind: tuple[str, str]) -> str:
    label_type, category = kind
    return f"{label_type} {category}" if category != NO_CATEGORY else f"{label_type} (no category)"
