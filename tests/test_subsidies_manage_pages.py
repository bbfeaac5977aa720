"""The organization department's subsidies pages (issue 15 point 3): every entitlement with
filters, read-only detail with the account masked and never revealed, suspension when a
talent leaves, a constant number of queries; and the admin action that offers a policy to
the current card holders."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from portal.models import AccessLog, Role
from subsidies import tasks
from subsidies.models import (
    Entitlement,
    EntitlementStatus,
    InstalmentStatus,
    Policy,
    PolicyInstalment,
    PolicyKind,
    PolicyRule,
)
from subsidies.models.policies import RuleAttribute, RuleOperator
from subsidies.payments import instalment_pay
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card
from tests.subsidies_support import seed_policies
from tests.test_subsidies_desk_pages import (
    ACCOUNT_NUMBER,
    MASKED,
    SHANGHAI,
    approved,
    confirmed,
    field_error,
    get,
    messages_of,
    offered,
    shown,
)

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def policies(departments):
    seed_policies()


@pytest.fixture
def rsj_staff(departments):
    return UserFactory(username="rsj_staff", role=Role.STAFF, department=departments["RSJ"])


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(talent, other_talent, rsj_staff, monday):
    """SETTLE-ZG approved (RSJ), RENT-36 confirmed (CZJ), SETTLE-FG offered (RSJ)."""
    return {
        "zg": approved(talent, rsj_staff),
        "rent": confirmed(talent, "RENT-36"),
        "fg": offered(other_talent, "SETTLE-FG"),
    }


def listing(client, user, query: str = "") -> list[int]:
    client.force_login(user)
    return shown(get(client, f"/subsidies/{query}"))


def url(ent) -> str:
    return f"/subsidies/{ent.pk}/"


# --- who ------------------------------------------------------------------------------------
def test_the_admin_sees_every_entitlement_newest_first(client, admin_user, world):
    assert listing(client, admin_user) == [world["fg"].pk, world["rent"].pk, world["zg"].pk]
    html = get(client, "/subsidies/")
    assert "区人力资源和社会保障局" in html and "区财政局" in html
    assert "李明" not in html and "李*" in html


@pytest.mark.parametrize(
    "who", ["talent", "other_talent", "rsj_staff", "handler", "lead", "auditor", "verifier"]
)
def test_nobody_else_has_these_pages(client, request, world, who):
    client.force_login(request.getfixturevalue(who))
    get(client, "/subsidies/", 404)
    get(client, url(world["zg"]), 404)
    response = client.post(url(world["zg"]), {"action": "suspend", "suspend-reason": "离开"})
    assert response.status_code == 404
    assert Entitlement.objects.get(pk=world["zg"].pk).status == EntitlementStatus.APPROVED


def test_a_visitor_is_sent_to_sign_in(client, world):
    response = client.get("/subsidies/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_filters(client, admin_user, rsj_staff, world, monday):
    zg, rent, fg = world["zg"], world["rent"], world["fg"]
    assert listing(client, admin_user, "?status=approved") == [zg.pk]
    assert listing(client, admin_user, "?policy=RENT-36") == [rent.pk]
    assert listing(client, admin_user, "?department=RSJ") == [fg.pk, zg.pk]
    assert listing(client, admin_user, "?department=CZJ&status=confirmed") == [rent.pk]
    assert listing(client, admin_user, "?overdue=review") == []
    assert listing(client, admin_user, "?overdue=payment") == []
    assert listing(client, admin_user, "?status=nonsense") == [fg.pk, rent.pk, zg.pk]
    # Past the review deadline (2026-03-16 24:00) and SETTLE-ZG's first payment (04-02).
    monday.move_to(datetime(2026, 4, 3, 9, 0, tzinfo=SHANGHAI))
    assert listing(client, admin_user, "?overdue=review") == [rent.pk]
    assert listing(client, admin_user, "?overdue=payment") == [zg.pk]
    first = zg.instalments.get(n=1)
    instalment_pay(instalment=first, actor=rsj_staff, voucher="V1")
    assert listing(client, admin_user, "?overdue=payment") == []


# --- one entitlement ------------------------------------------------------------------------
def test_the_detail_is_read_only_and_masked(client, admin_user, world):
    client.force_login(admin_user)
    html = get(client, url(world["zg"]))
    assert MASKED in html and ACCOUNT_NUMBER not in html and "李明" not in html
    assert "第1期" in html and "审核通过" in html  # the schedule and the timeline
    # No reveal for the organization department, no review or payment forms.
    assert "查看完整信息" not in html
    for action in ("approve", "return", "pay", "fail"):
        assert f'name="action" value="{action}"' not in html
    assert 'value="suspend"' in html


def test_a_hand_made_reveal_is_refused(client, admin_user, world):
    client.force_login(admin_user)
    response = client.post(
        f"{url(world['zg'])}?action=reveal", {"reveal-purpose": "核对收款账户信息"}
    )
    assert response.status_code == 403
    assert ACCOUNT_NUMBER not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_suspending_stops_what_is_not_paid(client, admin_user, rsj_staff, world):
    zg = world["zg"]
    first = zg.instalments.get(n=1)
    instalment_pay(instalment=first, actor=rsj_staff, voucher="V1")
    client.force_login(admin_user)
    response = client.post(url(zg), {"action": "suspend", "suspend-reason": " "})
    assert response.status_code == 200
    assert field_error(response.content.decode(), "id_suspend-reason") == "请填写原因。"
    assert Entitlement.objects.get(pk=zg.pk).status == EntitlementStatus.APPROVED
    response = client.post(
        url(zg), {"action": "suspend", "suspend-reason": "人才已调离本区"}, follow=True
    )
    html = response.content.decode()
    assert "已中止该待遇" in messages_of(html)
    zg.refresh_from_db()
    assert zg.status == EntitlementStatus.SUSPENDED and zg.suspend_reason == "人才已调离本区"
    statuses = dict(zg.instalments.values_list("n", "status"))
    assert statuses == {
        1: InstalmentStatus.PAID,
        2: InstalmentStatus.STOPPED,
        3: InstalmentStatus.STOPPED,
    }
    assert "中止原因" in html and 'value="suspend"' not in html
    # Again (an old page): refused with the current status.
    again = client.post(url(zg), {"action": "suspend", "suspend-reason": "再次"}, follow=True)
    assert "待遇当前为“已中止”状态，不能中止。" in messages_of(again.content.decode())


def test_a_finished_entitlement_offers_no_suspension(client, admin_user, talent, monday):
    ent = offered(talent)
    ent.status = EntitlementStatus.DECLINED
    ent.save(update_fields=["status"])
    client.force_login(admin_user)
    assert 'value="suspend"' not in get(client, url(ent))


# --- queries --------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "?department=RSJ&status=approved", "?overdue=payment"])
def test_the_list_runs_a_constant_number_of_queries(
    client, admin_user, rsj_staff, monday, query, django_assert_max_num_queries
):
    def add(n):
        with time_machine.travel(MONDAY, tick=False):
            for _ in range(n):
                approved(TalentFactory(), rsj_staff)

    add(1)
    # A month later (SETTLE-ZG's first payments overdue); signed in then (sessions expire).
    monday.move_to(datetime(2026, 4, 3, 9, 0, tzinfo=SHANGHAI))
    client.force_login(admin_user)
    with django_assert_max_num_queries(14) as few:
        html = get(client, f"/subsidies/{query}")
    one_row = len(few)
    assert len(shown(html)) == 1
    add(4)
    with django_assert_max_num_queries(one_row):
        html = get(client, f"/subsidies/{query}")
    assert len(shown(html)) == 5


# --- the admin action -----------------------------------------------------------------------
def test_the_admin_offers_a_new_policy_to_current_holders(
    client, admin_user, talent, departments, monkeypatch, django_capture_on_commit_callbacks
):
    give_card(talent, tier="C")
    policy = Policy.objects.create(
        code="TEST-C",
        name="C类人才生活补贴",
        policy_ref="测试文件",
        kind=PolicyKind.OTHER,
        department=departments["RSJ"],
        amount_total=Decimal("1200"),
        effective_from=date(2025, 1, 1),
    )
    PolicyInstalment.objects.create(policy=policy, n=1, amount=Decimal("1200"))
    PolicyRule.objects.create(
        policy=policy, attribute=RuleAttribute.TIER, operator=RuleOperator.IN, value=["C"]
    )
    old = Policy.objects.get(code="SETTLE-ZG")
    old.is_active = False
    old.save(update_fields=["is_active"])
    published = []
    # The worker, here: the task runs as it would once published.
    monkeypatch.setattr(
        tasks.offer_policy_to_holders,
        "apply_async",
        lambda args, **kw: published.append(args) or tasks.offer_policy_to_holders(*args),
    )
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/subsidies/policy/",
            {"action": "offer_to_holders", "_selected_action": [policy.pk, old.pk]},
            follow=True,
        )
    html = response.content.decode()
    assert "已开始向现有持卡人推送政策 TEST-C" in html
    assert "政策 SETTLE-ZG 未启用或不在有效期内，未推送。" in html
    assert published == [(policy.pk, admin_user.pk)]
    ent = Entitlement.objects.get(talent=talent)
    assert ent.policy == policy and ent.status == EntitlementStatus.OFFERED


def test_the_action_survives_a_broker_outage(
    client, admin_user, departments, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.offer_policy_to_holders, "apply_async", down)
    policy = Policy.objects.get(code="RENT-36")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/subsidies/policy/",
            {"action": "offer_to_holders", "_selected_action": [policy.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "已开始向现有持卡人推送政策 RENT-36" in response.content.decode()
