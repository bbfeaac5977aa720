"""SLA clocks of a request (DESIGN.md "Working days and SLA clocks").

- accept clock: from filing (or from a transfer in); due after ``accept_days``; stops at
  accept, reject or transfer-out.
- resolve clock: from acceptance; due after ``promised_days``; stops at resolve or reject.
- pause: while ``awaiting_talent`` the resolve clock stands still. On resume each open deadline
  moves later by k working days, k = the working days d with pause day < d <= resume day.
- escalation (督办): still open 2 working days past the deadline.

``recompute`` derives every deadline column from the request's facts and the calendar, so the
same function serves a transition and a correction of the calendar.
"""

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from portal.bulk import save_rows
from services.models import OPEN_STATUSES, RequestStatus, ServiceRequest
from services.workdays import (
    SHANGHAI,
    add_working_days,
    end_of_day,
    local_date,
    working_days_between,
)

ESCALATE_AFTER_DAYS = 2
logger = logging.getLogger("services.clocks")


@dataclass
class _Tally:
    verified: bool = True

    def take(self, result):
        value, verified = result
        self.verified = self.verified and verified
        return value


def _limit(tally: _Tally, start: datetime.datetime, days: int) -> tuple:
    """(due instant, escalation instant) of a limit of ``days`` started at ``start``."""
    due_day = tally.take(add_working_days(local_date(start), days))
    escalate_day = tally.take(add_working_days(due_day, ESCALATE_AFTER_DAYS))
    return end_of_day(due_day), end_of_day(escalate_day)


def pause_shift(req: ServiceRequest, tally: _Tally | None = None, since=None) -> int:
    """Working days the finished pauses (begun at or after ``since``) moved the clocks by:
    the sum of each pause's k."""
    tally = tally or _Tally()
    total = 0
    for pause in req.pauses.all():
        if pause.ended_at is not None and (since is None or pause.started_at >= since):
            total += tally.take(
                working_days_between(local_date(pause.started_at), local_date(pause.ended_at))
            )
    return total


DERIVED = (
    "accept_due_at",
    "promised_due_at",
    "resolve_due_at",
    "due_at",
    "escalate_at",
    "next_notice_at",
    "calendar_verified",
)


def recompute(req: ServiceRequest) -> list[str]:
    """Set the deadline columns of ``req`` from its facts; return the changed field names.

    The caller saves them (``save(update_fields=...)``) inside its transaction.
    """
    tally = _Tally()
    shift = pause_shift(req, tally) if req.pk else 0
    accept_due, accept_escalate = _limit(tally, req.accept_started_at, req.accept_days)
    req.accept_due_at = accept_due
    req.promised_due_at = _limit(
        tally, req.submitted_at, req.accept_days + req.promised_days + shift
    )[0]
    resolve_escalate = None
    if req.accepted_at is not None:
        # After a transfer only the pauses of the current acceptance move its resolve clock;
        # the talent-facing promise above counts them all.
        resolve_shift = pause_shift(req, tally, since=req.accepted_at)
        req.resolve_due_at, resolve_escalate = _limit(
            tally, req.accepted_at, req.promised_days + resolve_shift
        )
    else:
        req.resolve_due_at = None
    # The clock that runs now, for the queue and the sweep.
    if req.status == RequestStatus.SUBMITTED:
        req.due_at, req.escalate_at = accept_due, accept_escalate
    elif req.status == RequestStatus.ACCEPTED:
        req.due_at, req.escalate_at = req.resolve_due_at, resolve_escalate
    elif req.status == RequestStatus.AWAITING_TALENT and _paused_after_deadline(req):
        # Asking the talent for something does not excuse a deadline already missed: the
        # request stays overdue and supervised (a late backlog cannot hide in 待补正). On
        # resume the deadline moves by the pause's k, so the lateness stays the same.
        req.due_at, req.escalate_at = req.resolve_due_at, resolve_escalate
    else:  # paused in time, or finished: no clock runs
        req.due_at, req.escalate_at = None, None
    # The sweep looks again from the start of the due day (due_soon); levels it already
    # notified for this deadline are skipped by SlaNotice's unique constraint.
    req.next_notice_at = due_soon_at(req.due_at) if req.due_at else None
    req.calendar_verified = tally.verified
    return list(DERIVED)


