"""Supervision figures for the organization department (DESIGN.md "On-time rate").

The period's counts and sums are read from the daily rollups (services.models.rollups: one
row per day, department and service type, kept in step by services.rollups in the transaction
of every change), so a year is a few thousand rows whatever the number of requests; the
backlog (open, overdue, 督办) and the follow-ups are counted live from the partial indexes on
open rows. services.figures_from_rows computes the same figures from the raw rows; the tests
check that both agree. A fixed number of queries whatever the data. Definitions, for a period
[first, last] (whole days in Asia/Shanghai):

- ``total``: per department, requests *received* in the period (department stints that began
  then, transfers in included: a request is counted for every department that held it);
  per service type, requests filed in the period.
- ``resolved`` / ``resolved_on_time``: resolved in the period, by the department that resolved.
- ``open`` / ``open_overdue``: the current backlog of requests filed by the end of the period
  (overdue: the running clock's deadline has passed).
- ``on_time_rate = resolved_on_time / (resolved + open_overdue)``: open overdue requests count
  against the rate, so a late backlog cannot hide behind a good-looking ratio; None when the
  divisor is 0.
- ``avg_accept_hours``: calendar hours from the start of the accept clock to acceptance, for
  requests accepted in the period; ``avg_resolve_working_days``: working days from acceptance
  to resolution, pauses excluded (frozen at resolution), for requests resolved in the period.
- ``avg_hold_hours`` / ``transferred_out`` / ``handled_on_time`` (per department): of the
  stints that began in the period, the mean hours held (until now for running ones), how many
  ended in a transfer, how many were accepted or passed on before the accept deadline.
- ``bad_ratings``: ratings of 2 or less given in the period; ``followups_open`` /
  ``followups_overdue``: bad-rating follow-ups not yet closed (and past their deadline).
"""

import datetime
from dataclasses import dataclass

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
from django.utils import timezone

from cards.models import CardApplication
from cards.models.applications import REVIEW_OPEN_STATUSES, TERMINAL_STATUSES
from portal.errors import NotAllowed
from portal.models import Department
from services.models import (
    OPEN_STATUSES,
    DepartmentStint,
    FollowUp,
    RequestDay,
    ServiceRequest,
    ServiceType,
    StintDay,
    department_scope,
)
from services.workdays import SHANGHAI, Calendar, local_date

BAD_SCORE = 2
BUCKETS = [(0, 1), (2, 3), (4, 5), (6, 10), (11, 15), (16, 20), (21, None)]


# The years a period may fall in (those of the working-day calendar, services.api.calendar).
FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass(frozen=True)
class Period:
    first: datetime.date
    last: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first, datetime.time.min, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime.datetime:
        """Exclusive: 00:00 after the last day."""
        return datetime.datetime.combine(
            self.last + datetime.timedelta(days=1), datetime.time.min, tzinfo=SHANGHAI
        )

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    @classmethod
    def parse(cls, first: str | None, last: str | None, today: datetime.date | None = None):
        """From ``?from=&to=`` (YYYY-MM-DD); defaults: the month so far. Raises ValueError.

        Years 1900 to 2200 only (the calendar's): at the ends of Python's dates the period's
        bounds in Beijing time cannot be written (0001-01-01 00:00 +08:00 is before UTC's
        first day; the day after 9999-12-31 does not exist)."""
        today = today or timezone.localdate()
        start = datetime.date.fromisoformat(first) if first else today.replace(day=1)
        end = datetime.date.fromisoformat(last) if last else today
        if start.year < FIRST_YEAR or end.year > LAST_YEAR:
            raise ValueError("year out of range")
        if end < start:
            raise ValueError("to before from")
        if (end - start).days > 3660:
            raise ValueError("period too long")
        return cls(start, end)


def _rate(on_time: int, resolved: int, open_overdue: int):
    divisor = resolved + open_overdue
    return round(on_time / divisor, 4) if divisor else None


