"""SLA clocks at exact instants, with the State Council's 2026 arrangements as test data."""

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction

from portal.errors import InvalidTransition
from services.calendar import calendar_set_day, calendar_sync
from services.clocks import sla
from services.filing import request_file
from services.models import DepartmentStint, ServiceRequest
from services.seed import seed_service_types
from services.workdays import working_days_between
from services.workflow import (
    request_accept,
    request_ask_info,
    request_resolve,
    request_supply_info,
    request_transfer,
)
from tests.recompute_support import run_recomputes
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
GOV = {"matter": "营业执照变更", "category": "企业开办", "details": "帮办代办"}


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def world(departments):
    seed_service_types()
    for year in (2025, 2026):
        calendar_sync(year=year)


@pytest.fixture
def card(talent):
    return give_card(talent)


def file_gov(talent):
    """政务服务代办: accept in 1 working day, resolve in 5 (ZWJ)."""
    return request_file(talent=talent, service_type="GOV_AGENT", fields=dict(GOV))


@pytest.fixture
def zwj(departments):
    from tests.factories import UserFactory

    return UserFactory(username="zwj", role="staff", department=departments["ZWJ"])


def fresh(req):
    return ServiceRequest.objects.get(pk=req.pk)


def test_accepting_at_23_59_59_on_the_due_day_is_on_time(talent, card, handler):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False) as clock:
        early, late = file_housing(talent), file_housing(talent)
        assert early.accept_due_at == at(2026, 2, 28, 0, 0)  # end of Friday 02-27
        clock.move_to(at(2026, 2, 27, 23, 59, 59))
        assert request_accept(req=early, actor=handler).accepted_on_time is True
        assert sla(fresh(late), at(2026, 2, 27, 23, 59, 59))["overdue"] is False
        clock.move_to(at(2026, 2, 28, 0, 0, 0))
        assert sla(fresh(late), at(2026, 2, 28, 0, 0, 0))["overdue"] is True
        assert request_accept(req=late, actor=handler).accepted_on_time is False


def test_escalation_comes_two_working_days_after_the_deadline(talent, card):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        req = file_housing(talent)
    # Due end of 02-27; two working days later: 02-28 (make-up Saturday) and 03-02.
    assert req.escalate_at == at(2026, 3, 3, 0, 0)
    assert sla(req, at(2026, 3, 2, 23, 59, 59))["escalated"] is False
    assert sla(req, at(2026, 3, 3, 0, 0))["escalated"] is True


def test_the_design_example_resolve_clock_over_spring_festival(talent, card, zwj):
    with time_machine.travel(at(2026, 2, 13, 9, 0), tick=False) as clock:
        req = file_gov(talent)
        clock.move_to(at(2026, 2, 13, 16, 0))
        req = request_accept(req=req, actor=zwj)
    # Friday 02-13 + 5: 02-14 (make-up Sat), 02-24, 02-25, 02-26, 02-27 → end of 02-27.
    assert req.resolve_due_at == at(2026, 2, 28, 0, 0)
    assert req.resolve_due_at.isoformat() == "2026-02-28T00:00:00+08:00"
    with time_machine.travel(at(2026, 2, 27, 23, 59, 59), tick=False):
        assert request_resolve(req=req, actor=zwj, note="已办结").resolved_on_time is True


def test_resolving_at_midnight_after_the_due_day_is_late(talent, card, zwj):
    with time_machine.travel(at(2026, 2, 13, 16, 0), tick=False) as clock:
        req = request_accept(req=file_gov(talent), actor=zwj)
        clock.move_to(at(2026, 2, 28, 0, 0, 0))
        assert request_resolve(req=req, actor=zwj, note="已办结").resolved_on_time is False


