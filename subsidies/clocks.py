"""Working-day clocks of entitlements and instalments (DESIGN.md "Working days and SLA clocks",
the same calendar and counting as requests: services.workdays).

- review clock: from each confirmation, the policy's ``review_days`` working days; stopped by
  the decision (approve or return), whose verdict is frozen in ``reviewed_on_time``.
- payment clock: an instalment is due at 24:00 of its date; a date that is not a working day
  moves to the next working day. After a failure and the talent's correction the instalment is
  due again ``REPAY_DAYS`` working days after the correction.
- escalation (督办): still open 2 working days past the deadline, as for requests.
"""

import calendar
import datetime

from services.clocks import ESCALATE_AFTER_DAYS, due_soon_at
from services.workdays import add_working_days, deadline, end_of_day, local_date
from subsidies.models import Entitlement, Instalment

REPAY_DAYS = 5
ONE_DAY = datetime.timedelta(days=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def payable_day(day: datetime.date) -> tuple[datetime.date, bool]:
    """``day`` if it is a working day, else the next working day; and whether verified."""
    return add_working_days(day - ONE_DAY, 1)


def next_notice(due_at, escalate_at, now) -> datetime.datetime | None:
    """The next level's instant after ``now`` (due_soon, overdue, escalated), None once
    escalated or with no clock: the sweep's next look at the row."""
    if due_at is None:
        return None
    for instant in (due_soon_at(due_at), due_at, escalate_at):
        if instant is not None and instant > now:
            return instant
    return None


def review_start(ent: Entitlement, now: datetime.datetime) -> list[str]:
    """Start the review clock at ``now`` (a confirmation); return the fields set."""
    ent.review_days = ent.policy.review_days
    return ["review_days", *review_derive(ent, now)]


def review_derive(ent: Entitlement, now: datetime.datetime) -> list[str]:
    """The review deadline columns from the facts (confirmed_at, review_days) and the
    calendar: a confirmation and a calendar correction alike."""
    due_at, verified = deadline(ent.confirmed_at, ent.review_days)
    escalate_day, verified_2 = add_working_days(local_date(due_at - ONE_DAY), ESCALATE_AFTER_DAYS)
    ent.review_due_at = due_at
    ent.review_escalate_at = end_of_day(escalate_day)
    ent.next_notice_at = next_notice(ent.review_due_at, ent.review_escalate_at, now)
    ent.calendar_verified = verified and verified_2
    ent.reviewed_on_time = None
    return [
        "review_due_at",
        "review_escalate_at",
        "next_notice_at",
        "calendar_verified",
        "reviewed_on_time",
    ]


def review_stop(ent: Entitlement, now: datetime.datetime) -> list[str]:
    """Stop the review clock at ``now`` (a decision), freezing its verdict."""
    if ent.review_due_at is not None:
        ent.reviewed_on_time = now < ent.review_due_at
    ent.review_due_at = ent.review_escalate_at = ent.next_notice_at = None
    return ["review_due_at", "review_escalate_at", "next_notice_at", "reviewed_on_time"]


def instalment_clock(inst: Instalment, due_day: datetime.date, now) -> list[str]:
    """Run ``inst``'s payment clock to 24:00 of ``due_day`` (moved to a working day)."""
    inst.scheduled_on = due_day
    return ["scheduled_on", *instalment_derive(inst, now)]


def instalment_derive(inst: Instalment, now) -> list[str]:
    """The payment deadline columns from ``scheduled_on`` and the calendar."""
    day, verified = payable_day(inst.scheduled_on)
    escalate_day, verified_2 = add_working_days(day, ESCALATE_AFTER_DAYS)
    inst.due_on = day
    inst.due_at = end_of_day(day)
    inst.escalate_at = end_of_day(escalate_day)
    inst.next_notice_at = next_notice(inst.due_at, inst.escalate_at, now)
    inst.calendar_verified = verified and verified_2
    return ["due_on", "due_at", "escalate_at", "next_notice_at", "calendar_verified"]


def instalment_clock_stop(inst: Instalment) -> list[str]:
    inst.due_at = inst.escalate_at = inst.next_notice_at = None
    return ["due_at", "escalate_at", "next_notice_at"]


def repay_day(now: datetime.datetime) -> datetime.date:
    """The day a failed instalment is due again after the talent's correction at ``now``."""
    return add_working_days(local_date(now), REPAY_DAYS)[0]