def _micros(value) -> int:
    if isinstance(value, datetime.timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return int(value or 0)


def _hours(total, n: int) -> float | None:
    """The mean of ``n`` durations summing to ``total`` (a timedelta or microseconds), in
    hours to one decimal; None when there are none."""
    return round(_micros(total) / n / 3_600_000_000, 1) if n else None


def _mean(total, n: int) -> float | None:
    return round(total / n, 1) if n else None


SUMS = (
    "filed",
    "accepted",
    "accept_wait_us",
    "resolved",
    "resolved_on_time",
    "resolve_days_sum",
    "resolve_days_n",
    "bad_ratings",
)


def _cells(period: Period, department=None):
    cells = RequestDay.objects.filter(day__gte=period.first, day__lte=period.last)
    return cells.filter(department=department) if department is not None else cells


def _open(department=None):
    """The open requests, read through the partial index on them (servicerequest_open_idx)."""
    requests = ServiceRequest.objects.order_by().filter(status__in=OPEN_STATUSES)
    return requests.filter(department=department) if department is not None else requests


def backlog(period: Period, now, department=None) -> dict:
    """Open requests filed by the end of the period, per (department, service type): open,
    overdue (running deadline passed) and 督办 (escalation instant passed). One grouped
    index-only scan of servicerequest_open_idx; a page that shows the headline and both
    tables computes it once and hands it to each (``open_rows=``)."""
    rows = (
        _open(department)
        .filter(submitted_at__lt=period.end)
        .values("department", "service_type")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(due_at__lte=now)),
            escalated=Count("id", filter=Q(escalate_at__lte=now)),
        )
    )
    return {
        (row["department"], row["service_type"]): (row["n"], row["overdue"], row["escalated"])
        for row in rows
    }


def _backlog_by(open_rows: dict, position: int) -> dict:
    """The backlog summed per department (position 0) or service type (1)."""
    totals: dict = {}
    for group, counts in open_rows.items():
        total = totals.setdefault(group[position], [0, 0, 0])
        for i, n in enumerate(counts):
            total[i] += n
    return totals


def summary(
    period: Period, group_by: str = "department", *, department=None, now=None, open_rows=None
) -> list[dict]:
    """One row per department or service type, as API.md's /api/v1/sla/summary/: the
    period's counts and sums from the daily rollups (one row per day, department and type),
    the backlog from the open rows, the follow-ups from the open ones."""
    now = now or timezone.now()
    by_department = group_by == "department"
    key = "department" if by_department else "service_type"
    sums = _cells(period, department).values(key).annotate(**{c: Sum(c) for c in SUMS})
    if open_rows is None:
        open_rows = backlog(period, now, department)
    open_by = _backlog_by(open_rows, 0 if by_department else 1)
    followups = FollowUp.objects.filter(closed_at__isnull=True)
    if department is not None:
        followups = followups.filter(department=department)
    followup_key = "department" if by_department else "request__service_type"
    pending = followups.values(followup_key).annotate(
        n=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now))
    )

    groups = Department.objects.all() if by_department else ServiceType.objects.all()
    if department is not None and by_department:
        groups = groups.filter(pk=department.pk)
    groups = list(groups)
    table = {g.pk: _empty_row(g) for g in groups}

    for row in sums:
        entry = table.get(row[key])
        if entry is None:
            continue
        if not by_department:
            entry["total"] = row["filed"]
        entry["resolved"] = row["resolved"]
        entry["resolved_on_time"] = row["resolved_on_time"]
        entry["avg_resolve_working_days"] = _mean(row["resolve_days_sum"], row["resolve_days_n"])
        entry["avg_accept_hours"] = _hours(row["accept_wait_us"], row["accepted"])
        entry["bad_ratings"] = row["bad_ratings"]
    for group, (n, overdue, _escalated) in open_by.items():
        entry = table.get(group)
        if entry is not None:
            entry["open"], entry["open_overdue"] = n, overdue
    for row in pending:
        entry = table.get(row[followup_key])
        if entry is not None:
            entry["followups_open"], entry["followups_overdue"] = row["n"], row["overdue"]
    if by_department:
        _add_stint_figures(table, period, now, department)

    rows = []
    for entry in table.values():
        entry["on_time_rate"] = _rate(
            entry["resolved_on_time"], entry["resolved"], entry["open_overdue"]
        )
        rows.append(entry)
    return _kept(rows, groups, by_department, department)


def _kept(rows: list[dict], groups: list, by_department: bool, department) -> list[dict]:
    """Groups with nothing at all in the period stay in the table for a department, but a
    service-type table lists only the types that are offered or had activity; for a lead,
    the types their department offers, and any other type that reached it (a transfer)."""
    counts = ("total", "resolved", "open", "bad_ratings", "followups_open")
    kept = []
    for row, group in zip(rows, groups, strict=True):
        busy = any(row[field] for field in counts)
        if by_department:
            kept.append(row)
        elif department is not None:
            if group.department_id == department.pk or busy:
                kept.append(row)
        elif row["active"] or busy:
            kept.append(row)
    return kept


def _empty_row(group) -> dict:
    return {
        "key": group.code,
        "name": group.name,
        "active": group.is_active,
        "total": 0,
        "resolved": 0,
        "resolved_on_time": 0,
        "open": 0,
        "open_overdue": 0,
        "on_time_rate": None,
        "avg_accept_hours": None,
        "avg_resolve_working_days": None,
        "bad_ratings": 0,
        "followups_open": 0,
        "followups_overdue": 0,
    }


