"""The review clock of a card application (审核时限), on the working-day calendar.

DESIGN.md "Working days and SLA clocks", applied to the organization department's review:

- the limit is data (ReviewLimit, per kind: seeded 10 working days for a new application,
  5 for a renewal or a change of employer) and is copied onto the application at its first
  submission (``review_days``): editing the limit later moves no promise already made;
- the clock starts at the first submission; the start day is not counted and the limit ends
  at 24:00 (Asia/Shanghai) of the N-th working day after it (民法典 art. 201, 203);
- a return for correction (退回补正) is the requests' 待补正: the clock *pauses* and, on
  resubmission, *resumes* — the deadline moves later by k working days, k = the working days d
  with return day < d <= resubmission day (returned and resubmitted the same day: k = 0). It
  does not restart: the talent's corrections do not buy the office a fresh limit, and the
  office cannot reset its clock by returning an application;
- returned after the deadline had already passed, the application stays overdue and
  supervised while it waits for the talent (a late backlog cannot hide in 退回补正), and the
  resubmission moves the deadline by the pause's k, so the lateness stays what it was;
- 督办: still undecided 2 working days after the deadline;
- the on-time verdict (``reviewed_on_time``: decided before the deadline instant) is frozen at
  the decision, and the running columns are cleared then.

``review_recompute`` derives every deadline column from those facts and the calendar, so the
same function serves a transition and a correction of the calendar
(``review_recompute_open``). The arithmetic comes from the calendar's owner through
cards.hooks.working_day_clock (see there for why it is not moved down).
"""

import datetime
import logging
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Prefetch, Q

from cards.hooks import working_day_clock
from cards.models import ApplicationEvent, ApplicationKind, CardApplication, ReviewLimit
from cards.models.applications import REVIEW_OPEN_STATUSES, ApplicationStatus
from cards.models.review import DEFAULT_REVIEW_DAYS
from portal import timefmt
from portal.bulk import save_rows

logger = logging.getLogger("cards.review_clock")
# The events that pause and resume the clock (written by cards.applications).
PAUSE, RESUME = "returned", "resubmitted"
DERIVED = (
    "review_due_at",
    "review_escalate_at",
    "review_next_notice_at",
    "review_calendar_verified",
)


def review_limit_days(kind: str) -> int:
    """The working days an application of ``kind`` is promised to be decided in. Without a
    ReviewLimit row (a database flushed after migrating) the seed's value applies."""
    row = ReviewLimit.objects.filter(kind=kind).values_list("working_days", flat=True).first()
    return row if row is not None else DEFAULT_REVIEW_DAYS[ApplicationKind(kind)]


def review_limits() -> dict[str, int]:
    """Every kind's limit (one query), for pages that explain them."""
    limits = {str(kind): days for kind, days in DEFAULT_REVIEW_DAYS.items()}
    limits.update(ReviewLimit.objects.values_list("kind", "working_days"))
    return limits


def _pauses(app: CardApplication) -> list[tuple[datetime.datetime, datetime.datetime | None]]:
    """(returned at, resubmitted at or None) for each return, oldest first."""
    events = getattr(app, "review_events", None)
    if events is None:
        events = list(
            app.events.filter(action__in=(PAUSE, RESUME)).order_by("at", "id").only("action", "at")
        )
    pauses: list[list] = []
    for event in events:
        if event.action == PAUSE:
            pauses.append([event.at, None])
        elif event.action == RESUME and pauses and pauses[-1][1] is None:
            pauses[-1][1] = event.at
    return [(start, end) for start, end in pauses]


def review_recompute(app: CardApplication) -> list[str]:
    """Set the derived review columns of ``app`` from its facts; return their names.

    The caller saves them (``save(update_fields=...)``) inside its transaction, after writing
    the event of the transition (a return or resubmission is read from the events).
    """
    clear = dict.fromkeys(DERIVED[:3])
    if app.status not in REVIEW_OPEN_STATUSES or app.review_started_at is None:
        for name, value in clear.items():
            setattr(app, name, value)
        app.review_calendar_verified = True
        return list(DERIVED)
    clock = working_day_clock()
    verified = True
    pauses = _pauses(app)
    shift = 0
    for started, ended in pauses:
        if ended is not None:
            k, known = clock.working_days_between(
                clock.local_date(started), clock.local_date(ended)
            )
            shift += k
            verified = verified and known
    due_day, known = clock.add_working_days(
        clock.local_date(app.review_started_at), app.review_days + shift
    )
    verified = verified and known
    escalate_day, known = clock.add_working_days(due_day, clock.escalate_after_days)
    verified = verified and known
    due_at, escalate_at = clock.end_of_day(due_day), clock.end_of_day(escalate_day)
    running = app.status == ApplicationStatus.SUBMITTED or bool(
        # Returned after the deadline: still overdue, still supervised.
        pauses and pauses[-1][1] is None and pauses[-1][0] >= due_at
    )
    if running:
        app.review_due_at, app.review_escalate_at = due_at, escalate_at
        # The sweep looks again from the start of the due day (due_soon); the levels already
        # notified for this deadline are skipped by CardReviewNotice's unique constraint.
        app.review_next_notice_at = due_soon_at(due_at)
    else:  # returned in time: the clock stands still until the talent resubmits
        for name, value in clear.items():
            setattr(app, name, value)
    app.review_calendar_verified = verified
    return list(DERIVED)


