"""The visit clock in the one supervision sweep (services.supervision.sla_sweep runs it through
portal.sweep's registry): once per liaison and due day,

- ``remind``: from 00:00 of the 5th working day before the visit falls due → the officer
  (once per officer: one named during the cycle is reminded too);
- ``escalated``: a visit still missing 10 working days after the due day → the organization
  department's admins, urgent.

A liaison whose card is no longer live is not supervised (its next look is cleared; a card
reinstated sets it again, talents.profiles' card listener).
"""

import logging

from django.urls import reverse
from django.utils import timezone

from cards.models.cards import LIVE_STATUSES
from portal.identity import mask_name
from portal.models import Role, User
from portal.notify import Message
from portal.sweep import NoticeSweep, Plan, Reached, Tally
from talents.clocks import next_notice
from talents.models import Liaison, LiaisonLevel, LiaisonNotice

logger = logging.getLogger("talents.supervision")
BATCH_SIZE = 200


def levels(liaison: Liaison, now) -> list[str]:
    reached = []
    if now >= liaison.remind_at:
        reached.append(LiaisonLevel.REMIND)
    if now >= liaison.escalate_at:
        reached.append(LiaisonLevel.ESCALATED)
    return reached


class VisitSweep(NoticeSweep):
    model = Liaison
    notice_model = LiaisonNotice
    owner = "liaison_id"
    key = ("level", "due_on", "officer_ref")
    next_field = "next_notice_at"
    dedupe_prefix = "liaison"
    logger = logger

    def queryset(self):
        return Liaison.objects.select_related("card", "talent", "officer")

    def label(self, liaison) -> str:
        return f"联系服务 {liaison.card.number}"

    def prepare(self, rows, now) -> list[User]:
        return list(User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk"))

    def plan(self, liaison: Liaison, now, admins: list[User]) -> Plan:
        if liaison.card.status not in LIVE_STATUSES:
            return Plan(next_at=None)
        plan = Plan(next_at=next_notice(liaison, now))
        name = mask_name(liaison.talent.real_name)
        number = liaison.card.number
        due = f"{liaison.due_on:%Y-%m-%d}"
        for level in levels(liaison, now):
            if level == LiaisonLevel.REMIND:
                recipients = [liaison.officer] if liaison.officer.is_active else []
                messages = [
                    Message(
                        recipient=person,
                        kind="liaison_visit_due",
                        title=f"请于 {due} 前走访优才卡 {number} 持卡人{name}",
                        body=f"联系领导：{liaison.leader}；走访周期：每{liaison.visit_every_days}天。",
                        link=reverse("talents:liaison", args=[number]),
                    )
                    for person in recipients
                ]
            else:
                messages = [
                    Message(
                        recipient=person,
                        kind="liaison_visit_escalated",
                        title=f"优才卡 {number} 持卡人{name}的走访已超期十个工作日",
                        body=(
                            f"应于 {due} 前走访；联系领导：{liaison.leader}；"
                            f"服务专员：{liaison.officer.real_name or liaison.officer.username}。"
                        ),
                        link=reverse("talents:liaison", args=[number]),
                        urgent=True,
                    )
                    for person in admins
                ]
            officer_ref = liaison.officer_id if level == LiaisonLevel.REMIND else 0
            notice = {"level": level, "due_on": liaison.due_on, "officer_ref": officer_ref}
            plan.reached.append(Reached(notice=notice, messages=messages))
        return plan


VISITS = VisitSweep()


def visit_sweep_tally(now=None, batch_size: int = BATCH_SIZE) -> Tally:
    now = now or timezone.now()
    tally = VISITS.run(now, batch_size)
    logger.info(
        "visit sweep at %s: %s rows, %s notifications, %s failed",
        now.isoformat(),
        tally.rows,
        tally.sent,
        tally.failed,
    )
    return tally
