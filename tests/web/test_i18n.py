import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from tests.web.test_pages import text

pytestmark = pytest.mark.django_db

MONTHS_GENITIVE = {
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
}


def test_language_switcher_posts_to_set_language_and_comes_back(client, world):
    home = client.get(reverse("web:home")).content.decode()
    assert 'action="/i18n/setlang/"' in home and 'method="post"' in home
    assert '<label for="language-select">Language</label>' in home
    url = reverse("web:law-detail", args=[world.law.pk])
    response = client.post(reverse("set_language"), {"language": "uk", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    assert page.content.decode().startswith("<!doctype html>")
    assert '<html lang="uk">' in page.content.decode()


def test_ukrainian_pages_show_ukrainian_names_labels_dates_and_numbers(client, world):
    client.cookies["django_language"] = "uk"
    page = text(client.get(reverse("web:law-detail", args=[world.law.pk])))
    assert "Про спільне виробництво озброєння" in page
    assert "On joint weapons production" not in page
    assert "Прийнято за основу" in page  # status label
    assert "Проходження у Верховній Раді" in page  # noqa: RUF001
    assert "Дозволяє партнерам спільно інвестувати." in page
    assert "Прострочено" in page and "3 дні після запланованої дати" in page
    with translation.override("uk"):
        registered = date_format(world.law.registration_date, "DATE_FORMAT")
    assert registered.split()[1] in MONTHS_GENITIVE  # e.g. 28 жовтня 2026
    assert registered in page
    facility = text(client.get(reverse("web:facility-detail", args=[world.facility.pk])))
    assert "150\xa0000\xa0000 EUR" in facility or "150 000 000 EUR" in facility
    assert "Україна" in facility  # country names in Ukrainian


def test_english_is_the_default(client, world):
    page = text(client.get(reverse("web:home")))
    assert "Draft laws, stage by stage" in page
    assert "Законопроєкти за етапами" not in page


def test_ukrainian_law_page_tells_the_presidents_term_and_unknown_dates_in_ukrainian(client, db):
    import datetime

    from django.utils import timezone

    from tests.factories import make_law, move
    from tracker.models import EntryIntoForce
    from tracker.services.transitions import record_transition

    today = timezone.localdate()
    law = make_law(title_uk="Про оборонні парки", convocation=9)
    move(law, "registered", "in_committee", "first_reading", start=today - datetime.timedelta(40))
    record_transition(
        record=law,
        to_status="adopted_as_whole",
        occurred_on=today - datetime.timedelta(30),
        recorded_by=None,
        votes_for=300,
        not_voting=50,
    )
    record_transition(record=law, to_status="signed_by_speaker", occurred_on=None, recorded_by=None)
    record_transition(
        record=law,
        to_status="sent_to_president",
        occurred_on=today - datetime.timedelta(20),
        recorded_by=None,
    )
    EntryIntoForce.objects.create(law=law, condition="з дня запуску реєстру")
    client.cookies["django_language"] = "uk"
    page = text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "дата невідома" in page and "date not known" not in page
    assert "Строк сплив" in page and "вважається схваленим" in page
    assert "Скликання 9" in page
    assert "Не голосували 50" in page  # noqa: RUF001
    assert "Набрання чинності" in page and "Увесь закон : з дня запуску реєстру" in page
