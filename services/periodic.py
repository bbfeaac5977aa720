"""Periodic jobs of the green channel besides the SLA sweep (DESIGN.md "Background work")."""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cards.models import ApplicationStatus, CardApplication
from cards.models.applications import REVIEW_OPEN_STATUSES
from cards.permissions import reviews as card_reviews_permission
from portal.audit import audit_record
from portal.localized import localized_lazy
from portal.models import Department, Role, User
from portal.notify import notification_create
from portal.rows import Tally, each_row
from services.actions import RequestEventAction, ServiceRequestAction
from services.models import (
    OPEN_STATUSES,
    FollowUp,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
)
from services.workdays import Calendar, end_of_day

RATING_INVITATION_AFTER = datetime.timedelta(days=3)
AUTO_CLOSE_AFTER = datetime.timedelta(days=15)
BATCH_SIZE = 500


def rating_invitations(now=None) -> int:
    """Invite the talent to rate (好差评) 3 days after resolution, once."""
    now = now or timezone.now()
    # Index servicerequest_resolved_idx; older ones are being auto-closed instead.
    window = ServiceRequest.objects.filter(
        status=RequestStatus.RESOLVED,
        resolved_at__lte=now - RATING_INVITATION_AFTER,
        resolved_at__gt=now - AUTO_CLOSE_AFTER,
    ).select_related("talent", "service_type")

    def invite(req) -> bool:
        created = notification_create(
            recipient=req.talent,
            kind="rating_invitation",
            title=format_lazy(
                _("{number} {service}已办结，请您评价"),
                number=req.number,
                service=localized_lazy(req.service_type, "name"),
            ),
            body=_("您的评价将帮助我们改进服务；未评价的申请将在办结 15 天后自动归档。"),
            link=reverse("services:request", args=[req.number]),
            dedupe_key=f"rating_invitation:{req.pk}",
        )
        return created is not None

    tally = each_row("rating_invitations", window.iterator(chunk_size=BATCH_SIZE), invite)
    tally.log()
    return tally.done


