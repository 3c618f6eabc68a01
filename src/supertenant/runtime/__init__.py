"""Starting and initialising Superset processes (used by the demo and the integration tests)."""
