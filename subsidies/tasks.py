"""Celery tasks of the subsidies layer: thin wrappers that take ids and call domain
functions (idempotent: a policy is offered to a person once, ever)."""

from celery import shared_task


@shared_task
def offer_for_card(card_id: int) -> int:
    """Offer the holder of card ``card_id`` what it entitles them to (a retry after the
    approval's own attempt failed); return how many entitlements were made."""
    from cards.models import Card
    from subsidies.offers import entitlements_offer

    card = Card.objects.select_related("holder").filter(pk=card_id).first()
    return len(entitlements_offer(card=card)) if card is not None else 0


@shared_task
def offer_policy_to_holders(policy_id: int, actor_id: int | None = None) -> int:
    """Offer a newly published policy to every current holder it matches."""
    from portal.models import User
    from subsidies.models import Policy
    from subsidies.offers import policy_offer_existing

    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None:
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return policy_offer_existing(policy=policy, actor=actor)