def auto_close(now=None) -> int:
    """Archive requests resolved 15 days ago and never rated."""
    now = now or timezone.now()
    tally = Tally("auto_close")

    def close(request_id) -> bool:
        req = (
            ServiceRequest.objects.select_for_update()
            .filter(pk=request_id, status=RequestStatus.RESOLVED)
            .first()
        )
        if req is None:  # rated meanwhile
            return False
        req.status = RequestStatus.CLOSED
        req.closed_at = now
        req.save(update_fields=["status", "closed_at"])
        RequestEvent.objects.create(
            request=req,
            action=RequestEventAction.AUTO_CLOSED,
            from_status=RequestStatus.RESOLVED,
            to_status=req.status,
            note="办结15天未评价，自动归档。",
        )
        audit_record(action=ServiceRequestAction.AUTO_CLOSE, obj=req, number=req.number)
        return True

    while True:
        due = list(
            ServiceRequest.objects.filter(
                status=RequestStatus.RESOLVED, resolved_at__lte=now - AUTO_CLOSE_AFTER
            )
            .exclude(pk__in=tally.failed_keys)  # the failed ones wait for the next run
            .order_by("resolved_at")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not due:
            tally.log()
            return tally.done
        each_row("auto_close", due, close, label=_number, tally=tally)


def _number(request_id) -> str:
    return (
        ServiceRequest.objects.filter(pk=request_id).values_list("number", flat=True).first()
        or f"#{request_id}"
    )


def followups_overdue(now=None) -> int:
    """Escalate bad-rating follow-ups past their deadline to the organization department."""
    now = now or timezone.now()
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True))
    overdue = FollowUp.objects.filter(
        closed_at__isnull=True, escalated_at__isnull=True, due_at__lte=now
    ).select_related("request", "department")

    def escalate(followup) -> bool:
        claimed = FollowUp.objects.filter(pk=followup.pk, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if not claimed:
            return False  # another run took it
        for admin in admins:
            notification_create(
                recipient=admin,
                kind="followup_overdue",
                title=f"{followup.request.number} 差评回访已超期（{followup.department.name}）",
                body="请督促承办部门负责人完成回访整改。",
                link=reverse("services:manage-request", args=[followup.request.number]),
                dedupe_key=f"followup_overdue:{followup.pk}:{admin.pk}",
                urgent=True,
            )
        return True

    tally = each_row(
        "followups_overdue",
        overdue.iterator(chunk_size=BATCH_SIZE),
        escalate,
        label=lambda f: f"{f.request.number} 回访",
    )
    tally.log()
    return tally.done


def department_digest(now=None) -> int:
    """Morning digest (08:30) to each department's staff and leads, on working days only;
    the organization department's admins get theirs of card reviews (review_digest)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not Calendar.load(today, today).is_workday(today)[0]:
        return 0
    end_of_today = end_of_day(today)
    # One grouped query over the open rows only (servicerequest_open_idx), never the history.
    rows = (
        ServiceRequest.objects.order_by()
        .filter(status__in=OPEN_STATUSES)
        .values("department")
        .annotate(
            waiting=Count("id", filter=Q(status=RequestStatus.SUBMITTED)),
            due_today=Count("id", filter=Q(due_at__gt=now, due_at__lte=end_of_today)),
            overdue=Count("id", filter=Q(due_at__lte=now)),
            escalated=Count("id", filter=Q(escalate_at__lte=now)),
            paused=Count("id", filter=Q(status=RequestStatus.AWAITING_TALENT)),
        )
    )
    by_department = {row["department"]: row for row in rows}
    figures = []
    for department in Department.objects.active():
        row = by_department.get(department.pk, {})
        for name in ("waiting", "due_today", "overdue", "escalated", "paused"):
            setattr(department, name, row.get(name, 0))
        figures.append(department)
    members = {}
    for user in User.objects.filter(is_active=True, role__in=(Role.STAFF, Role.LEAD)):
        members.setdefault(user.department_id, []).append(user)

    def tell(department) -> int:
        counts = (department.waiting, department.due_today, department.overdue, department.paused)
        if not any(counts) or department.pk not in members:
            return 0
        title = (
            f"【每日办件提醒】待受理 {department.waiting} 件，今日到期 {department.due_today} 件，"
            f"已超期 {department.overdue} 件"
        )
        body = (
            f"{department.name} {today:%Y-%m-%d}：待受理 {department.waiting} 件；"
            f"今日到期 {department.due_today} 件；已超期 {department.overdue} 件"
            f"（其中督办 {department.escalated} 件）；待申请人补正 {department.paused} 件。"
        )
        sent = 0
        for user in members[department.pk]:
            created = notification_create(
                recipient=user,
                kind="department_digest",
                title=title,
                body=body,
                link=reverse("services:desk"),
                dedupe_key=f"digest:{department.pk}:{today}:{user.pk}",
            )
            sent += created is not None
        return sent

    tally = each_row("department_digest", figures, tell, label=lambda d: d.name)
    tally.log()
    return tally.done + review_digest(now, today)


def review_digest(now, today) -> int:
    """The same morning's digest of card reviews (审核时限, cards.review_clock) to whoever
    reviews applications (cards.permissions ``reviews``: the organization department's
    admins), when any review is open; department_digest sends it on working days. The
    sweep's due_soon/overdue/督办 notices name each application; this counts them all, the
    overdue ones first. One grouped query over the open applications (cardapp_review_due_idx)."""
    figures = CardApplication.objects.filter(status__in=REVIEW_OPEN_STATUSES).aggregate(
        waiting=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED)),
        due_today=Count(
            "id", filter=Q(review_due_at__gt=now, review_due_at__lte=end_of_day(today))
        ),
        overdue=Count("id", filter=Q(review_due_at__lte=now)),
        escalated=Count("id", filter=Q(review_escalate_at__lte=now)),
        returned=Count("id", filter=Q(status=ApplicationStatus.RETURNED)),
    )
    if not any(figures.values()):
        return 0
    title = (
        f"【每日审核提醒】优才卡待审核 {figures['waiting']} 件，"
        f"今日到期 {figures['due_today']} 件，已超期 {figures['overdue']} 件"
    )
    body = (
        f"{today:%Y-%m-%d}：优才卡申请待审核 {figures['waiting']} 件；"
        f"今日到期 {figures['due_today']} 件；超过审核时限 {figures['overdue']} 件"
        f"（其中督办 {figures['escalated']} 件）；退回补正待申请人修改 {figures['returned']} 件。"
    )
    link = reverse("services:supervision") + "#card-reviews" if figures["overdue"] else None
    reviewers = [
        user
        for user in User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk")
        if card_reviews_permission(user)
    ]

    def tell(user) -> bool:
        created = notification_create(
            recipient=user,
            kind="review_digest",
            title=title,
            body=body,
            link=link or reverse("cards:queue"),
            dedupe_key=f"review_digest:{today}:{user.pk}",
        )
        return created is not None

    tally = each_row("review_digest", reviewers, tell, label=lambda u: u.username)
    tally.log()
    return tally.done
