"""A bad row never stops a periodic job (issue 13): one poisoned row in each job is rolled
back, logged with its number and counted, and every other row is still worked."""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cards import expiry
from cards.models import Card, CardStatus
from portal.models import Notification, Role
from services import periodic
from services.calendar import calendar_sync
from services.feedback import request_rate
from services.models import FollowUp, RequestStatus, ServiceRequest
from services.seed import seed_service_types
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def two_talents(departments):
    seed_service_types()
    calendar_sync(year=2026)
    people = [TalentFactory(username=f"bad{i}") for i in range(2)]
    for person in people:
        give_card(person)
    return people


def poison(monkeypatch, module, name, bad):
    """Make ``module.name`` raise whenever ``bad(*args, **kwargs)`` says so."""
    real = getattr(module, name)

    def fake(*args, **kwargs):
        if bad(*args, **kwargs):
            raise RuntimeError("poisoned row")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, fake)


def failed_log(caplog, job, label):
    return [
        r
        for r in caplog.records
        if r.name == "portal.rows" and job in r.getMessage() and label in r.getMessage()
    ]


def resolved_pair(two_talents, handler, when):
    with time_machine.travel(when, tick=False):
        return [request_in("resolved", person, handler) for person in two_talents]


def test_rating_invitations_go_on_past_a_bad_row(two_talents, handler, monkeypatch, caplog):
    bad, good = resolved_pair(two_talents, handler, datetime(2026, 3, 2, 10, tzinfo=SH))
    poison(monkeypatch, periodic, "notification_create", lambda **kw: kw["recipient"] == bad.talent)
    caplog.set_level(logging.ERROR)
    sent = periodic.rating_invitations(datetime(2026, 3, 6, 10, tzinfo=SH))
    assert sent == 1
    assert Notification.objects.filter(recipient=good.talent, kind="rating_invitation").exists()
    assert not Notification.objects.filter(recipient=bad.talent, kind="rating_invitation").exists()
    assert failed_log(caplog, "rating_invitations", bad.number)


def test_auto_close_goes_on_past_a_bad_row_and_tries_it_next_time(
    two_talents, handler, monkeypatch, caplog
):
    bad, good = resolved_pair(two_talents, handler, datetime(2026, 3, 2, 10, tzinfo=SH))
    poison(monkeypatch, periodic, "audit_record", lambda **kw: kw.get("number") == bad.number)
    caplog.set_level(logging.ERROR)
    later = datetime(2026, 3, 20, 10, tzinfo=SH)
    assert periodic.auto_close(later) == 1
    bad.refresh_from_db()
    good.refresh_from_db()
    # The bad one is rolled back whole (no half-closed request), the good one closed.
    assert (bad.status, good.status) == (RequestStatus.RESOLVED, RequestStatus.CLOSED)
    assert not bad.events.filter(action="auto_closed").exists()
    assert failed_log(caplog, "auto_close", bad.number)
    monkeypatch.undo()
    assert periodic.auto_close(later) == 1
    bad.refresh_from_db()
    assert bad.status == RequestStatus.CLOSED


def test_overdue_followups_go_on_past_a_bad_row(two_talents, handler, monkeypatch, caplog):
    UserFactory(username="zzb", role=Role.ADMIN)
    reqs = resolved_pair(two_talents, handler, datetime(2026, 3, 2, 10, tzinfo=SH))
    with time_machine.travel(datetime(2026, 3, 3, 10, tzinfo=SH), tick=False):
        for req in reqs:
            request_rate(req=req, actor=req.talent, score=1, comment="太慢")
    bad, good = reqs
    poison(
        monkeypatch,
        periodic,
        "notification_create",
        lambda **kw: kw["kind"] == "followup_overdue" and bad.number in kw["title"],
    )
    caplog.set_level(logging.ERROR)
    assert periodic.followups_overdue(datetime(2026, 4, 30, 10, tzinfo=SH)) == 1
    escalated = dict(FollowUp.objects.values_list("request_id", "escalated_at"))
    assert escalated[good.pk] is not None and escalated[bad.pk] is None
    assert failed_log(caplog, "followups_overdue", bad.number)


def test_the_digest_goes_on_past_a_bad_department(departments, two_talents, monkeypatch, caplog):
    zjj = UserFactory(username="zjj1", role=Role.STAFF, department=departments["ZJJ"])
    zwj = UserFactory(username="zwj1", role=Role.STAFF, department=departments["ZWJ"])
    monday = datetime(2026, 3, 2, 8, 30, tzinfo=SH)
    with time_machine.travel(monday - timedelta(days=3), tick=False):
        from services.filing import request_file

        request_file(
            talent=two_talents[0],
            service_type="GOV_AGENT",
            fields={"matter": "变更", "category": "企业开办", "details": "变更"},
        )
        request_in("submitted", two_talents[1], zjj)
    poison(monkeypatch, periodic, "notification_create", lambda **kw: kw["recipient"] == zwj)
    caplog.set_level(logging.ERROR)
    assert periodic.department_digest(monday) == 1
    assert Notification.objects.filter(recipient=zjj, kind="department_digest").exists()
    assert failed_log(caplog, "department_digest", departments["ZWJ"].name)


def test_card_expiry_goes_on_past_a_bad_card(two_talents, monkeypatch, caplog):
    cards = [Card.objects.get(holder=person) for person in two_talents]
    for card in cards:
        card.valid_until = date(2029, 3, 9)
        card.save()
    bad, good = cards
    poison(monkeypatch, expiry, "notification_create", lambda **kw: kw["recipient"] == bad.holder)
    caplog.set_level(logging.ERROR)
    assert expiry.card_expiry_reminders(date(2028, 12, 9)) == 1
    assert failed_log(caplog, "card_expiry_reminders", bad.number)
    assert expiry.card_expire_due(date(2029, 3, 10)) == 1
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, good.status) == (CardStatus.ACTIVE, CardStatus.EXPIRED)
    assert failed_log(caplog, "card_expire_due", bad.number)
    assert ServiceRequest.objects.count() == 0
