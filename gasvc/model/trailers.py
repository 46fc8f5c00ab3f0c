"""The "merged from" trailer: how a merge commit names its second parent on the server.

TensorBay commits have one parent, so a merge pushed to the server records the commit it merged
as the last line of its description, `Merged-from: <commit id>`, and history read back from the
server (a fresh clone, a fetch) finds the second parent there. The merge base then comes out the
same as in the workspace that merged, so merging the same branch again repeats no conflict.
"""

from __future__ import annotations

import re

TRAILER = "Merged-from"
_LINE = re.compile(rf"(?:^|\n){TRAILER}: *([0-9A-Za-z]+) *\Z")


def merged_from(description: str) -> str | None:
    """The commit id the description's trailer names, if its last line is one."""
    found = _LINE.search(description.rstrip())
    return found.group(1) if found else None


def with_merged_from(description: str, commit_id: str) -> str:
    """The description ending with the trailer naming `commit_id` (replacing one it had)."""
    body = description.rstrip()
    if merged_from(body) is not None:
        body = body[:body.rfind(f"{TRAILER}:")].rstrip()
    return f"{body}\n\n{TRAILER}: {commit_id}" if body else f"{TRAILER}: {commit_id}"
