"""一对一联系服务: a liaison leader and a service officer for a card holder, their visits,
and what the talent raised at each (concerns, some filed as requests for the talent: 代办).

The visit clock: the next visit falls due ``visit_every_days`` calendar days after the last
one (or the assignment). The officer is reminded from the start of the 5th working day before
that day; a visit still missing 10 working days after it is escalated to the organization
department's admins. Derived columns (``due_on``, ``remind_at``, ``escalate_at``,
``next_notice_at``) are computed by talents.clocks from the facts and the calendar.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role


class LiaisonQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The organization department: all; an officer: the holders they serve; the talent:
        their own; nobody else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role in (Role.STAFF, Role.LEAD):
            return self.filter(officer=user)
        if user.role == Role.TALENT:
            return self.filter(card__holder=user)
        return self.none()


class Liaison(models.Model):
    card = models.OneToOneField(
        "cards.Card", verbose_name="优才卡", on_delete=models.PROTECT, related_name="liaison"
    )
    # Talent of the card (copied: the lists filter and join on it).
    talent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="人才", on_delete=models.PROTECT, related_name="+"
    )
    leader = models.CharField("联系领导", max_length=60)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务专员",
        on_delete=models.PROTECT,
        related_name="liaisons",
    )
    visit_every_days = models.PositiveSmallIntegerField("走访周期（天）")
    assigned_at = models.DateTimeField("确定联系时间", default=timezone.now)
    last_visit_on = models.DateField("最近走访日期", null=True, blank=True)
    # Derived (talents.clocks): the day the next visit falls due, the reminder and the
    # escalation instants, and the sweep's next look (null: nothing to send).
    due_on = models.DateField("下次走访应在")
    remind_at = models.DateTimeField("提醒时间")
    escalate_at = models.DateTimeField("督办时间")
    next_notice_at = models.DateTimeField("下次督查时间", null=True, blank=True)
    calendar_verified = models.BooleanField("期限所用日历均已核实", default=True)

    objects = LiaisonQuerySet.as_manager()

    class Meta:
        verbose_name = "联系服务"
        verbose_name_plural = "联系服务"
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_every_days__gte=7, visit_every_days__lte=366),
                name="liaison_interval_range",
            ),
            models.CheckConstraint(condition=~Q(leader=""), name="liaison_leader_named"),
        ]
        indexes = [
            # The lists (all, an officer's), the nearest due first; overdue = due_on < today.
            models.Index(fields=["due_on", "id"], name="liaison_due_idx"),
            models.Index(fields=["officer", "due_on", "id"], name="liaison_officer_due_idx"),
            models.Index(
                fields=["next_notice_at"],
                condition=Q(next_notice_at__isnull=False),
                name="liaison_notice_idx",
            ),
        ]

    def __str__(self):
        return f"{self.card_id} {self.leader}"


class LiaisonEvent(models.Model):
    """One change of a liaison: assigned, changed (leader, officer, interval), visited."""

    liaison = models.ForeignKey(Liaison, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("事项", max_length=20)
    note = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["liaison", "at"], name="liaisonevent_at_idx")]

    def __str__(self):
        return f"{self.liaison_id} {self.action}"


class LiaisonLevel(models.TextChoices):
    REMIND = "remind", _("走访即将到期")
    ESCALATED = "escalated", _("走访超期十个工作日")


class LiaisonNotice(models.Model):
    """One level notified for one due day (a reminder: for one officer): written once (the
    unique constraint decides)."""

    liaison = models.ForeignKey(Liaison, on_delete=models.CASCADE, related_name="notices")
    level = models.CharField(max_length=10, choices=LiaisonLevel.choices)
    due_on = models.DateField()
    # The officer a reminder went to (0 for an escalation, which goes to the admins): an
    # officer named later in the same cycle is reminded too.
    officer_ref = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["liaison", "level", "due_on", "officer_ref"], name="liaisonnotice_once"
            ),
        ]

    def __str__(self):
        return f"{self.liaison_id} {self.level} {self.due_on}"


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", _("上门走访")
    PHONE = "phone", _("电话联系")
    ONLINE = "online", _("线上联系")


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """As the liaison: the organization department all, the holder's current officer,
        the talent their own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role in (Role.STAFF, Role.LEAD):
            return self.filter(liaison__officer=user)
        if user.role == Role.TALENT:
            return self.filter(liaison__talent=user)
        return self.none()


class Visit(models.Model):
    liaison = models.ForeignKey(
        Liaison, verbose_name="联系服务", on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField("走访日期")
    mode = models.CharField("方式", max_length=10, choices=VisitMode.choices)
    summary = models.TextField("走访情况")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=VisitMode.values), name="visit_mode_valid"),
            models.CheckConstraint(condition=~Q(summary=""), name="visit_summary_given"),
        ]
        indexes = [
            models.Index(fields=["-visited_on", "-id"], name="visit_list_idx"),
            models.Index(fields=["liaison", "-visited_on", "-id"], name="visit_liaison_idx"),
            models.Index(fields=["recorded_at"], name="visit_recorded_idx"),
        ]

    def __str__(self):
        return f"{self.visited_on} {self.get_mode_display()}"


class ConcernStatus(models.TextChoices):
    NOTED = "noted", _("跟进中")
    FILED = "filed", _("已代办提交")
    AWAITING_CONSENT = "awaiting_consent", _("待本人确认")
    DECLINED = "declined", _("本人未同意代办")
    RESOLVED = "resolved", _("已解决")


class ConcernQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role in (Role.STAFF, Role.LEAD):
            return self.filter(visit__liaison__officer=user)
        if user.role == Role.TALENT:
            return self.filter(visit__liaison__talent=user)
        return self.none()


class Concern(models.Model):
    """What the talent raised at a visit. With a service type it becomes a green-channel
    request for the talent (代办): filed at once, or, for a type that needs the talent's own
    separate consent (medical, minors), once the talent confirms (``awaiting_consent``).
    A filed concern is resolved when its request is; one without a request when the officer
    says so."""

    visit = models.ForeignKey(
        Visit, verbose_name="走访记录", on_delete=models.CASCADE, related_name="concerns"
    )
    n = models.PositiveSmallIntegerField("序号")
    text = models.TextField("诉求")
    service_type = models.ForeignKey(
        "services.ServiceType",
        verbose_name="对应服务事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The type's form values, kept only while the concern awaits the talent's consent
    # (talents.visits): once filed the request holds them, once declined none are kept.
    fields = models.JSONField("表单内容", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.NOTED
    )
    request = models.OneToOneField(
        "services.ServiceRequest",
        verbose_name="代办申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concern",
    )
    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)
    resolution = models.TextField("解决情况", blank=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        verbose_name = "反映诉求"
        verbose_name_plural = "反映诉求"
        ordering = ["visit", "n"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "n"], name="concern_n_unique"),
            models.CheckConstraint(
                condition=Q(status__in=ConcernStatus.values), name="concern_status_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="concern_text_given"),
            # Filed means a request; a request means filed (or resolved with it).
            models.CheckConstraint(
                condition=~Q(status="filed") | Q(request__isnull=False),
                name="concern_filed_has_request",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["awaiting_consent", "declined"])
                | Q(service_type__isnull=False, request__isnull=True),
                name="concern_consent_has_type",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="concern_resolved_when",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                condition=Q(status__in=["noted", "filed", "awaiting_consent"]),
                name="concern_open_idx",
            ),
        ]

    def __str__(self):
        return self.text[:30]
