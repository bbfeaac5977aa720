"""The supervision figures computed from the raw rows: the reference the rollups are checked
against (tests, ``manage.py rebuild_rollups --check``). Same definitions and answers as
services.dashboard, which reads them from the daily rollups instead of rescanning every
request; never called by a page."""

import datetime

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from portal.models import Department
from services.dashboard import (
    BAD_SCORE,
    BUCKETS,
    Period,
    _empty_row,
    _hours,
    _kept,
    _mean,
    _rate,
)
from services.models import (
    OPEN_STATUSES,
    DepartmentStint,
    FollowUp,
    Rating,
    ServiceRequest,
    ServiceType,
)
from services.workdays import SHANGHAI, local_date


def summary(
    period: Period, group_by: str = "department", *, department=None, now=None
) -> list[dict]:
    """One row per department or service type, as API.md's /api/v1/sla/summary/."""
    now = now or timezone.now()
    by_department = group_by == "department"
    key = "department" if by_department else "service_type"
    requests = ServiceRequest.objects.all()
    stints = DepartmentStint.objects.all()
    ratings = Rating.objects.all()
    followups = FollowUp.objects.all()
    if department is not None:
        requests = requests.filter(department=department)
        stints = stints.filter(department=department)
        ratings = ratings.filter(request__department=department)
        followups = followups.filter(department=department)

    if by_department:
        total = stints.filter(period.q("entered_at")).values(key).annotate(n=Count("id"))
    else:
        total = requests.filter(period.q("submitted_at")).values(key).annotate(n=Count("id"))
    resolved = (
        requests.filter(period.q("resolved_at"))
        .values(key)
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(resolved_on_time=True)),
            days_sum=Sum("handling_working_days"),
            days_n=Count("handling_working_days"),
        )
    )
    backlog = (
        requests.filter(status__in=OPEN_STATUSES, submitted_at__lt=period.end)
        .values(key)
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
    )
    waited = ExpressionWrapper(
        F("accepted_at") - F("accept_started_at"), output_field=DurationField()
    )
    accepted = (
        requests.filter(period.q("accepted_at"))
        .values(key)
        .annotate(wait_sum=Sum(waited), wait_n=Count("id"))
    )
    rating_key = f"request__{key}"
    bad = (
        ratings.filter(period.q("created_at"), score__lte=BAD_SCORE)
        .values(rating_key)
        .annotate(n=Count("id"))
    )
    followup_key = "department" if by_department else "request__service_type"
    pending = (
        followups.filter(closed_at__isnull=True)
        .values(followup_key)
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
    )

    groups = Department.objects.all() if by_department else ServiceType.objects.all()
    if department is not None and by_department:
        groups = groups.filter(pk=department.pk)
    groups = list(groups)
    table = {g.pk: _empty_row(g) for g in groups}

    def put(rows, group_field, **fields):
        for row in rows:
            entry = table.get(row[group_field])
            if entry is not None:
                for name, source in fields.items():
                    entry[name] = row[source]

    put(total, key, total="n")
    for row in resolved:
        row["days"] = _mean(row["days_sum"] or 0, row["days_n"])
    for row in accepted:
        row["wait"] = _hours(row["wait_sum"], row["wait_n"])
    put(resolved, key, resolved="n", resolved_on_time="on_time", avg_resolve_working_days="days")
    put(backlog, key, open="n", open_overdue="overdue")
    put(accepted, key, avg_accept_hours="wait")
    put(bad, rating_key, bad_ratings="n")
    put(pending, followup_key, followups_open="n", followups_overdue="overdue")
    if by_department:
        _add_stint_figures(table, stints, period, now)

    rows = []
    for entry in table.values():
        entry["on_time_rate"] = _rate(
            entry["resolved_on_time"], entry["resolved"], entry["open_overdue"]
        )
        rows.append(entry)
    return _kept(rows, groups, by_department, department)


def _add_stint_figures(table: dict, stints, period: Period, now) -> None:
    """What transfers cost each department: hours it held what it received in the period,
    how many it passed on, and how many it passed on or accepted in time."""
    until = Coalesce(F("left_at"), Value(now, output_field=DateTimeField()))
    held = ExpressionWrapper(until - F("entered_at"), output_field=DurationField())
    rows = (
        stints.filter(period.q("entered_at"))
        .values("department")
        .annotate(
            hold_sum=Sum(held),
            hold_n=Count("id"),
            # Ended by a transfer: passed on.
            transferred_out=Count("id", filter=Q(transferred_out=True)),
            handled_on_time=Count("id", filter=Q(accepted_on_time=True)),
        )
    )
    for row in rows:
        entry = table.get(row["department"])
        if entry is not None:
            entry["avg_hold_hours"] = _hours(row["hold_sum"], row["hold_n"])
            entry["transferred_out"] = row["transferred_out"]
            entry["handled_on_time"] = row["handled_on_time"]
    for entry in table.values():
        entry.setdefault("avg_hold_hours", None)
        entry.setdefault("transferred_out", 0)
        entry.setdefault("handled_on_time", 0)


