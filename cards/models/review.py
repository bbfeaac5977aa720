"""The review clock of card applications (审核时限): its limits, as data, and its notices."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from cards.models.applications import ApplicationKind

# Seeded by migration (cards 0003); admins change them in the admin. Also the fallback of a
# database flushed after migrating (cards.review_clock.review_limit_days). A first application
# is examined in full; a renewal or a change of employer re-checks a card already granted, so
# it is promised in half the time.
DEFAULT_REVIEW_DAYS = {
    ApplicationKind.NEW: 10,
    ApplicationKind.RENEWAL: 5,
    ApplicationKind.CHANGE: 5,
}


class ReviewLimit(models.Model):
    """审核时限: how many working days the organization department gives itself to decide an
    application of one kind (new, renewal, change), counted from its first submission.

    The limit is copied onto the application when it is first submitted
    (``CardApplication.review_days``), so changing it here never moves a deadline already
    promised to a talent.
    """

    kind = models.CharField("申请类型", max_length=10, choices=ApplicationKind.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(
        "审核时限（工作日）", validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "优才卡审核时限"
        verbose_name_plural = "优才卡审核时限"
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_days__gte=1), name="reviewlimit_at_least_one_day"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.working_days} 个工作日"


class ReviewLevel(models.TextChoices):
    """The supervision levels of DESIGN.md, as the requests' sweep has them."""

    DUE_SOON = "due_soon", "即将超期"
    OVERDUE = "overdue", "已超期"
    ESCALATED = "escalated", "督办"


class CardReviewNotice(models.Model):
    """A supervision level reached by one application's review clock, for one deadline.

    The unique constraint is the guarantee that each (application, level, deadline) is
    notified at most once, whichever sweep, worker or retry gets there: the notifications are
    written in the transaction that inserts this row. A deadline that moves (a resubmission
    after a late return, a calendar correction) is a new deadline and is supervised again.
    """

    application = models.ForeignKey(
        "cards.CardApplication", on_delete=models.CASCADE, related_name="review_notices"
    )
    level = models.CharField(max_length=10, choices=ReviewLevel.choices)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "审核督查记录"
        verbose_name_plural = "审核督查记录"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "level", "deadline"], name="cardreviewnotice_once"
            ),
        ]

    def __str__(self):
        return f"{self.application_id} {self.level}"
