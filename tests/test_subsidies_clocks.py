"""The review and payment clocks of entitlements (subsidies.clocks) and their supervision in the
one sweep (subsidies.supervision through services.supervision.sla_sweep), at exact instants on
the 2026 calendar as the State Council arranged it: Spring Festival off 02-15 to 02-23 with
make-up Saturdays 02-14 and 02-28; 中秋 09-25 and National Day 10-01 to 10-07 off with
make-up days Sunday 09-20 and Saturday 10-10.

SETTLE-ZG (RSJ) gives the paying department 10 working days to review, RENT-36 (CZJ) 5; the
RENT-36 instalments fall due monthly from a month after the approval.
"""

import logging
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from portal.models import Notification, Role
from services.calendar import calendar_sync
from services.supervision import sla_sweep, sla_sweep_tally
from subsidies import clocks, supervision
from subsidies.actions import Step
from subsidies.entitlements import entitlement_approve, entitlement_confirm, entitlement_return
from subsidies.models import (
    Entitlement,
    EntitlementEvent,
    EntitlementNotice,
    Instalment,
    InstalmentNotice,
)
from subsidies.payments import instalment_fail, instalment_pay
from tests.factories import UserFactory
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def people(departments, admin_user, handler):
    """The paying departments' desks (RSJ pays SETTLE-ZG, CZJ pays RENT-36), a second admin;
    ZJJ's handler pays nothing and must never be told."""

    def desk(name, role, code):
        return UserFactory(username=name, role=role, department=departments[code])

    return {
        "rsj_staff": desk("rsj_staff", Role.STAFF, "RSJ"),
        "rsj_lead": desk("rsj_lead", Role.LEAD, "RSJ"),
        "czj_staff": desk("czj_staff", Role.STAFF, "CZJ"),
        "czj_lead": desk("czj_lead", Role.LEAD, "CZJ"),
        "admin2": UserFactory(username="admin2", role=Role.ADMIN, department=admin_user.department),
        "admin": admin_user,
        "handler": handler,
    }


@pytest.fixture
def holder(criteria, departments, talent, admin_user, client_for):
    """The talent 李明 holds a card (approved 2026-02-02) and has been offered SETTLE-ZG and
    RENT-36."""
    calendar_sync(year=2026)
    seed_policies()
    with time_machine.travel(at(2026, 2, 2, 10, 0), tick=False):
        card_holder(client_for(talent), client_for(admin_user))
    return talent


def confirm(ent, moment, account=ACCOUNT) -> Entitlement:
    with time_machine.travel(moment, tick=False):
        return entitlement_confirm(entitlement=ent, actor=ent.talent, **account)


def approve(ent, actor, moment) -> Entitlement:
    with time_machine.travel(moment, tick=False):
        return entitlement_approve(entitlement=ent, actor=actor)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def sweep(moment, prefix) -> list[tuple[str, str]]:
    """Run the one supervision sweep at ``moment``; the (kind, recipient) pairs it wrote whose
    kind starts with ``prefix``."""
    before = set(Notification.objects.values_list("pk", flat=True))
    with time_machine.travel(moment, tick=False):
        sla_sweep()
    new = Notification.objects.exclude(pk__in=before).filter(kind__startswith=prefix)
    return sorted(new.values_list("kind", "recipient__username"))


def review_sweep(moment):
    return sweep(moment, "entitlement_review_")


def payment_sweep(moment):
    return sweep(moment, "instalment_")


RSJ = ["rsj_lead", "rsj_staff"]
CZJ = ["czj_lead", "czj_staff"]
ADMINS = ["admin", "admin2"]


def to(kind: str, usernames: list[str]) -> list[tuple[str, str]]:
    return [(kind, name) for name in usernames]