def _add_stint_figures(table: dict, period: Period, now, department=None) -> None:
    """What transfers cost each department: requests it received in the period, hours it
    held them, how many it passed on, and how many it passed on or accepted in time. The
    stints it has left are in the rollups; the ones still running are timed now, from the
    partial index on them (stint_open_idx)."""
    cells = StintDay.objects.filter(day__gte=period.first, day__lte=period.last)
    running = DepartmentStint.objects.order_by().filter(
        period.q("entered_at"), left_at__isnull=True
    )
    if department is not None:
        cells = cells.filter(department=department)
        running = running.filter(department=department)
    held = ExpressionWrapper(
        Value(now, output_field=DateTimeField()) - F("entered_at"), output_field=DurationField()
    )
    open_held = {
        row["department"]: _micros(row["held"])
        for row in running.values("department").annotate(held=Sum(held))
    }
    for entry in table.values():
        entry.update(avg_hold_hours=None, transferred_out=0, handled_on_time=0)
    for row in cells.values("department").annotate(
        received=Sum("received"),
        held_us=Sum("held_us"),
        transferred_out=Sum("transferred_out"),
        handled_on_time=Sum("handled_on_time"),
    ):
        entry = table.get(row["department"])
        if entry is None:
            continue
        entry["total"] = row["received"]
        held_total = row["held_us"] + open_held.get(row["department"], 0)
        entry["avg_hold_hours"] = _hours(held_total, row["received"])
        entry["transferred_out"] = row["transferred_out"]
        entry["handled_on_time"] = row["handled_on_time"]


def headline(period: Period, *, department=None, now=None, open_rows=None) -> dict:
    """The figures at the top of the dashboard: the period's from the rollups, the backlog
    from the open rows (a few aggregate queries)."""
    now = now or timezone.now()
    sums = _cells(period, department).aggregate(
        filed=Sum("filed"),
        resolved=Sum("resolved"),
        resolved_on_time=Sum("resolved_on_time"),
        bad_ratings=Sum("bad_ratings"),
    )
    figures = {name: value or 0 for name, value in sums.items()}
    if open_rows is None:
        open_rows = backlog(period, now, department)
    counts = open_rows.values()
    figures["open"] = sum(c[0] for c in counts)
    figures["open_overdue"] = sum(c[1] for c in counts)
    figures["escalated"] = sum(c[2] for c in counts)
    figures["on_time_rate"] = _rate(
        figures["resolved_on_time"], figures["resolved"], figures["open_overdue"]
    )
    followups = FollowUp.objects.filter(closed_at__isnull=True)
    if department is not None:
        followups = followups.filter(department=department)
    figures.update(
        followups.aggregate(
            followups_open=Count("id"), followups_overdue=Count("id", filter=Q(due_at__lte=now))
        )
    )
    return {
        name: figures[name]
        for name in (
            "filed",
            "resolved",
            "resolved_on_time",
            "open",
            "open_overdue",
            "escalated",
            "on_time_rate",
            "bad_ratings",
            "followups_open",
            "followups_overdue",
        )
    }


def figures_department(user):
    """The department whose figures ``user`` reads, on the dashboard page and through the API:
    the department scope of their request lists (services.models.department_scope, the rule
    of ``ServiceRequest.objects.visible_to``), so that a figure never counts a request its
    reader's lists do not hold. None: every department (the organization department).
    Someone whose lists hold no department's requests reads no figures (NotAllowed)."""
    scope = department_scope(user)
    if scope is None:
        raise NotAllowed("督查数据仅组织部人才办和本部门人员可见。")
    return None if scope.every_department else user.department


def visible_count(user) -> int | None:
    """How many requests ``ServiceRequest.objects.visible_to(user)`` holds, from the rollups,
    for the handling side, whose lists are long (services.models.department_scope; None for
    the others: count their rows)."""
    scope = department_scope(user)
    if scope is None:
        return None
    return held_requests(None if scope.every_department else scope.department_id)


def held_requests(department=None) -> int:
    """How many requests a department holds now, or all of them: the sum of the ``filed``
    cells (keyed by the current department), so a list's count never scans history."""
    cells = RequestDay.objects.all()
    if department is not None:
        cells = cells.filter(department=department)
    return cells.aggregate(n=Sum("filed"))["n"] or 0


