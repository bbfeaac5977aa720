"""The card application lifecycle and the card's own life, through the API (API.md "Cards")."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError

from cards.models import ApplicationStatus, Card, CardApplication
from portal.models import AuditEvent, Notification
from tests.cards_support import PROFILE, approved, draft, submitted, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def t(client_for, talent):
    return client_for(talent)


@pytest.fixture
def a(client_for, admin_user):
    return client_for(admin_user)


def test_criteria_catalogue_is_public_and_complete(api):
    response = api.get("/api/v1/card-criteria/")
    assert response.status_code == 200
    criteria = response.json()
    assert len(criteria) >= 12
    assert {c["tier"] for c in criteria} == {"A", "B", "C", "D"}
    assert {c["category"] for c in criteria} == {
        "tech",
        "edu_health",
        "management",
        "skills",
        "culture",
        "other",
    }
    for criterion in criteria:
        assert set(criterion) == {
            "code", "tier", "category", "title", "title_en", "evidence", "policy_ref",
            "policy_ref_en",
        }  # fmt: skip
        assert criterion["evidence"] and criterion["policy_ref"]


def test_the_whole_lifecycle(client_for, talent, admin_user):
    # Pinned half an hour into 2027 in Bazhou (still 2026-12-31 by UTC): the card number
    # carries the local year, whatever day the suite runs on.
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)):
        t, a = client_for(talent), client_for(admin_user)
        app = draft(t)
        assert app["status"] == "draft"
        # The photo first (every application needs it), then the criteria's evidence.
        assert app["missing_evidence"] == ["photo", "id_card", "title", "contract", "degree"]

        # Submit is refused while evidence is missing, naming each missing kind.
        response = t.post(f"/api/v1/card-applications/{app['id']}/submit/")
        assert response.status_code == 400
        body = response.json()
        assert set(body["missing_evidence"]) == {"photo", "id_card", "degree", "title", "contract"}
        assert len(body["documents"]) == 5 and any("学历学位证书" in m for m in body["documents"])
        assert "缺少证明材料：证件照" in body["documents"]

        for kind in ("photo", "id_card", "degree", "title", "contract"):
            assert upload(t, app["id"], kind).status_code == 201
        response = t.post(f"/api/v1/card-applications/{app['id']}/submit/")
        assert response.json()["status"] == "submitted"

        # Returned with every item at once (一次告知).
        items = ["职称证书扫描件不清晰", "劳动合同缺少盖章页"]
        response = a.post(
            f"/api/v1/card-applications/{app['id']}/return/", {"items": items, "note": "请一并补正"}
        )
        assert response.status_code == 200
        mine = t.get(f"/api/v1/card-applications/{app['id']}/").json()
        assert mine["status"] == "returned" and mine["returned_items"] == items
        assert (
            mine["events"][-1]["items"] == items and mine["events"][-1]["actor"] == "组织部人才办"
        )

        # The talent fixes it and resubmits.
        assert (
            t.patch(
                f"/api/v1/card-applications/{app['id']}/", {"position": "主任医师（正高）"}
            ).status_code
            == 200
        )
        assert upload(t, app["id"], "title", name="职称证书-清晰.png").status_code == 201
        response = t.post(f"/api/v1/card-applications/{app['id']}/submit/")
        assert response.json()["status"] == "submitted" and response.json()["returned_items"] == []

        # Approved at the highest accepted tier (C03 正高级 → C beats D02 → D).
        response = a.post(f"/api/v1/card-applications/{app['id']}/approve/", {})
        assert response.status_code == 200
        decided = response.json()
        assert decided["status"] == "approved" and decided["approved_tier"] == "C"
        card = decided["card"]
        assert card["number"] == "BZYC-2027-000001" and card["tier"] == "C"
        assert card["valid_until"] == "2029-12-31"

        actions = [
            e["action"] for e in t.get(f"/api/v1/card-applications/{app['id']}/").json()["events"]
        ]
        assert actions == ["created", "submitted", "returned", "resubmitted", "approved"]
        mine = t.get("/api/v1/cards/mine/").json()
        assert mine["number"] == card["number"] and mine["status"] == "active"
        assert mine["holder_name_masked"] == "李*"
        kinds = list(Notification.objects.filter(recipient=talent).values_list("kind", flat=True))
        assert sorted(kinds) == ["application_approved", "application_returned"]
        audited = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"card_application.return", "card_application.approve", "card.issue"} <= audited


def test_cards_are_valid_three_years(client_for, talent, admin_user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)):
        t, a = client_for(talent), client_for(admin_user)  # tokens made at this instant
        card = approved(t, a)["card"]
    assert card["valid_until"] == "2029-03-09"


def test_another_tier_needs_a_written_reason(t, a):
    app = submitted(t)
    response = a.post(f"/api/v1/card-applications/{app['id']}/approve/", {"tier": "B"})
    assert response.status_code == 400 and "note" in response.json()
    response = a.post(
        f"/api/v1/card-applications/{app['id']}/approve/",
        {"tier": "B", "note": "相当于B类：省部级科技进步一等奖第一完成人"},
    )
    assert response.status_code == 200 and response.json()["approved_tier"] == "B"


def test_the_tier_follows_the_criteria_the_reviewer_accepts(t, a):
    app = submitted(t)
    response = a.post(f"/api/v1/card-applications/{app['id']}/approve/", {"accepted": ["D02"]})
    assert response.json()["approved_tier"] == "D"


def test_reject_needs_a_reason_and_is_final(t, a):
    app = submitted(t)
    assert (
        a.post(f"/api/v1/card-applications/{app['id']}/reject/", {"reason": " "}).status_code == 400
    )
    response = a.post(
        f"/api/v1/card-applications/{app['id']}/reject/", {"reason": "所提交职称非本人"}
    )
    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason"] == "所提交职称非本人"
    again = a.post(f"/api/v1/card-applications/{app['id']}/approve/", {})
    assert again.status_code == 409
    assert again.json() == {
        "detail": "申请当前为“不予认定”状态，不能认定。",
        "code": "invalid_transition",
        "status": "rejected",
    }
    # A rejected application is closed: the talent may apply again.
    assert t.post("/api/v1/card-applications/", {"criteria": ["D02"], **PROFILE}).status_code == 201


def test_one_open_application_per_talent(t, talent):
    first = draft(t)
    response = t.post("/api/v1/card-applications/", {"criteria": ["D02"]})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "open_application_exists"
    assert body["status"] == "draft" and body["id"] == first["id"]
    # The partial unique index (SQLite names its column, PostgreSQL the index), not another rule.
    one_open = r"cardapplication_one_open_per_talent|cards_cardapplication\.talent_id"
    with pytest.raises(IntegrityError, match=one_open):
        CardApplication.objects.create(talent=talent, status=ApplicationStatus.SUBMITTED)


@pytest.mark.parametrize(
    ("state", "action", "body"),
    [
        ("draft", "return", {"items": ["x"]}),
        ("draft", "approve", {}),
        ("draft", "reject", {"reason": "x"}),
        ("submitted", "submit", None),
        ("returned", "approve", {}),
        ("returned", "return", {"items": ["x"]}),
    ],
)
def test_illegal_transitions_are_409_with_the_current_status(t, a, state, action, body):
    app = draft(t) if state == "draft" else submitted(t)
    if state == "returned":
        a.post(f"/api/v1/card-applications/{app['id']}/return/", {"items": ["补正"]})
    client = t if action == "submit" else a
    response = client.post(f"/api/v1/card-applications/{app['id']}/{action}/", body or {})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["status"] == state


def test_a_submitted_application_cannot_be_edited(t):
    app = submitted(t)
    response = t.patch(f"/api/v1/card-applications/{app['id']}/", {"employer": "别处"})
    assert response.status_code == 409 and response.json()["status"] == "submitted"
    assert upload(t, app["id"], "other").status_code == 409


def test_a_card_holder_cannot_apply_again_as_new(t, a):
    approved(t, a)
    response = t.post("/api/v1/card-applications/", {"criteria": ["D02"]})
    assert response.status_code == 400 and "kind" in response.json()


def test_renewal_opens_90_days_before_expiry_and_extends_the_same_card(
    client_for, talent, admin_user
):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False) as clock:
        t, a = client_for(talent), client_for(admin_user)  # tokens made at this instant
        card = approved(t, a)["card"]
        response = t.post("/api/v1/card-applications/", {"kind": "renewal", "criteria": ["D02"]})
        assert response.status_code == 400 and "2028-12-09" in response.json()["kind"][0]

        clock.move_to(datetime(2028, 12, 8, 23, 59, tzinfo=SHANGHAI))
        t, a = client_for(talent), client_for(admin_user)  # API tokens expire; sign in again
        response = t.post("/api/v1/card-applications/", {"kind": "renewal", "criteria": ["D02"]})
        assert response.status_code == 400
        clock.move_to(datetime(2028, 12, 9, 0, 0, tzinfo=SHANGHAI))
        renewal = submitted(t, criteria=("D02",), kind="renewal")
        assert renewal["kind"] == "renewal"
        decided = a.post(f"/api/v1/card-applications/{renewal['id']}/approve/", {}).json()
    assert decided["card"]["number"] == card["number"]
    assert decided["card"]["valid_until"] == "2032-03-09"
    assert Card.objects.count() == 1


def test_change_of_employer_keeps_number_and_validity(t, a):
    card = approved(t, a, criteria=("D02",))["card"]
    change = submitted(t, criteria=("C03",), kind="change")
    decided = a.post(f"/api/v1/card-applications/{change['id']}/approve/", {}).json()
    assert decided["card"] == {**card, "tier": "C"}


def test_card_numbers_are_sequential_per_year_and_never_reused(client_for, admin_user, criteria):
    from tests.factories import TalentFactory

    numbers = []
    with time_machine.travel(datetime(2026, 12, 31, 23, 0, tzinfo=SHANGHAI), tick=False) as clock:
        a = client_for(admin_user)
        for _ in range(2):
            numbers.append(approved(client_for(TalentFactory()), a)["card"]["number"])
        first = Card.objects.get(number=numbers[0])
        a.post(f"/api/v1/cards/{first.number}/revoke/", {"reason": "离开巴州"})
        clock.move_to(datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI))
        a = client_for(admin_user)
        numbers.append(approved(client_for(TalentFactory()), a)["card"]["number"])
        numbers.append(approved(client_for(TalentFactory()), a)["card"]["number"])
    assert numbers == [
        "BZYC-2026-000001",
        "BZYC-2026-000002",
        "BZYC-2027-000001",
        "BZYC-2027-000002",
    ]


def test_suspend_reinstate_revoke(t, a, talent):
    number = approved(t, a)["card"]["number"]
    assert a.post(f"/api/v1/cards/{number}/suspend/", {"reason": ""}).status_code == 400
    response = a.post(f"/api/v1/cards/{number}/suspend/", {"reason": "材料真实性核查"})
    assert response.json()["status"] == "suspended"
    assert t.get("/api/v1/cards/mine/").json()["status"] == "suspended"
    assert a.post(f"/api/v1/cards/{number}/suspend/", {"reason": "x"}).status_code == 409
    assert a.post(f"/api/v1/cards/{number}/reinstate/", {}).json()["status"] == "active"
    response = a.post(f"/api/v1/cards/{number}/reinstate/", {})
    assert response.status_code == 409 and response.json()["status"] == "active"
    assert (
        a.post(f"/api/v1/cards/{number}/revoke/", {"reason": "调离巴州"}).json()["status"]
        == "revoked"
    )
    response = a.post(f"/api/v1/cards/{number}/reinstate/", {})
    assert response.status_code == 409 and response.json()["status"] == "revoked"
    card = Card.objects.get(number=number)
    assert [e.action for e in card.events.all()] == ["issued", "suspended", "reinstated", "revoked"]
    titles = list(
        Notification.objects.filter(recipient=talent, kind__startswith="card_")
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert len(titles) == 3 and "已注销" in titles[-1]


def test_the_card_registry_filters_by_status_and_tier(client_for, a, criteria):
    from tests.factories import TalentFactory

    approved(client_for(TalentFactory()), a, criteria=("D02",))
    number = approved(client_for(TalentFactory()), a, criteria=("C03",))["card"]["number"]
    a.post(f"/api/v1/cards/{number}/suspend/", {"reason": "核查"})
    assert a.get("/api/v1/cards/?status=suspended").json()["count"] == 1
    assert a.get("/api/v1/cards/?tier=D").json()["count"] == 1
    assert a.get("/api/v1/cards/?status=active&tier=C").json()["count"] == 0
    assert a.get("/api/v1/cards/?status=nonsense").status_code == 400


def test_my_card_is_404_before_approval(t):
    response = t.get("/api/v1/cards/mine/")
    assert response.status_code == 404


def test_an_expired_card_reads_expired(client_for, talent, admin_user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False) as clock:
        t, a = client_for(talent), client_for(admin_user)  # tokens made at this instant
        approved(t, a)
        clock.move_to(datetime(2029, 3, 9, 23, 59, tzinfo=SHANGHAI))
        assert client_for(talent).get("/api/v1/cards/mine/").json()["status"] == "active"
        clock.move_to(datetime(2029, 3, 10, 0, 0, tzinfo=SHANGHAI))
        assert client_for(talent).get("/api/v1/cards/mine/").json()["status"] == "expired"


def test_after_the_end_date_a_talent_may_apply_again(client_for, talent, admin_user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False) as clock:
        t, a = client_for(talent), client_for(admin_user)  # tokens made at this instant
        old = approved(t, a)["card"]
        clock.move_to(datetime(2029, 3, 12, 9, 0, tzinfo=SHANGHAI))  # nightly job not run yet
        t, a = client_for(talent), client_for(admin_user)
        new = approved(t, a)["card"]
    assert new["number"] != old["number"] and new["valid_until"] == "2032-03-11"
    assert Card.objects.get(number=old["number"]).status == "expired"


def test_a_refused_renewal_reports_the_applications_status(client_for, talent, admin_user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False) as clock:
        t, a = client_for(talent), client_for(admin_user)  # tokens made at this instant
        card = approved(t, a)["card"]
        clock.move_to(datetime(2029, 1, 5, 9, 0, tzinfo=SHANGHAI))
        t, a = client_for(talent), client_for(admin_user)
        renewal = submitted(t, criteria=("D02",), kind="renewal")
        a.post(f"/api/v1/cards/{card['number']}/suspend/", {"reason": "核查"})
        response = a.post(f"/api/v1/card-applications/{renewal['id']}/approve/", {})
    assert response.status_code == 409
    assert response.json()["status"] == "submitted" and "已暂停" in response.json()["detail"]