# --- the review deadline --------------------------------------------------------------------
def test_ten_working_days_across_the_spring_festival(holder):
    """Confirmed Friday 02-13: 02-14 (make-up Saturday), 02-24, 25, 26, 27, 02-28 (make-up
    Saturday), 03-02, 03, 04, 05 → due at 24:00 of Thursday 03-05 (Monday–Friday counting
    would say 03-02); 督办 two working days later (03-06, 03-09)."""
    ent = confirm(entitlement_of(holder, "SETTLE-ZG"), at(2026, 2, 13, 16, 30))
    assert ent.status == "confirmed" and ent.policy.review_days == 10
    assert ent.review_due_at == at(2026, 3, 6, 0, 0)
    assert ent.review_escalate_at == at(2026, 3, 10, 0, 0)
    assert ent.next_notice_at == at(2026, 3, 5, 0, 0)  # the start of the due day
    assert ent.calendar_verified is True


def test_five_working_days_count_both_make_up_saturdays(holder):
    """RENT-36 (5 days) confirmed Friday 02-13: 02-14 (make-up), 02-24, 25, 26, 27 → end of
    02-27; 督办 after 02-28 (make-up Saturday) and 03-02."""
    ent = confirm(entitlement_of(holder, "RENT-36"), at(2026, 2, 13, 9, 0))
    assert ent.review_due_at == at(2026, 2, 28, 0, 0)
    assert ent.review_escalate_at == at(2026, 3, 3, 0, 0)


def test_the_national_day_holiday_moves_the_review_deadline(holder):
    """Confirmed Tuesday 09-29: 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12 → end of
    Monday 10-12 (Monday–Friday counting would say 10-06)."""
    ent = confirm(entitlement_of(holder, "RENT-36"), at(2026, 9, 29, 10, 0))
    assert ent.review_due_at == at(2026, 10, 13, 0, 0)
    # 督办: 10-13 and 10-14.
    assert ent.review_escalate_at == at(2026, 10, 15, 0, 0)


def test_a_year_without_a_calendar_counts_monday_to_friday_unverified(holder):
    """2028 has no calendar rows: the deadline still comes (Monday–Friday) but is marked
    unverified, for the dashboard's warning."""
    ent = confirm(entitlement_of(holder, "RENT-36"), at(2028, 3, 3, 10, 0))  # a Friday
    assert ent.review_due_at == at(2028, 3, 11, 0, 0)  # 03-06 … 03-10
    assert ent.calendar_verified is False


# --- the review sweep -----------------------------------------------------------------------
def test_the_review_sweep_sends_each_level_once_at_its_instant_to_the_right_people(holder, people):
    ent = confirm(entitlement_of(holder, "SETTLE-ZG"), at(2026, 2, 13, 10, 0))
    assert review_sweep(at(2026, 3, 4, 23, 59, 59)) == []
    # From the start of the due day, to the paying department's staff and leads (RSJ).
    assert review_sweep(at(2026, 3, 5, 0, 0)) == to("entitlement_review_due_soon", RSJ)
    assert review_sweep(at(2026, 3, 5, 0, 0)) == []  # a second sweep sends nothing
    assert review_sweep(at(2026, 3, 5, 23, 59, 59)) == []
    assert review_sweep(at(2026, 3, 6, 0, 0)) == to("entitlement_review_overdue", RSJ)
    assert review_sweep(at(2026, 3, 6, 0, 0)) == []
    assert review_sweep(at(2026, 3, 9, 23, 59, 59)) == []
    # 督办: the organization department's admins, not the desk.
    assert review_sweep(at(2026, 3, 10, 0, 0)) == to("entitlement_review_escalated", ADMINS)
    assert review_sweep(at(2026, 3, 10, 0, 0)) == []
    assert review_sweep(at(2026, 6, 1, 0, 0)) == []
    assert list(EntitlementNotice.objects.order_by("pk").values_list("level", "deadline")) == [
        ("due_soon", at(2026, 3, 6, 0, 0)),
        ("overdue", at(2026, 3, 6, 0, 0)),
        ("escalated", at(2026, 3, 6, 0, 0)),
    ]
    assert fresh(ent).next_notice_at is None  # nothing more to look at
    overdue = Notification.objects.get(
        kind="entitlement_review_overdue", recipient__username="rsj_staff"
    )
    assert overdue.link == f"/subsidies/desk/{ent.pk}/"
    assert "李*" in overdue.body and "李明" not in overdue.body
    escalated = Notification.objects.get(
        kind="entitlement_review_escalated", recipient=people["admin"]
    )
    assert escalated.link == f"/subsidies/{ent.pk}/"
    assert "督办" in escalated.title


