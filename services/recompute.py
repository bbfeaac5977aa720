"""Recomputing open deadlines after a calendar change, in the background (issue 12 point 7).

Deadlines are derived from the calendar (services.clocks, cards.review_clock), so a change
(services.calendar: a day corrected, a CSV imported, a year synced) must move those of the open
requests and undecided card applications. The change records a ``CalendarRecompute`` in its
own transaction and, after commit, enqueues ``services.tasks.calendar_recompute`` with its id
(portal.delivery.enqueue: a broker that is down fails no page; the row waits for the retry
job). The page that made the change answers at once and shows the progress.

``recompute_run`` claims the row with a lease (a second worker, or the retry job, leaves it
alone while the lease runs), counts the candidates, then recomputes the requests and then the
applications batch by batch (each batch locked and committed on its own), recording progress
and where it is after every batch. After ``RUN_SECONDS`` it lets go and enqueues itself to
go on from there, so no task runs into Celery's time limit however many rows there are. A row
that cannot be recomputed is logged, counted (``failed_rows``) and left; the rest goes on.
Running one that is done, or held, does nothing.

``recomputes_retry`` (beat, every minute) runs whatever is pending and has not moved for a
minute: a publish lost while the broker was down, a worker that died (its lease has expired),
a run that failed (up to ``MAX_ATTEMPTS`` times).
"""

import datetime
import logging
import time

from django.db.models import Q
from django.utils import timezone

from cards.review_clock import review_open_candidates, review_recompute_batches
from portal.delivery import enqueue
from services.clocks import open_candidates, recompute_batches
from services.models import CalendarRecompute, RecomputeStatus
from services.workdays import calendar_snapshot

logger = logging.getLogger("services.recompute")

RUN_SECONDS = 60  # one task's share (CELERY_TASK_SOFT_TIME_LIMIT is 120)
LEASE = datetime.timedelta(minutes=5)  # renewed after every batch
RETRY_AFTER = datetime.timedelta(minutes=1)
MAX_ATTEMPTS = 5
BATCH_SIZE = 200
STAGES = ("requests", "applications")
# Deadlines of layers above services (subsidies: entitlement reviews, instalments), recomputed
# after requests and applications; each registered from its AppConfig.ready():
# name → (candidates(changed, last=) → queryset, batches(changed, last=, after=, batch_size=) →
# iterator of (last id, read, moved, failed)); ``last``: the last changed day, when known.
_more_stages: dict = {}


def register_stage(name: str, *, candidates, batches) -> None:
    """Recompute a higher layer's deadlines too, as a stage of its own (``name``: at most 20
    characters, CalendarRecompute.stage)."""
    _more_stages[name] = (candidates, batches)


def _stages() -> tuple[str, ...]:
    return (*STAGES, *_more_stages)


SHOWN_FOR = datetime.timedelta(hours=24)  # a finished one stays on the calendar page this long

PENDING = Q(status__in=(RecomputeStatus.QUEUED, RecomputeStatus.RUNNING)) | Q(
    status=RecomputeStatus.FAILED, attempts__lt=MAX_ATTEMPTS
)


def recompute_schedule(
    *,
    reason: str,
    first_day: datetime.date | None,
    last_day: datetime.date | None = None,
    actor=None,
) -> CalendarRecompute:
    """In the caller's transaction (the calendar change's): record a recomputation of the
    deadlines a change from ``first_day`` on can move, and enqueue it after commit."""
    from services.tasks import calendar_recompute

    recompute = CalendarRecompute.objects.create(
        reason=reason[:200],
        first_day=first_day,
        last_day=last_day or first_day,
        requested_by=actor if actor is not None and actor.pk else None,
    )
    enqueue(calendar_recompute, recompute.pk)
    return recompute


def _claim(pk: int, now) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(
        CalendarRecompute.objects.filter(PENDING, free, pk=pk).update(
            status=RecomputeStatus.RUNNING, lease_until=now + LEASE, touched_at=now
        )
    )


def _batches(recompute: CalendarRecompute):
    """The current stage's batches from its cursor, as (last id, read, moved, failed); each
    batch reads the calendar once (services.workdays.calendar_snapshot), not per deadline."""
    if recompute.stage == "requests":
        batches = (
            (b.last_pk, b.seen, b.moved, b.failed)
            for b in recompute_batches(
                recompute.first_day, after=recompute.cursor, batch_size=BATCH_SIZE
            )
        )
    elif recompute.stage in _more_stages:
        batches = _more_stages[recompute.stage][1](
            recompute.first_day,
            last=recompute.last_day,
            after=recompute.cursor,
            batch_size=BATCH_SIZE,
        )
    else:
        batches = review_recompute_batches(
            recompute.first_day, after=recompute.cursor, batch_size=BATCH_SIZE
        )
    try:
        while True:
            with calendar_snapshot():
                batch = next(batches, None)
            if batch is None:
                return
            yield batch
    finally:
        batches.close()


def _save(recompute: CalendarRecompute, *, release: bool = False, **fields) -> None:
    """Record ``fields`` (progress, where it is) and renew the lease, or let it go."""
    now = timezone.now()
    for name, value in fields.items():
        setattr(recompute, name, value)
    recompute.touched_at = now
    recompute.lease_until = None if release else now + LEASE
    CalendarRecompute.objects.filter(pk=recompute.pk).update(
        touched_at=recompute.touched_at, lease_until=recompute.lease_until, **fields
    )


