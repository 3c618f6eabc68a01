"""Plans as values: what would change, object by object (PURE)."""
