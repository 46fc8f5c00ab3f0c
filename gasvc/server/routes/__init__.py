"""Route tables: each module maps `(method, path)` to a one-line handler over the engine."""
