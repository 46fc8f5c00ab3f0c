"""Local versions: commits, branches, `gas checkout` (and the tree mover it shares with pull)
and merging (the replay pull uses)."""