@pytest.mark.parametrize(
    ("paused", "resumed", "k", "due"),
    [
        # accepted Mon 03-02 → due end of Mon 03-09 without pauses
        (at(2026, 3, 3, 10, 0), at(2026, 3, 5, 15, 0), 2, at(2026, 3, 12, 0, 0)),  # Wed, Thu
        (at(2026, 3, 3, 9, 0), at(2026, 3, 3, 17, 0), 0, at(2026, 3, 10, 0, 0)),  # same day
        (at(2026, 3, 6, 9, 0), at(2026, 3, 9, 9, 0), 1, at(2026, 3, 11, 0, 0)),  # Fri → Mon
    ],
)
def test_a_pause_moves_the_deadline_by_the_working_days_it_lasted(
    talent, card, zwj, paused, resumed, k, due
):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as clock:
        req = request_accept(req=file_gov(talent), actor=zwj)
        assert req.resolve_due_at == at(2026, 3, 10, 0, 0)
        clock.move_to(paused)
        req = request_ask_info(req=req, actor=zwj, items=["补充材料"])
        state = sla(req, paused)
        assert state["paused"] is True and req.due_at is None
        # While paused nothing runs: not overdue even after the old deadline.
        assert sla(req, at(2026, 3, 30, 0, 0))["overdue"] is False
        clock.move_to(resumed)
        req = request_supply_info(req=req, actor=talent, note="已补充材料")
    assert req.resolve_due_at == due == req.due_at
    assert req.pauses.get().ended_at == resumed
    assert working_days_between(paused.date(), resumed.date()) == (k, True)


def test_a_pause_over_the_spring_festival_counts_only_working_days(talent, card, zwj):
    with time_machine.travel(at(2026, 2, 12, 9, 0), tick=False) as clock:
        req = request_accept(req=file_gov(talent), actor=zwj)
        # Thursday 02-12 + 5: 02-13, 02-14 (make-up Saturday), 02-24, 02-25, 02-26.
        assert req.resolve_due_at == at(2026, 2, 27, 0, 0)
        clock.move_to(at(2026, 2, 13, 10, 0))
        req = request_ask_info(req=req, actor=zwj, items=["补充材料"])
        clock.move_to(at(2026, 2, 24, 10, 0))
        req = request_supply_info(req=req, actor=talent, note="已补充材料")
    # k = working days after 02-13 up to 02-24: 02-14 (make-up Saturday) and 02-24 = 2,
    # so end of 02-26 moves two working days: 02-27, 02-28 (make-up Saturday).
    assert req.resolve_due_at == at(2026, 3, 1, 0, 0)


def test_a_calendar_correction_moves_open_deadlines(talent, card, admin_user):
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):
        req = file_housing(talent)
        assert req.accept_due_at == at(2026, 3, 6, 0, 0)  # end of Thursday 03-05
        calendar_set_day(
            day=at(2026, 3, 5, 0, 0).date(), is_workday=False, note="停工", actor=admin_user
        )
    # The change answers at once; the deadlines follow when the background task has run.
    assert fresh(req).accept_due_at == at(2026, 3, 6, 0, 0)
    run_recomputes()
    assert fresh(req).accept_due_at == at(2026, 3, 7, 0, 0)  # end of Friday 03-06


def test_deadlines_in_a_year_without_data_are_unverified(talent, card, handler):
    with time_machine.travel(at(2026, 12, 21, 10, 0), tick=False):
        req = request_accept(req=file_housing(talent), actor=handler)
    assert req.calendar_verified is False
    assert sla(req, at(2026, 12, 22, 0, 0))["calendar_verified"] is False


