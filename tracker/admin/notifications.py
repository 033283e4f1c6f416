"""Admin classes; see tracker/admin/__init__.py."""
