"""Supervision of card reviews (审核时限): the sweep's part for applications.

Run by the one supervision sweep (services.supervision.sla_sweep, beat every 5 minutes), with
the same levels as requests, each sent at most once per application, level and deadline
(CardReviewNotice):

- ``due_soon``: from the start of the due day → the organization department's admins, who
  review;
- ``overdue``: from 00:00 after the due day → the admins, urgent;
- ``escalated`` (督办): still undecided 2 working days past the deadline → the admins, urgent.

Applications are found through the partial index on ``review_next_notice_at``, in bounded
batches, and worked a batch at a time (portal.sweep): the batch is claimed with row locks (a
sweep running at the same moment skips it), its notice rows, notifications and deliveries are
written in bulk in one transaction, and ``review_next_notice_at`` moves to the next level's
instant. Two sweeps at once, or a retried one, send nothing twice: the unique constraint on
CardReviewNotice decides. An application that cannot be supervised is logged, looked at again
an hour later and counted; the rest of the batch goes on.
"""

import logging

from django.urls import reverse
from django.utils import timezone

from cards.models import CardApplication, CardReviewNotice, ReviewLevel
from cards.review_clock import due_soon_at
from portal.identity import mask_name
from portal.models import Role, User
from portal.notify import Message
from portal.sweep import NoticeSweep, Plan, Reached, Tally
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


class ReviewSweep(NoticeSweep):
    model = CardApplication
    notice_model = CardReviewNotice
    owner = "application_id"
    key = ("level",)
    next_field = "review_next_notice_at"
    dedupe_prefix = "card_review"
    logger = logger

    def queryset(self):
        return CardApplication.objects.select_related("talent")

    def label(self, app: CardApplication) -> str:
        return f"#{app.pk}"

    def prepare(self, rows: list[CardApplication], now) -> list[User]:
        return list(User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk"))

    def plan(self, app: CardApplication, now, reviewers: list[User]) -> Plan:
        plan = Plan(next_at=_next_instant(app, now))
        for level in _levels_reached(app, now):
            messages = [
                Message(
                    recipient=person,
                    kind=f"card_review_{level}",
                    title=f"优才卡申请 #{app.pk}（{app.get_kind_display()}）{TITLES[level]}",
                    body=(
                        f"申请人：{mask_name(app.talent.real_name)}；"
                        f"审核时限 {app.review_days} 个工作日，"
                        f"应于 {deadline_text(app.review_due_at)} 前办结。"
                    ),
                    link=reverse("cards:review", args=[app.pk]),
                    urgent=level != ReviewLevel.DUE_SOON,
                )
                for person in reviewers
            ]
            notice = {"level": level, "deadline": app.review_due_at}
            plan.reached.append(Reached(notice=notice, messages=messages))
        return plan


REVIEWS = ReviewSweep()


def review_supervise(application_id: int, now=None) -> int:
    """Fire whatever levels one application has reached; return the notifications written."""
    return REVIEWS.supervise(application_id, now or timezone.now()).sent


def review_sweep_tally(now=None, batch_size: int = BATCH_SIZE) -> Tally:
    """Supervise every application whose next notice is due (index cardapp_review_notice_idx);
    what it did, failures included."""
    now = now or timezone.now()
    tally = REVIEWS.run(now, batch_size)
    logger.info(
        "card review sweep at %s: %s applications, %s notifications, %s failed",
        now.isoformat(),
        tally.rows,
        tally.sent,
        tally.failed,
    )
    return tally


def review_sweep(now=None, batch_size: int = BATCH_SIZE) -> int:
    """The card reviews' part of the sweep; return the notifications written."""
    return review_sweep_tally(now, batch_size).sent
