"""Test marks shared by the notification tests."""

import pytest

# Tests that commit (so on-commit hooks and worker processes see their rows). Like the other
# transactional tests of the suite they restore the migrations' rows (staff groups...) after
# the flush, so they can run in any order with them.
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)
