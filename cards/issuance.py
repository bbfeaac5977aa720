"""Cards: numbering, issue, renewal, change, suspension, revocation, reinstatement.

Every change locks the card row, refuses an illegal from-state with InvalidTransition (409),
writes a CardEvent and an audit event, and tells the holder, all in one transaction.
"""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.actions import CardAction, CardEventAction
from cards.expiry import card_expire
from cards.hooks import card_changed
from cards.models import Card, CardEvent, CardNumberSequence, CardStatus
from cards.models.cards import LIVE_STATUSES
from cards.permissions import CARDS
from portal.audit import audit_record
from portal.errors import InvalidTransition
from portal.notify import notification_create

VALID_YEARS = 3


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def validity_end(start: datetime.date) -> datetime.date:
    """Last valid day of a card valid 3 years from ``start`` (both days included)."""
    return add_years(start, VALID_YEARS) - datetime.timedelta(days=1)


def card_number_next(year: int) -> str:
    """Take the next number of ``year``. Must run inside the issuing transaction: the
    sequence row stays locked until it commits, so concurrent approvals queue here."""
    CardNumberSequence.objects.bulk_create(
        [CardNumberSequence(year=year, last=0)], ignore_conflicts=True
    )
    sequence = CardNumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"BZYC-{year}-{sequence.last:06d}"


def _event(card: Card, actor, action: str, from_status: str, note: str = "") -> None:
    CardEvent.objects.create(
        card=card,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=card.status,
        note=note,
    )
    card_changed(card)


@transaction.atomic
def card_issue(*, holder, tier: str, actor, photo=None, ip: str | None = None) -> Card:
    """Issue a new card to ``holder`` (called by application_approve, inside its transaction;
    atomic on its own too), showing ``photo`` (the application's 证件照 document).

    A previous card past its end date is marked expired first, so it no longer counts as the
    holder's live card.
    """
    now = timezone.now()
    today = timezone.localdate(now)
    previous = live_card(holder)
    if previous is not None and previous.effective_status(today) == CardStatus.EXPIRED:
        card_expire(Card.objects.select_for_update().get(pk=previous.pk), new_card_follows=True)
    card = Card(
        number=card_number_next(today.year),
        holder=holder,
        tier=tier,
        issued_at=now,
        valid_until=validity_end(today),
        photo=photo,
    )
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:
        raise InvalidTransition(
            gettext("该人才已持有有效的优才卡，不能重复发卡。"),
            status="card_exists",
            code="card_exists",
        ) from None
    _event(
        card,
        actor,
        CardEventAction.ISSUED,
        "",
        note=f"{card.get_tier_display()}，有效期至 {card.valid_until}",
    )
    audit_record(action=CardAction.ISSUE, actor=actor, obj=card, ip=ip, tier=tier)
    return card


def _set_photo(card: Card, photo, fields: list[str]) -> None:
    # An application approved without a photo (filed before photos were required) leaves
    # the card's photo as it was.
    if photo is not None:
        card.photo = photo
        fields.append("photo")


@transaction.atomic
def card_renew(*, card: Card, tier: str, actor, photo=None, ip: str | None = None) -> Card:
    """Extend ``card`` by 3 years from its end date (or from today if it has ended), with the
    renewal's ``photo``."""
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.status != CardStatus.ACTIVE:
        label = CardStatus(card.status).label
        raise InvalidTransition(
            gettext("该优才卡%(status)s，不能续期。") % {"status": label}, status=card.status
        )
    today = timezone.localdate()
    start = max(card.valid_until + datetime.timedelta(days=1), today)
    old_end = card.valid_until
    card.valid_until = validity_end(start)
    card.tier = tier
    fields = ["valid_until", "tier"]
    _set_photo(card, photo, fields)
    card.save(update_fields=fields)
    _event(
        card,
        actor,
        CardEventAction.RENEWED,
        card.status,
        note=f"有效期由 {old_end} 延至 {card.valid_until}",
    )
    audit_record(action=CardAction.RENEW, actor=actor, obj=card, ip=ip, tier=tier)
    return card


@transaction.atomic
def card_change(*, card: Card, tier: str, actor, photo=None, ip: str | None = None) -> Card:
    """Record an approved change (new employer); the tier and photo may change, the validity
    does not."""
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.status not in LIVE_STATUSES:
        raise InvalidTransition(gettext("该优才卡已失效，不能办理变更。"), status=card.status)
    old_tier = card.tier
    card.tier = tier
    fields = ["tier"]
    _set_photo(card, photo, fields)
    card.save(update_fields=fields)
    _event(card, actor, CardEventAction.CHANGED, card.status, note=f"层次 {old_tier} → {tier}")
    audit_record(action=CardAction.CHANGE, actor=actor, obj=card, ip=ip, tier=tier)
    return card


_TITLES = {
    "suspended": _("您的优才卡 {number} 已暂停使用"),
    "revoked": _("您的优才卡 {number} 已注销"),
    "reinstated": _("您的优才卡 {number} 已恢复使用"),
}


def _set_status(
    *,
    card: Card,
    actor,
    verb: str,
    to: str,
    action: CardAction,
    step: CardEventAction,
    reason: str,
    ip,
) -> Card:
    """A change of status the table allows (cards.permissions: suspend, reinstate, revoke)."""
    CARDS.require_who(actor, verb, card)
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        CARDS.require(actor, verb, card)
        previous = card.status
        card.status = to
        card.status_reason = reason
        card.save(update_fields=["status", "status_reason"])
        _event(card, actor, step, previous, note=reason)
        audit_record(action=action, actor=actor, obj=card, ip=ip, reason=reason)
        notification_create(
            recipient=card.holder,
            kind=f"card_{step.value}",
            title=format_lazy(_TITLES[step], number=card.number),
            body=format_lazy(_("原因：{reason}"), reason=reason) if reason else "",
            link=reverse("cards:home"),
            urgent=True,
        )
    return card


def _reason(reason: str) -> str:
    from django.core.exceptions import ValidationError

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [gettext("请填写原因。")]})
    return reason


def card_suspend(*, card: Card, actor, reason: str, ip: str | None = None) -> Card:
    """Suspend an active card; verification answers card_suspended from this moment."""
    CARDS.require_who(actor, "suspend", card)
    return _set_status(
        card=card,
        actor=actor,
        verb="suspend",
        to=CardStatus.SUSPENDED,
        action=CardAction.SUSPENDED,
        step=CardEventAction.SUSPENDED,
        reason=_reason(reason),
        ip=ip,
    )


def card_revoke(*, card: Card, actor, reason: str, ip: str | None = None) -> Card:
    """Revoke a card for good (final); verification answers card_revoked from this moment."""
    CARDS.require_who(actor, "revoke", card)
    return _set_status(
        card=card,
        actor=actor,
        verb="revoke",
        to=CardStatus.REVOKED,
        action=CardAction.REVOKED,
        step=CardEventAction.REVOKED,
        reason=_reason(reason),
        ip=ip,
    )


def card_reinstate(*, card: Card, actor, note: str = "", ip: str | None = None) -> Card:
    """Lift a suspension (from ``suspended`` only)."""
    return _set_status(
        card=card,
        actor=actor,
        verb="reinstate",
        to=CardStatus.ACTIVE,
        action=CardAction.REINSTATED,
        step=CardEventAction.REINSTATED,
        reason=(note or "").strip(),
        ip=ip,
    )


def live_card(holder) -> Card | None:
    """The holder's card that is still alive (active or suspended), if any."""
    return Card.objects.filter(holder=holder, status__in=LIVE_STATUSES).first()