def test_a_transfer_restarts_the_accept_clock_but_not_the_promise(
    talent, card, handler, other_handler
):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as clock:
        req = file_housing(talent)
        promised = req.promised_due_at
        clock.move_to(at(2026, 3, 4, 15, 0))
        req = request_transfer(req=req, actor=handler, department="JYJ", reason="应由教育部门办理")
        clock.move_to(at(2026, 3, 5, 9, 0))
        req = request_accept(req=req, actor=other_handler)
    assert req.department.code == "JYJ" and req.accept_due_at == at(2026, 3, 6, 0, 0)
    assert req.promised_due_at == promised
    stints = list(
        DepartmentStint.objects.filter(request=req).values_list(
            "department__code", "entered_at", "left_at", "accepted_on_time"
        )
    )
    assert stints == [
        ("ZJJ", at(2026, 3, 2, 9, 0), at(2026, 3, 4, 15, 0), False),  # held past its deadline
        ("JYJ", at(2026, 3, 4, 15, 0), None, True),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_handlers_accepting_at_once_exactly_one_wins(talent, card, handler, lead):
    req = file_housing(talent)
    barrier = threading.Barrier(2)
    outcomes = {}

    def accept(user):
        try:
            barrier.wait()
            request_accept(req=req, actor=user)
            outcomes[user.username] = "won"
        except InvalidTransition as exc:
            outcomes[user.username] = f"409 ({exc.status})"
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (handler, lead)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["409 (accepted)", "won"]
    winner = fresh(req).assignee.username
    assert outcomes[winner] == "won"
    assert fresh(req).events.filter(action="accepted").count() == 1


# --- row locks, with the interleaving forced ----------------------------------------------------
# A thread takes the request's row (a transition in an open transaction) and holds it until told;
# the other party runs meanwhile. The main thread waits until PostgreSQL reports that party as
# waiting for a lock, then lets the first commit. With its FOR UPDATE the second party reads the
# committed row once it may; without it, it reads the stale row at once and whatever it writes
# after the first commits is wrong: the outcomes asserted below differ (checked by removing the
# select_for_update in services.workflow._lock and services.clocks.recompute_batches).
def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def lock_wait(pid: int) -> str | None:
    """The statement backend ``pid`` is blocked in, waiting for a lock (None if it is not)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type, query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[1] if row and row[0] == "Lock" else None


class Holding(threading.Thread):
    """Run ``work`` in a transaction and keep it open (its row locks held) until ``release``."""

    def __init__(self, work):
        super().__init__()
        self.work, self.error = work, None
        self.held, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                self.work()
                self.held.set()
                assert self.release.wait(60), "never released"
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()


class Meanwhile(threading.Thread):
    """Run ``work`` on a connection of its own, remembering its backend pid and outcome."""

    def __init__(self, work):
        super().__init__()
        self.work, self.pid, self.result, self.error = work, None, None, None

    def run(self):
        try:
            self.pid = backend_pid()
            self.result = self.work()
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()


def interleave(first, second, *, timeout=30.0):
    """``first`` takes the row and holds it; ``second`` runs and must block on a lock; then
    ``first`` commits and ``second`` finishes. Returns ``second``'s thread (result, error)."""
    holder = Holding(first)
    holder.start()
    try:
        assert holder.held.wait(timeout), (
            f"the first transaction never took the row: {holder.error!r}"
        )
        other = Meanwhile(second)
        other.start()
        deadline, blocked = time.monotonic() + timeout, None
        while time.monotonic() < deadline and other.is_alive():
            blocked = other.pid and lock_wait(other.pid)
            if blocked:
                break
            time.sleep(0.05)
        assert blocked, (
            "the second party did not wait for the row the first holds "
            f"(finished: {not other.is_alive()}, outcome {other.result!r}, {other.error!r})"
        )
    finally:
        holder.release.set()
        holder.join(timeout)
    other.join(timeout)
    assert not other.is_alive(), "the second party was still blocked after the first committed"
    assert holder.error is None, holder.error
    return other


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_accept_waits_for_the_first_and_then_finds_it_accepted(
    talent, card, handler, lead
):
    req = file_housing(talent)
    second = interleave(
        lambda: request_accept(req=req, actor=handler),
        lambda: request_accept(req=req, actor=lead),
    )
    assert isinstance(second.error, InvalidTransition), second.error
    assert second.error.status == "accepted"
    req = fresh(req)
    assert req.assignee == handler and req.events.filter(action="accepted").count() == 1


def test_the_queue_query_count_does_not_grow(
    client_for, talent, card, handler, django_assert_max_num_queries
):
    client = client_for(handler)
    file_housing(talent)
    with django_assert_max_num_queries(15) as few:
        client.get("/api/v1/service-requests/?ordering=due")
    baseline = len(few)
    for _ in range(15):
        file_housing(talent)
    with django_assert_max_num_queries(baseline):
        assert client.get("/api/v1/service-requests/?ordering=due").json()["count"] == 16


def test_ordering_by_due_puts_the_nearest_deadline_first(client_for, talent, card, handler):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as clock:
        a = file_housing(talent)
        clock.move_to(at(2026, 3, 3, 9, 0))
        b = file_housing(talent)
        request_accept(req=a, actor=handler)  # a's clock is now the 15-day resolve clock
    numbers = [
        r["number"]
        for r in client_for(handler).get("/api/v1/service-requests/?ordering=due").json()["results"]
    ]
    assert numbers == [b.number, a.number]


def test_a_request_paused_after_its_deadline_stays_overdue_and_supervised(talent, card, zwj):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as clock:
        req = request_accept(req=file_gov(talent), actor=zwj)  # due end of 03-09
        clock.move_to(at(2026, 3, 12, 9, 0))  # three working days late
        req = request_ask_info(req=req, actor=zwj, items=["补充材料"])
    # Asking for information does not hide a missed deadline.
    assert req.due_at == at(2026, 3, 10, 0, 0) and req.next_notice_at is not None
    state = sla(req, at(2026, 3, 13, 9, 0))
    assert state["paused"] is True and state["overdue"] is True and state["escalated"] is True
    with time_machine.travel(at(2026, 3, 16, 9, 0), tick=False):  # k = 03-13, 03-16 = 2
        req = request_supply_info(req=req, actor=talent, note="已补充材料")
    # The deadline moved by k, so the request is exactly as late as before the pause.
    assert req.resolve_due_at == at(2026, 3, 12, 0, 0) and req.due_at == req.resolve_due_at


def test_a_catalogue_change_does_not_move_running_deadlines(talent, card, handler, admin_user):
    from services.models import ServiceType

    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        req = request_accept(req=file_housing(talent), actor=handler)
    assert req.resolve_due_at == at(2026, 3, 24, 0, 0)
    ServiceType.objects.filter(code="HOUSING").update(promised_days=5)
    calendar_set_day(
        day=at(2026, 12, 30, 0, 0).date(), is_workday=False, note="x", actor=admin_user
    )
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        calendar_set_day(
            day=at(2026, 3, 20, 0, 0).date(), is_workday=True, note="x", actor=admin_user
        )
    # Recomputed (the calendar changed) with the limits the request was filed under: 15 days.
    run_recomputes()
    assert fresh(req).resolve_due_at == at(2026, 3, 24, 0, 0)
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        newer = file_housing(talent)
    assert newer.promised_days == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_calendar_change_never_overwrites_a_transition_committed_meanwhile(
    talent, card, handler, admin_user
):
    """The recompute locks each batch: a transition holding the row makes it wait, and it
    recomputes from the committed row (without the lock it wrote the stale row's deadlines
    over the transition's: no resolve deadline on an accepted request)."""
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        req = file_housing(talent)
        run_recomputes()  # the ones the calendar's loading left
        # Tuesday 03-10 becomes a day off; the deadlines follow when the recompute runs.
        calendar_set_day(day=date(2026, 3, 10), is_workday=False, note="停工", actor=admin_user)
        recompute = interleave(
            lambda: request_accept(req=req, actor=handler),
            run_recomputes,
        )
    assert recompute.error is None and recompute.result == 1, (recompute.result, recompute.error)
    req = fresh(req)
    assert req.status == "accepted"
    # 15 working days from Monday 03-02 without 03-10: end of Tuesday 03-24.
    assert req.resolve_due_at == at(2026, 3, 25, 0, 0) and req.due_at == req.resolve_due_at
