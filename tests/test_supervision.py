"""The supervision sweep at exact instants (issue 5, point 7), on the 2026 calendar."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from portal.models import Notification
from services.calendar import calendar_sync
from services.models import SlaNotice
from services.seed import seed_service_types
from services.supervision import sla_sweep
from services.workflow import request_accept, request_ask_info, request_assign, request_supply_info
from tests.recompute_support import run_recomputes
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def world(departments, talent, handler, lead, admin_user):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)


def sweep(moment) -> list[tuple[str, str]]:
    """Run a sweep at ``moment``; return the (kind, recipient) pairs it wrote, sorted."""
    before = set(Notification.objects.values_list("pk", flat=True))
    with time_machine.travel(moment, tick=False):
        sla_sweep()
    new = Notification.objects.exclude(pk__in=before).filter(kind__startswith="sla_")
    return sorted(new.values_list("kind", "recipient__username"))


def test_the_levels_fire_at_their_instants_once_each(talent):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        req = file_housing(talent)  # accept clock: due at the end of Friday 02-27
    assert sweep(at(2026, 2, 26, 23, 59, 59)) == []
    # From the start of the due day; nobody is assigned, so the whole department is told.
    assert sweep(at(2026, 2, 27, 0, 0)) == [("sla_due_soon", "handler"), ("sla_due_soon", "lead")]
    assert sweep(at(2026, 2, 27, 0, 0)) == []  # a second sweep sends nothing
    assert sweep(at(2026, 2, 27, 23, 59, 59)) == []
    assert sweep(at(2026, 2, 28, 0, 0)) == [("sla_overdue", "lead")]  # assignee none: the leads
    # Two working days after the deadline: 02-28 (make-up Saturday) and 03-02.
    assert sweep(at(2026, 3, 2, 23, 59, 59)) == []
    assert sweep(at(2026, 3, 3, 0, 0)) == [("sla_escalated", "admin")]
    assert sweep(at(2026, 3, 20, 0, 0)) == []
    assert list(SlaNotice.objects.values_list("clock", "level")) == [
        ("accept", "due_soon"),
        ("accept", "overdue"),
        ("accept", "escalated"),
    ]
    escalation = Notification.objects.get(kind="sla_escalated")
    assert escalation.link == f"/manage/requests/{req.number}/"
    assert "督办" in escalation.title and "2026-02-27 24:00" in escalation.body


def test_an_assigned_request_tells_the_assignee_and_then_the_leads(talent, handler, lead):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        req = file_housing(talent)
        request_assign(req=req, actor=lead, assignee="handler")
    assert sweep(at(2026, 2, 27, 8, 0)) == [("sla_due_soon", "handler")]
    assert sweep(at(2026, 2, 28, 0, 0)) == [("sla_overdue", "handler"), ("sla_overdue", "lead")]
    overdue = Notification.objects.get(kind="sla_overdue", recipient=handler)
    assert overdue.link == f"/desk/requests/{req.number}/"
    assert overdue.deliveries.filter(channel="sms").exists() is bool(handler.phone)


def test_a_sweep_that_starts_late_sends_only_the_levels_still_due(talent):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        file_housing(talent)
    # Nobody swept for a week: overdue and escalated now, no stale "due today".
    assert sweep(at(2026, 3, 9, 9, 0)) == [
        ("sla_escalated", "admin"),
        ("sla_overdue", "lead"),
    ]


def test_holidays_and_make_up_days(talent):
    with time_machine.travel(at(2026, 2, 13, 10, 0), tick=False):
        file_housing(talent)  # + 1 working day: the make-up Saturday 02-14
    assert sweep(at(2026, 2, 14, 0, 0))[0][0] == "sla_due_soon"
    assert sweep(at(2026, 2, 15, 0, 0)) == [("sla_overdue", "lead")]
    # The Spring Festival holiday does not count: escalation after 02-24 and 02-25.
    assert sweep(at(2026, 2, 25, 23, 59, 59)) == []
    assert sweep(at(2026, 2, 26, 0, 0)) == [("sla_escalated", "admin")]


def test_a_paused_clock_is_not_supervised_and_the_moved_deadline_is(talent, handler):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as clock:
        req = request_accept(req=file_housing(talent), actor=handler)
        # 15 working days after Monday 03-02: 03-03…06, 09…13, 16…20, 23 → end of 03-23.
        assert req.resolve_due_at == at(2026, 3, 24, 0, 0)
        clock.move_to(at(2026, 3, 3, 9, 0))
        req = request_ask_info(req=req, actor=handler, items=["补充无房证明"])
    assert sweep(at(2026, 3, 24, 0, 0)) == []  # paused: nothing runs, nothing is late
    with time_machine.travel(at(2026, 3, 23, 9, 0), tick=False):
        req = request_supply_info(req=req, actor=talent, note="已补充材料")
    # Paused Tue 03-03, resumed Mon 03-23: k = 14 working days (03-04 … 03-23). From 03-23:
    # 03-24…27, 03-30…04-03, 04-07…10 (04-06 is the Qingming holiday), 04-13 → end of 04-13.
    assert req.resolve_due_at == at(2026, 4, 14, 0, 0)
    assert sweep(at(2026, 4, 12, 23, 0)) == []
    assert sweep(at(2026, 4, 13, 0, 0)) == [("sla_due_soon", "handler")]
    assert sweep(at(2026, 4, 14, 0, 0)) == [("sla_overdue", "handler"), ("sla_overdue", "lead")]


def test_a_moved_deadline_is_supervised_again(talent, admin_user):
    from services.calendar import calendar_set_day

    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):
        file_housing(talent)  # due end of Thursday 03-05
    assert sweep(at(2026, 3, 5, 0, 0))[0][0] == "sla_due_soon"
    with time_machine.travel(at(2026, 3, 5, 9, 0), tick=False):
        calendar_set_day(
            day=at(2026, 3, 5, 0, 0).date(), is_workday=False, note="停工", actor=admin_user
        )
        run_recomputes()
    assert sweep(at(2026, 3, 5, 12, 0)) == []  # no longer due today
    assert sweep(at(2026, 3, 6, 0, 0))[0][0] == "sla_due_soon"  # the new due day


def test_finished_requests_are_left_alone(talent, handler):
    from services.workflow import request_reject

    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        req = file_housing(talent)
        request_reject(req=req, actor=handler, reason="不符合条件")
    assert sweep(at(2026, 3, 20, 0, 0)) == []


def test_the_command_runs_one_sweep(talent, capsys):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        file_housing(talent)
    with time_machine.travel(at(2026, 2, 27, 9, 0), tick=False):
        call_command("sla_sweep")
    assert "发出 2 条提醒" in capsys.readouterr().out


def test_the_sweep_reads_only_due_rows(talent, django_assert_max_num_queries):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        for _ in range(30):
            file_housing(talent)  # not due before 03-03
    # One query per due-row index: the requests', then the card reviews' (cards 0003), then the
    # subsidies' (instalments falling due, entitlements' and instalments' due rows), then the
    # talents' visit sweep (talents.supervision: the liaisons due).
    with time_machine.travel(at(2026, 3, 2, 12, 0), tick=False), django_assert_max_num_queries(6):
        assert sla_sweep() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_nothing_twice(talent):
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        for _ in range(5):
            file_housing(talent)
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            sla_sweep(now=at(2026, 3, 9, 9, 0))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Per request: overdue to the lead, escalated to the admin; nothing twice.
    kinds = list(
        Notification.objects.filter(kind__startswith="sla_").values_list("kind", "dedupe_key")
    )
    assert len(kinds) == 10 and len({key for _, key in kinds}) == 10
    assert SlaNotice.objects.count() == 10
