"""The visit clock of a liaison (一对一联系服务), derived from the facts and the calendar:

- ``due_on``: ``visit_every_days`` calendar days after the last visit (or the assignment);
- ``remind_at``: 00:00 of the 5th working day before ``due_on``, counting ``due_on`` itself
  when it is one (due Friday 2026-12-18 → reminded from Monday 2026-12-14): the officer;
- ``escalate_at``: 24:00 of the 10th working day after ``due_on``: a visit still missing
  then is escalated to the organization department's admins.

Each is sent once per due day (LiaisonNotice), by the one supervision sweep.
"""

import datetime

from services.workdays import (
    SHANGHAI,
    Calendar,
    add_working_days,
    end_of_day,
    local_date,
)
from talents.models import Liaison

REMIND_WORKING_DAYS = 5
ESCALATE_WORKING_DAYS = 10
ONE_DAY = datetime.timedelta(days=1)


def working_day_back(day: datetime.date, n: int) -> tuple[datetime.date, bool]:
    """The n-th working day counting back from ``day`` (``day`` itself first, when it is a
    working day), and whether every day counted had a calendar row."""
    first = day - datetime.timedelta(days=2 * n + 30)
    calendar = Calendar.load(first, day)
    verified, counted, current = True, 0, day + ONE_DAY
    while counted < n:
        current -= ONE_DAY
        if current < first:  # an absurd run of holidays: widen
            first -= datetime.timedelta(days=2 * n + 30)
            calendar = Calendar.load(first, day)
        workday, known = calendar.is_workday(current)
        verified = verified and known
        counted += workday
    return current, verified


def start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=SHANGHAI)


def next_notice(liaison: Liaison, now: datetime.datetime) -> datetime.datetime | None:
    """When the sweep should next look: the reminder, then the escalation, then never."""
    if now < liaison.remind_at:
        return liaison.remind_at
    if now < liaison.escalate_at:
        return liaison.escalate_at
    return None


def liaison_derive(liaison: Liaison, now: datetime.datetime) -> list[str]:
    """Set the derived columns from the facts; returns their names (for save)."""
    base = liaison.last_visit_on or local_date(liaison.assigned_at)
    liaison.due_on = base + datetime.timedelta(days=liaison.visit_every_days)
    remind_day, remind_ok = working_day_back(liaison.due_on, REMIND_WORKING_DAYS)
    escalate_day, escalate_ok = add_working_days(liaison.due_on, ESCALATE_WORKING_DAYS)
    liaison.remind_at = start_of_day(remind_day)
    liaison.escalate_at = end_of_day(escalate_day)
    liaison.calendar_verified = remind_ok and escalate_ok
    # A level already reached (an assignment or a visit recorded late) is looked at now.
    liaison.next_notice_at = min(liaison.remind_at, liaison.escalate_at)
    if liaison.next_notice_at < now:
        liaison.next_notice_at = now
    return ["due_on", "remind_at", "escalate_at", "calendar_verified", "next_notice_at"]


def overdue(liaison: Liaison, today: datetime.date) -> bool:
    return liaison.due_on < today
