"""Demo data of the subsidies layer (``seed_demo``, DEBUG only): the demo talent's card offers
what it entitles its holder to (a card seeded before the policies existed gets them now)."""

from cards.issuance import live_card
from portal.models import User
from subsidies.offers import entitlements_offer


def seed_demo_entitlements() -> str:
    talent = User.objects.filter(username="demo_talent").first()
    card = live_card(talent) if talent is not None else None
    if card is None:
        return ""
    made = entitlements_offer(card=card)
    if not made:
        return ""
    names = "、".join(e.policy.name for e in made)
    return f"政策直达：演示人才 demo_talent 获推送待遇 {len(made)} 项（{names}）。"
