"""A calendar correction moves the subsidies' deadlines too (services.recompute's stages
"entitlements" and "instalments", subsidies.recompute): the review deadline of an entitlement
under review and the working day an owed instalment is due on."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.models import Role
from services.calendar import calendar_set_day, calendar_sync
from services.models import CalendarRecompute
from services.recompute import recompute_run
from subsidies.entitlements import entitlement_approve, entitlement_confirm
from subsidies.models import InstalmentStatus
from tests.factories import UserFactory
from tests.recompute_support import run_recomputes
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
SH = ZoneInfo("Asia/Shanghai")
# Confirmed Monday 2026-03-02 10:00: 10 working days → due at the end of Monday 03-16.
CONFIRMED = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SH)


@pytest.fixture
def rsj(departments):
    return UserFactory(username="rsj", role=Role.STAFF, department=departments["RSJ"])


@pytest.fixture
def settle(departments, talent, admin_user, client_for):
    seed_policies()
    calendar_sync(year=2026)
    run_recomputes()
    with time_machine.travel(CONFIRMED, tick=False):
        card_holder(client_for(talent), client_for(admin_user))
        ent = entitlement_of(talent, "SETTLE-ZG")
        return entitlement_confirm(entitlement=ent, actor=talent, **ACCOUNT)


def close(day: datetime.date, admin_user) -> str:
    calendar_set_day(day=day, is_workday=False, note="临时停工", actor=admin_user)
    return recompute_run(CalendarRecompute.objects.latest("pk").pk, seconds=None)


def test_a_day_closed_moves_the_review_deadline(settle, admin_user):
    assert settle.review_due_at == datetime.datetime(2026, 3, 17, tzinfo=SH)
    with time_machine.travel(CONFIRMED + datetime.timedelta(hours=1), tick=False):
        assert close(datetime.date(2026, 3, 10), admin_user) == "done"
    settle.refresh_from_db()
    assert settle.review_due_at == datetime.datetime(2026, 3, 18, tzinfo=SH)  # Tuesday 03-17
    job = CalendarRecompute.objects.latest("pk")
    assert job.moved >= 1 and job.failed_rows == 0


def test_an_instalment_due_on_a_day_closed_is_due_the_next_working_day(settle, rsj, admin_user):
    with time_machine.travel(CONFIRMED + datetime.timedelta(hours=2), tick=False):
        ent = entitlement_approve(entitlement=settle, actor=rsj)
    first = ent.instalments.get(n=1)
    assert (first.scheduled_on, first.due_on) == (datetime.date(2026, 4, 2),) * 2
    assert first.status == InstalmentStatus.SCHEDULED
    with time_machine.travel(CONFIRMED + datetime.timedelta(hours=3), tick=False):
        assert close(datetime.date(2026, 4, 2), admin_user) == "done"
    first.refresh_from_db()
    # Only the instalment the changed day can move was read: the 2027 and 2028 ones are
    # scheduled after it (index instalment_owed_scheduled_idx).
    assert CalendarRecompute.objects.latest("pk").total == 1
    assert first.scheduled_on == datetime.date(2026, 4, 2)
    assert first.due_on == datetime.date(2026, 4, 3)
    assert first.due_at == datetime.datetime(2026, 4, 4, tzinfo=SH)


def test_a_decided_entitlement_is_left_alone(settle, rsj, admin_user):
    with time_machine.travel(CONFIRMED + datetime.timedelta(hours=2), tick=False):
        ent = entitlement_approve(entitlement=settle, actor=rsj)
        assert close(datetime.date(2026, 3, 10), admin_user) == "done"
    ent.refresh_from_db()
    assert ent.review_due_at is None and ent.reviewed_on_time is True
