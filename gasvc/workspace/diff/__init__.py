"""`gas diff`: between the worktree, the index and local commits, or by the server's diffs,
and the shared result type the CLI renders."""