def test_a_late_first_sweep_sends_only_the_levels_reached(holder, people):
    confirm(entitlement_of(holder, "SETTLE-ZG"), at(2026, 2, 13, 10, 0))
    # The worker was down until after the deadline: overdue (not a stale due_soon).
    assert review_sweep(at(2026, 3, 6, 8, 0)) == to("entitlement_review_overdue", RSJ)


def test_the_review_clock_stops_at_the_approval(holder, people):
    ent = confirm(entitlement_of(holder, "SETTLE-ZG"), at(2026, 2, 13, 10, 0))
    assert review_sweep(at(2026, 3, 5, 8, 0)) == to("entitlement_review_due_soon", RSJ)
    ent = approve(ent, people["rsj_staff"], at(2026, 3, 5, 23, 59, 59))
    assert ent.reviewed_on_time is True
    assert (ent.review_due_at, ent.review_escalate_at, ent.next_notice_at) == (None, None, None)
    assert review_sweep(at(2026, 3, 6, 0, 0)) == []
    assert review_sweep(at(2026, 3, 20, 0, 0)) == []


def test_an_approval_at_the_deadline_is_late(holder, people):
    ent = confirm(entitlement_of(holder, "SETTLE-ZG"), at(2026, 2, 13, 10, 0))
    assert approve(ent, people["rsj_lead"], at(2026, 3, 6, 0, 0)).reviewed_on_time is False


