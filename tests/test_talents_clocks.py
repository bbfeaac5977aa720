"""The visit clock of 一对一联系服务 (talents.clocks) and its supervision in the one sweep
(talents.supervision through services.supervision.sla_sweep), at exact instants on the 2026
calendar as the State Council arranged it: Spring Festival off 02-15 to 02-23 with make-up
Saturdays 02-14 and 02-28; 中秋 09-25 and National Day 10-01 to 10-07 off with make-up days
Sunday 09-20 and Saturday 10-10.

The liaison of the fixture is assigned on Saturday 2026-08-29 with a visit every 30 days: the
visit falls due on Monday 09-28; the officer is reminded from 00:00 of the 5th working day
before it, counting 09-28 itself (09-28, 09-24, 09-23, 09-22, 09-21: 中秋 09-25 is off) → 09-21;
still missing 10 working days after it (09-29, 09-30, 10-08, 10-09, 10-10 make-up, 10-12 … 10-16)
it is escalated at 24:00 of 10-16 to the organization department's active admins.
"""

import datetime
import logging
import threading
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from cards.expiry import card_expire_due
from cards.issuance import card_reinstate, card_revoke, card_suspend
from cards.models import Card
from portal.models import Notification, Role
from portal.models.delivery import Channel
from services.calendar import calendar_set_day, calendar_sync
from services.models import CalendarRecompute
from services.recompute import recompute_run
from services.supervision import sla_sweep, sla_sweep_tally
from talents import supervision
from talents.clocks import liaison_derive, working_day_back
from talents.liaisons import liaison_assign
from talents.models import Liaison, LiaisonNotice
from talents.visits import visit_record
from tests.cards_support import approved
from tests.factories import UserFactory
from tests.recompute_support import run_recomputes

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


# --- the arithmetic -------------------------------------------------------------------------
@pytest.fixture
def calendar_2026(db):
    calendar_sync(year=2026)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # A Friday: the day itself counts (18, 17, 16, 15, 14).
        (date(2026, 12, 18), date(2026, 12, 14)),
        # A Saturday does not count: 18, 17, 16, 15, 14.
        (date(2026, 12, 19), date(2026, 12, 14)),
        # 中秋 Friday 09-25 is off: 28, 24, 23, 22, 21.
        (date(2026, 9, 28), date(2026, 9, 21)),
        # National Day 10-01 … 10-07 off, Saturday 10-10 a make-up working day:
        # 12, 10, 09, 08, then back over the holiday to Wednesday 09-30.
        (date(2026, 10, 12), date(2026, 9, 30)),
        # A make-up Saturday as the due day counts itself: 02-28, 27, 26, 25, 24.
        (date(2026, 2, 28), date(2026, 2, 24)),
        # Spring Festival 02-15 … 02-23 off, Saturday 02-14 worked: 24, 14, 13, 12, 11.
        (date(2026, 2, 24), date(2026, 2, 11)),
    ],
)
def test_working_day_back_on_the_2026_calendar(calendar_2026, day, expected):
    assert working_day_back(day, 5) == (expected, True)


def test_working_day_back_counts_one_as_the_day_itself_or_the_working_day_before(calendar_2026):
    assert working_day_back(date(2026, 10, 10), 1) == (date(2026, 10, 10), True)  # make-up day
    assert working_day_back(date(2026, 10, 7), 1) == (date(2026, 9, 30), True)  # holiday
    assert working_day_back(date(2026, 10, 11), 2) == (date(2026, 10, 9), True)


def test_a_year_without_a_calendar_counts_monday_to_friday_unverified(calendar_2026):
    # 2028 has no rows: Friday 2028-03-10 back 5 → Monday 03-06, unverified.
    assert working_day_back(date(2028, 3, 10), 5) == (date(2028, 3, 6), False)
    # Reaching back from 2027-01-04 into the loaded 2026 still counts an unloaded day.
    day, verified = working_day_back(date(2027, 1, 4), 5)
    assert day == date(2026, 12, 29) and verified is False


def derived(assigned_at, every, last_visit_on=None, now=None) -> Liaison:
    liaison = Liaison(assigned_at=assigned_at, visit_every_days=every, last_visit_on=last_visit_on)
    fields = liaison_derive(liaison, now or assigned_at)
    assert set(fields) == {
        "due_on", "remind_at", "escalate_at", "calendar_verified", "next_notice_at",
    }  # fmt: skip
    return liaison


