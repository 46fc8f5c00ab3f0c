"""The seed's fuzzy name rules (spec 1.9) as a SQL LIKE pattern with '\\' as escape."""

from __future__ import annotations

import re

_UNESCAPED_WILDCARD = re.compile(r"(?<!\\)[%_]")
_ESCAPED_WILDCARD = re.compile(r"\\([%_])")


def like_pattern(query: str) -> tuple[str, str]:
    """Return (LIKE pattern, the exact name the query means) for a `name=` filter.

    No wildcard → substring match; any unescaped wildcard → the query is the whole, anchored
    pattern; only escaped wildcards → an exact match of the unescaped text.
    """
    exact = _ESCAPED_WILDCARD.sub(r"\1", query)
    if _UNESCAPED_WILDCARD.search(query) or _ESCAPED_WILDCARD.search(query):
        return query, exact
    return "%" + query.replace("\\", "\\\\") + "%", exact
