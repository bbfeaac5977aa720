"""Offering entitlements: 政策直达, no application (API.md "政策直达快享").

When a card is issued, renewed or changed (cards.applications.application_approve, through the
hook cards.hooks.card_granted), every policy in force whose rules match the holder becomes one
``offered`` entitlement, and the talent is told (inbox and SMS). A policy is offered to a
person once, ever (constraint entitlement_once), so a renewal that matches again offers
nothing new and running the offer twice is harmless. Among matching policies of one kind that
exclude each other (rule exclusive_kind) the holder is offered the larger amount (就高).
"""

import dataclasses
import datetime
import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cards.models import Card, CardApplication, CardStatus
from portal.audit import audit_record
from portal.identity import IdType
from portal.localized import localized_lazy
from portal.notify import notification_create
from subsidies.actions import EntitlementAction, PolicyAction, Step
from subsidies.models import Entitlement, EntitlementEvent, Policy, RuleAttribute
from subsidies.models.entitlements import HOLDING
from subsidies.rules import Facts, policy_matches

logger = logging.getLogger("subsidies.offers")


def _birth_date(user):
    """The birth date in a resident ID number (GB 11643: digits 7–14), else None."""
    if user.id_type != IdType.RESIDENT:
        return None
    number = user.id_number or ""
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def facts_for(card: Card, application: CardApplication | None) -> Facts:
    """What the rules read about ``card``'s holder: the card's tier, the profile of the
    application that issued or last changed it, the birth date of the ID number."""
    if application is None:
        application = (
            CardApplication.objects.filter(card=card, status="approved")
            .order_by("-decided_at", "-id")
            .first()
        )
    holder = card.holder
    kinds = frozenset(
        Entitlement.objects.filter(talent=holder, status__in=HOLDING).values_list(
            "policy__kind", flat=True
        )
    )
    return Facts(
        tier=card.tier,
        education=getattr(application, "education", "") or "",
        professional_title=getattr(application, "professional_title", "") or "",
        employer=getattr(application, "employer", "") or "",
        arrival_date=getattr(application, "arrival_date", None),
        birth_date=_birth_date(holder),
        on=timezone.localdate(),
        kinds_held=kinds,
    )


def matching_policies(card: Card, application: CardApplication | None = None) -> list[Policy]:
    """Policies in force that ``card``'s holder matches and has not been offered, largest
    amount first, one per kind where the policy excludes others of its kind."""
    facts = facts_for(card, application)
    offered = set(
        Entitlement.objects.filter(talent_id=card.holder_id).values_list("policy_id", flat=True)
    )
    policies = (
        Policy.objects.in_force(facts.on)
        .exclude(pk__in=offered)
        .select_related("department")
        .prefetch_related("rules")
        .order_by("-amount_total", "code")
    )
    chosen, kinds = [], set(facts.kinds_held)
    for policy in policies:
        if not policy.department.is_active:
            continue
        current = dataclasses.replace(facts, kinds_held=frozenset(kinds))
        if policy_matches(policy, current):
            chosen.append(policy)
            if any(r.attribute == RuleAttribute.EXCLUSIVE for r in policy.rules.all()):
                kinds.add(policy.kind)
    return chosen


def _notify_offer(ent: Entitlement) -> None:
    notification_create(
        recipient=ent.talent,
        kind="entitlement_offered",
        title=format_lazy(
            _("您可享受“{policy}”，请确认收款账户"),
            policy=localized_lazy(ent.policy, "name"),
        ),
        body=format_lazy(
            _("根据{ref}，您可享受{policy}共 {amount} 元，无需申请，确认收款账户即可。"),
            ref=ent.policy.policy_ref,
            policy=localized_lazy(ent.policy, "name"),
            amount=f"{ent.amount_total:,.2f}",
        ),
        link=reverse("subsidies:detail", args=[ent.pk]),
        dedupe_key=f"entitlement_offered:{ent.pk}",
        urgent=True,
    )


def entitlements_offer(
    *, card: Card, application: CardApplication | None = None, actor=None, ip=None
) -> list[Entitlement]:
    """Offer ``card``'s holder every matching policy not offered before; return the new
    entitlements. Idempotent: a policy already offered (by another run committing meanwhile,
    too) is skipped."""
    if card.status != CardStatus.ACTIVE:
        return []
    made = []
    now = timezone.now()
    for policy in matching_policies(card, application):
        try:
            with transaction.atomic():
                ent = Entitlement.objects.create(
                    policy=policy,
                    talent=card.holder,
                    card=card,
                    department=policy.department,
                    amount_total=policy.amount_total,
                    offered_at=now,
                )
        except IntegrityError:
            continue  # offered meanwhile
        ent.policy = policy
        EntitlementEvent.objects.create(
            entitlement=ent,
            actor=None,
            action=Step.OFFERED,
            to_status=ent.status,
            note=f"{policy.name}（{policy.policy_ref}）",
        )
        audit_record(
            action=EntitlementAction.OFFER,
            actor=actor,
            obj=ent,
            ip=ip,
            policy=policy.code,
            card=card.number,
            amount=str(policy.amount_total),
        )
        _notify_offer(ent)
        made.append(ent)
    return made


def offer_on_card_granted(*, card, application, actor, ip) -> None:
    """The hook cards.hooks calls inside the approval's transaction. A failure here must not
    undo the card: it is logged and the offer is retried after commit by a task."""
    try:
        with transaction.atomic():
            entitlements_offer(card=card, application=application, actor=actor, ip=ip)
    except Exception:
        logger.exception("offering entitlements for card %s failed; retried by a task", card.pk)
        from portal.delivery import enqueue
        from subsidies.tasks import offer_for_card

        enqueue(offer_for_card, card.pk)


def policy_offer_existing(*, policy: Policy, actor=None, ip=None, batch_size: int = 200) -> int:
    """Offer ``policy`` to every current holder it matches (a policy published after their
    cards were issued); return how many entitlements were made. Batches by card id."""
    made, last = 0, 0
    while True:
        cards = list(
            Card.objects.filter(status=CardStatus.ACTIVE, pk__gt=last)
            .select_related("holder")
            .order_by("pk")[:batch_size]
        )
        if not cards:
            break
        for card in cards:
            try:
                with transaction.atomic():
                    made += len(
                        [
                            e
                            for e in entitlements_offer(card=card, actor=actor, ip=ip)
                            if e.policy_id == policy.pk
                        ]
                    )
            except Exception:
                logger.exception("offering to card %s failed; going on", card.pk)
        last = cards[-1].pk
    audit_record(action=PolicyAction.OFFER_EXISTING, actor=actor, obj=policy, ip=ip, offered=made)
    return made
