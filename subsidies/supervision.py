"""Supervision of entitlement reviews and instalment payments: this layer's part of the one
supervision sweep (services.supervision.sla_sweep runs it through portal.sweep's registry),
with the same levels as requests, each sent once per row, level and deadline:

- ``due_soon``: from the start of the due day → the paying department's staff and leads;
- ``overdue``: from 00:00 after the due day → the same, urgent;
- ``escalated`` (督办): still open 2 working days past the deadline → the organization
  department's admins, urgent.

Before the payment levels, instalments whose day has come turn ``due``
(subsidies.payments.instalments_fall_due).
"""

import logging

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.identity import mask_name
from portal.models import Role, User
from portal.notify import Message
from portal.sweep import NoticeSweep, Plan, Reached, Tally
from portal.timefmt import deadline_text
from services.clocks import due_soon_at
from subsidies.clocks import next_notice
from subsidies.models import (
    Entitlement,
    EntitlementNotice,
    Instalment,
    InstalmentNotice,
    SubsidyLevel,
)
from subsidies.payments import instalments_fall_due

logger = logging.getLogger("subsidies.supervision")
BATCH_SIZE = 200


def _levels(due_at, escalate_at, now) -> list[str]:
    if due_at is None:
        return []
    if now >= due_at:
        levels = [SubsidyLevel.OVERDUE]
        if escalate_at is not None and now >= escalate_at:
            levels.append(SubsidyLevel.ESCALATED)
        return levels
    if now >= due_soon_at(due_at):
        return [SubsidyLevel.DUE_SOON]
    return []


class _People:
    """The admins and the staff and leads of the batch's departments, in one query."""

    def __init__(self, departments: set[int]):
        self.admins, self.desk = [], {}
        people = User.objects.filter(is_active=True).filter(
            Q(role=Role.ADMIN) | Q(department_id__in=departments, role__in=(Role.STAFF, Role.LEAD))
        )
        for person in people.order_by("pk"):
            if person.role == Role.ADMIN:
                self.admins.append(person)
            else:
                self.desk.setdefault(person.department_id, []).append(person)

    def for_level(self, department_id: int, level: str) -> list[User]:
        return self.admins if level == SubsidyLevel.ESCALATED else self.desk.get(department_id, [])


def _link(ent_id: int, person: User) -> str:
    if person.role == Role.ADMIN:
        return reverse("subsidies:manage-entitlement", args=[ent_id])
    return reverse("subsidies:desk-entitlement", args=[ent_id])


TITLES = {
    SubsidyLevel.DUE_SOON: "今日到期，请及时办理",
    SubsidyLevel.OVERDUE: "已超期",
    SubsidyLevel.ESCALATED: "已超期两个工作日，转组织部人才办督办",
}


class ReviewSweep(NoticeSweep):
    model = Entitlement
    notice_model = EntitlementNotice
    owner = "entitlement_id"
    key = ("level",)
    next_field = "next_notice_at"
    dedupe_prefix = "entitlement_review"
    logger = logger

    def queryset(self):
        return Entitlement.objects.select_related("policy", "talent", "department")

    def label(self, ent) -> str:
        return ent.label

    def prepare(self, rows, now) -> _People:
        return _People({ent.department_id for ent in rows})

    def plan(self, ent: Entitlement, now, people: _People) -> Plan:
        plan = Plan(next_at=next_notice(ent.review_due_at, ent.review_escalate_at, now))
        for level in _levels(ent.review_due_at, ent.review_escalate_at, now):
            messages = [
                Message(
                    recipient=person,
                    kind=f"entitlement_review_{level}",
                    title=f"待遇 #{ent.pk}（{ent.policy.name}）审核{TITLES[level]}",
                    body=(
                        f"人才：{mask_name(ent.talent.real_name)}；兑现部门：{ent.department.name}；"
                        f"审核期限：{deadline_text(ent.review_due_at)}。"
                    ),
                    link=_link(ent.pk, person),
                    urgent=level != SubsidyLevel.DUE_SOON,
                )
                for person in people.for_level(ent.department_id, level)
            ]
            notice = {"level": level, "deadline": ent.review_due_at}
            plan.reached.append(Reached(notice=notice, messages=messages))
        return plan


class PaymentSweep(NoticeSweep):
    model = Instalment
    notice_model = InstalmentNotice
    owner = "instalment_id"
    key = ("level",)
    next_field = "next_notice_at"
    dedupe_prefix = "instalment"
    logger = logger

    def queryset(self):
        return Instalment.objects.select_related("entitlement__talent", "policy", "department")

    def label(self, inst) -> str:
        return f"待遇 #{inst.entitlement_id} 第{inst.n}期"

    def prepare(self, rows, now) -> _People:
        return _People({inst.department_id for inst in rows})

    def plan(self, inst: Instalment, now, people: _People) -> Plan:
        plan = Plan(next_at=next_notice(inst.due_at, inst.escalate_at, now))
        for level in _levels(inst.due_at, inst.escalate_at, now):
            messages = [
                Message(
                    recipient=person,
                    kind=f"instalment_{level}",
                    title=(
                        f"待遇 #{inst.entitlement_id}（{inst.policy.name}）第{inst.n}期兑现"
                        f"{TITLES[level]}"
                    ),
                    body=(
                        f"人才：{mask_name(inst.entitlement.talent.real_name)}；"
                        f"金额 {inst.amount:,.2f} 元；兑现期限：{deadline_text(inst.due_at)}；"
                        f"兑现部门：{inst.department.name}。"
                    ),
                    link=_link(inst.entitlement_id, person),
                    urgent=level != SubsidyLevel.DUE_SOON,
                )
                for person in people.for_level(inst.department_id, level)
            ]
            notice = {"level": level, "deadline": inst.due_at}
            plan.reached.append(Reached(notice=notice, messages=messages))
        return plan


REVIEWS = ReviewSweep()
PAYMENTS = PaymentSweep()


def subsidy_sweep_tally(now=None, batch_size: int = BATCH_SIZE) -> Tally:
    """This layer's part of the supervision sweep: instalments falling due, then the review
    and payment levels; what it did, failures included."""
    now = now or timezone.now()
    try:
        instalments_fall_due(now)
    except Exception:  # never stops the sweep's levels (a bad batch is logged)
        logger.exception("marking instalments due failed")
    tally = REVIEWS.run(now, batch_size) + PAYMENTS.run(now, batch_size)
    logger.info(
        "subsidy sweep at %s: %s rows, %s notifications, %s failed",
        now.isoformat(),
        tally.rows,
        tally.sent,
        tally.failed,
    )
    return tally
