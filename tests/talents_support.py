"""Helpers for the talents tests: a card holder with a profile, a service officer, and a
liaison between them assigned the way the organization department does it."""

from types import SimpleNamespace

from cards.models import Card
from portal.models import Department, Role, User
from talents.liaisons import liaison_assign
from talents.models import Liaison
from talents.profiles import profile_refresh
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card

# What the granting application says (copied into the profile by profile_refresh).
FACTS = {
    "employer": "巴州区人民医院",
    "position": "主任医师",
    "education": "全日制博士研究生",
    "professional_title": "正高级工程师（正高）",
    "arrival_date": None,
}


def holder(tier: str = "B", user: User | None = None, **facts) -> tuple[User, Card]:
    """A talent (``user`` or a new one) with an active card of ``tier`` and a profile
    carrying the card's facts (``facts`` override FACTS; ``arrival_date`` a date)."""
    user = user or TalentFactory()
    card = give_card(user, tier=tier)
    application = SimpleNamespace(**{**FACTS, **facts})
    profile_refresh(user.pk, application=application)
    return user, card


def officer(username: str | None = None, role: str = Role.STAFF, department: str = "ZJJ") -> User:
    """A staff account (of ``department`` when it is seeded) that can serve as an officer."""
    extra = {"username": username} if username else {}
    return UserFactory(
        role=role, department=Department.objects.filter(code=department).first(), **extra
    )


def liaison_for(card: Card, officer: User, admin: User, days: int = 90) -> Liaison:
    """Assign ``officer`` to ``card``'s holder as the organization department does."""
    liaison, _ = liaison_assign(
        card=card,
        leader="区委副书记 张某",
        officer=officer.username,
        visit_every_days=days,
        actor=admin,
    )
    return liaison
