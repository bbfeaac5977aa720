"""What the talents layer does when a card is granted or changes (cards.hooks): the holder's
profile follows the card (tier, standing, and the granting application's facts), and the
liaison's visit clock stops while the card is not live and starts again when it is."""

from django.utils import timezone

from cards.models.cards import LIVE_STATUSES
from talents.clocks import liaison_derive
from talents.models import Liaison
from talents.profiles import profile_refresh


def on_granted(*, card, application, actor, ip) -> None:
    profile_refresh(card.holder_id, application=application)


def on_changed(*, card) -> None:
    profile_refresh(card.holder_id)
    liaison = Liaison.objects.select_for_update().filter(card=card).first()
    if liaison is None:
        return
    if card.status in LIVE_STATUSES:
        if liaison.next_notice_at is None:
            fields = liaison_derive(liaison, timezone.now())
            liaison.save(update_fields=fields)
    elif liaison.next_notice_at is not None:
        liaison.next_notice_at = None
        liaison.save(update_fields=["next_notice_at"])
