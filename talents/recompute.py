"""Recomputing the visit clocks after a calendar change: a stage of services.recompute, after
requests, card applications and the subsidies, on the same progress bar. Each batch is locked
and recomputed in its own transaction; a row that fails is logged, counted and left."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from talents.clocks import liaison_derive, start_of_day
from talents.models import Liaison

logger = logging.getLogger("talents.recompute")


def liaison_candidates(changed: datetime.date | None = None, last: datetime.date | None = None):
    """Liaisons a change of the days ``changed``..``last`` can move: the escalation reaches the
    first changed day (the reminder lies before it), still supervised."""
    rows = Liaison.objects.filter(next_notice_at__isnull=False)
    if changed is not None:
        rows = rows.filter(escalate_at__gte=start_of_day(changed))
    return rows


def liaison_batches(changed=None, *, last=None, after: int = 0, batch_size: int = 200):
    candidates = liaison_candidates(changed, last)
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
            rows = list(Liaison.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
            for row in rows:
                try:
                    with transaction.atomic():
                        before = (row.remind_at, row.escalate_at)
                        next_before = row.next_notice_at
                        fields = liaison_derive(row, now)
                        if (row.remind_at, row.escalate_at) != before:
                            moved += 1
                        else:
                            row.next_notice_at = next_before
                        row.save(update_fields=fields)
                except Exception:
                    logger.exception("liaison %s could not be recomputed", row.pk)
                    failed += 1
        last_pk = ids[-1]
        yield last_pk, len(ids), moved, failed
