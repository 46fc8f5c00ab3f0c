"""The workspace library: a dataset folder, its `.gas/` state, local commits and syncing.

Layered, each sub-package importing only those below it (import-linter checks this):
`sync` (the server) and `diff` over `versions` (commits and branches) over `worktree` (the files)
over `store` (the `.gas/` state). Only `sync` talks to the server (`gasvc.api`).
"""

from gasvc.workspace.facade import Workspace

__all__ = ["Workspace"]