def test_liaison_derive_across_mid_autumn_and_national_day(calendar_2026):
    liaison = derived(at(2026, 8, 29, 10, 0), 30)
    assert liaison.due_on == date(2026, 9, 28)
    assert liaison.remind_at == at(2026, 9, 21, 0, 0)
    assert liaison.escalate_at == at(2026, 10, 17, 0, 0)  # 24:00 of Friday 10-16
    assert liaison.calendar_verified is True
    assert liaison.next_notice_at == liaison.remind_at


def test_liaison_derive_counts_from_the_last_visit_and_the_shanghai_date(calendar_2026):
    # 2026-09-29 20:00 UTC is already 09-30 in Bazhong: due 12 days after 09-30.
    assigned = datetime.datetime(2026, 9, 29, 20, 0, tzinfo=datetime.UTC)
    liaison = derived(assigned, 12)
    assert liaison.due_on == date(2026, 10, 12)
    assert liaison.remind_at == at(2026, 9, 30, 0, 0)  # before the assignment …
    assert liaison.next_notice_at == assigned  # … so looked at at once
    # The last visit, not the assignment, starts the interval.
    visited = date(2026, 2, 10)
    liaison = derived(at(2026, 1, 5, 9, 0), 14, last_visit_on=visited, now=at(2026, 2, 10))
    assert liaison.due_on == date(2026, 2, 24)
    assert liaison.remind_at == at(2026, 2, 11, 0, 0)
    # 10 working days after 02-24: 25, 26, 27, 28 (make-up), 03-02 … 03-06, 03-09.
    assert liaison.escalate_at == at(2026, 3, 10, 0, 0)


def test_liaison_derive_an_escalation_in_an_unloaded_year_is_unverified(calendar_2026):
    liaison = derived(at(2026, 12, 4, 10, 0), 14)
    assert liaison.due_on == date(2026, 12, 18)
    assert liaison.remind_at == at(2026, 12, 14, 0, 0)
    # 12-21 … 12-25, 12-28 … 12-31, then 2027-01-01 (no row: counted as a Friday).
    assert liaison.escalate_at == at(2027, 1, 2, 0, 0)
    assert liaison.calendar_verified is False


# --- the sweep ------------------------------------------------------------------------------
@pytest.fixture
def people(departments, admin_user, handler):
    return {
        "officer": handler,  # ZJJ staff, named the officer
        "lead": UserFactory(username="zjj_lead", role=Role.LEAD, department=departments["ZJJ"]),
        "admin": admin_user,
        "admin2": UserFactory(username="admin2", role=Role.ADMIN, department=admin_user.department),
        "gone": UserFactory(
            username="gone_admin", role=Role.ADMIN, department=admin_user.department,
            is_active=False,
        ),
    }  # fmt: skip


CARD_APPROVED = at(2026, 8, 3, 10, 0)
ASSIGNED = at(2026, 8, 29, 10, 0)


def holder_card(person, admin_user, client_for, moment=CARD_APPROVED) -> Card:
    with time_machine.travel(moment, tick=False):
        approved(client_for(person), client_for(admin_user))
    return Card.objects.get(holder=person)


def assign(card, officer, admin, moment=ASSIGNED, every=30) -> Liaison:
    with time_machine.travel(moment, tick=False):
        liaison, created = liaison_assign(
            card=card,
            leader="区委副书记 张某",
            officer=officer.username,
            visit_every_days=every,
            actor=admin,
        )
    assert created
    return liaison


@pytest.fixture
def liaison(criteria, calendar_2026, people, talent, client_for) -> Liaison:
    card = holder_card(talent, people["admin"], client_for)
    return assign(card, people["officer"], people["admin"])


def sweep(moment) -> list[tuple[str, str]]:
    """Run the one supervision sweep at ``moment``; the visit notices it wrote."""
    before = set(Notification.objects.values_list("pk", flat=True))
    with time_machine.travel(moment, tick=False):
        sla_sweep()
    new = Notification.objects.exclude(pk__in=before).filter(kind__startswith="liaison_visit_")
    return sorted(new.values_list("kind", "recipient__username"))


def fresh(obj):
    obj.refresh_from_db()
    return obj


REMIND = [("liaison_visit_due", "handler")]
ESCALATED = [("liaison_visit_escalated", "admin"), ("liaison_visit_escalated", "admin2")]


