"""Supervision figures for the organization department (DESIGN.md "On-time rate").

Everything is computed in the database with grouped aggregates: a fixed number of queries
whatever the number of requests. Definitions, for a period [first, last] (whole days in
Asia/Shanghai):

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
- ``bad_ratings``: ratings of 2 or less given in the period; ``followups_open`` /
  ``followups_overdue``: bad-rating follow-ups not yet closed (and past their deadline).
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from cards.models import CardApplication
from cards.models.applications import REVIEW_OPEN_STATUSES, TERMINAL_STATUSES
from portal.models import Department
from services.models import (
    OPEN_STATUSES,
    DepartmentStint,
    FollowUp,
    Rating,
    ServiceRequest,
    ServiceType,
)
from services.workdays import SHANGHAI, Calendar, local_date

BAD_SCORE = 2
BUCKETS = [(0, 1), (2, 3), (4, 5), (6, 10), (11, 15), (16, 20), (21, None)]


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
        """From ``?from=&to=`` (YYYY-MM-DD); defaults: the month so far. Raises ValueError."""
        today = today or timezone.localdate()
        start = datetime.date.fromisoformat(first) if first else today.replace(day=1)
        end = datetime.date.fromisoformat(last) if last else today
        if end < start:
            raise ValueError("to before from")
        if (end - start).days > 3660:
            raise ValueError("period too long")
        return cls(start, end)


def _rate(on_time: int, resolved: int, open_overdue: int):
    divisor = resolved + open_overdue
    return round(on_time / divisor, 4) if divisor else None


def _hours(delta) -> float | None:
    return round(delta.total_seconds() / 3600, 1) if delta is not None else None


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
            days=Avg("handling_working_days"),
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
    accepted = requests.filter(period.q("accepted_at")).values(key).annotate(wait=Avg(waited))
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
    put(resolved, key, resolved="n", resolved_on_time="on_time", avg_resolve_working_days="days")
    put(backlog, key, open="n", open_overdue="overdue")
    put(accepted, key, avg_accept_hours="wait")
    put(bad, rating_key, bad_ratings="n")
    put(pending, followup_key, followups_open="n", followups_overdue="overdue")
    if by_department:
        _add_stint_figures(table, stints, period, now)

    rows = []
    for entry in table.values():
        entry["avg_accept_hours"] = _hours(entry["avg_accept_hours"])
        if entry["avg_resolve_working_days"] is not None:
            entry["avg_resolve_working_days"] = round(entry["avg_resolve_working_days"], 1)
        entry["on_time_rate"] = _rate(
            entry["resolved_on_time"], entry["resolved"], entry["open_overdue"]
        )
        rows.append(entry)
    # Groups with nothing at all in the period stay in the table for a department, but a
    # service-type table lists only the types that are offered or had activity; for a lead,
    # the types their department offers, and any other type that reached it (a transfer).
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


def _add_stint_figures(table: dict, stints, period: Period, now) -> None:
    """What transfers cost each department: hours it held what it received in the period,
    how many it passed on, and how many it passed on or accepted in time."""
    until = Coalesce(F("left_at"), Value(now, output_field=DateTimeField()))
    held = ExpressionWrapper(until - F("entered_at"), output_field=DurationField())
    rows = (
        stints.filter(period.q("entered_at"))
        .values("department")
        .annotate(
            hold=Avg(held),
            # Left, and the request is now elsewhere: passed on (resolution keeps it here).
            transferred_out=Count(
                "id", filter=Q(left_at__isnull=False) & ~Q(request__department=F("department"))
            ),
            handled_on_time=Count("id", filter=Q(accepted_on_time=True)),
        )
    )
    for row in rows:
        entry = table.get(row["department"])
        if entry is not None:
            entry["avg_hold_hours"] = _hours(row["hold"])
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


def overdue_requests(queryset, *, now=None):
    """Open overdue requests, longest overdue first (``due_at`` ascending is the same order)."""
    now = now or timezone.now()
    return (
        queryset.filter(status__in=OPEN_STATUSES, due_at__lte=now)
        .select_related("service_type", "department", "assignee", "talent")
        .order_by("due_at", "pk")
    )


def with_working_days_overdue(requests, *, now=None) -> list:
    """Attach ``working_days_overdue`` and ``escalated`` to a page of overdue requests, with
    one calendar query for the whole page."""
    now = now or timezone.now()
    requests = list(requests)
    if not requests:
        return requests
    today = local_date(now)
    earliest = min(local_date(r.due_at) for r in requests)
    calendar = Calendar.load(earliest, today)
    for req in requests:
        # The deadline is 00:00 after the due day: count the working days after that day.
        due_day = local_date(req.due_at) - datetime.timedelta(days=1)
        count, day = 0, due_day
        while day < today:
            day += datetime.timedelta(days=1)
            count += calendar.is_workday(day)[0]
        req.working_days_overdue = count
        req.escalated = req.escalate_at is not None and now >= req.escalate_at
    return requests


def unverified_soon(days: int = 90, today=None) -> list[datetime.date]:
    """Dates among the next ``days`` without a confirmed calendar row (banner for admins)."""
    from services.calendar import unverified_dates

    today = today or timezone.localdate()
    return unverified_dates(today, today + datetime.timedelta(days=days - 1))
