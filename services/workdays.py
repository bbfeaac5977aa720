"""Working days and deadlines (DESIGN.md "Working days and SLA clocks").

Counting follows 民法典 art. 201 and 203: the start day is not counted, and a limit of N
working days ends at 24:00 (Asia/Shanghai) of the N-th working day after the start day.
Which days are working days comes from the CalendarDay table; a date without a row falls back
to Monday–Friday and makes the result *unverified*, so nothing crashes on a year whose notice
has not been loaded yet, and the dashboard can warn about it.

Example: accepted Friday 2026-02-13 + 5 working days → 02-14 (a make-up Saturday), 02-24,
02-25, 02-26, 02-27 → due at the end of 2026-02-27, written 2026-02-28T00:00:00+08:00.
"""

import datetime
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal import timefmt
from services.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = datetime.timedelta(days=1)
# The whole calendar table, read once, while a calendar_snapshot block runs.
_snapshot: ContextVar[dict | None] = ContextVar("calendar_snapshot", default=None)


@contextmanager
def calendar_snapshot():
    """Inside the block every ``Calendar.load`` answers from one read of the whole calendar
    table (a row per day of the years loaded: a few thousand), instead of a query each: for
    recomputing many deadlines at once (services.recompute, a batch at a time). The answers
    are the same as the table's at the time of the read."""
    token = _snapshot.set(dict(CalendarDay.objects.values_list("date", "is_workday")))
    try:
        yield
    finally:
        _snapshot.reset(token)


@dataclass(frozen=True)
class Calendar:
    """Working days for a span of dates, loaded with one query."""

    days: dict  # date -> is_workday, for the dates that have a row

    @classmethod
    def load(cls, first: datetime.date, last: datetime.date) -> "Calendar":
        snapshot = _snapshot.get()
        if snapshot is not None:
            return cls(snapshot)  # answers for [first, last] exactly as a read of them would
        rows = CalendarDay.objects.filter(date__range=(first, last)).values_list(
            "date", "is_workday"
        )
        return cls(dict(rows))

    def is_workday(self, day: datetime.date) -> tuple[bool, bool]:
        """``(is_workday, verified)`` for ``day``."""
        if day in self.days:
            return self.days[day], True
        return day.weekday() < 5, False


def _span_for(start: datetime.date, n: int) -> tuple[datetime.date, datetime.date]:
    # Long holidays (Spring Festival, National Day) add at most ~9 days per 5 working days;
    # 2n + 30 calendar days always covers n working days.
    return start + ONE_DAY, start + datetime.timedelta(days=2 * n + 30)


def add_working_days(start: datetime.date, n: int) -> tuple[datetime.date, bool]:
    """The N-th working day after ``start`` (start not counted), and whether every day
    counted came from the calendar table. ``n == 0`` gives ``start`` itself."""
    if n < 0:
        raise ValueError("n must not be negative")
    first, last = _span_for(start, n)
    calendar = Calendar.load(first, last)
    verified = True
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        if day > last:  # only with an absurd run of non-working days: widen and go on
            calendar = Calendar.load(day, day + datetime.timedelta(days=2 * n + 30))
            last = day + datetime.timedelta(days=2 * n + 30)
        workday, known = calendar.is_workday(day)
        verified = verified and known
        counted += workday
    return day, verified


def end_of_day(day: datetime.date) -> datetime.datetime:
    """24:00 of ``day`` in Asia/Shanghai, i.e. 00:00 of the next day."""
    return datetime.datetime.combine(day + ONE_DAY, datetime.time.min, tzinfo=SHANGHAI)


def deadline(start: datetime.datetime, n: int) -> tuple[datetime.datetime, bool]:
    """The instant a limit of ``n`` working days, started at ``start``, runs out."""
    start_day = start.astimezone(SHANGHAI).date()
    due_day, verified = add_working_days(start_day, n)
    return end_of_day(due_day), verified


# Written one way by every layer (pages, notices, the API's texts): portal.timefmt.
deadline_text = timefmt.deadline_text


def working_days_between(after: datetime.date, through: datetime.date) -> tuple[int, bool]:
    """Working days d with ``after < d <= through`` (0 when ``through <= after``)."""
    if through <= after:
        return 0, True
    calendar = Calendar.load(after + ONE_DAY, through)
    count, verified, day = 0, True, after
    while day < through:
        day += ONE_DAY
        workday, known = calendar.is_workday(day)
        count += workday
        verified = verified and known
    return count, verified


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(SHANGHAI).date()
