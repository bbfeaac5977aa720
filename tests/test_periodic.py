"""The other periodic jobs: card expiry, rating invitations, auto-close, follow-ups, digest."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cards.expiry import card_expire_due, card_expiry_reminders
from cards.models import Card
from portal.models import Notification
from services.calendar import calendar_sync
from services.feedback import request_rate
from services.models import RequestStatus, ServiceRequest
from services.periodic import auto_close, department_digest, followups_overdue, rating_invitations
from services.seed import seed_service_types
from tests.requests_support import file_housing, give_card, request_in

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def kinds(user=None):
    rows = Notification.objects.all()
    if user is not None:
        rows = rows.filter(recipient=user)
    return sorted(rows.values_list("kind", flat=True))


# --- card expiry -------------------------------------------------------------------------------
@pytest.fixture
def card(talent):
    card = give_card(talent)
    card.valid_until = date(2029, 3, 9)
    card.save()
    return card


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2028, 12, 8), []),  # 91 days before
        (date(2028, 12, 9), ["card_expiry"]),  # 90 days before
        (date(2029, 2, 7), ["card_expiry"]),  # 30
        (date(2029, 3, 2), ["card_expiry"]),  # 7
        (date(2029, 3, 3), ["card_expiry"]),  # 6 days: the missed 7-day one is caught up
        (date(2029, 3, 10), []),  # after the end date: expiry, not a reminder
    ],
)
def test_reminders_at_90_30_and_7_days(card, talent, today, expected):
    card_expiry_reminders(today)
    assert kinds(talent) == expected


def test_each_reminder_once_and_a_missed_day_caught_up(card, talent):
    for day in (date(2028, 12, 9), date(2028, 12, 9), date(2028, 12, 10)):
        card_expiry_reminders(day)
    assert kinds(talent) == ["card_expiry"]
    card_expiry_reminders(date(2029, 2, 9))  # the job missed 02-07 and 02-08
    titles = sorted(Notification.objects.values_list("dedupe_key", flat=True))
    assert titles == [
        f"card_expiry:{card.pk}:2029-03-09:30",
        f"card_expiry:{card.pk}:2029-03-09:90",
    ]


def test_expiry_itself(card, talent):
    assert card_expire_due(date(2029, 3, 9)) == 0  # the last valid day
    assert card_expire_due(date(2029, 3, 10)) == 1
    card.refresh_from_db()
    assert card.status == "expired"
    assert card_expire_due(date(2029, 3, 11)) == 0
    assert "card_expired" in kinds(talent)
    assert list(card.events.values_list("action", flat=True)) == ["expired"]


def test_a_suspended_card_is_not_reminded(card, talent):
    Card.objects.filter(pk=card.pk).update(status="suspended")
    card_expiry_reminders(date(2029, 3, 2))
    assert kinds(talent) == []


# --- requests ----------------------------------------------------------------------------------
@pytest.fixture
def world(departments, talent, card):
    seed_service_types()
    calendar_sync(year=2026)


def resolved_at(moment, talent, handler):
    with time_machine.travel(moment, tick=False):
        return request_in("resolved", talent, handler)


@pytest.mark.usefixtures("world")
def test_rating_invitation_three_days_after_resolution(talent, handler):
    req = resolved_at(at(2026, 3, 2, 10, 0), talent, handler)
    assert rating_invitations(at(2026, 3, 5, 9, 59)) == 0
    assert rating_invitations(at(2026, 3, 5, 10, 0)) == 1
    assert rating_invitations(at(2026, 3, 6, 9, 0)) == 0  # once
    invitation = Notification.objects.get(kind="rating_invitation")
    assert invitation.recipient == talent and invitation.link == f"/requests/{req.number}/"


@pytest.mark.usefixtures("world")
def test_auto_close_after_fifteen_days_unrated(talent, handler):
    unrated = resolved_at(at(2026, 3, 2, 10, 0), talent, handler)
    rated = resolved_at(at(2026, 3, 2, 10, 0), talent, handler)
    request_rate(req=rated, actor=talent, score=5)
    assert auto_close(at(2026, 3, 17, 9, 59)) == 0
    # The job's clock and the event's timestamp agree (the event list is in time order).
    with time_machine.travel(at(2026, 3, 17, 10, 0), tick=False):
        assert auto_close(at(2026, 3, 17, 10, 0)) == 1
    unrated.refresh_from_db()
    assert unrated.status == "closed" and unrated.events.last().action == "auto_closed"
    # An auto-closed request can no longer be rated.
    from portal.errors import InvalidTransition

    with pytest.raises(InvalidTransition) as refused:
        request_rate(req=unrated, actor=talent, score=1)
    assert refused.value.status == "closed"


@pytest.mark.usefixtures("world")
def test_an_overdue_follow_up_is_escalated_to_admins_once(talent, handler, admin_user):
    req = resolved_at(at(2026, 3, 2, 10, 0), talent, handler)
    with time_machine.travel(at(2026, 3, 2, 11, 0), tick=False):
        request_rate(req=req, actor=talent, score=1)
    followup = req.followup
    assert followup.due_at == at(2026, 3, 10, 0, 0)  # 5 working days: end of Monday 03-09
    assert followups_overdue(at(2026, 3, 9, 23, 59)) == 0
    assert followups_overdue(at(2026, 3, 10, 0, 0)) == 1
    assert followups_overdue(at(2026, 3, 10, 1, 0)) == 0
    assert kinds(admin_user) == ["followup_overdue"]


@pytest.mark.usefixtures("world")
def test_the_morning_digest(talent, handler, lead, other_handler):
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        waiting = file_housing(talent)  # due end of 03-03
        late = file_housing(talent)
        ServiceRequest.objects.filter(pk=late.pk).update(due_at=at(2026, 3, 2, 0, 0))
    assert department_digest(at(2026, 3, 3, 8, 30)) == 2  # handler and lead of ZJJ
    digest = Notification.objects.get(kind="department_digest", recipient=handler)
    assert digest.title == "【每日办件提醒】待受理 2 件，今日到期 1 件，已超期 1 件"
    assert department_digest(at(2026, 3, 3, 8, 35)) == 0  # once a day
    assert not Notification.objects.filter(kind="department_digest", recipient=other_handler)
    # No digest on a holiday (National Day) or a weekend.
    assert department_digest(at(2026, 10, 1, 8, 30)) == 0
    assert department_digest(at(2026, 3, 7, 8, 30)) == 0
    # The digest only reads: both requests are still waiting, as the database has them.
    waiting.refresh_from_db()
    late.refresh_from_db()
    assert waiting.status == late.status == RequestStatus.SUBMITTED
    assert waiting.due_at == at(2026, 3, 4, 0, 0) and late.due_at == at(2026, 3, 2, 0, 0)


def test_the_beat_schedule_runs_the_jobs_the_design_names(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["sla-sweep"]["schedule"] == timedelta(minutes=5)
    assert {entry["task"] for entry in schedule.values()} >= {
        "services.tasks.sla_sweep",
        "portal.tasks.retry_deliveries",
        "cards.tasks.card_expiry",
        "services.tasks.rating_invitations",
        "services.tasks.auto_close",
        "services.tasks.followups_overdue",
        "services.tasks.department_digest",
    }
    digest = schedule["department-digest"]["schedule"]
    assert (digest.hour, digest.minute) == (
        {8},
        {30},
    ) and settings.CELERY_TIMEZONE == "Asia/Shanghai"
