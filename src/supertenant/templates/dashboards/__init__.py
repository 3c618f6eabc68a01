"""Built-in dashboard templates, one per module; `templates/catalog.py` registers them."""
