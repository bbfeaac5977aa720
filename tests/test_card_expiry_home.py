"""Card expiry has one home (cards.expiry.card_expire): the nightly job and a new card issued
before the job ran leave the same record behind (event and audit); only the holder's notice
differs, because the new card's notice already tells them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cards.expiry import card_expire_due
from cards.models import Card, CardEvent
from portal.models import AuditEvent, Notification
from tests.cards_support import approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
SH = ZoneInfo("Asia/Shanghai")


def expiry_record(card: Card) -> tuple:
    events = list(CardEvent.objects.filter(card=card, action="expired").values_list("to_status"))
    audits = AuditEvent.objects.filter(action="card.expired", object_id=str(card.pk)).count()
    return events, audits


def test_the_nightly_job_and_a_new_card_expire_alike(client_for, talent, admin_user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SH), tick=False) as clock:
        old = Card.objects.get(
            number=approved(client_for(talent), client_for(admin_user))["card"]["number"]
        )
        # A new card approved after the end date, before the nightly job ran.
        clock.move_to(datetime(2029, 3, 12, 9, 0, tzinfo=SH))
        approved(client_for(talent), client_for(admin_user))
    by_issue = expiry_record(old)
    told_by_issue = Notification.objects.filter(kind="card_expired").count()

    other = Card.objects.exclude(pk=old.pk).get()
    card_expire_due(date(2032, 3, 12))
    other.refresh_from_db()
    assert other.status == "expired"
    assert by_issue == ([("expired",)], 1) == expiry_record(other)
    # The job tells the holder; an issue does not (its own notice says a new card is there).
    assert told_by_issue == 0
    assert Notification.objects.filter(kind="card_expired").count() == 1