def recompute_run(recompute_id: int, *, seconds: float | None = RUN_SECONDS) -> str:
    """Run (or go on with) one recomputation for at most ``seconds`` (None: to the end);
    return ``done``, ``continued`` (enqueued again to go on), ``skipped`` (done already, or
    held by another worker) or ``failed``."""
    if not _claim(recompute_id, timezone.now()):
        return "skipped"
    recompute = CalendarRecompute.objects.get(pk=recompute_id)
    until = None if seconds is None else time.monotonic() + seconds
    try:
        if not recompute.stage:
            total = open_candidates(recompute.first_day).count()
            total += review_open_candidates(recompute.first_day).count()
            for candidates, _batches_of in _more_stages.values():
                total += candidates(recompute.first_day, last=recompute.last_day).count()
            _save(recompute, total=total, stage=STAGES[0], cursor=0, started_at=timezone.now())
        while recompute.stage:
            batches = _batches(recompute)
            for last_pk, seen, moved, failed in batches:
                _save(
                    recompute,
                    cursor=last_pk,
                    done=recompute.done + seen,
                    moved=recompute.moved + moved,
                    failed_rows=recompute.failed_rows + failed,
                    total=max(recompute.total, recompute.done + seen),
                )
                if until is not None and time.monotonic() >= until:
                    batches.close()
                    # Let go, and go on in a fresh task (or the retry job, if the broker is down).
                    _save(recompute, release=True)
                    from services.tasks import calendar_recompute

                    enqueue(calendar_recompute, recompute.pk)
                    return "continued"
            stages = _stages()
            following = stages.index(recompute.stage) + 1
            _save(recompute, stage=stages[following] if following < len(stages) else "", cursor=0)
        _save(
            recompute,
            release=True,
            status=RecomputeStatus.DONE,
            total=recompute.done,
            finished_at=timezone.now(),
            error="",
        )
        logger.info(
            "calendar recompute %s done: %s read, %s moved, %s failed",
            recompute.pk,
            recompute.done,
            recompute.moved,
            recompute.failed_rows,
        )
        return "done"
    except Exception as exc:
        logger.exception("calendar recompute %s failed", recompute_id)
        now, attempts = timezone.now(), recompute.attempts + 1
        CalendarRecompute.objects.filter(pk=recompute_id).update(
            status=RecomputeStatus.FAILED,
            attempts=attempts,
            error=f"{type(exc).__name__}: {exc}"[:1000],
            lease_until=None,
            touched_at=now,
            # The last attempt: finished, and shown as such on the calendar page for a day.
            finished_at=now if attempts >= MAX_ATTEMPTS else None,
        )
        return "failed"


def recomputes_retry(
    *, grace: datetime.timedelta = RETRY_AFTER, seconds: float | None = RUN_SECONDS
) -> int:
    """Run the recomputations that are pending and have not moved for ``grace`` (oldest
    first), within ``seconds`` in all (None: each to its end); return how many were run."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    pending = list(
        CalendarRecompute.objects.filter(PENDING, free, touched_at__lte=now - grace)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:20]
    )
    until = None if seconds is None else time.monotonic() + seconds
    ran = 0
    for pk in pending:
        left = None if until is None else until - time.monotonic()
        if left is not None and left <= 0:
            break
        ran += recompute_run(pk, seconds=left) != "skipped"
    return ran


# --- what the calendar page shows ---------------------------------------------------------
def recomputes_shown(now=None) -> list[CalendarRecompute]:
    """The recomputations to show on the calendar page: those not finished (newest first, a
    few), or else the last one finished within a day."""
    now = now or timezone.now()
    active = list(CalendarRecompute.objects.filter(PENDING).order_by("-created_at", "-pk")[:5])
    if active:
        return active
    last = (
        CalendarRecompute.objects.filter(
            status__in=(RecomputeStatus.DONE, RecomputeStatus.FAILED),
            finished_at__gte=now - SHOWN_FOR,
        )
        .order_by("-finished_at", "-pk")
        .first()
    )
    return [last] if last else []


def recompute_text(recompute: CalendarRecompute) -> str:
    if recompute.status == RecomputeStatus.DONE:
        return f"期限已按新日历重新计算（{recompute.total} 件）"
    if recompute.status == RecomputeStatus.RUNNING and recompute.stage:
        return f"正在重新计算 {recompute.total} 件在办申请的期限… {recompute.percent}%"
    if recompute.status == RecomputeStatus.FAILED:
        if recompute.attempts >= MAX_ATTEMPTS:
            return "重新计算期限多次出错，已停止，请联系系统管理员。"
        return (
            f"重新计算期限时出错（已完成 {recompute.done}/{recompute.total} 件），"
            "系统将在一分钟后自动重试。"
        )
    return "已排队，即将重新计算在办申请的期限…"


def recompute_detail(recompute: CalendarRecompute) -> str:
    """The line under the bar: what changed the calendar, and what the recompute found."""
    parts = [recompute.reason]
    if recompute.status == RecomputeStatus.DONE:
        parts.append(f"其中 {recompute.moved} 件期限有变化")
    if recompute.failed_rows:
        parts.append(f"{recompute.failed_rows} 件未能计算（已记入日志）")
    return "；".join(parts) + "。"


def recompute_json(recompute: CalendarRecompute) -> dict:
    """The progress endpoint's answer (static/js/calendar-recompute.js)."""
    finished = recompute.status == RecomputeStatus.DONE or (
        recompute.status == RecomputeStatus.FAILED and recompute.attempts >= MAX_ATTEMPTS
    )
    return {
        "id": recompute.pk,
        "status": recompute.status,
        "status_label": recompute.get_status_display(),
        "total": recompute.total,
        "done": recompute.done,
        "moved": recompute.moved,
        "percent": recompute.percent,
        "finished": finished,
        "text": recompute_text(recompute),
        "detail": recompute_detail(recompute),
    }
