"""Assigning a liaison (PUT /api/v1/cards/{number}/liaison/): the organization department names
a liaison leader (name and post) and a service officer (a portal account of role staff, lead or
admin) for a card holder, with the visit interval."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from cards.models import Card
from portal.audit import audit_record
from portal.i18n import for_user
from portal.models import User
from portal.notify import notification_create
from talents.actions import LiaisonAction, LiaisonStep
from talents.clocks import liaison_derive
from talents.models import Liaison, LiaisonEvent
from talents.permissions import LIAISONS, serves

MIN_DAYS, MAX_DAYS = 7, 366


def _clean(leader, officer, visit_every_days) -> tuple[str, User, int]:
    errors = {}
    leader = leader.strip() if isinstance(leader, str) else ""
    if not leader:
        errors["leader"] = [gettext("请填写联系领导的职务和姓名，如“区委副书记 张某”。")]
    elif len(leader) > 60:
        errors["leader"] = [gettext("联系领导不能超过60个字。")]
    person = None
    if not isinstance(officer, str) or not officer.strip():
        errors["officer"] = [gettext("请填写服务专员的用户名。")]
    else:
        person = User.objects.filter(username=officer.strip()).first()
        if person is None or not serves(person):
            errors["officer"] = [
                gettext("服务专员须为在岗的部门经办人、负责人或组织部人才办账号。")
            ]
    days = visit_every_days
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if not isinstance(days, int) or isinstance(days, bool) or not MIN_DAYS <= days <= MAX_DAYS:
        errors["visit_every_days"] = [
            gettext("走访周期应为%(min)s至%(max)s天。") % {"min": MIN_DAYS, "max": MAX_DAYS}
        ]
    if errors:
        raise ValidationError(errors)
    return leader, person, days


def liaison_assign(
    *, card: Card, leader, officer, visit_every_days, actor, ip: str | None = None
) -> tuple[Liaison, bool]:
    """Assign or change the card's liaison; returns (liaison, created). The officer is told
    when newly named; the visit clock counts the (new) interval from the last visit, or from
    the first assignment when there has been none."""
    probe = Liaison(card=card, talent_id=card.holder_id, officer_id=0)
    LIAISONS.require_who(actor, "assign", probe)
    leader, person, days = _clean(leader, officer, visit_every_days)
    now = timezone.now()
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        LIAISONS.require(actor, "assign", Liaison(card=card))
        liaison = Liaison.objects.select_for_update().filter(card=card).first()
        created = liaison is None
        previous_officer = None if created else liaison.officer_id
        if created:
            liaison = Liaison(card=card, talent_id=card.holder_id, assigned_at=now)
        before = None if created else (liaison.leader, liaison.officer_id, liaison.visit_every_days)
        liaison.leader, liaison.officer, liaison.visit_every_days = leader, person, days
        if before == (leader, person.pk, days):
            return liaison, False
        liaison_derive(liaison, now)
        liaison.save()
        note = gettext("联系领导：%(leader)s；服务专员：%(officer)s；每%(days)s天走访一次") % {
            "leader": leader,
            "officer": person.real_name or person.username,
            "days": days,
        }
        LiaisonEvent.objects.create(
            liaison=liaison,
            actor=actor,
            action=LiaisonStep.ASSIGNED if created else LiaisonStep.CHANGED,
            note=note,
        )
        audit_record(
            action=LiaisonAction.ASSIGN if created else LiaisonAction.CHANGE,
            actor=actor,
            obj=liaison,
            ip=ip,
            leader=leader,
            officer=person.username,
            visit_every_days=days,
        )
        if created:
            with for_user(card.holder):
                notification_create(
                    recipient=card.holder,
                    kind="liaison_assigned_talent",
                    title=gettext("组织部为您确定了一对一联系服务"),
                    body=gettext(
                        "联系领导：%(leader)s；服务专员：%(officer)s。您反映的诉求将由服务专员跟进办理。"
                    )
                    % {"leader": leader, "officer": person.real_name or person.username},
                    link=reverse("talents:my-liaison"),
                )
        if previous_officer != person.pk:
            notification_create(
                recipient=person,
                kind="liaison_assigned",
                title=f"您被确定为优才卡 {card.number} 持卡人的服务专员",
                body=(
                    f"联系领导：{leader}；每{days}天走访一次，"
                    f"下次走访应在 {liaison.due_on:%Y-%m-%d} 前。"
                ),
                link=reverse("talents:liaison", args=[card.number]),
            )
    return liaison, created