def _paused_after_deadline(req: ServiceRequest) -> bool:
    current = next((p for p in req.pauses.all() if p.ended_at is None), None) if req.pk else None
    return (
        current is not None
        and req.resolve_due_at is not None
        and current.started_at >= req.resolve_due_at
    )


def due_soon_at(due_at: datetime.datetime) -> datetime.datetime:
    """The start of the due day: from then on the deadline is the end of the current day."""
    return due_at - datetime.timedelta(days=1)


def open_candidates(changed: datetime.date | None = None):
    """Open requests whose deadlines a calendar change on or after ``changed`` can move (all
    open requests when None): only those with a deadline on or after the changed day."""
    candidates = ServiceRequest.objects.open()
    if changed is not None:
        start = datetime.datetime.combine(changed, datetime.time.min, tzinfo=SHANGHAI)
        candidates = candidates.filter(
            Q(accept_due_at__gte=start)
            | Q(resolve_due_at__gte=start)
            | Q(promised_due_at__gte=start)
        )
    return candidates


# The deadline columns: a recomputation "moved" a request when one of them changed.
DEADLINES = ("accept_due_at", "promised_due_at", "resolve_due_at", "due_at", "escalate_at")


@dataclass(frozen=True)
class RecomputeBatch:
    """One batch of a recomputation, committed: the last id done (resume after it), the
    candidates it read, how many had a deadline moved, how many could not be recomputed."""

    last_pk: int
    seen: int
    moved: int
    failed: int


def recompute_batches(
    changed: datetime.date | None = None, *, after: int = 0, batch_size: int = 200
) -> Iterator[RecomputeBatch]:
    """Re-derive the deadlines of open requests after the calendar changed on or after
    ``changed``, in id order from after ``after``, a batch at a time; yield each batch once it
    has committed (stopping between two batches leaves nothing half done).

    Each batch is locked (FOR UPDATE) and recomputed from the locked rows, in its own
    transaction, so a transition committing meanwhile is never overwritten with stale values.
    A request that cannot be recomputed is logged with its number, counted and left as it
    was; the others go on.
    """
    candidates, last_pk = open_candidates(changed), after
    while True:
        ids = list(
            candidates.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        failed = 0
        with transaction.atomic():
            batch = list(
                ServiceRequest.objects.select_for_update(of=("self",))
                .filter(pk__in=ids, status__in=OPEN_STATUSES)
                .select_related("service_type")
                .prefetch_related("pauses")
                .order_by("pk")
            )
            changed, moved = [], set()
            for req in batch:
                try:
                    before = {name: getattr(req, name) for name in DERIVED}
                    recompute(req)
                except Exception:
                    logger.exception("request %s: deadlines not recomputed", req.number)
                    failed += 1
                    continue
                if any(getattr(req, name) != before[name] for name in DEADLINES):
                    moved.add(req.pk)
                if (req.due_at, req.escalate_at) == (before["due_at"], before["escalate_at"]):
                    # The running clock did not move: the sweep keeps its place (levels it
                    # has passed are not looked at again).
                    req.next_notice_at = before["next_notice_at"]
                if any(getattr(req, name) != value for name, value in before.items()):
                    changed.append(req)
            unsaved = save_rows(
                ServiceRequest, changed, list(DERIVED), label=lambda r: r.number, logger=logger
            )
        last_pk = ids[-1]
        moved -= {req.pk for req in unsaved}
        yield RecomputeBatch(last_pk, len(ids), len(moved), failed + len(unsaved))


def recompute_open(changed: datetime.date | None = None, batch_size: int = 200) -> int:
    """Re-derive the deadlines of open requests after the calendar changed on or after
    ``changed`` (all open requests when None), all batches at once; return how many deadlines
    moved.
    The calendar pages do this in the background (services.recompute)."""
    return sum(b.moved for b in recompute_batches(changed, batch_size=batch_size))


def sla(req: ServiceRequest, now: datetime.datetime) -> dict:
    """The ``sla`` object of API.md, from the stored columns (no query)."""
    return {
        "accept_due_at": req.accept_due_at,
        "resolve_due_at": req.resolve_due_at,
        "promised_due_at": req.promised_due_at,
        "paused": req.paused,
        "accepted_on_time": req.accepted_on_time,
        "resolved_on_time": req.resolved_on_time,
        "overdue": req.due_at is not None and now >= req.due_at,
        "escalated": req.escalate_at is not None and now >= req.escalate_at,
        "calendar_verified": req.calendar_verified,
    }
