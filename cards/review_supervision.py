"""Supervision of card reviews (审核时限): the sweep's part for applications.

Run by the one supervision sweep (services.supervision.sla_sweep, beat every 5 minutes), with
the same levels as requests, each sent at most once per application, level and deadline
(CardReviewNotice):

- ``due_soon``: from the start of the due day → the organization department's admins, who
  review;
- ``overdue``: from 00:00 after the due day → the admins, urgent;
- ``escalated`` (督办): still undecided 2 working days past the deadline → the admins, urgent.

Applications are found through the partial index on ``review_next_notice_at``, in bounded
batches; each is claimed with a row lock (a sweep running at the same moment skips it), its
notice rows and notifications are written in one transaction, and ``review_next_notice_at``
moves to the next level's instant. Two sweeps at once, or a retried one, send nothing twice:
the unique constraint on CardReviewNotice decides.
"""

import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cards.models import CardApplication, CardReviewNotice, ReviewLevel
from cards.review_clock import due_soon_at
from portal.identity import mask_name
from portal.models import Role, User
from portal.notify import notification_create
from portal.timefmt import deadline_text

logger = logging.getLogger("cards.review_supervision")
BATCH_SIZE = 200

TITLES = {
    ReviewLevel.DUE_SOON: "今日审核到期，请及时办结",
    ReviewLevel.OVERDUE: "审核已超期",
    ReviewLevel.ESCALATED: "审核已超期两个工作日，督办",
}


def _levels_reached(app: CardApplication, now) -> list[str]:
    if app.review_due_at is None:
        return []
    if now >= app.review_due_at:
        levels = [ReviewLevel.OVERDUE]
        if app.review_escalate_at is not None and now >= app.review_escalate_at:
            levels.append(ReviewLevel.ESCALATED)
        return levels
    if now >= due_soon_at(app.review_due_at):
        return [ReviewLevel.DUE_SOON]
    return []


def _next_instant(app: CardApplication, now):
    """The next level's instant after ``now`` (None once escalated, or with no clock)."""
    if app.review_due_at is None:
        return None
    for instant in (due_soon_at(app.review_due_at), app.review_due_at, app.review_escalate_at):
        if instant is not None and instant > now:
            return instant
    return None


def _notify(app: CardApplication, notice: CardReviewNotice, reviewers: list[User]) -> int:
    sent = 0
    for person in reviewers:
        created = notification_create(
            recipient=person,
            kind=f"card_review_{notice.level}",
            title=f"优才卡申请 #{app.pk}（{app.get_kind_display()}）{TITLES[notice.level]}",
            body=(
                f"申请人：{mask_name(app.talent.real_name)}；审核时限 {app.review_days} 个工作日，"
                f"应于 {deadline_text(notice.deadline)} 前办结。"
            ),
            link=reverse("cards:review", args=[app.pk]),
            dedupe_key=f"card_review:{notice.pk}:{person.pk}",
            urgent=notice.level != ReviewLevel.DUE_SOON,
        )
        sent += created is not None
    return sent


def review_supervise(application_id: int, now=None) -> int:
    """Fire whatever levels one application has reached; return the notifications written."""
    now = now or timezone.now()
    with transaction.atomic():
        app = (
            CardApplication.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("talent")
            .filter(pk=application_id, review_next_notice_at__lte=now)
            .first()
        )
        if app is None:  # another sweep holds it, or it has moved on (decided, returned)
            return 0
        sent, reviewers = 0, None
        for level in _levels_reached(app, now):
            try:
                with transaction.atomic():
                    notice = CardReviewNotice.objects.create(
                        application=app, level=level, deadline=app.review_due_at
                    )
            except IntegrityError:
                continue  # already notified for this deadline
            if reviewers is None:
                reviewers = list(User.objects.filter(is_active=True, role=Role.ADMIN))
            sent += _notify(app, notice, reviewers)
        app.review_next_notice_at = _next_instant(app, now)
        app.save(update_fields=["review_next_notice_at"])
    return sent


def review_sweep(now=None, batch_size: int = BATCH_SIZE) -> int:
    """Supervise every application whose next notice is due (index cardapp_review_notice_idx);
    return the notifications written."""
    now = now or timezone.now()
    total, seen = 0, set()
    while True:
        due = list(
            CardApplication.objects.filter(review_next_notice_at__lte=now)
            .exclude(pk__in=seen)
            .order_by("review_next_notice_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not due:
            break
        for application_id in due:
            total += review_supervise(application_id, now)
        seen.update(due)  # rows skipped because another sweep held them are not retried here
        if len(due) < batch_size:
            break
    logger.info("card review sweep at %s: %s notifications", now.isoformat(), total)
    return total