def test_the_officer_is_reminded_at_the_instant_and_admins_escalated_once(liaison, people):
    assert (liaison.due_on, liaison.remind_at) == (date(2026, 9, 28), at(2026, 9, 21, 0, 0))
    assert sweep(at(2026, 9, 20, 23, 59, 59)) == []
    # From the start of the 5th working day before: the officer only (not the lead, no admin).
    assert sweep(at(2026, 9, 21, 0, 0)) == REMIND
    assert sweep(at(2026, 9, 21, 0, 0)) == []  # a second sweep sends nothing
    assert sweep(at(2026, 9, 29, 9, 0)) == []  # overdue, but not yet 10 working days
    assert fresh(liaison).next_notice_at == at(2026, 10, 17, 0, 0)
    assert sweep(at(2026, 10, 16, 23, 59, 59)) == []
    # 督办: every active admin, urgent; not the inactive one, not the officer.
    assert sweep(at(2026, 10, 17, 0, 0)) == ESCALATED
    assert sweep(at(2026, 10, 17, 0, 0)) == []
    assert sweep(at(2026, 12, 1, 0, 0)) == []
    assert fresh(liaison).next_notice_at is None
    assert list(LiaisonNotice.objects.order_by("pk").values_list("level", "due_on")) == [
        ("remind", date(2026, 9, 28)),
        ("escalated", date(2026, 9, 28)),
    ]
    number = liaison.card.number
    remind = Notification.objects.get(kind="liaison_visit_due")
    assert remind.title == f"请于 2026-09-28 前走访优才卡 {number} 持卡人李*"
    assert remind.link == f"/talents/liaisons/{number}/"
    escalated = Notification.objects.filter(kind="liaison_visit_escalated")
    assert all("李明" not in n.title + n.body and "李*" in n.title for n in escalated)
    # 督办 is urgent (an SMS besides the e-mail); the reminder is not.
    assert all(n.deliveries.filter(channel=Channel.SMS).exists() for n in escalated)
    assert not remind.deliveries.filter(channel=Channel.SMS).exists()


def test_a_late_first_sweep_sends_both_levels_reached(liaison, people):
    # The worker was down from before the reminder until after the escalation.
    assert sweep(at(2026, 10, 20, 8, 0)) == sorted(REMIND + ESCALATED)
    assert sweep(at(2026, 10, 20, 8, 0)) == []


def test_an_inactive_officer_is_not_reminded_but_the_notice_is_kept(liaison, people):
    people["officer"].is_active = False
    people["officer"].save(update_fields=["is_active"])
    assert sweep(at(2026, 9, 21, 8, 0)) == []
    assert LiaisonNotice.objects.filter(level="remind").count() == 1
    assert sweep(at(2026, 10, 17, 0, 0)) == ESCALATED


def test_a_visit_moves_the_due_day_and_starts_a_new_reminder_cycle(liaison, people):
    assert sweep(at(2026, 9, 21, 0, 0)) == REMIND
    with time_machine.travel(at(2026, 9, 22, 15, 0), tick=False):
        visit_record(
            liaison=liaison,
            actor=people["officer"],
            visited_on="2026-09-22",
            mode="in_person",
            summary="走访了解工作生活情况",
        )
    liaison = fresh(liaison)
    # Due 30 days after the visit: Thursday 10-22; reminded from 10-16 (22, 21, 20, 19, 16);
    # escalated after 10-23, 10-26 … 10-30, 11-02 … 11-05.
    assert liaison.last_visit_on == date(2026, 9, 22)
    assert liaison.due_on == date(2026, 10, 22)
    assert liaison.remind_at == at(2026, 10, 16, 0, 0)
    assert liaison.escalate_at == at(2026, 11, 6, 0, 0)
    assert liaison.next_notice_at == at(2026, 10, 16, 0, 0)
    assert sweep(at(2026, 10, 15, 23, 59, 59)) == []
    assert sweep(at(2026, 10, 16, 0, 0)) == REMIND  # a new due day, a new reminder
    # The old due day's escalation instant (10-17) escalates nothing any more.
    assert sweep(at(2026, 10, 17, 0, 0)) == []
    assert sweep(at(2026, 11, 6, 0, 0)) == ESCALATED
    assert sorted(LiaisonNotice.objects.values_list("level", "due_on")) == [
        ("escalated", date(2026, 10, 22)),
        ("remind", date(2026, 9, 28)),
        ("remind", date(2026, 10, 22)),
    ]


