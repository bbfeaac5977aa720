"""Entitlements (a policy offered to one card holder) and their instalments.

``offered → confirmed → approved → completed``, with ``returned`` (the paying department asks
the talent to fix the account details, 一次告知), ``declined`` (by the talent) and
``suspended`` (the talent left: remaining instalments stop). Each instalment:
``scheduled → due → paid | failed`` (a failed one is due again once the talent corrects the
account) or ``stopped``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role


class EntitlementStatus(models.TextChoices):
    OFFERED = "offered", _("待确认")
    CONFIRMED = "confirmed", _("待审核")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("兑现中")
    COMPLETED = "completed", _("已兑现")
    DECLINED = "declined", _("已放弃")
    SUSPENDED = "suspended", _("已中止")


TERMINAL = (EntitlementStatus.COMPLETED, EntitlementStatus.DECLINED, EntitlementStatus.SUSPENDED)
# Counted as "already receiving a benefit of this kind" (PolicyRule exclusive_kind).
HOLDING = (
    EntitlementStatus.OFFERED,
    EntitlementStatus.CONFIRMED,
    EntitlementStatus.RETURNED,
    EntitlementStatus.APPROVED,
    EntitlementStatus.COMPLETED,
)
REVIEW_OPEN = (EntitlementStatus.CONFIRMED,)


class InstalmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待兑现")
    DUE = "due", _("应兑现")
    PAID = "paid", _("已兑现")
    FAILED = "failed", _("兑现失败")
    STOPPED = "stopped", _("已停发")


# An instalment the paying department still owes (its clock may run).
OWED = (InstalmentStatus.SCHEDULED, InstalmentStatus.DUE)


class EntitlementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The talent: own; staff and leads: their department's policies (the paying
        department); admins: all; anyone else nothing."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role == Role.TALENT:
            return self.filter(talent=user)
        if user.role in (Role.STAFF, Role.LEAD) and user.department_id:
            return self.filter(department_id=user.department_id)
        return self.none()


class Entitlement(models.Model):
    """One policy offered to one card holder: never applied for, offered by the portal when
    the card was issued, renewed or changed (subsidies.offers)."""

    policy = models.ForeignKey(
        "subsidies.Policy", verbose_name="政策", on_delete=models.PROTECT, related_name="+"
    )
    talent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="人才",
        on_delete=models.PROTECT,
        related_name="entitlements",
    )
    card = models.ForeignKey(
        "cards.Card", verbose_name="优才卡", on_delete=models.PROTECT, related_name="+"
    )
    # The paying department, copied from the policy at the offer: the department's desk and
    # its visibility read this column (index entitlement_department_idx).
    department = models.ForeignKey(
        "portal.Department", verbose_name="兑现部门", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态",
        max_length=12,
        choices=EntitlementStatus.choices,
        default=EntitlementStatus.OFFERED,
    )
    amount_total = models.DecimalField("总金额（元）", max_digits=12, decimal_places=2)
    # The 政策兑现 figures read these instead of adding up every instalment (subsidies.rollups):
    # committed, the instalments scheduled at approval (after a suspension, what was paid);
    # paid, what has been paid so far. Kept by the transitions, in their transaction.
    committed_amount = models.DecimalField(
        "承诺兑现金额（元）", max_digits=12, decimal_places=2, default=0
    )
    paid_amount = models.DecimalField(
        "已兑现金额（元）", max_digits=12, decimal_places=2, default=0
    )
    offered_at = models.DateTimeField("推送时间", default=timezone.now)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    approved_at = models.DateTimeField("审核通过时间", null=True, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    # The bank account the talent confirmed: the number encrypted at rest (portal.crypto),
    # a masked copy for every page, list and export (6222 **** **** 1234).
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    account_name = models.CharField("户名", max_length=50, blank=True)
    account_number_encrypted = models.TextField("银行账号（密文）", blank=True, editable=False)
    account_number_masked = models.CharField("银行账号（脱敏）", max_length=40, blank=True)
    # When the retention job (subsidies.retention) erased the account, 3 years after the
    # entitlement ended (《个人信息处理规则》: 银行账户信息).
    account_erased_at = models.DateTimeField("账户信息删除时间", null=True, blank=True)
    returned_items = models.JSONField("需修改事项", default=list, blank=True)
    return_note = models.TextField("退回说明", blank=True)
    decline_reason = models.TextField("放弃原因", blank=True)
    suspend_reason = models.TextField("中止原因", blank=True)
    # The review clock (审核时限): from each confirmation, the policy's review_days working
    # days (a return stops it; the next confirmation starts a new one: the materials are
    # complete from then, as 行政许可法 art. 32 counts). Derived columns, like a request's.
    # The limit copied at the confirmation (an edit of the policy applies to later ones).
    review_days = models.PositiveSmallIntegerField("审核时限（工作日）", null=True, blank=True)
    review_due_at = models.DateTimeField("审核期限", null=True, blank=True)
    review_escalate_at = models.DateTimeField("督办时间", null=True, blank=True)
    next_notice_at = models.DateTimeField("下次督查时间", null=True, blank=True)
    reviewed_on_time = models.BooleanField("按时审核", null=True, blank=True)
    calendar_verified = models.BooleanField("期限所用日历均已核实", default=True)

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        verbose_name = "待遇"
        verbose_name_plural = "待遇"
        ordering = ["-offered_at", "-id"]
        constraints = [
            # A policy is offered to a person once, ever: a renewal or change that matches
            # again offers nothing new (declined stays declined).
            models.UniqueConstraint(fields=["talent", "policy"], name="entitlement_once"),
            models.CheckConstraint(
                condition=Q(status__in=EntitlementStatus.values),
                name="entitlement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount_total__gt=0), name="entitlement_amount_positive"
            ),
            # Nothing is approved or paid without an account on file.
            models.CheckConstraint(
                condition=Q(status__in=("offered", "declined"))
                | ~Q(account_number_encrypted="")
                | Q(status="suspended", confirmed_at__isnull=True)
                | Q(account_erased_at__isnull=False),
                name="entitlement_account_when_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(status="confirmed")
                | Q(review_due_at__isnull=True, next_notice_at__isnull=True),
                name="entitlement_review_clock_only_while_confirmed",
            ),
        ]
        indexes = [
            # The talent's 我的待遇, newest first.
            models.Index(fields=["talent", "-offered_at"], name="entitlement_talent_idx"),
            # The paying department's desk: its entitlements by status, oldest offer first.
            models.Index(
                fields=["department", "status", "offered_at"], name="entitlement_department_idx"
            ),
            # The paying department's 待审核 tab: confirmed entitlements, nearest review
            # deadline first.
            models.Index(
                fields=["department", "review_due_at"],
                condition=Q(status="confirmed"),
                name="entitlement_review_queue_idx",
            ),
            # Every list without a status filter, newest offer first: the admin's, and the
            # paying department's (API, 全部 tab).
            models.Index(fields=["-offered_at", "-id"], name="entitlement_offered_idx"),
            models.Index(
                fields=["department", "-offered_at", "-id"], name="entitlement_dept_offered_idx"
            ),
            # The admin's list by status (and the dashboard's counts by policy and status).
            models.Index(fields=["status", "-offered_at"], name="entitlement_status_idx"),
            models.Index(fields=["policy", "status"], name="entitlement_policy_idx"),
            # The supervision sweep: due rows only (subsidies.supervision).
            models.Index(
                fields=["next_notice_at"],
                condition=Q(next_notice_at__isnull=False),
                name="entitlement_notice_idx",
            ),
            # The retention job: ended entitlements whose account is not erased yet.
            models.Index(
                fields=["ended_at"],
                condition=Q(
                    status__in=("completed", "declined", "suspended"),
                    account_erased_at__isnull=True,
                ),
                name="entitlement_retention_idx",
            ),
        ]

    def __str__(self):
        return f"待遇 #{self.pk}"

    @property
    def label(self) -> str:
        return f"待遇 #{self.pk}"


class InstalmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The instalments of the entitlements ``user`` may see (the same rule: the talent's
        own, the paying department's, all for admins)."""
        visible = Entitlement.objects.visible_to(user)
        if user.is_authenticated and user.is_active and user.role in (Role.STAFF, Role.LEAD):
            # The department column is on the instalment too: its own index serves the desk.
            return self.filter(department_id=user.department_id)
        return self.filter(entitlement__in=visible)