def test_a_return_stops_the_clock_and_the_next_confirmation_starts_a_new_one(holder, people):
    ent = confirm(entitlement_of(holder, "RENT-36"), at(2026, 3, 2, 10, 0))  # due end of 03-09
    assert ent.review_due_at == at(2026, 3, 10, 0, 0)
    assert review_sweep(at(2026, 3, 9, 0, 0)) == to("entitlement_review_due_soon", CZJ)
    with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):
        ent = entitlement_return(
            entitlement=ent, actor=people["czj_staff"], items=["开户银行填写不完整"]
        )
    assert ent.next_notice_at is None and ent.reviewed_on_time is True
    assert review_sweep(at(2026, 3, 10, 0, 0)) == []  # no overdue for the returned one
    ent = confirm(ent, at(2026, 3, 11, 10, 0))  # 03-12, 13, 16, 17, 18
    assert ent.review_due_at == at(2026, 3, 19, 0, 0)
    assert review_sweep(at(2026, 3, 17, 23, 59, 59)) == []
    # A new deadline, so a new due_soon (each level is once per deadline).
    assert review_sweep(at(2026, 3, 18, 0, 0)) == to("entitlement_review_due_soon", CZJ)
    assert EntitlementNotice.objects.filter(level="due_soon").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_level_once(criteria, departments, talent, admin_user,
                                                 client_for):  # fmt: skip
    calendar_sync(year=2026)
    seed_policies()
    UserFactory(username="rsj_staff", role=Role.STAFF, department=departments["RSJ"])
    with time_machine.travel(at(2026, 2, 2, 10, 0), tick=False):
        card_holder(client_for(talent), client_for(admin_user))
    confirm(entitlement_of(talent, "SETTLE-ZG"), at(2026, 2, 13, 10, 0))
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(sla_sweep(now=at(2026, 3, 11, 0, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 2  # overdue to rsj_staff, escalated to the admin: once each
    assert sorted(EntitlementNotice.objects.values_list("level", flat=True)) == [
        "escalated",
        "overdue",
    ]
    kinds = Notification.objects.filter(kind__startswith="entitlement_review_")
    assert sorted(kinds.values_list("kind", "recipient__username")) == [
        ("entitlement_review_escalated", "admin"),
        ("entitlement_review_overdue", "rsj_staff"),
    ]


# --- the payment clock ----------------------------------------------------------------------
@pytest.fixture
def paying(holder, people):
    """RENT-36 confirmed Friday 08-28 and approved Tuesday 09-01: the first instalment is
    dated 10-01 (National Day), the second 11-01 (a Sunday)."""
    ent = confirm(entitlement_of(holder, "RENT-36"), at(2026, 8, 28, 10, 0))
    return approve(ent, people["czj_staff"], at(2026, 9, 1, 10, 0))


def instalment(ent, n) -> Instalment:
    return Instalment.objects.get(entitlement=ent, n=n)


def test_a_due_date_on_a_holiday_moves_to_the_next_working_day(paying):
    first, second = instalment(paying, 1), instalment(paying, 2)
    assert first.status == "scheduled"
    assert first.due_on == date(2026, 10, 8)  # 10-01 … 10-07 are the National Day holiday
    assert first.due_at == at(2026, 10, 9, 0, 0)
    assert first.escalate_at == at(2026, 10, 11, 0, 0)  # 10-09 and 10-10 (make-up Saturday)
    assert second.due_on == date(2026, 11, 2)  # Sunday 11-01 → Monday
    assert instalment(paying, 36).due_on == date(2029, 9, 3)  # 2029-09-01 is a Saturday
    assert Instalment.objects.filter(entitlement=paying).count() == 36
    assert clocks.payable_day(date(2026, 2, 14)) == (date(2026, 2, 14), True)  # make-up day


def test_an_instalment_falls_due_on_its_day_with_an_event(paying, people):
    first = instalment(paying, 1)
    assert payment_sweep(at(2026, 10, 7, 23, 59, 59)) == []
    assert fresh(first).status == "scheduled"
    # The start of the due day: due, and the desk is reminded it is the last day.
    assert payment_sweep(at(2026, 10, 8, 0, 0)) == to("instalment_due_soon", CZJ)
    assert fresh(first).status == "due"
    assert instalment(paying, 2).status == "scheduled"
    event = EntitlementEvent.objects.get(instalment=first, action=Step.DUE)
    assert (event.from_status, event.to_status, event.at) == ("scheduled", "due", at(2026, 10, 8))
    assert payment_sweep(at(2026, 10, 8, 0, 0)) == []
    assert EntitlementEvent.objects.filter(instalment=first, action=Step.DUE).count() == 1


def test_an_unpaid_instalment_is_overdue_then_escalated_once_each(paying, people):
    first = instalment(paying, 1)
    payment_sweep(at(2026, 10, 8, 9, 0))
    assert payment_sweep(at(2026, 10, 8, 23, 59, 59)) == []
    assert payment_sweep(at(2026, 10, 9, 0, 0)) == to("instalment_overdue", CZJ)
    assert payment_sweep(at(2026, 10, 9, 0, 0)) == []
    assert payment_sweep(at(2026, 10, 10, 23, 59, 59)) == []
    assert payment_sweep(at(2026, 10, 11, 0, 0)) == to("instalment_escalated", ADMINS)
    assert payment_sweep(at(2026, 10, 20, 0, 0)) == []
    levels = (
        InstalmentNotice.objects.filter(instalment=first)
        .order_by("pk")
        .values_list("level", flat=True)
    )
    assert list(levels) == [
        "due_soon",
        "overdue",
        "escalated",
    ]  # fmt: skip
    notice = Notification.objects.get(kind="instalment_overdue", recipient__username="czj_lead")
    assert notice.link == f"/subsidies/desk/{paying.pk}/"
    assert "1,000.00" in notice.body and "李*" in notice.body and "李明" not in notice.body


def test_a_paid_instalment_is_no_longer_supervised(paying, people):
    first = instalment(paying, 1)
    payment_sweep(at(2026, 10, 8, 9, 0))
    with time_machine.travel(at(2026, 10, 8, 15, 0), tick=False):
        instalment_pay(instalment=first, actor=people["czj_staff"], voucher="PZ-2026-0001")
    first = fresh(first)
    assert first.paid_on_time is True and first.next_notice_at is None
    assert payment_sweep(at(2026, 10, 9, 0, 0)) == []
    assert payment_sweep(at(2026, 10, 12, 0, 0)) == []
    assert not InstalmentNotice.objects.filter(instalment=first, level="overdue").exists()


def test_a_failed_instalment_stops_its_clock_until_the_account_is_corrected(paying, people):
    first = instalment(paying, 1)
    payment_sweep(at(2026, 10, 8, 9, 0))
    with time_machine.travel(at(2026, 10, 8, 15, 0), tick=False):
        instalment_fail(instalment=first, actor=people["czj_staff"], reason="户名与账号不符")
    first = fresh(first)
    assert first.status == "failed"
    assert (first.due_at, first.escalate_at, first.next_notice_at) == (None, None, None)
    assert payment_sweep(at(2026, 10, 9, 0, 0)) == []
    assert payment_sweep(at(2026, 10, 20, 0, 0)) == []
    # The talent corrects the account on Monday 10-19: due again 5 working days later
    # (10-20 … 10-26), on the same clock and the same levels.
    confirm(paying, at(2026, 10, 19, 10, 0), {**ACCOUNT, "account_number": "6217000011112222333"})
    first = fresh(first)
    assert first.status == "due"
    assert first.due_on == date(2026, 10, 26) and first.due_at == at(2026, 10, 27, 0, 0)
    assert EntitlementEvent.objects.filter(instalment=first, action=Step.REPAY).count() == 1
    assert payment_sweep(at(2026, 10, 25, 23, 59, 59)) == []
    assert payment_sweep(at(2026, 10, 26, 0, 0)) == to("instalment_due_soon", CZJ)
    assert payment_sweep(at(2026, 10, 27, 0, 0)) == to("instalment_overdue", CZJ)
    # A new deadline: its own notices beside the first deadline's.
    deadlines = InstalmentNotice.objects.filter(instalment=first).values_list("deadline", flat=True)
    assert sorted(set(deadlines)) == [at(2026, 10, 9, 0, 0), at(2026, 10, 27, 0, 0)]


# --- a bad row ------------------------------------------------------------------------------
def test_a_bad_entitlement_does_not_stop_the_others(holder, other_talent, admin_user, people,
                                                    client_for, monkeypatch, caplog):  # fmt: skip
    with time_machine.travel(at(2026, 2, 2, 10, 0), tick=False):
        card_holder(client_for(other_talent), client_for(admin_user))
    bad = confirm(entitlement_of(holder, "RENT-36"), at(2026, 3, 2, 10, 0))
    good = confirm(
        entitlement_of(other_talent, "RENT-36"),
        at(2026, 3, 2, 10, 0),
        {**ACCOUNT, "account_name": "王五"},
    )
    real = supervision.mask_name

    def poisoned(name):
        if name == "李明":
            raise RuntimeError("poisoned row")
        return real(name)

    monkeypatch.setattr(supervision, "mask_name", poisoned)
    caplog.set_level(logging.ERROR)
    with time_machine.travel(at(2026, 3, 9, 0, 0), tick=False):  # due end of 03-09
        tally = sla_sweep_tally()
    assert tally.failed == 1 and tally.sent == 2
    told = Notification.objects.filter(kind="entitlement_review_due_soon")
    assert (
        sorted(told.values_list("body", flat=True))
        == [
            f"人才：王*；兑现部门：{good.department.name}；审核期限：2026-03-09 24:00。",
        ]
        * 2
    )
    assert not EntitlementNotice.objects.filter(entitlement=bad).exists()
    assert any(f"待遇 #{bad.pk}" in r.getMessage() for r in caplog.records)
    # The bad row is looked at again later (an hour on) and then told.
    monkeypatch.setattr(supervision, "mask_name", real)
    assert review_sweep(at(2026, 3, 9, 0, 59, 59)) == []
    assert review_sweep(at(2026, 3, 9, 1, 0)) == to("entitlement_review_due_soon", CZJ)
    assert EntitlementNotice.objects.filter(entitlement=bad, level="due_soon").exists()
