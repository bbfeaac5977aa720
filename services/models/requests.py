from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("办理中")
    AWAITING_TALENT = "awaiting_talent", _("待补正")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已归档")
    REJECTED = "rejected", _("不予办理")
    WITHDRAWN = "withdrawn", _("已撤回")


# Still being worked: a clock may run, the request counts as open on the dashboard.
OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.AWAITING_TALENT)
# Nothing can happen to the request any more.
TERMINAL_STATUSES = (RequestStatus.CLOSED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)
# When a request ended, for the retention periods (办结、不予办理、撤回或归档之日): the first of
# these that is set. Indexed for the retention job (servicerequest_retention_idx).
ENDED_AT = Coalesce("resolved_at", "rejected_at", "withdrawn_at", "closed_at")


@dataclass(frozen=True)
class DepartmentScope:
    """Whose requests someone sees on the handling side: every department's
    (``department_id`` None) or one department's."""

    department_id: int | None = None

    @property
    def every_department(self) -> bool:
        return self.department_id is None


def department_scope(user) -> DepartmentScope | None:
    """The handling side's rule of ``visible_to``, one function for the request lists, their
    counts (services.dashboard.visible_count) and the dashboard's figures, page and API
    (services.dashboard.figures_department): the organization department oversees every
    department, staff and leads their own (as it stands now); anyone else no department
    (None): a talent sees their own requests, not a department's."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.ADMIN:
        return DepartmentScope()
    if user.role in (Role.STAFF, Role.LEAD) and user.department_id:
        return DepartmentScope(user.department_id)
    return None


class ServiceRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one access path: a talent sees their own requests, staff and leads those of
        their department as it stands now, the organization department all of them
        (``department_scope``)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.TALENT:
            return self.filter(talent=user)
        return self.in_scope(department_scope(user))

    def in_scope(self, scope: DepartmentScope | None):
        """The requests held now by the departments of ``scope`` (none for None)."""
        if scope is None:
            return self.none()
        if scope.every_department:
            return self.all()
        return self.filter(department_id=scope.department_id)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class ServiceRequest(models.Model):
    """A green-channel request (a ticket): filed by a card holder, routed to a department,
    worked against working-day deadlines.

    Deadlines are derived, never typed in: ``services.clocks.recompute`` computes every
    deadline column from the facts (when each clock started, the type's limits, the pauses)
    and the calendar, so a calendar correction can recompute them all. ``due_at`` and
    ``escalate_at`` always hold the clock that is running now, for the queue and the sweep.
    """

    number = models.CharField("编号", max_length=20, unique=True)
    talent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    card = models.ForeignKey("cards.Card", verbose_name="优才卡", on_delete=models.PROTECT)
    tier = models.CharField("申请时人才层次", max_length=1)
    service_type = models.ForeignKey(
        "services.ServiceType", verbose_name="服务事项", on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        "portal.Department",
        verbose_name="当前承办部门",
        on_delete=models.PROTECT,
        related_name="requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    fields = models.JSONField("表单内容", default=dict)
    description = models.TextField("诉求说明", blank=True)
    consent_at = models.DateTimeField("同意处理敏感个人信息时间", null=True, blank=True)
    # 代办: who filed the request for the talent (a liaison officer, talents.visits), and
    # through which channel ("" the talent on the portal; "liaison"; later partner systems).
    # The talent is told and sees it on the request.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_via = models.CharField("提交渠道", max_length=20, blank=True)
    # The type's time limits when the request was filed: a later change to the catalogue
    # does not move the deadlines of requests already running.
    accept_days = models.PositiveSmallIntegerField("受理时限（工作日）", default=1)
    promised_days = models.PositiveSmallIntegerField("承诺办结时限（工作日）", default=1)
    status = models.CharField(
        "状态", max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )

    # Facts the clocks are derived from.
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    accept_started_at = models.DateTimeField("当前部门受理时限起算时间", default=timezone.now)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("归档时间", null=True, blank=True)
    rejected_at = models.DateTimeField("不予办理时间", null=True, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    # Derived deadlines (services.clocks) and frozen verdicts.
    accept_due_at = models.DateTimeField("受理期限", null=True, blank=True)
    resolve_due_at = models.DateTimeField("办结期限", null=True, blank=True)
    promised_due_at = models.DateTimeField("承诺办结时间（自提交起）", null=True, blank=True)
    due_at = models.DateTimeField("当前时钟期限", null=True, blank=True)
    escalate_at = models.DateTimeField("督办时间", null=True, blank=True)
    # When the sweep should next look at this request (the next supervision level of the
    # running clock: the start of the due day, the deadline, the escalation). Null: nothing.
    next_notice_at = models.DateTimeField("下次督查时间", null=True, blank=True)
    accepted_on_time = models.BooleanField("按时受理", null=True, blank=True)
    resolved_on_time = models.BooleanField("按时办结", null=True, blank=True)
    # Working days from acceptance to resolution, pauses excluded: frozen at resolution, so
    # the dashboard averages and buckets it in the database.
    handling_working_days = models.PositiveSmallIntegerField(
        "办理用时（工作日）", null=True, blank=True
    )
    calendar_verified = models.BooleanField("期限所用日历均已核实", default=True)
    # When the retention job (services.retention) erased what the talent gave: description,
    # fields, attachments, comments, notes, the rating's text. The bare row stays, counted.
    erased_at = models.DateTimeField("个人信息删除时间", null=True, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "服务申请"
        verbose_name_plural = "服务申请"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="servicerequest_status_valid"
            ),
            # A request whose clock runs has a deadline; one that is finished has none running.
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES) | Q(due_at__isnull=True),
                name="servicerequest_no_clock_when_finished",
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.SUBMITTED) | Q(due_at__isnull=False),
                name="servicerequest_submitted_has_deadline",
            ),
        ]
        indexes = [
            # The department queue, nearest deadline first, and the SLA sweep ("what is due
            # before T?"): only rows whose clock runs are in the index.
            models.Index(
                fields=["due_at"],
                condition=Q(due_at__isnull=False),
                name="servicerequest_due_idx",
            ),
            models.Index(
                fields=["escalate_at"],
                condition=Q(escalate_at__isnull=False),
                name="servicerequest_escalate_idx",
            ),
            # The supervision sweep: "which requests have a level to fire by now?" Its cost
            # follows the rows that are due, not the number of open requests.
            models.Index(
                fields=["next_notice_at"],
                condition=Q(next_notice_at__isnull=False),
                name="servicerequest_notice_idx",
            ),
            # Rating invitations and auto-close: resolved requests by resolution time.
            models.Index(
                fields=["resolved_at"],
                condition=Q(status="resolved"),
                name="servicerequest_resolved_idx",
            ),
            # Each clock's own deadline, for the supervision figures per clock.
            models.Index(
                fields=["accept_due_at"],
                condition=Q(status="submitted"),
                name="servicerequest_accept_due_idx",
            ),
            models.Index(
                fields=["resolve_due_at"],
                condition=Q(status__in=["accepted", "awaiting_talent"]),
                name="servicerequest_resolve_due_idx",
            ),
            # The open rows, for the desk's tabs (department, status, nearest deadline first)
            # and their counts, the 待办 count and the dashboard's backlog figures (index-only
            # scans: every column they read is in the index). Only open requests are in it.
            models.Index(
                fields=[
                    "department",
                    "status",
                    "due_at",
                    "submitted_at",
                    "id",
                    "service_type",
                    "escalate_at",
                    "assignee",
                ],
                condition=Q(status__in=["submitted", "accepted", "awaiting_talent"]),
                name="servicerequest_open_idx",
            ),
            # The lists, in each order they sort by, for staff and leads (their department)
            # and for the organization department (everything): newest first, nearest
            # deadline first (requests with no running clock last), and with a status filter.
            models.Index(
                fields=["department", "-submitted_at", "-id"], name="servicerequest_dept_new_idx"
            ),
            models.Index(
                fields=["department", "due_at", "submitted_at", "id"],
                name="servicerequest_dept_due_idx",
            ),
            models.Index(
                fields=["department", "status", "-submitted_at", "-id"],
                name="servicerequest_dept_status_idx",
            ),
            models.Index(fields=["-submitted_at", "-id"], name="servicerequest_new_idx"),
            models.Index(
                fields=["due_at", "submitted_at", "id"], name="servicerequest_all_due_idx"
            ),
            models.Index(
                fields=["status", "-submitted_at", "-id"], name="servicerequest_status_new_idx"
            ),
            models.Index(fields=["talent", "-submitted_at"], name="servicerequest_talent_idx"),
            models.Index(
                fields=["service_type", "-submitted_at", "-id"], name="servicerequest_type_new_idx"
            ),
            # The retention job: requests not erased yet, by the day they ended.
            models.Index(
                ENDED_AT,
                condition=Q(erased_at__isnull=True),
                name="servicerequest_retention_idx",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def paused(self) -> bool:
        return self.status == RequestStatus.AWAITING_TALENT


class RequestNumberSequence(models.Model):
    """The last request number of a day (FW-YYYYMMDD-NNNN); locked by the filing
    transaction that takes the next one, so numbers are unique and never reused."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.last}"


class RequestPause(models.Model):
    """A stretch during which the resolve clock stood still waiting for the talent (待补正)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(ended_at__isnull=True),
                name="requestpause_one_open_per_request",
            ),
        ]

    def __str__(self):
        return f"{self.request_id} {self.started_at:%Y-%m-%d}"


class DepartmentStint(models.Model):
    """How long one department held a request (a transfer closes one stint, opens another)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="stints")
    department = models.ForeignKey("portal.Department", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # Whether this department accepted (or passed the request on) before its accept deadline.
    accepted_on_time = models.BooleanField(null=True, blank=True)
    # The stint ended with a transfer to another department (转出).
    transferred_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(left_at__isnull=True),
                name="departmentstint_one_current_per_request",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "entered_at"], name="stint_dept_idx"),
            # The stints still running: how long they have been held so far, live (the
            # rollups hold the finished ones).
            models.Index(
                fields=["department", "entered_at"],
                condition=Q(left_at__isnull=True),
                name="stint_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.request_id} {self.department_id}"


class RequestEvent(models.Model):
    """One step of a request's timeline, shown to the talent (who, when, what, from → to)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    items = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at"], name="requestevent_request_at_idx")]

    def __str__(self):
        return f"{self.request_id} {self.action}"


class RequestComment(models.Model):
    """A message on a request. ``internal`` notes are for the handling department only:
    never in the talent's API answers, pages or notifications."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.request_id} {self.created_at:%Y-%m-%d %H:%M}"


class RequestAttachment(models.Model):
    """A file on a request (same checks and private storage as card evidence)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class Rating(models.Model):
    """好差评: the talent's one rating of a resolved request."""

    request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.request_id}: {self.score}"


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one access path, as the requests': the talent sees that the follow-ups of
        their own requests are coming (the pages show them only the deadline), staff and leads
        their department's, the organization department all of them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.TALENT:
            return self.filter(request__talent=user)
        scope = department_scope(user)
        if scope is None:
            return self.none()
        if scope.every_department:
            return self.all()
        return self.filter(department_id=scope.department_id)

    def open(self):
        return self.filter(closed_at__isnull=True)


class FollowUp(models.Model):
    """回访整改: a bad rating (score ≤ 2) the department lead must follow up by ``due_at``."""

    request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, related_name="followup"
    )
    department = models.ForeignKey("portal.Department", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    # When the organization department was told that the deadline passed (once).
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(note=""), name="followup_closed_with_note"
            ),
        ]
        indexes = [
            # Open follow-ups by deadline: the dashboard and the overdue job.
            models.Index(
                fields=["due_at"], condition=Q(closed_at__isnull=True), name="followup_open_due_idx"
            ),
            # One department's open follow-ups, nearest deadline first: the lead's 差评回访 tab.
            models.Index(
                fields=["department", "due_at"],
                condition=Q(closed_at__isnull=True),
                name="followup_dept_open_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.request_id} 回访"
