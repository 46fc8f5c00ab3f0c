"""The `.gas/` store: folder layout, the state database and its migrations, content objects,
refs and history, intent records of interrupted work (pending), layout moves, and `gas init`."""