def headline(period: Period, *, department=None, now=None) -> dict:
    """The figures at the top of the dashboard (a few aggregate queries)."""
    now = now or timezone.now()
    requests = ServiceRequest.objects.all()
    ratings = Rating.objects.all()
    followups = FollowUp.objects.filter(closed_at__isnull=True)
    if department is not None:
        requests = requests.filter(department=department)
        ratings = ratings.filter(request__department=department)
        followups = followups.filter(department=department)
    # The backlog as the tables count it: open now, filed by the end of the period.
    backlog = Q(status__in=OPEN_STATUSES, submitted_at__lt=period.end)
    figures = requests.aggregate(
        filed=Count("id", filter=period.q("submitted_at")),
        resolved=Count("id", filter=period.q("resolved_at")),
        resolved_on_time=Count("id", filter=period.q("resolved_at") & Q(resolved_on_time=True)),
        open=Count("id", filter=backlog),
        open_overdue=Count("id", filter=backlog & Q(due_at__lte=now)),
        escalated=Count("id", filter=backlog & Q(escalate_at__lte=now)),
    )
    figures["on_time_rate"] = _rate(
        figures["resolved_on_time"], figures["resolved"], figures["open_overdue"]
    )
    figures["bad_ratings"] = ratings.filter(period.q("created_at"), score__lte=BAD_SCORE).count()
    figures.update(
        followups.aggregate(
            followups_open=Count("id"), followups_overdue=Count("id", filter=Q(due_at__lte=now))
        )
    )
    return figures


def weekly_trend(*, weeks: int = 12, department=None, now=None) -> list[dict]:
    """Filed, resolved and on-time rate per week (Monday–Sunday) for the last ``weeks``."""
    now = now or timezone.now()
    today = local_date(now)
    first_monday = today - datetime.timedelta(days=today.weekday(), weeks=weeks - 1)
    start = datetime.datetime.combine(first_monday, datetime.time.min, tzinfo=SHANGHAI)
    requests = ServiceRequest.objects.all()
    if department is not None:
        requests = requests.filter(department=department)
    filed = (
        requests.filter(submitted_at__gte=start)
        .annotate(week=TruncWeek("submitted_at", tzinfo=SHANGHAI))
        .values("week")
        .annotate(n=Count("id"))
    )
    resolved = (
        requests.filter(resolved_at__gte=start)
        .annotate(week=TruncWeek("resolved_at", tzinfo=SHANGHAI))
        .values("week")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(resolved_on_time=True)))
    )
    series = {
        first_monday + datetime.timedelta(weeks=i): {"filed": 0, "resolved": 0, "on_time": 0}
        for i in range(weeks)
    }
    for row in filed:
        week = (
            local_date(row["week"]) if isinstance(row["week"], datetime.datetime) else row["week"]
        )
        if week in series:
            series[week]["filed"] = row["n"]
    for row in resolved:
        week = (
            local_date(row["week"]) if isinstance(row["week"], datetime.datetime) else row["week"]
        )
        if week in series:
            series[week]["resolved"] = row["n"]
            series[week]["on_time"] = row["on_time"]
    return [
        {
            "week": week,
            "filed": values["filed"],
            "resolved": values["resolved"],
            # Per week the backlog is not known after the fact: the rate of the week's
            # resolutions (the period rate above includes the open overdue ones).
            "on_time_rate": round(values["on_time"] / values["resolved"], 4)
            if values["resolved"]
            else None,
        }
        for week, values in series.items()
    ]


def resolve_time_distribution(period: Period, *, department=None) -> list[dict]:
    """How many requests resolved in the period took 0–1, 2–3, … working days (one query)."""
    requests = ServiceRequest.objects.filter(
        period.q("resolved_at"), handling_working_days__isnull=False
    )
    if department is not None:
        requests = requests.filter(department=department)
    aggregates = {}
    for low, high in BUCKETS:
        condition = Q(handling_working_days__gte=low)
        if high is not None:
            condition &= Q(handling_working_days__lte=high)
        aggregates[f"b{low}"] = Count("id", filter=condition)
    counts = requests.aggregate(**aggregates)
    return [
        {
            "label": f"{low}–{high} 个工作日" if high is not None else f"{low} 个工作日以上",
            "low": low,
            "high": high,
            "count": counts[f"b{low}"],
        }
        for low, high in BUCKETS
    ]
