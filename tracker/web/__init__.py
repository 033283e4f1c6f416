"""The public dashboard: read-only pages and feeds of the records marked public."""
