"""The supervision sweep (DESIGN.md "Working days and SLA clocks", "Background work").

Levels, each sent at most once per request, clock, level and deadline (SlaNotice):

- ``due_soon``: from the start of the due day (the deadline is the end of the current working
  day) → the assignee, or the whole department if nobody is assigned;
- ``overdue``: from 00:00 after the due day → the assignee and the department's leads;
- ``escalated`` (督办): still open 2 working days past the deadline → the organization
  department's admins.

The sweep reads ``next_notice_at`` through its partial index in bounded batches, claims each
row with a row lock (another sweep running at the same moment skips it), writes the SlaNotice
rows and their notifications in one transaction, and moves ``next_notice_at`` to the next
level's instant. Two sweeps at once, or a sweep retried after a crash, send nothing twice:
the unique constraint on SlaNotice decides.
"""

import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cards.review_supervision import review_sweep
from portal.models import Role, User
from portal.notify import notification_create
from portal.timefmt import deadline_text
from services.clocks import due_soon_at
from services.models import Clock, Level, RequestStatus, ServiceRequest, SlaNotice

logger = logging.getLogger("services.supervision")
BATCH_SIZE = 200

TITLES = {
    Level.DUE_SOON: "今日到期，请及时办理",
    Level.OVERDUE: "已超期",
    Level.ESCALATED: "已超期两个工作日，转组织部人才办督办",
}


def _levels_reached(req: ServiceRequest, now) -> list[str]:
    if req.due_at is None:
        return []
    if now >= req.due_at:
        levels = [Level.OVERDUE]
        if req.escalate_at is not None and now >= req.escalate_at:
            levels.append(Level.ESCALATED)
        return levels
    if now >= due_soon_at(req.due_at):
        return [Level.DUE_SOON]
    return []


def _next_instant(req: ServiceRequest, now):
    """The next level's instant after ``now`` (None once escalated or with no clock)."""
    if req.due_at is None:
        return None
    for instant in (due_soon_at(req.due_at), req.due_at, req.escalate_at):
        if instant is not None and instant > now:
            return instant
    return None


def _recipients(req: ServiceRequest, level: str) -> list[User]:
    active = User.objects.filter(is_active=True)
    if level == Level.ESCALATED:
        return list(active.filter(role=Role.ADMIN))
    leads = list(active.filter(department_id=req.department_id, role=Role.LEAD))
    if level == Level.OVERDUE:
        people = ([req.assignee] if req.assignee_id and req.assignee.is_active else []) + leads
    elif req.assignee_id and req.assignee.is_active:
        people = [req.assignee]
    else:
        people = list(
            active.filter(department_id=req.department_id, role__in=(Role.STAFF, Role.LEAD))
        )
    unique = {person.pk: person for person in people}
    return list(unique.values())


def _link(req: ServiceRequest, person: User) -> str:
    if person.role == Role.ADMIN:
        return reverse("services:manage-request", args=[req.number])
    return reverse("services:desk-request", args=[req.number])


def _notify(req: ServiceRequest, notice: SlaNotice) -> int:
    clock = Clock(notice.clock).label
    sent = 0
    for person in _recipients(req, notice.level):
        created = notification_create(
            recipient=person,
            kind=f"sla_{notice.level}",
            title=f"{req.number} {req.service_type.name}{TITLES[notice.level]}",
            body=f"{clock}：{deadline_text(notice.deadline)}；承办部门：{req.department.name}。",
            link=_link(req, person),
            dedupe_key=f"sla:{notice.pk}:{person.pk}",
            urgent=notice.level != Level.DUE_SOON,
        )
        sent += created is not None
    return sent


def supervise(request_id: int, now=None) -> int:
    """Fire whatever levels one request has reached; return the notifications written."""
    now = now or timezone.now()
    with transaction.atomic():
        req = (
            ServiceRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("service_type", "department", "assignee")
            .filter(pk=request_id, next_notice_at__lte=now)
            .first()
        )
        if req is None:  # another sweep holds it, or it has moved on
            return 0
        clock = Clock.ACCEPT if req.status == RequestStatus.SUBMITTED else Clock.RESOLVE
        sent = 0
        for level in _levels_reached(req, now):
            try:
                with transaction.atomic():
                    notice = SlaNotice.objects.create(
                        request=req, clock=clock, level=level, deadline=req.due_at
                    )
            except IntegrityError:
                continue  # already notified for this deadline
            sent += _notify(req, notice)
        req.next_notice_at = _next_instant(req, now)
        req.save(update_fields=["next_notice_at"])
    return sent


def sla_sweep(now=None, batch_size: int = BATCH_SIZE) -> int:
    """One supervision sweep (beat: every 5 minutes; ``manage.py sla_sweep``): requests, then
    card reviews (cards.review_supervision, the same levels on the application's clock)."""
    now = now or timezone.now()
    total, seen = 0, set()
    while True:
        due = list(
            ServiceRequest.objects.filter(next_notice_at__lte=now)
            .exclude(pk__in=seen)
            .order_by("next_notice_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not due:
            break
        for request_id in due:
            total += supervise(request_id, now)
        seen.update(due)  # rows skipped because another sweep held them are not retried here
        if len(due) < batch_size:
            break
    logger.info("sla sweep at %s: %s notifications", now.isoformat(), total)
    return total + review_sweep(now, batch_size)
