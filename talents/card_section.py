"""The talents section of the organization department's card page (cards:card, through
cards.hooks.card_sections): the holder's profile from the talent database and the holder's
liaison, or the link to assign one."""

from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from talents.models import Liaison, TalentProfile
from talents.permissions import PROFILES


def card_section(card, user) -> dict | None:
    """``{"template": …, profile, outputs, liaison …}`` for the 人才办; None for anyone else.
    Both read through their visible_to (three queries: profile, outputs, liaison)."""
    if user.role != Role.ADMIN:  # the card page is the 人才办's; a holder sees 人才信息
        return None
    profile = (
        TalentProfile.objects.visible_to(user)
        .filter(holder_id=card.holder_id)
        .prefetch_related("outputs")
        .first()
    )
    if profile is not None and not PROFILES.allowed(user, "view", profile):
        profile = None
    liaison = Liaison.objects.visible_to(user).filter(card=card).select_related("officer").first()
    today = timezone.localdate()
    return {
        "template": "talents/card_section.html",
        "profile": profile,
        "outputs": list(profile.outputs.all()) if profile is not None else [],
        "liaison": liaison,
        "overdue": liaison is not None and liaison.due_on < today,
        "liaison_url": reverse("talents:liaison", args=[card.number]),
    }