def test_an_earlier_visit_recorded_late_does_not_move_the_clock_back(liaison, people):
    for day in ("2026-09-22", "2026-09-10"):
        with time_machine.travel(at(2026, 9, 23, 9, 0), tick=False):
            visit_record(
                liaison=liaison, actor=people["officer"], visited_on=day, mode="phone",
                summary="电话联系",
            )  # fmt: skip
    liaison = fresh(liaison)
    assert liaison.last_visit_on == date(2026, 9, 22) and liaison.due_on == date(2026, 10, 22)


def test_a_revoked_card_stops_supervision(liaison, people):
    with time_machine.travel(at(2026, 9, 10, 9, 0), tick=False):
        card_revoke(card=liaison.card, actor=people["admin"], reason="已调离巴州区")
    assert fresh(liaison).next_notice_at is None
    assert sweep(at(2026, 9, 21, 0, 0)) == []
    assert sweep(at(2026, 10, 17, 0, 0)) == []
    # Even were it looked at (a listener that failed), a revoked card's liaison is dropped.
    Liaison.objects.filter(pk=liaison.pk).update(next_notice_at=at(2026, 10, 17))
    assert sweep(at(2026, 10, 18, 0, 0)) == []
    assert fresh(liaison).next_notice_at is None
    assert not LiaisonNotice.objects.exists()


def test_an_expired_card_stops_supervision(liaison, people):
    Card.objects.filter(pk=liaison.card_id).update(valid_until=date(2026, 9, 15))
    with time_machine.travel(at(2026, 9, 16, 1, 0), tick=False):
        assert card_expire_due() == 1
    assert fresh(liaison).next_notice_at is None
    assert sweep(at(2026, 10, 17, 0, 0)) == []


def test_a_suspended_card_is_still_supervised_and_a_reinstatement_restarts_a_cleared_clock(
    liaison, people
):
    # Suspended is still a live card (cards.models.cards.LIVE_STATUSES): the clock runs on.
    with time_machine.travel(at(2026, 9, 10, 9, 0), tick=False):
        card_suspend(card=liaison.card, actor=people["admin"], reason="核查中")
    assert fresh(liaison).next_notice_at == at(2026, 9, 21, 0, 0)
    assert sweep(at(2026, 9, 21, 0, 0)) == REMIND
    assert sweep(at(2026, 10, 17, 0, 0)) == ESCALATED
    assert fresh(liaison).next_notice_at is None  # nothing more to send
    # A reinstatement looks at the clock again at once, and sends nothing twice.
    with time_machine.travel(at(2026, 10, 20, 9, 0), tick=False):
        card_reinstate(card=fresh(liaison).card, actor=people["admin"])
    assert fresh(liaison).next_notice_at == at(2026, 10, 20, 9, 0)
    assert sweep(at(2026, 10, 20, 9, 0)) == []
    assert LiaisonNotice.objects.count() == 2


