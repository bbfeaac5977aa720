"""The supervision sweep (DESIGN.md "Working days and SLA clocks", "Background work").

Levels, each sent at most once per request, clock, level and deadline (SlaNotice):

- ``due_soon``: from the start of the due day (the deadline is the end of the current working
  day) → the assignee, or the whole department if nobody is assigned;
- ``overdue``: from 00:00 after the due day → the assignee and the department's leads;
- ``escalated`` (督办): still open 2 working days past the deadline → the organization
  department's admins.

The sweep reads ``next_notice_at`` through its partial index in bounded batches and works a
batch at a time (portal.sweep): the batch is claimed with row locks (another sweep running at
the same moment skips it), its SlaNotice rows, notifications and deliveries are written in
bulk in one transaction, and ``next_notice_at`` moves to the next level's instant. Two sweeps
at once, or a sweep retried after a crash, send nothing twice: the unique constraint on
SlaNotice decides. A request that cannot be supervised is logged, looked at again an hour
later and counted; the rest of the batch goes on.
"""

import logging

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cards.review_supervision import review_sweep_tally
from portal.models import Role, User
from portal.notify import Message
from portal.sweep import NoticeSweep, Plan, Reached, Tally, registered
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


class _People:
    """The recipients a batch can need, read in one query: the admins, and the staff and
    leads of the batch's departments."""

    def __init__(self, departments: set[int]):
        self.admins: list[User] = []
        self.leads: dict[int, list[User]] = {}
        self.desk: dict[int, list[User]] = {}  # staff and leads
        people = User.objects.filter(is_active=True).filter(
            Q(role=Role.ADMIN) | Q(department_id__in=departments, role__in=(Role.STAFF, Role.LEAD))
        )
        for person in people.order_by("pk"):
            if person.role == Role.ADMIN:
                self.admins.append(person)
                continue
            self.desk.setdefault(person.department_id, []).append(person)
            if person.role == Role.LEAD:
                self.leads.setdefault(person.department_id, []).append(person)

    def for_level(self, req: ServiceRequest, level: str) -> list[User]:
        if level == Level.ESCALATED:
            return self.admins
        assignee = [req.assignee] if req.assignee_id and req.assignee.is_active else []
        if level == Level.OVERDUE:
            people = assignee + self.leads.get(req.department_id, [])
        else:
            people = assignee or self.desk.get(req.department_id, [])
        return list({person.pk: person for person in people}.values())


def _link(req: ServiceRequest, person: User) -> str:
    if person.role == Role.ADMIN:
        return reverse("services:manage-request", args=[req.number])
    return reverse("services:desk-request", args=[req.number])


class RequestSweep(NoticeSweep):
    model = ServiceRequest
    notice_model = SlaNotice
    owner = "request_id"
    key = ("clock", "level")
    next_field = "next_notice_at"
    dedupe_prefix = "sla"
    logger = logger

    def queryset(self):
        return ServiceRequest.objects.select_related("service_type", "department", "assignee")

    def label(self, req: ServiceRequest) -> str:
        return req.number

    def prepare(self, rows: list[ServiceRequest], now) -> _People:
        return _People({req.department_id for req in rows})

    def plan(self, req: ServiceRequest, now, people: _People) -> Plan:
        clock = Clock.ACCEPT if req.status == RequestStatus.SUBMITTED else Clock.RESOLVE
        plan = Plan(next_at=_next_instant(req, now))
        for level in _levels_reached(req, now):
            title = f"{req.number} {req.service_type.name}{TITLES[level]}"
            body = (
                f"{Clock(clock).label}：{deadline_text(req.due_at)}；"
                f"承办部门：{req.department.name}。"
            )
            messages = [
                Message(
                    recipient=person,
                    kind=f"sla_{level}",
                    title=title,
                    body=body,
                    link=_link(req, person),
                    urgent=level != Level.DUE_SOON,
                )
                for person in people.for_level(req, level)
            ]
            notice = {"clock": clock, "level": level, "deadline": req.due_at}
            plan.reached.append(Reached(notice=notice, messages=messages))
        return plan


REQUESTS = RequestSweep()


def supervise(request_id: int, now=None) -> int:
    """Fire whatever levels one request has reached; return the notifications written."""
    return REQUESTS.supervise(request_id, now or timezone.now()).sent


def sla_sweep_tally(now=None, batch_size: int = BATCH_SIZE) -> Tally:
    """One supervision sweep: requests, then card reviews (cards.review_supervision, the same
    levels on the application's clock); what it did, failures included."""
    now = now or timezone.now()
    tally = REQUESTS.run(now, batch_size)
    logger.info(
        "sla sweep at %s: %s requests, %s notifications, %s failed",
        now.isoformat(),
        tally.rows,
        tally.sent,
        tally.failed,
    )
    tally += review_sweep_tally(now, batch_size)
    # The layers above (subsidies' reviews and payments …): one failing never stops the rest.
    for name, sweep in registered().items():
        try:
            tally += sweep(now, batch_size)
        except Exception:
            logger.exception("the %s sweep failed; the others went on", name)
    return tally


def sla_sweep(now=None, batch_size: int = BATCH_SIZE) -> int:
    """One supervision sweep (beat: every 5 minutes; ``manage.py sla_sweep``); return the
    notifications written."""
    return sla_sweep_tally(now, batch_size).sent
