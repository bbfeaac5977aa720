"""The daily rollups (services.rollups) against the raw rows: random requests worked through
the real workflow (transfers, pauses, late and early resolutions, rejections, withdrawals, bad
ratings, moments close to midnight), then every figure the dashboard reads from the rollups
compared with the same figure computed from the rows (services.figures_from_rows), for many
periods; and ``manage.py rebuild_rollups`` recomputes them."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from portal.models import Department, Role
from services import dashboard, figures_from_rows, rollups
from services.calendar import calendar_sync
from services.feedback import request_rate
from services.filing import request_file
from services.models import RequestDay, ServiceRequest, StintDay
from services.seed import seed_service_types
from services.workflow import (
    request_accept,
    request_ask_info,
    request_reject,
    request_resolve,
    request_supply_info,
    request_transfer,
    request_withdraw,
)
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=SH)
GOV = {"matter": "营业执照变更", "category": "企业开办", "details": "变更经营范围"}
TYPES = [("HOUSING", HOUSING), ("GOV_AGENT", GOV)]
TARGETS = ["ZJJ", "ZWJ", "RSJ", "GAJ"]
PERIODS = [
    ("2026-01-01", "2026-03-31"),
    ("2026-01-01", "2026-01-31"),
    ("2026-02-10", "2026-03-03"),
    ("2026-03-16", "2026-03-16"),
    ("2026-03-31", "2026-03-31"),
    ("2025-12-01", "2025-12-31"),
    ("2026-01-01", "2026-12-31"),
]


def _moment(rng: random.Random) -> datetime:
    day = date(2026, 1, 5) + timedelta(days=rng.randrange(75))
    # Minutes either side of midnight too: a day in Shanghai is not a day in UTC.
    hour, minute = rng.choice([(0, 10), (8, 30), (9, 0), (11, 45), (15, 20), (23, 50)])
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def _later(rng: random.Random, moment: datetime, most_days: int = 6) -> datetime:
    return moment + timedelta(hours=rng.randrange(1, 24 * most_days))


def build(seed: int, count: int = 36) -> None:
    """``count`` requests, each walked along a random path whose steps stay before NOW."""
    rng = random.Random(seed)
    seed_service_types()
    calendar_sync(year=2026)
    admin = UserFactory(username=f"admin{seed}", role=Role.ADMIN)
    staff = {
        d.code: UserFactory(username=f"s{seed}_{d.code}", role=Role.STAFF, department=d)
        for d in Department.objects.all()
    }
    talents = []
    for i in range(4):
        person = TalentFactory(username=f"t{seed}_{i}")
        give_card(person)
        talents.append(person)

    for _ in range(count):
        talent = rng.choice(talents)
        code, fields = rng.choice(TYPES)
        moment = _moment(rng)
        with time_machine.travel(moment, tick=False):
            req = request_file(talent=talent, service_type=code, fields=dict(fields))

        def step(func, when, **kwargs):
            """``actor=None``: the staff of the department holding the request then."""
            nonlocal req
            if when >= NOW:
                return False
            if kwargs.get("actor", "") is None:
                kwargs["actor"] = staff[req.department.code]
            with time_machine.travel(when, tick=False):
                req = func(req=req, **kwargs)
            return True

        moment = _later(rng, moment, 3)
        if rng.random() < 0.25:
            current = req.department.code
            target = rng.choice([c for c in TARGETS if c != current])
            if not step(request_transfer, moment, actor=admin, department=target, reason="误派"):
                continue
            moment = _later(rng, moment, 4)
        roll = rng.random()
        if roll < 0.08:
            step(request_withdraw, moment, actor=talent, reason="不需要了")
            continue
        if roll < 0.15:
            step(request_reject, moment, actor=admin, reason="不符合条件")
            continue
        if roll < 0.25:
            continue  # never accepted: open, perhaps overdue
        if not step(request_accept, moment, actor=None):
            continue
        moment = _later(rng, moment, 3)
        if rng.random() < 0.2:
            target = rng.choice([c for c in TARGETS if c != req.department.code])
            if not step(request_transfer, moment, actor=admin, department=target, reason="转办"):
                continue
            moment = _later(rng, moment, 2)
            if not step(request_accept, moment, actor=None):
                continue
            moment = _later(rng, moment, 2)
        if rng.random() < 0.3:
            if not step(request_ask_info, moment, actor=None, items=["补充材料"]):
                continue
            moment = _later(rng, moment, 8)
            if not step(request_supply_info, moment, actor=talent, note="已补充"):
                continue
            moment = _later(rng, moment, 2)
        if rng.random() < 0.15:
            continue  # accepted, still being worked
        # Some are resolved weeks later: late.
        moment = _later(rng, moment, rng.choice([3, 10, 30]))
        if not step(request_resolve, moment, actor=None, note="已办结"):
            continue
        if rng.random() < 0.6:
            step(request_rate, _later(rng, moment, 3), actor=talent, score=rng.randint(1, 5))


def _same_figures() -> None:
    departments = list(Department.objects.all())
    for first, last in PERIODS:
        period = dashboard.Period.parse(first, last)
        for group_by in ("department", "service_type"):
            assert dashboard.summary(period, group_by, now=NOW) == figures_from_rows.summary(
                period, group_by, now=NOW
            ), (first, last, group_by)
            for department in departments:
                assert dashboard.summary(
                    period, group_by, department=department, now=NOW
                ) == figures_from_rows.summary(period, group_by, department=department, now=NOW)
        assert dashboard.headline(period, now=NOW) == figures_from_rows.headline(period, now=NOW)
        for department in departments:
            assert dashboard.headline(
                period, department=department, now=NOW
            ) == figures_from_rows.headline(period, department=department, now=NOW)
            assert dashboard.resolve_time_distribution(
                period, department=department
            ) == figures_from_rows.resolve_time_distribution(period, department=department)
        assert dashboard.resolve_time_distribution(
            period
        ) == figures_from_rows.resolve_time_distribution(period)
    for department in [None, *departments]:
        assert dashboard.weekly_trend(
            department=department, now=NOW
        ) == figures_from_rows.weekly_trend(department=department, now=NOW)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_figure_from_the_rollups_equals_the_figure_from_the_rows(departments, seed):
    build(seed)
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    # The data set has what the rollups must get right.
    assert {"submitted", "accepted", "resolved", "closed"} <= statuses
    assert StintDay.objects.filter(transferred_out__gt=0).exists()
    assert ServiceRequest.objects.filter(pauses__isnull=False).exists()
    assert ServiceRequest.objects.filter(resolved_on_time=False).exists()
    assert rollups.drift() == {}
    _same_figures()


def test_rebuild_gives_back_the_same_cells(departments):
    build(4, count=24)
    kept_requests = rollups.stored_request_cells()
    kept_stints = rollups.stored_stint_cells()
    RequestDay.objects.update(filed=0, resolved=99)
    StintDay.objects.all().delete()
    with pytest.raises(CommandError, match="日汇总与原始数据不一致"):
        call_command("rebuild_rollups", "--check")
    call_command("rebuild_rollups")
    call_command("rebuild_rollups", "--check")
    assert rollups.stored_request_cells() == kept_requests
    assert rollups.stored_stint_cells() == kept_stints
    _same_figures()


def test_a_list_count_comes_from_the_rollups(departments):
    build(5, count=20)
    for department in Department.objects.all():
        assert dashboard.held_requests(department) == (
            ServiceRequest.objects.filter(department=department).count()
        )
    assert dashboard.held_requests() == ServiceRequest.objects.count()


def test_saving_an_unrelated_column_writes_no_cell(departments, django_assert_num_queries):
    build(6, count=4)
    req = ServiceRequest.objects.first()
    req.next_notice_at = NOW
    # The UPDATE alone: no read of the old row, no upsert.
    with django_assert_num_queries(1):
        req.save(update_fields=["next_notice_at"])


def test_a_deleted_request_leaves_the_rollups(departments):
    build(7, count=10)
    ServiceRequest.objects.filter(status="closed").first().delete()
    assert rollups.drift() == {}