def test_a_bad_liaison_does_not_stop_the_others(liaison, people, other_talent, client_for,
                                                monkeypatch, caplog):  # fmt: skip
    other = holder_card(other_talent, people["admin"], client_for)
    good = assign(other, people["officer"], people["admin"])
    real = supervision.mask_name

    def poisoned(name):
        if name == "李明":
            raise RuntimeError("poisoned row")
        return real(name)

    monkeypatch.setattr(supervision, "mask_name", poisoned)
    caplog.set_level(logging.ERROR)
    with time_machine.travel(at(2026, 9, 21, 0, 0), tick=False):
        tally = sla_sweep_tally()
    assert tally.failed == 1 and tally.sent == 1
    told = Notification.objects.filter(kind="liaison_visit_due")
    assert list(told.values_list("title", flat=True)) == [
        f"请于 2026-09-28 前走访优才卡 {good.card.number} 持卡人王*"
    ]
    assert not LiaisonNotice.objects.filter(liaison=liaison).exists()
    assert fresh(liaison).next_notice_at == at(2026, 9, 21, 1, 0)  # again in an hour
    assert any(f"联系服务 {liaison.card.number}" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(supervision, "mask_name", real)
    assert sweep(at(2026, 9, 21, 0, 59, 59)) == []
    assert sweep(at(2026, 9, 21, 1, 0)) == REMIND
    assert LiaisonNotice.objects.filter(liaison=liaison, level="remind").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_level_once(criteria, departments, talent, admin_user,
                                                 handler, client_for):  # fmt: skip
    calendar_sync(year=2026)
    card = holder_card(talent, admin_user, client_for)
    assign(card, handler, admin_user)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(sla_sweep(now=at(2026, 10, 20, 0, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 2  # the reminder to the officer, the escalation to the one admin
    assert sorted(LiaisonNotice.objects.values_list("level", flat=True)) == ["escalated", "remind"]
    kinds = Notification.objects.filter(kind__startswith="liaison_visit_")
    assert sorted(kinds.values_list("kind", "recipient__username")) == [
        ("liaison_visit_due", "handler"),
        ("liaison_visit_escalated", "admin"),
    ]


# --- a calendar correction ------------------------------------------------------------------
def close(day: date, admin_user) -> str:
    calendar_set_day(day=day, is_workday=False, note="临时停工", actor=admin_user)
    return recompute_run(CalendarRecompute.objects.latest("pk").pk, seconds=None)


def test_a_day_closed_after_the_due_day_moves_the_escalation(liaison, people):
    run_recomputes()
    with time_machine.travel(at(2026, 9, 1, 9, 0), tick=False):
        assert close(date(2026, 10, 12), people["admin"]) == "done"
    liaison = fresh(liaison)
    # 09-29, 09-30, 10-08, 10-09, 10-10, 10-13 … 10-16, 10-19.
    assert liaison.escalate_at == at(2026, 10, 20, 0, 0)
    assert liaison.remind_at == at(2026, 9, 21, 0, 0)  # before the change: unmoved
    assert liaison.next_notice_at == at(2026, 9, 21, 0, 0)
    job = CalendarRecompute.objects.latest("pk")
    assert job.moved >= 1 and job.failed_rows == 0
    assert sweep(at(2026, 10, 17, 0, 0)) == REMIND  # the reminder only (late sweep)
    assert sweep(at(2026, 10, 20, 0, 0)) == ESCALATED


def test_a_day_closed_before_the_due_day_moves_the_reminder(liaison, people):
    run_recomputes()
    with time_machine.travel(at(2026, 9, 1, 9, 0), tick=False):
        assert close(date(2026, 9, 24), people["admin"]) == "done"
    liaison = fresh(liaison)
    # 09-28, 09-23, 09-22, 09-21, then Sunday 09-20 (a make-up working day).
    assert liaison.remind_at == at(2026, 9, 20, 0, 0)
    assert liaison.next_notice_at == at(2026, 9, 20, 0, 0)
    assert sweep(at(2026, 9, 19, 23, 59, 59)) == []
    assert sweep(at(2026, 9, 20, 0, 0)) == REMIND


def test_a_liaison_not_supervised_is_left_alone_by_the_recompute(liaison, people):
    run_recomputes()
    with time_machine.travel(at(2026, 9, 10, 9, 0), tick=False):
        card_revoke(card=liaison.card, actor=people["admin"], reason="已调离巴州区")
        assert close(date(2026, 9, 24), people["admin"]) == "done"
    liaison = fresh(liaison)
    assert liaison.next_notice_at is None
    assert liaison.remind_at == at(2026, 9, 21, 0, 0)


def test_a_second_holder_escalation_goes_to_admins_added_since(liaison, people):
    """Recipients are read at the sweep, not at the assignment."""
    late = UserFactory(username="admin3", role=Role.ADMIN, department=people["admin"].department)
    assert late.is_active
    sweep(at(2026, 9, 21, 0, 0))
    assert sweep(at(2026, 10, 17, 0, 0)) == sorted(
        [*ESCALATED, ("liaison_visit_escalated", "admin3")]
    )


def test_an_officer_named_during_the_cycle_is_reminded_too(liaison, people, departments):
    assert sweep(at(2026, 9, 21, 8, 0)) == REMIND
    newcomer = UserFactory(username="newcomer", role=Role.STAFF, department=departments["ZJJ"])
    with time_machine.travel(at(2026, 9, 22, 9, 0), tick=False):
        liaison_assign(
            card=liaison.card,
            leader="区委副书记 张某",
            officer=newcomer.username,
            visit_every_days=30,
            actor=people["admin"],
        )
    # Still the same due day: the new officer is reminded at the next sweep, once.
    assert fresh(liaison).due_on == date(2026, 9, 28)
    assert sweep(at(2026, 9, 22, 9, 5)) == [("liaison_visit_due", "newcomer")]
    assert sweep(at(2026, 9, 22, 9, 10)) == []
    # The escalation is still sent once, to the admins.
    assert sweep(at(2026, 10, 17, 0, 0)) == ESCALATED