def review_start(app: CardApplication, now: datetime.datetime) -> list[str]:
    """At the first submission: copy the limit and start the clock (facts; fields set)."""
    if app.review_started_at is not None:
        return []
    app.review_started_at = now
    app.review_days = review_limit_days(app.kind)
    return ["review_started_at", "review_days"]


def review_stop(app: CardApplication, now: datetime.datetime) -> list[str]:
    """At the decision (approve, reject): freeze the verdict, stop the clock.

    Decided before the deadline instant is on time: at 23:59:59 of the last day yes, at 00:00
    after it no. An application decided while returned after its deadline cannot happen (only
    a submitted one is decided).
    """
    app.reviewed_on_time = now < app.review_due_at if app.review_due_at is not None else None
    app.review_due_at = app.review_escalate_at = app.review_next_notice_at = None
    return ["reviewed_on_time", "review_due_at", "review_escalate_at", "review_next_notice_at"]


def due_soon_at(due_at: datetime.datetime) -> datetime.datetime:
    """The start of the due day: from then on the deadline is the end of the current day
    (the same rule as the requests' clocks)."""
    return due_at - datetime.timedelta(days=1)


def review_open_candidates(changed: datetime.date | None = None):
    """Undecided applications whose review deadline a calendar change on or after ``changed``
    can move (all of them when None): a running deadline on or after the changed day, and
    applications returned in time (no deadline stored; a correction may put their deadline
    before the return, which makes them overdue)."""
    candidates = CardApplication.objects.filter(
        status__in=REVIEW_OPEN_STATUSES, review_started_at__isnull=False
    )
    if changed is not None:
        start = working_day_clock().end_of_day(changed - datetime.timedelta(days=1))  # 00:00
        candidates = candidates.filter(
            Q(review_due_at__gte=start)
            | Q(status=ApplicationStatus.RETURNED, review_due_at__isnull=True)
        )
    return candidates


def review_recompute_batches(
    changed: datetime.date | None = None, *, after: int = 0, batch_size: int = 200
) -> Iterator[tuple[int, int, int, int]]:
    """Re-derive the review deadlines of undecided applications after the calendar changed on
    or after ``changed``, in id order from after ``after``, a batch at a time; yield
    ``(last id, candidates read, moved, failed)`` for each batch once it has committed.

    Each batch is locked (FOR UPDATE) and recomputed from the locked rows in its own
    transaction, so a transition committing meanwhile is never overwritten. An application
    that cannot be recomputed is logged, counted and left as it was; the others go on.
    """
    candidates, last_pk = review_open_candidates(changed), after
    pauses = Prefetch(
        "events",
        queryset=ApplicationEvent.objects.filter(action__in=(PAUSE, RESUME))
        .order_by("at", "id")
        .only("application_id", "action", "at"),
        to_attr="review_events",
    )
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
                CardApplication.objects.select_for_update(of=("self",))
                .filter(pk__in=ids, status__in=REVIEW_OPEN_STATUSES)
                .prefetch_related(pauses)
                .order_by("pk")
            )
            changed, moved = [], set()
            for app in batch:
                try:
                    before = {name: getattr(app, name) for name in DERIVED}
                    review_recompute(app)
                except Exception:
                    logger.exception("card application #%s: deadline not recomputed", app.pk)
                    failed += 1
                    continue
                deadlines = (app.review_due_at, app.review_escalate_at)
                if deadlines != (before["review_due_at"], before["review_escalate_at"]):
                    moved.add(app.pk)
                else:  # the sweep keeps its place (levels it has passed are not looked at again)
                    app.review_next_notice_at = before["review_next_notice_at"]
                if any(getattr(app, name) != value for name, value in before.items()):
                    changed.append(app)
            unsaved = save_rows(
                CardApplication, changed, list(DERIVED), label=lambda a: f"#{a.pk}", logger=logger
            )
        last_pk = ids[-1]
        moved -= {app.pk for app in unsaved}
        yield last_pk, len(ids), len(moved), failed + len(unsaved)


def review_recompute_open(changed: datetime.date | None = None, batch_size: int = 200) -> int:
    """All batches of ``review_recompute_batches`` at once; return how many moved."""
    return sum(moved for _, _, moved, _ in review_recompute_batches(changed, batch_size=batch_size))


# Written one way by every layer (pages, notices, the API's texts): portal.timefmt.
deadline_text = timefmt.deadline_text


def review_sla(app: CardApplication, now: datetime.datetime) -> dict:
    """The application's ``review`` object (API and pages), from the stored columns."""
    paused = app.status == ApplicationStatus.RETURNED and app.review_started_at is not None
    return {
        "days": app.review_days,
        "started_at": app.review_started_at,
        "due_at": app.review_due_at,
        "escalate_at": app.review_escalate_at,
        "paused": paused and app.review_due_at is None,
        "overdue": app.review_due_at is not None and now >= app.review_due_at,
        "escalated": app.review_escalate_at is not None and now >= app.review_escalate_at,
        "reviewed_on_time": app.reviewed_on_time,
        "calendar_verified": app.review_calendar_verified,
        "due_text": deadline_text(app.review_due_at),
    }
