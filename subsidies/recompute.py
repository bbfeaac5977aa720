"""Recomputing the subsidies' deadlines after a calendar change (services.recompute runs these
as stages of its own after requests and card applications, with the same progress bar).

- entitlements under review (``confirmed``): the review deadline from the confirmation and
  the limit copied then;
- instalments still owed: the working day each is due on, from the date its schedule names.

Each batch is locked and recomputed in its own transaction, so a transition committing
meanwhile is never overwritten; a row that cannot be recomputed is logged, counted and left.
A moved deadline is a new deadline: when a level of it is already reached the sweep looks at
the row at once (its notices are keyed by the deadline, so nothing is sent twice).
"""

import datetime
import logging
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from services.clocks import due_soon_at
from services.workdays import SHANGHAI
from subsidies.clocks import instalment_derive, review_derive
from subsidies.models import Entitlement, EntitlementStatus, Instalment
from subsidies.models.entitlements import OWED

logger = logging.getLogger("subsidies.recompute")


def _start(changed: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(changed, datetime.time.min, tzinfo=SHANGHAI)


def review_candidates(changed: datetime.date | None = None, last: datetime.date | None = None):
    rows = Entitlement.objects.filter(
        status=EntitlementStatus.CONFIRMED, confirmed_at__isnull=False, review_days__isnull=False
    )
    if changed is not None:
        rows = rows.filter(review_escalate_at__gte=_start(changed))
    return rows


def instalment_candidates(changed: datetime.date | None = None, last: datetime.date | None = None):
    """Owed instalments a change of the days ``changed``..``last`` can move: their payable day
    or escalation reaches the first changed day, and their schedule names a day no later than
    the last one (the payable day is looked for from the named day on: a change before it
    moves nothing). Index instalment_owed_scheduled_idx."""
    rows = Instalment.objects.filter(status__in=OWED)
    if changed is not None:
        rows = rows.filter(escalate_at__gte=_start(changed))
    if last is not None:
        rows = rows.filter(scheduled_on__lte=last)
    return rows


def _moved_next(row, due_field: str, now) -> None:
    """A level of the new deadline already reached: the sweep looks at the row now."""
    due = getattr(row, due_field)
    if due is not None and now >= due_soon_at(due):
        row.next_notice_at = now


def _batches(candidates, model, derive, due_field, after, batch_size) -> Iterator[tuple]:
    last_pk = after
    while True:
        ids = list(
            candidates.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        moved = failed = 0
        now = timezone.now()
        with transaction.atomic():
            rows = list(
                candidates.model.objects.select_for_update(of=("self",))
                .filter(pk__in=ids)
                .order_by("pk")
            )
            for row in rows:
                try:
                    with transaction.atomic():
                        before = getattr(row, due_field)
                        fields = derive(row, now)
                        if getattr(row, due_field) != before:
                            _moved_next(row, due_field, now)
                            moved += 1
                        row.save(update_fields=[f for f in fields if f != "reviewed_on_time"])
                except Exception:
                    logger.exception("%s %s could not be recomputed", model, row.pk)
                    failed += 1
        last_pk = ids[-1]
        yield last_pk, len(ids), moved, failed


def review_batches(changed=None, *, last=None, after: int = 0, batch_size: int = 200):
    candidates = review_candidates(changed, last)
    return _batches(candidates, "entitlement", review_derive, "review_due_at", after, batch_size)


def instalment_batches(changed=None, *, last=None, after: int = 0, batch_size: int = 200):
    candidates = instalment_candidates(changed, last)
    return _batches(candidates, "instalment", instalment_derive, "due_at", after, batch_size)
