"""Daily and weekly digests: one mail per period per partner contact, with what changed, what
is due and what was missed as that partner may see it; catch-up without sending twice; a
signed unsubscribe link that works without logging in."""

import datetime
import itertools

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_law, move
from tracker.models import Delivery, DigestSent, EmailSubscription, Event, Visibility
from tracker.notifications import outbox
from tracker.notifications.digests import send_due_digests
from tracker.services.digests import due_periods, unsubscribe_token
from tracker.services.subscriptions import email_subscription_create, email_subscription_update

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def local(y, m, d, h=0):
    return timezone.make_aware(datetime.datetime(y, m, d, h))


def test_periods_are_local_days_or_weeks_from_monday_and_catch_up(germany):
    sub = email_subscription_create(
        partner=germany, email="de@example.org", event_types=["*"], frequency="daily"
    )
    EmailSubscription.objects.filter(pk=sub.pk).update(created_at=local(2026, 11, 3, 15))
    sub.refresh_from_db()
    assert due_periods(sub, local(2026, 11, 3, 23)) == []  # the day is not over
    assert due_periods(sub, local(2026, 11, 6, 1)) == [
        (local(2026, 11, 3), local(2026, 11, 4)),
        (local(2026, 11, 4), local(2026, 11, 5)),
        (local(2026, 11, 5), local(2026, 11, 6)),
    ]
    sub.frequency = "weekly"  # created on Tuesday 3 November 2026: the week from Monday 2nd
    assert due_periods(sub, local(2026, 11, 16, 9)) == [
        (local(2026, 11, 2), local(2026, 11, 9)),
        (local(2026, 11, 9), local(2026, 11, 16)),
    ]


@pytest.fixture
def digests(germany, france):
    today = timezone.localdate()
    german = make_law(
        title_en="German bill",
        visibility=Visibility.RESTRICTED,
        partners=[germany],
        planned_next_step="Second reading",
        planned_next_step_on=today + 3 * DAY,
    )
    move(german, "registered", start=today)
    make_law(
        title_en="Late bill",
        title_uk="Запізнілий законопроєкт",
        planned_next_step="Committee",
        planned_next_step_on=today,
    )
    subs = {}
    for partner, language in ((germany, "en"), (france, "uk")):
        subs[partner.pk] = email_subscription_create(
            partner=partner,
            email=f"{str(partner.code).lower()}@example.org",
            event_types=["*"],
            frequency="daily",
            language=language,
        )
    return german, subs


def test_one_digest_per_partner_with_what_it_may_see(germany, france, digests):
    german, _ = digests
    tomorrow = timezone.now() + DAY
    assert send_due_digests(now=tomorrow) == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    de, fr = by_address["de@example.org"], by_address["fr@example.org"]
    assert "Drafting → Registered in the Rada" in de.body and "German bill" in de.body
    assert "German bill" not in fr.body  # restricted to Germany
    assert "Second reading" in de.body and "Second reading" not in fr.body  # what is due
    assert "Late bill: Planned next step: Committee" in de.body  # missed, public
    assert "Запізнілий законопроєкт" in fr.body
    # In the subscription's language, with a plain-text and an HTML part.
    assert "ЩО ЗМІНИЛОСЯ" in fr.body and fr.subject.startswith("Трекер спільного виробництва")
    html, mime = de.alternatives[0]
    assert mime == "text/html" and "<h2" in html and "German bill" in html
    assert de.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Never per change: no immediate delivery for a digest subscription.
    event = Event.objects.filter(record_id=german.pk, type="law.status_changed").get()
    assert not Delivery.objects.filter(pk__in=outbox.fan_out_event(event.pk)).exists()


def test_a_period_is_sent_once_and_downtime_is_caught_up(germany, digests):
    _, subs = digests
    now = timezone.now()
    send_due_digests(now=now + DAY)
    send_due_digests(now=now + DAY)
    assert len(mail.outbox) == 2
    # Three days without the job: each missed day once, oldest first; then nothing again.
    send_due_digests(now=now + 4 * DAY)
    send_due_digests(now=now + 4 * DAY)
    assert DigestSent.objects.filter(subscription=subs[germany.pk]).count() == 4
    starts = list(
        DigestSent.objects.filter(subscription=subs[germany.pk])
        .order_by("period_start")
        .values_list("period_start", flat=True)
    )
    assert all(b - a == DAY for a, b in itertools.pairwise(starts))


def test_the_unsubscribe_link_works_without_logging_in(client, germany, digests):
    _, subs = digests
    sub = subs[germany.pk]
    url = reverse("web:unsubscribe", args=[unsubscribe_token(sub)])
    send_due_digests(now=timezone.now() + DAY)
    assert url in mail.outbox[0].body
    page = client.get(url)
    assert page.status_code == 200 and b"de@example.org" in page.content
    sub.refresh_from_db()
    assert sub.is_active  # a GET only asks (link scanners open links)
    assert client.post(url).status_code == 200
    sub.refresh_from_db()
    assert not sub.is_active
    forged = url.replace(unsubscribe_token(sub)[-6:], "AAAAAA")
    assert client.post(forged).status_code == 404
    # Moved to another address: the old link no longer names it.
    email_subscription_update(subscription=sub, values={"email": "new@example.org"})
    assert client.get(url).status_code == 404


def test_frequency_is_checked_and_a_switch_to_a_digest_starts_with_the_running_period(germany):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        email_subscription_create(
            partner=germany, email="x@example.org", event_types=["*"], frequency="hourly"
        )
    sub = email_subscription_create(partner=germany, email="x@example.org", event_types=["*"])
    EmailSubscription.objects.filter(pk=sub.pk).update(created_at=timezone.now() - 30 * DAY)
    sub.refresh_from_db()
    email_subscription_update(subscription=sub, values={"frequency": "weekly"})
    assert due_periods(sub, timezone.now()) == []
