"""Helpers for the subsidies tests: the demo policies, a card holder who has been offered
them, and an entitlement walked to a given state through the API."""

from tests.cards_support import submitted

# Matches SETTLE-ZG (正高, the largest settlement policy: 就高) and RENT-36 (巴州 employer,
# arrived within 3 years); SETTLE-BS matches too but is excluded by the larger one.
PROFILE = {
    "education": "全日制博士研究生",
    "professional_title": "正高级工程师（正高）",
    "employer": "巴州区人民医院",
    "arrival_date": "2024-03-01",
}
ACCOUNT = {
    "bank_name": "中国工商银行巴中分行",
    "account_number": "6222 0202 0011 2233 445",
    "account_name": "李明",
}


def seed_policies() -> None:
    from subsidies.seed import seed_policies as seed

    seed()


def card_holder(talent_client, admin_client, **profile) -> dict:
    """Approve a card for the talent of ``talent_client`` with the profile above (the demo
    policies must be seeded): the approval offers the matching policies."""
    app = submitted(talent_client, ("D02", "C03"), **{**PROFILE, **profile})
    response = admin_client.post(f"/api/v1/card-applications/{app['id']}/approve/")
    assert response.status_code == 200, response.content
    return response.json()


def entitlement_of(talent, code: str):
    from subsidies.models import Entitlement

    return Entitlement.objects.get(talent=talent, policy__code=code)
