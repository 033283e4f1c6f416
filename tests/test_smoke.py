import datetime

import pytest

from tests.factories import make_law
from tracker.models import Event


@pytest.mark.django_db
def test_created_law_starts_in_drafting_and_leaves_an_event():
    law = make_law()
    assert law.status == "drafting"
    assert Event.objects.filter(type="law.created", record_id=law.pk).count() == 1
    assert datetime.date.today()