def card_reviews(period: Period, *, now=None) -> dict:
    """优才卡审核: the organization department's own clock (审核时限, cards.review_clock),
    counted as the requests are (one aggregate query):

    - ``received``: applications first submitted in the period (the review clock started);
    - ``reviewed`` / ``reviewed_on_time``: decided (approved or rejected) in the period, and
      of those decided before their deadline (the verdict frozen at the decision);
    - ``open`` / ``open_overdue``: undecided now (submitted, or returned for correction), first
      submitted by the end of the period; overdue: the running deadline has passed (returned in
      time the clock stands still; returned late it still counts);
    - ``escalated``: open and 2 working days past the deadline (督办);
    - ``on_time_rate = reviewed_on_time / (reviewed + open_overdue)``, None when 0 / 0.
    """
    now = now or timezone.now()
    decided = period.q("decided_at") & Q(status__in=TERMINAL_STATUSES)
    backlog = Q(status__in=REVIEW_OPEN_STATUSES, review_started_at__lt=period.end)
    figures = CardApplication.objects.aggregate(
        received=Count("id", filter=period.q("review_started_at")),
        reviewed=Count("id", filter=decided),
        reviewed_on_time=Count("id", filter=decided & Q(reviewed_on_time=True)),
        open=Count("id", filter=backlog),
        open_overdue=Count("id", filter=backlog & Q(review_due_at__lte=now)),
        escalated=Count("id", filter=backlog & Q(review_escalate_at__lte=now)),
    )
    figures["on_time_rate"] = _rate(
        figures["reviewed_on_time"], figures["reviewed"], figures["open_overdue"]
    )
    return figures


def weekly_trend(*, weeks: int = 12, department=None, now=None) -> list[dict]:
    """Filed, resolved and on-time rate per week (Monday–Sunday) for the last ``weeks``, from
    the rollups (one grouped query over their days)."""
    now = now or timezone.now()
    today = local_date(now)
    first_monday = today - datetime.timedelta(days=today.weekday(), weeks=weeks - 1)
    cells = RequestDay.objects.filter(day__gte=first_monday)
    if department is not None:
        cells = cells.filter(department=department)
    series = {
        first_monday + datetime.timedelta(weeks=i): {"filed": 0, "resolved": 0, "on_time": 0}
        for i in range(weeks)
    }
    for row in cells.values("day").annotate(
        filed=Sum("filed"), resolved=Sum("resolved"), on_time=Sum("resolved_on_time")
    ):
        week = series.get(row["day"] - datetime.timedelta(days=row["day"].weekday()))
        if week is not None:
            week["filed"] += row["filed"]
            week["resolved"] += row["resolved"]
            week["on_time"] += row["on_time"]
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
    """How many requests resolved in the period took 0–1, 2–3, … working days (the rollups'
    bucket columns, one query)."""
    columns = [f"b{low}" for low, _high in BUCKETS]
    counts = _cells(period, department).aggregate(**{c: Sum(c) for c in columns})
    return [
        {
            "label": f"{low}–{high} 个工作日" if high is not None else f"{low} 个工作日以上",
            "low": low,
            "high": high,
            "count": counts[f"b{low}"] or 0,
        }
        for low, high in BUCKETS
    ]


def overdue_requests(queryset, *, now=None):
    """Open overdue requests, longest overdue first (``due_at`` ascending is the same order)."""
    now = now or timezone.now()
    return (
        queryset.filter(status__in=OPEN_STATUSES, due_at__lte=now)
        .select_related("service_type", "department", "assignee", "talent")
        .order_by("due_at", "pk")
    )


def with_working_days_overdue(
    requests, *, now=None, due: str = "due_at", escalate: str = "escalate_at"
) -> list:
    """Attach ``working_days_overdue`` and ``escalated`` to a page of overdue requests (or of
    card applications: ``due="review_due_at", escalate="review_escalate_at"``), with one
    calendar query for the whole page."""
    now = now or timezone.now()
    requests = list(requests)
    if not requests:
        return requests
    today = local_date(now)
    earliest = min(local_date(getattr(r, due)) for r in requests)
    calendar = Calendar.load(earliest, today)
    for req in requests:
        # The deadline is 00:00 after the due day: count the working days after that day.
        due_day = local_date(getattr(req, due)) - datetime.timedelta(days=1)
        count, day = 0, due_day
        while day < today:
            day += datetime.timedelta(days=1)
            count += calendar.is_workday(day)[0]
        req.working_days_overdue = count
        escalate_at = getattr(req, escalate)
        req.escalated = escalate_at is not None and now >= escalate_at
    return requests


def overdue_reviews(queryset, *, now=None):
    """Undecided card applications past their review deadline (审核时限, cards.review_clock),
    longest overdue first: submitted ones, and those returned after the deadline had passed
    (their clock still runs). Index cardapp_review_due_idx (status, review_due_at)."""
    now = now or timezone.now()
    return (
        queryset.filter(status__in=REVIEW_OPEN_STATUSES, review_due_at__lte=now)
        .select_related("talent")
        .order_by("review_due_at", "pk")
    )


def unverified_soon(days: int = 90, today=None) -> list[datetime.date]:
    """Dates among the next ``days`` without a confirmed calendar row (banner for admins)."""
    from services.calendar import unverified_dates

    today = today or timezone.localdate()
    return unverified_dates(today, today + datetime.timedelta(days=days - 1))
