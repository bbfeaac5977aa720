"""政策直达: entitlements offered, never applied for (issue 15 point 2; API.md "政策直达快享").

An approval that issues, renews or changes a card offers every policy in force whose rule
table matches the holder, once per person and policy, the largest of a kind that excludes
others (就高), and tells the talent in the inbox and by SMS.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cards.models import Card, CardStatus
from portal.identity import IdType
from portal.models import AuditEvent, Delivery, Notification
from subsidies.entitlements import entitlement_decline
from subsidies.models import Entitlement, EntitlementEvent, Policy, PolicyInstalment, PolicyRule
from subsidies.models.policies import RuleAttribute as A
from subsidies.models.policies import RuleOperator as O
from subsidies.offers import policy_offer_existing
from subsidies.rules import Facts, rule_check, rule_holds, rules_text
from subsidies.tasks import offer_for_card
from tests.cards_support import submitted
from tests.factories import resident_id
from tests.subsidies_support import card_holder, seed_policies

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria", "departments")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _policies_and_clock(departments):
    seed_policies()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def t(client_for, talent):
    return client_for(talent)


@pytest.fixture
def a(client_for, admin_user):
    return client_for(admin_user)


def offered(talent) -> dict:
    return dict(Entitlement.objects.filter(talent=talent).values_list("policy__code", "status"))


def test_a_new_card_offers_the_matching_policies_largest_of_a_kind(t, a, talent):
    card_holder(t, a)
    # 正高 and 博士 both match; the settlement policies exclude each other: 32.2万 over 25.4万.
    assert offered(talent) == {"SETTLE-ZG": "offered", "RENT-36": "offered"}
    ent = Entitlement.objects.get(talent=talent, policy__code="SETTLE-ZG")
    assert ent.amount_total == Decimal("322000.00")
    assert ent.department.code == "RSJ" and ent.card.holder == talent
    assert list(ent.events.values_list("action", flat=True)) == ["offered"]
    assert AuditEvent.objects.filter(action="entitlement.offer", object_id=str(ent.pk)).exists()
    # The talent is told: the inbox, and an SMS (urgent) besides the e-mail.
    note = Notification.objects.get(
        recipient=talent, kind="entitlement_offered", link__contains=f"/{ent.pk}/"
    )
    assert "正高级职称人才安家补助和工作补贴" in note.title
    assert "322,000.00" in note.body and "无需申请" in note.body
    assert Delivery.objects.filter(notification=note, channel="sms").exists()


def test_nothing_is_offered_to_a_talent_who_arrived_long_ago(t, a, talent):
    # Every demo policy asks for arrival within 3 or 5 years of the card.
    card_holder(t, a, arrival_date="2010-01-01")
    assert offered(talent) == {}


@pytest.mark.parametrize(
    ("attribute", "operator", "value"),
    [
        (A.ARRIVAL, O.WITHIN_YEARS, 5),
        (A.ARRIVAL, O.ON_OR_BEFORE, "2030-01-01"),
        (A.AGE, O.AT_MOST, 99),
    ],
)
def test_a_fact_the_portal_does_not_know_satisfies_no_rule(attribute, operator, value):
    # No arrival date on the application, a passport without a birth date.
    rule = PolicyRule(attribute=attribute, operator=operator, value=value)
    assert not rule_holds(rule, Facts(tier="C", on=NOW.date()), "rent")


def test_an_employer_outside_the_district_gets_no_rent_subsidy(t, a, talent):
    card_holder(t, a, employer="成都某科技公司", professional_title="", education="硕士研究生")
    assert offered(talent) == {"SETTLE-SS": "offered"}


def test_a_change_offers_only_what_is_new_and_never_twice(t, a, talent):
    card_holder(t, a, employer="成都某科技公司", professional_title="", education="硕士研究生")
    assert offered(talent) == {"SETTLE-SS": "offered"}
    # New employer in the district, and meanwhile promoted to 正高: the rent subsidy is new;
    # a settlement benefit is already held, so no second one (exclusive_kind), and SS not again.
    change = submitted(
        t, ("C03",), kind="change", employer="巴州区人民医院", professional_title="正高"
    )
    assert a.post(f"/api/v1/card-applications/{change['id']}/approve/").status_code == 200
    assert offered(talent) == {"SETTLE-SS": "offered", "RENT-36": "offered"}
    assert Entitlement.objects.filter(talent=talent).count() == 2


def test_a_declined_policy_is_not_offered_again_on_renewal(t, a, talent):
    card_holder(t, a)
    ent = Entitlement.objects.get(talent=talent, policy__code="RENT-36")
    entitlement_decline(entitlement=ent, actor=talent, reason="已有住房")
    card = Card.objects.get(holder=talent)
    Card.objects.filter(pk=card.pk).update(valid_until=datetime.date(2027, 1, 31))
    renewal = submitted(t, ("D02",), kind="renewal")
    assert a.post(f"/api/v1/card-applications/{renewal['id']}/approve/").status_code == 200
    assert offered(talent) == {"SETTLE-ZG": "offered", "RENT-36": "declined"}


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"effective_from": datetime.date(2027, 1, 1)},
        {"effective_from": datetime.date(2024, 1, 1), "effective_to": datetime.date(2026, 12, 6)},
    ],
)
def test_a_policy_not_in_force_offers_nothing(t, a, talent, change):
    Policy.objects.update(**change)
    card_holder(t, a)
    assert offered(talent) == {}


def test_a_policy_of_a_deactivated_department_offers_nothing(t, a, talent, departments):
    departments["CZJ"].is_active = False
    departments["CZJ"].save()
    card_holder(t, a)
    assert offered(talent) == {"SETTLE-ZG": "offered"}


@pytest.mark.parametrize(("limit", "expected"), [(60, True), (56, True), (55, False)])
def test_the_age_rule_reads_the_birth_date_of_the_id_number(t, a, talent, limit, expected):
    # Born 1970-03-15: 56 on 2026-12-07.
    talent.set_id_number(IdType.RESIDENT, resident_id(70315, birth="19700315"))
    talent.save()
    PolicyRule.objects.create(
        policy=Policy.objects.get(code="RENT-36"), attribute=A.AGE, operator=O.AT_MOST, value=limit
    )
    card_holder(t, a)
    assert ("RENT-36" in offered(talent)) is expected


def test_the_tier_rule(t, a, talent):
    rule = PolicyRule.objects.get(policy__code="RENT-36", attribute=A.TIER)
    rule.value = ["A", "B"]
    rule.save()
    card_holder(t, a)  # D02 + C03: tier C
    assert "RENT-36" not in offered(talent)


def test_a_failing_offer_never_fails_the_approval_and_is_retried(t, a, talent, monkeypatch):
    import subsidies.offers

    def broken(*args, **kwargs):
        raise RuntimeError("rule table unreadable")

    queued = []
    monkeypatch.setattr(subsidies.offers, "matching_policies", broken)
    monkeypatch.setattr(
        "portal.delivery.enqueue", lambda task, *args: queued.append((task.name, args))
    )
    decided = card_holder(t, a)
    assert decided["status"] == "approved"
    card = Card.objects.get(holder=talent, status=CardStatus.ACTIVE)
    assert offered(talent) == {}
    assert [q for q in queued if q[0].endswith("offer_for_card")] == [
        ("subsidies.tasks.offer_for_card", (card.pk,))
    ]
    monkeypatch.undo()
    assert offer_for_card(card.pk) == 2
    assert offer_for_card(card.pk) == 0  # idempotent
    assert offered(talent) == {"SETTLE-ZG": "offered", "RENT-36": "offered"}


def test_a_suspended_card_is_offered_nothing(t, a, talent):
    card_holder(t, a, arrival_date="2010-01-01")
    card = Card.objects.get(holder=talent)
    Card.objects.filter(pk=card.pk).update(status=CardStatus.SUSPENDED)
    assert offer_for_card(card.pk) == 0


def test_a_policy_published_later_is_offered_to_current_holders(
    t, a, talent, other_talent, client_for
):
    card_holder(t, a)
    card_holder(
        client_for(other_talent),
        a,
        employer="成都某科技公司",
        professional_title="",
        education="大学本科",
    )
    policy = Policy.objects.create(
        code="HOUSE-BUY",
        name="人才购房补贴",
        policy_ref="示例〔2026〕1号",
        kind="housing_purchase",
        department=Policy.objects.get(code="RENT-36").department,
        amount_total=Decimal("100000"),
        effective_from=datetime.date(2026, 1, 1),
    )
    PolicyInstalment.objects.create(
        policy=policy, n=1, months_after_start=1, amount=Decimal("100000")
    )
    PolicyRule.objects.create(
        policy=policy, attribute=A.EMPLOYER, operator=O.CONTAINS_ANY, value=["巴州"]
    )
    before = Entitlement.objects.count()
    assert policy_offer_existing(policy=policy) == 1
    assert Entitlement.objects.count() == before + 1
    assert offered(talent)["HOUSE-BUY"] == "offered" and "HOUSE-BUY" not in offered(other_talent)
    assert policy_offer_existing(policy=policy) == 0
    assert AuditEvent.objects.filter(action="policy.offer_existing").count() == 2


@pytest.mark.parametrize(
    ("attribute", "operator", "value"),
    [
        (A.TIER, O.CONTAINS_ANY, ["A"]),
        (A.TIER, O.IN, ["E"]),
        (A.TIER, O.IN, []),
        (A.EDUCATION, O.CONTAINS_ANY, [" "]),
        (A.ARRIVAL, O.ON_OR_AFTER, "2024-13-01"),
        (A.ARRIVAL, O.WITHIN_YEARS, -1),
        (A.AGE, O.AT_MOST, True),
        (A.EXCLUSIVE, O.IS_TRUE, False),
    ],
)
def test_a_rule_of_the_wrong_shape_is_refused(attribute, operator, value):
    with pytest.raises(ValidationError):
        rule_check(attribute, operator, value)


def test_rules_read_as_text():
    text = rules_text(Policy.objects.get(code="RENT-36"))
    assert (
        text == "人才层次属于 A、B、C、D；工作单位包含任一关键词 巴州、巴中；"
        "发卡前 3 年内来巴工作；未享受其他同类待遇"
    )


def test_the_offer_event_names_the_policy(t, a, talent):
    card_holder(t, a)
    event = EntitlementEvent.objects.get(entitlement__policy__code="RENT-36")
    assert event.note == "人才租房补贴（巴州区人才安居租房补贴办法（演示））"
