from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.models.criteria import DocumentKind, Tier
from portal.models import Role


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回补正")
    APPROVED = "approved", _("已认定")
    REJECTED = "rejected", _("不予认定")


# An application is "open" until it is decided; a talent has at most one open application.
OPEN_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)
# States in which the talent may still change the application and its documents.
EDITABLE_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
TERMINAL_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
# Submitted and not yet decided: the review clock has started (a return pauses it).
REVIEW_OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)


class ApplicationKind(models.TextChoices):
    NEW = "new", _("首次申请")
    RENEWAL = "renewal", _("到期续期")
    CHANGE = "change", _("信息变更（更换单位）")


class CardApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Talents see their own applications, the organization department all of them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role == Role.TALENT:
            return self.filter(talent=user)
        return self.none()


class CardApplication(models.Model):
    """A talent's application for the card (new, renewal, or change of employer).

    ``draft → submitted → returned ⇄ submitted → approved | rejected``. A return lists every
    missing or wrong item at once (一次告知) in ``returned_items``.
    """

    talent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        on_delete=models.PROTECT,
        related_name="card_applications",
    )
    kind = models.CharField(
        "申请类型", max_length=10, choices=ApplicationKind.choices, default=ApplicationKind.NEW
    )
    status = models.CharField(
        "状态", max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    criteria = models.ManyToManyField("cards.Criterion", verbose_name="申报条件", blank=True)
    employer = models.CharField("工作单位", max_length=100, blank=True)
    position = models.CharField("职务/岗位", max_length=60, blank=True)
    industry = models.CharField("所属行业", max_length=60, blank=True)
    education = models.CharField("最高学历", max_length=30, blank=True)
    professional_title = models.CharField("专业技术职称/职业技能等级", max_length=60, blank=True)
    arrival_date = models.DateField("来巴工作时间", null=True, blank=True)
    # The card a renewal or change applies to, and the card an approval issued or extended.
    card = models.ForeignKey(
        "cards.Card",
        verbose_name="卡",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    returned_items = models.JSONField("需补正事项", default=list, blank=True)
    return_note = models.TextField("退回说明", blank=True)
    approved_tier = models.CharField("认定层次", max_length=1, choices=Tier.choices, blank=True)
    decision_note = models.TextField("审核意见", blank=True)
    reject_reason = models.TextField("不予认定理由", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    # The review clock (审核时限, cards.review_clock). Facts: the limit copied at the first
    # submission and when that was (returns and resubmissions are the events). Derived from
    # them and the calendar: the deadline, 督办 and the sweep's next look, set only while a
    # clock runs (submitted, or returned after the deadline had passed) and cleared at the
    # decision, whose verdict is frozen in reviewed_on_time.
    review_days = models.PositiveSmallIntegerField("审核时限（工作日）", null=True, blank=True)
    review_started_at = models.DateTimeField("审核计时起点（首次提交）", null=True, blank=True)
    review_due_at = models.DateTimeField("审核期限", null=True, blank=True)
    review_escalate_at = models.DateTimeField("督办时间", null=True, blank=True)
    review_next_notice_at = models.DateTimeField("下次督查时间", null=True, blank=True)
    reviewed_on_time = models.BooleanField("按时办结", null=True, blank=True)
    review_calendar_verified = models.BooleanField("期限所用日历均已核实", default=True)
    # When the retention job (cards.retention) erased the application's details and documents.
    erased_at = models.DateTimeField("个人信息删除时间", null=True, blank=True)

    objects = CardApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "优才卡申请"
        verbose_name_plural = "优才卡申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["talent"],
                condition=Q(status__in=OPEN_STATUSES),
                name="cardapplication_one_open_per_talent",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values),
                name="cardapplication_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.REJECTED) | ~Q(reject_reason=""),
                name="cardapplication_rejection_has_reason",
            ),
            # A decided (or draft) application has no running review clock.
            models.CheckConstraint(
                condition=Q(status__in=REVIEW_OPEN_STATUSES)
                | Q(review_due_at__isnull=True, review_next_notice_at__isnull=True),
                name="cardapplication_review_clock_only_while_open",
            ),
        ]
        indexes = [
            # The review queue: submitted applications, oldest first.
            models.Index(fields=["status", "submitted_at"], name="cardapp_queue_idx"),
            # The review queue by deadline (nearest first) and the dashboard's open overdue
            # count (status in submitted/returned, review_due_at <= now).
            models.Index(fields=["status", "review_due_at"], name="cardapp_review_due_idx"),
            # The retention job: rejected applications not yet erased (cards.retention).
            models.Index(
                fields=["decided_at"],
                condition=Q(status="rejected", erased_at__isnull=True),
                name="cardapp_retention_idx",
            ),
            # The supervision sweep: due rows only (services.supervision.sla_sweep →
            # cards.review_supervision.review_sweep reads review_next_notice_at <= now).
            models.Index(
                fields=["review_next_notice_at"],
                condition=Q(review_next_notice_at__isnull=False),
                name="cardapp_review_notice_idx",
            ),
        ]

    def __str__(self):
        return f"申请 #{self.pk}（{self.get_status_display()}）"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class ApplicationDocumentQuerySet(models.QuerySet):
    def current(self):
        """The documents that count (review, missing evidence, approval): not replaced."""
        return self.filter(superseded_at__isnull=True)


class ApplicationDocument(models.Model):
    """An evidence file attached to an application, stored privately (see portal.uploads).

    A document the reviewer saw is never deleted: after a return (退回补正), a new document
    of the same kind supersedes it (``superseded_at``, ``superseded_by``), and the reviewer
    reads the current documents with the replaced ones as history (cards.applications).
    """

    application = models.ForeignKey(
        CardApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField("材料类型", max_length=12, choices=DocumentKind.choices)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    superseded_at = models.DateTimeField("被替换时间", null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name="替换为",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced",
    )

    objects = ApplicationDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["kind", "uploaded_at", "id"]
        constraints = [
            # The card shows one photo: a new one replaces the old (application_add_document);
            # a replaced one may stay as history.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(kind="photo", superseded_at__isnull=True),
                name="appdocument_one_current_photo",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ApplicationEvent(models.Model):
    """One step in an application's history, shown to the talent on the application."""

    application = models.ForeignKey(
        CardApplication, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    items = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"], name="appevent_app_at_idx")]

    def __str__(self):
        return f"{self.application_id} {self.action}"
