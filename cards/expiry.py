"""Card expiry: reminders at 90, 30 and 7 days, and expiry itself (nightly job)."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cards.actions import CardAction, CardEventAction
from cards.hooks import card_changed
from cards.models import Card, CardEvent, CardStatus
from portal.audit import audit_record
from portal.notify import notification_create
from portal.rows import Tally, each_row

REMINDER_DAYS = (90, 30, 7)
# A reminder missed on its day (the job did not run) is still sent within this many days.
CATCH_UP_DAYS = 7
BATCH_SIZE = 500


def _remind(card: Card, days: int) -> bool:
    created = notification_create(
        recipient=card.holder,
        kind="card_expiry",
        title=format_lazy(_("您的优才卡将于 {date} 到期"), date=card.valid_until),
        body=format_lazy(
            _("距有效期届满约 {days} 天。到期前 90 天起可在线申请续期，续期后卡号不变。"),
            days=days,
        ),
        link=reverse("cards:home"),
        # Once per card, end date and level: a renewal (new end date) starts over.
        dedupe_key=f"card_expiry:{card.pk}:{card.valid_until}:{days}",
        urgent=days <= 30,
    )
    return created is not None


def card_expiry_reminders(today: datetime.date | None = None) -> int:
    """Remind holders whose active card ends in 90, 30 or 7 days; return reminders sent."""
    today = today or timezone.localdate()
    tally = Tally("card_expiry_reminders")
    for days in REMINDER_DAYS:
        first = today + datetime.timedelta(days=days - CATCH_UP_DAYS)
        last = today + datetime.timedelta(days=days)
        # Index card_active_valid_until_idx: active cards by end date.
        window = (
            Card.objects.filter(status=CardStatus.ACTIVE, valid_until__range=(first, last))
            .select_related("holder")
            .order_by("valid_until", "pk")
        )

        def remind(card, days=days) -> bool:
            # Only the level the card is at: a card 20 days from its end is past "90".
            level = min(d for d in REMINDER_DAYS if d >= (card.valid_until - today).days)
            return level == days and _remind(card, days)

        each_row(
            tally.job,
            window.iterator(chunk_size=BATCH_SIZE),
            remind,
            label=lambda card: card.number,
            tally=tally,
        )
    tally.log()
    return tally.done


def card_expire(card: Card, *, new_card_follows: bool = False) -> None:
    """The one place a card becomes expired: ``card`` (active, past its end date, locked by
    the caller) is marked expired with its event and audit record, and the holder is told —
    unless a new card is being issued to them in the same transaction (the nightly job had not
    run yet when the new application was approved), when the new card's notice says it all."""
    card.status = CardStatus.EXPIRED
    card.save(update_fields=["status"])
    CardEvent.objects.create(
        card=card,
        action=CardEventAction.EXPIRED,
        from_status=CardStatus.ACTIVE,
        to_status=card.status,
    )
    card_changed(card)
    audit_record(action=CardAction.EXPIRED, obj=card, valid_until=str(card.valid_until))
    if not new_card_follows:
        notification_create(
            recipient=card.holder,
            kind="card_expired",
            title=format_lazy(_("您的优才卡 {number} 已到期"), number=card.number),
            body=_("如仍符合条件，可在线重新申请认定。"),
            link=reverse("cards:home"),
            dedupe_key=f"card_expired:{card.pk}:{card.valid_until}",
            urgent=True,
        )


def card_expire_due(today: datetime.date | None = None) -> int:
    """Mark active cards past their end date expired (event, audit, holder told)."""
    today = today or timezone.localdate()
    tally = Tally("card_expire_due")

    def expire(card_id) -> bool:
        card = (
            Card.objects.select_for_update()
            .select_related("holder")
            .filter(pk=card_id, status=CardStatus.ACTIVE, valid_until__lt=today)
            .first()
        )
        if card is None:
            return False
        card_expire(card)
        return True

    while True:
        batch = list(
            Card.objects.filter(status=CardStatus.ACTIVE, valid_until__lt=today)
            .exclude(pk__in=tally.failed_keys)  # the failed ones wait for the next run
            .order_by("valid_until", "pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not batch:
            tally.log()
            return tally.done
        each_row(tally.job, batch, expire, label=_card_number, tally=tally)


def _card_number(card_id) -> str:
    return Card.objects.filter(pk=card_id).values_list("number", flat=True).first() or card_id