class Instalment(models.Model):
    """One payment of an approved entitlement, due on its date (moved to the next working day
    when the date is not one) and supervised like a request's deadline."""

    entitlement = models.ForeignKey(
        Entitlement,
        verbose_name="待遇",
        on_delete=models.CASCADE,
        related_name="instalments",
    )
    # Copied from the entitlement: the overdue list and the dashboard read instalments by
    # department without a join.
    department = models.ForeignKey(
        "portal.Department", verbose_name="兑现部门", on_delete=models.PROTECT, related_name="+"
    )
    policy = models.ForeignKey(
        "subsidies.Policy", verbose_name="政策", on_delete=models.PROTECT, related_name="+"
    )
    n = models.PositiveSmallIntegerField("期次")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    # The date the schedule (or a correction after a failure) names, and the working day it
    # is due on: the same, or the next working day. A calendar correction re-derives due_on
    # from scheduled_on (subsidies.recompute).
    scheduled_on = models.DateField("计划兑现日期")
    due_on = models.DateField("应兑现日期")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=InstalmentStatus.choices,
        default=InstalmentStatus.SCHEDULED,
    )
    paid_at = models.DateTimeField("兑现时间", null=True, blank=True)
    paid_on_time = models.BooleanField("按时兑现", null=True, blank=True)
    voucher = models.CharField("支付凭证号", max_length=60, blank=True)
    fail_reason = models.TextField("失败原因", blank=True)
    failed_at = models.DateTimeField("失败时间", null=True, blank=True)
    # The payment clock: 24:00 of due_on (or of the day the talent corrected the account, plus
    # a few working days, after a failure); the sweep's levels as for requests.
    due_at = models.DateTimeField("兑现期限", null=True, blank=True)
    escalate_at = models.DateTimeField("督办时间", null=True, blank=True)
    next_notice_at = models.DateTimeField("下次督查时间", null=True, blank=True)
    calendar_verified = models.BooleanField("期限所用日历均已核实", default=True)

    objects = InstalmentQuerySet.as_manager()

    class Meta:
        verbose_name = "兑现分期"
        verbose_name_plural = "兑现分期"
        ordering = ["entitlement", "n"]
        constraints = [
            models.UniqueConstraint(fields=["entitlement", "n"], name="instalment_n_unique"),
            models.CheckConstraint(
                condition=Q(status__in=InstalmentStatus.values), name="instalment_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (~Q(voucher="") & Q(paid_at__isnull=False)),
                name="instalment_paid_has_voucher",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(fail_reason=""),
                name="instalment_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=("scheduled", "due"))
                | Q(due_at__isnull=True, next_notice_at__isnull=True),
                name="instalment_clock_only_while_owed",
            ),
        ]
        indexes = [
            # Instalments falling due (scheduled → due at the start of their day) and the
            # paying department's payment list by date.
            models.Index(fields=["status", "due_on"], name="instalment_status_due_idx"),
            models.Index(
                fields=["department", "status", "due_on"], name="instalment_department_idx"
            ),
            # The desk's 待兑现 tab: the department's owed instalments by date, and its count
            # (due now or within the desk's horizon).
            models.Index(
                fields=["department", "due_on", "id"],
                condition=Q(status__in=("scheduled", "due")),
                name="instalment_owed_department_idx",
            ),
            # The calendar recompute: owed instalments scheduled up to the last changed day.
            models.Index(
                fields=["scheduled_on"],
                condition=Q(status__in=("scheduled", "due")),
                name="instalment_owed_scheduled_idx",
            ),
            # The overdue list and the dashboard's overdue amounts: owed rows by deadline.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=("scheduled", "due")),
                name="instalment_owed_due_idx",
            ),
            # The supervision sweep: due rows only (subsidies.supervision).
            models.Index(
                fields=["next_notice_at"],
                condition=Q(next_notice_at__isnull=False),
                name="instalment_notice_idx",
            ),
        ]

    def __str__(self):
        return f"待遇 #{self.entitlement_id} 第{self.n}期"


