"""Built-in chart templates, one per module; `templates/catalog.py` registers them."""
