"""The workspace library: a dataset folder, its `.gas/` state, local commits and syncing."""
