"""The partner REST API under /api/v1/ (see `urls.py`; the schema is served at /api/v1/schema/).

- `views.py`: thin viewsets over `tracker.selectors` (reads) and `tracker.services` (writes);
- `serializers.py` / `rows.py`: representations (lists render from rows, details from
  prefetched instances);
- `filters.py`, `pagination.py`, `conditional.py` (ETag), `throttling.py`;
- `problems.py`: RFC 9457 problem details for every error; `schema.py`: OpenAPI details.
"""