class EntitlementEvent(models.Model):
    """One step of an entitlement's history (and of its instalments'), shown to the talent."""

    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.CASCADE, related_name="events", verbose_name="待遇"
    )
    instalment = models.ForeignKey(
        Instalment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="分期",
    )
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    action = models.CharField("事项", max_length=20)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    note = models.TextField("说明", blank=True)
    items = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "待遇记录"
        verbose_name_plural = "待遇记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["entitlement", "at"], name="entevent_ent_at_idx")]

    def __str__(self):
        return f"{self.entitlement_id} {self.action}"


class SubsidyLevel(models.TextChoices):
    DUE_SOON = "due_soon", "即将超期"
    OVERDUE = "overdue", "已超期"
    ESCALATED = "escalated", "督办"


class EntitlementNotice(models.Model):
    """A supervision level reached by one entitlement's review clock for one deadline: the
    unique constraint makes each sent once, whichever sweep gets there."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=SubsidyLevel.choices)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement", "level", "deadline"], name="entitlementnotice_once"
            ),
        ]

    def __str__(self):
        return f"{self.entitlement_id} {self.level}"


class InstalmentNotice(models.Model):
    """A supervision level reached by one instalment's payment clock for one deadline."""

    instalment = models.ForeignKey(Instalment, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=SubsidyLevel.choices)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instalment", "level", "deadline"], name="instalmentnotice_once"
            ),
        ]

    def __str__(self):
        return f"{self.instalment_id} {self.level}"


class PaidDay(models.Model):
    """The instalments paid on one day (Asia/Shanghai) of one policy by one department: the
    rollup the 政策兑现 figures read for a period (subsidies.rollups keeps it in the payment's
    transaction; ``rebuild`` recomputes it from the instalments after a bulk load)."""

    day = models.DateField("日期")
    policy = models.ForeignKey(
        "subsidies.Policy", verbose_name="政策", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "portal.Department", verbose_name="兑现部门", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField("兑现金额（元）", max_digits=14, decimal_places=2, default=0)
    paid = models.PositiveIntegerField("兑现期数", default=0)
    on_time = models.PositiveIntegerField("按时兑现期数", default=0)

    class Meta:
        verbose_name = "每日兑现汇总"
        verbose_name_plural = "每日兑现汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "policy", "department"], name="paidday_one_per_cell"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.policy_id} {self.department_id}"
