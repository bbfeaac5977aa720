"""Reading the subsidies API (API.md "政策直达快享"), through HTTP: the policies in force (for
anyone), the entitlement lists by who is asking, their filters, pages and order, a fixed
number of queries per page, the timeline, the talent's notices, the bank account's reveal
(access log and audit, no value written) and the answers' language.

The commands and their refusals: tests/test_subsidies_api.py (its fixtures are used here).
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from portal.errors import InvalidTransition
from portal.models import AuditEvent
from subsidies.models import Entitlement, EntitlementStatus, Policy, PolicyInstalment, PolicyRule
from subsidies.models.policies import RuleAttribute as A
from subsidies.models.policies import RuleOperator as O
from subsidies.permissions import ENTITLEMENTS
from tests import test_subsidies_api as commands
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of
from tests.test_subsidies_api import (
    BODIES,
    MASKED,
    NUMBER,
    approved,
    confirmed,
    ent_url,
    inst_url,
    instalment,
    post,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria", "departments")]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# The world of the commands' tests: the demo policies and the clock, the people, SETTLE-ZG
# offered to the talent.
_policies_and_clock = commands._policies_and_clock
people = commands.people
as_ = commands.as_
zg = commands.zg


def page(client, query="", **extra) -> dict:
    response = client.get(f"/api/v1/entitlements/{query}", **extra)
    assert response.status_code == 200, response.content
    assert NUMBER not in response.content.decode()
    return response.json()


def codes(body) -> list[str]:
    return [row["policy"]["code"] for row in body["results"]]


# --- policies ----------------------------------------------------------------------------------


def test_anyone_reads_the_policies_in_force(departments):
    Policy.objects.filter(code="SETTLE-SS").update(effective_to=datetime.date(2026, 6, 30))
    Policy.objects.filter(code="SETTLE-FG").update(is_active=False)
    response = APIClient().get("/api/v1/policies/")
    assert response.status_code == 200
    policies = {p["code"]: p for p in response.json()}
    assert list(policies) == ["RENT-36", "SETTLE-BS", "SETTLE-ZG"]  # by code
    settle = policies["SETTLE-ZG"]
    assert settle["name"] == "正高级职称人才安家补助和工作补贴"
    assert settle["name_en"] == (
        "Settlement and work allowance for senior (full) professional titles"
    )
    assert settle["kind"] == "settlement" and settle["kind_label"] == "安家补助"
    assert settle["department"] == {
        "code": "RSJ",
        "name": "区人力资源和社会保障局",
        "name_en": "District Bureau of Human Resources and Social Security",
    }
    assert settle["amount_total"] == "322000.00" and settle["review_days"] == 10
    assert settle["instalments"] == [
        {"n": 1, "months_after_start": 1, "amount": "107334.00"},
        {"n": 2, "months_after_start": 13, "amount": "107333.00"},
        {"n": 3, "months_after_start": 25, "amount": "107333.00"},
    ]
    assert (
        settle["rules_text"]
        == "专业技术职称包含任一关键词 正高；发卡前 5 年内来巴工作；未享受其他同类待遇"
    )
    assert settle["policy_ref"] and settle["description"] and settle["description_en"]
    assert settle["effective_from"] == "2025-01-01" and settle["effective_to"] is None
    rent = policies["RENT-36"]
    assert len(rent["instalments"]) == 36 and rent["department"]["code"] == "CZJ"
    assert sum(Decimal(i["amount"]) for i in rent["instalments"]) == Decimal(rent["amount_total"])


# --- lists -------------------------------------------------------------------------------------


def test_each_caller_lists_what_they_may_see(as_, zg, talent):
    confirmed(as_, zg)
    assert codes(page(as_("owner"))) == ["RENT-36", "SETTLE-ZG"]  # newest offer first (-id)
    assert codes(page(as_("payer"))) == ["SETTLE-ZG"]
    assert codes(page(as_("payer_lead"))) == ["SETTLE-ZG"]
    assert codes(page(as_("other_payer"))) == ["RENT-36"]
    assert codes(page(as_("admin"))) == ["RENT-36", "SETTLE-ZG"]
    assert page(as_("other_talent"))["count"] == 0
    assert page(as_("other_department"))["count"] == 0
    for who in ("auditor", "verifier"):
        assert as_(who).get("/api/v1/entitlements/").status_code == 403
        assert as_(who).get(ent_url(zg)).status_code == 403
    # An item as the list shows it.
    row = page(as_("payer"))["results"][0]
    assert row["id"] == zg.pk
    assert row["policy"] == {
        "code": "SETTLE-ZG",
        "name": "正高级职称人才安家补助和工作补贴",
        "name_en": "Settlement and work allowance for senior (full) professional titles",
    }
    assert row["talent"] == {"real_name_masked": "李*"}
    assert row["department"]["code"] == "RSJ"
    assert row["amount_total"] == "322000.00" and row["bank_account_masked"] == MASKED
    assert row["status"] == "confirmed" and row["status_label"] == "待审核"
    assert row["allowed"]["approve"] is True and row["allowed"]["reveal"] is True
    # The detail is the same item.
    assert as_("payer").get(ent_url(zg)).json() == row


def test_filters_pages_and_order(as_, zg, talent):
    confirmed(as_, zg)
    admin = as_("admin")
    body = page(admin, "?status=confirmed")
    assert codes(body) == ["SETTLE-ZG"] and body["count"] == 1
    assert codes(page(admin, "?status=offered")) == ["RENT-36"]
    assert codes(page(admin, "?policy=rent-36")) == ["RENT-36"]
    assert codes(page(admin, "?policy=SETTLE-ZG&status=offered")) == []
    assert page(admin, "?policy=NOPE")["count"] == 0
    assert set(admin.get("/api/v1/entitlements/?status=nonsense").json()) == {"status"}
    first = page(admin, "?page_size=1")
    assert first["count"] == 2 and codes(first) == ["RENT-36"] and first["next"]
    assert codes(page(admin, "?page_size=1&page=2")) == ["SETTLE-ZG"]
    assert admin.get("/api/v1/entitlements/?page=9").status_code == 404


# --- the same number of queries however many rows ----------------------------------------------


def extra_policies(departments, count):
    """``count`` one-off policies of RSJ every card holder in the district matches."""
    for i in range(count):
        policy = Policy.objects.create(
            code=f"ONE-{i}",
            name=f"一次性补贴{i}",
            name_en=f"One-off {i}",
            policy_ref="演示",
            kind="other",
            department=departments["RSJ"],
            amount_total=Decimal(2000),
            effective_from=datetime.date(2025, 1, 1),
        )
        PolicyInstalment.objects.create(policy=policy, n=1, months_after_start=0, amount=1000)
        PolicyInstalment.objects.create(policy=policy, n=2, months_after_start=6, amount=1000)
        PolicyRule.objects.create(
            policy=policy, attribute=A.EMPLOYER, operator=O.CONTAINS_ANY, value=["巴州"]
        )


def queries(client, query) -> int:
    with CaptureQueriesContext(connection) as context:
        page(client, query)
    return len(context)


def test_a_list_page_reads_a_fixed_number_of_queries(as_, departments, talent):
    extra_policies(departments, 4)
    card_holder(as_("owner"), as_("admin"))
    # Instalments, events (with their instalment) and states of every kind on the page.
    settle, one = entitlement_of(talent, "SETTLE-ZG"), entitlement_of(talent, "ONE-1")
    approved(as_, settle)
    approved(as_, one)
    post(as_("payer"), inst_url(instalment(one, 1), "pay"), {"voucher": "PZ-1"})
    post(as_("payer"), inst_url(instalment(settle, 1), "fail"), {"reason": "账户已冻结"})
    post(as_("owner"), ent_url(entitlement_of(talent, "ONE-2"), "decline"))
    for who in ("owner", "payer", "admin"):
        client = as_(who)
        assert page(client, "?page_size=5")["count"] >= 5
        one_row = queries(client, "?policy=SETTLE-ZG")
        assert one_row == queries(client, "?page_size=1") == queries(client, "?page_size=5"), who
        assert one_row <= 8, who  # a token, a count, a page, two prefetches and the session


# --- the timeline ------------------------------------------------------------------------------


def test_the_timeline_tells_every_step(as_, zg):
    confirmed(as_, zg)
    post(as_("payer"), ent_url(zg, "return"), {"items": ["请提供一类账户"], "note": "请修改"})
    confirmed(as_, zg)
    post(as_("payer"), ent_url(zg, "approve"), {"note": "材料齐全"})
    post(as_("payer"), inst_url(instalment(zg, 1), "pay"), {"voucher": "PZ-1"})
    body = post(as_("payer"), inst_url(instalment(zg, 2), "fail"), {"reason": "账户已冻结"})
    steps = [
        (e["action"], e["action_label"], e["from_status"], e["to_status"], e["instalment_n"])
        for e in body["events"]
    ]
    assert steps == [
        ("offered", "系统推送待遇", "", "offered", None),
        ("confirmed", "确认收款账户", "offered", "confirmed", None),
        ("returned", "退回修改", "confirmed", "returned", None),
        ("confirmed", "确认收款账户", "returned", "confirmed", None),
        ("approved", "审核通过", "confirmed", "approved", None),
        ("paid", "分期已兑现", "scheduled", "paid", 1),
        ("failed", "分期兑现失败", "scheduled", "failed", 2),
    ]
    events = body["events"]
    assert events[1]["note"] == f"{ACCOUNT['bank_name']} {MASKED}"
    assert events[2]["items"] == ["请提供一类账户"] and events[2]["note"] == "请修改"
    assert events[4]["note"] == "材料齐全" and events[6]["note"] == "账户已冻结"
    ats = [e["at"] for e in events]
    assert ats == sorted(ats)
    # The talent reads the same timeline.
    assert as_("owner").get(ent_url(zg)).json()["events"] == events


# --- the talent's notices ----------------------------------------------------------------------


def inbox(client) -> list[dict]:
    response = client.get("/api/v1/notifications/?page_size=100")
    assert response.status_code == 200
    return response.json()["results"]


def test_the_talent_is_told_of_each_step(as_, zg, talent):
    owner = as_("owner")

    def told(kind) -> list[dict]:
        return [n for n in inbox(owner) if n["kind"] == kind]

    offers = told("entitlement_offered")
    assert len(offers) == 2 and f"/benefits/{zg.pk}/" in {n["link"] for n in offers}
    confirmed(as_, zg)
    # The paying department is told to review (not the other department).
    assert [n["link"] for n in inbox(as_("payer")) if n["kind"] == "entitlement_confirmed"] == [
        f"/subsidies/desk/{zg.pk}/"
    ]
    assert not inbox(as_("other_payer"))
    post(as_("payer"), ent_url(zg, "return"), {"items": ["请提供一类账户"]})
    (returned,) = told("entitlement_returned")
    assert "请提供一类账户" in returned["body"] and returned["link"] == f"/benefits/{zg.pk}/"
    confirmed(as_, zg)
    post(as_("payer"), ent_url(zg, "approve"))
    (done,) = told("entitlement_approved")
    assert "正高级职称人才安家补助和工作补贴" in done["title"]
    post(as_("payer"), inst_url(instalment(zg, 1), "pay"), {"voucher": "PZ-1"})
    (paid,) = told("instalment_paid")
    assert "107,334.00" in paid["title"] and MASKED in paid["body"]
    post(as_("payer"), inst_url(instalment(zg, 2), "fail"), {"reason": "账户已冻结"})
    (failed,) = told("instalment_failed")
    assert "账户已冻结" in failed["body"]
    post(as_("admin"), ent_url(zg, "suspend"), {"reason": "已调离巴州区"})
    (suspended,) = told("entitlement_suspended")
    assert "已调离巴州区" in suspended["body"]
    assert all(NUMBER not in json.dumps(n, ensure_ascii=False) for n in inbox(owner))


# --- the reveal --------------------------------------------------------------------------------


def test_the_paying_department_reveals_the_account_with_a_purpose(as_, zg, people):
    confirmed(as_, zg)
    response = as_("payer").post(ent_url(zg, "reveal"), BODIES["reveal"], format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "bank_name": ACCOUNT["bank_name"],
        "account_name": "李明",
        "bank_account": NUMBER,
    }
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    # The talent sees who read it, and why.
    (row,) = as_("owner").get("/api/v1/me/access-log/").json()["results"]
    assert row["purpose"] == "核对发放账户" and row["fields"] == ["bank_account"]
    assert row["who"] == people["payer"].display_name
    assert row["department"] == "区人力资源和社会保障局"
    assert row["object_label"] == f"待遇 #{zg.pk}"
    # The audit trail names the reveal, never the value.
    (event,) = AuditEvent.objects.filter(action="entitlement.reveal")
    assert event.actor == people["payer"] and event.object_id == str(zg.pk)
    detail = json.dumps(event.detail, ensure_ascii=False)
    assert "核对发放账户" in detail and NUMBER not in detail and NUMBER[-8:] not in detail
    # The lead of the paying department may too; still nobody else.
    assert as_("payer_lead").post(ent_url(zg, "reveal"), BODIES["reveal"]).status_code == 200
    assert AuditEvent.objects.filter(action="entitlement.reveal").count() == 2


# --- languages ---------------------------------------------------------------------------------


def test_answers_follow_accept_language(as_, zg):
    body = as_("owner").get(ent_url(zg), **EN).json()
    assert body["policy"]["name_en"].startswith("Settlement and work allowance")
    with translation.override("en"):
        offered = str(EntitlementStatus.OFFERED.label)
        with pytest.raises(InvalidTransition) as refusal:
            ENTITLEMENTS.require(
                zg.talent, "decline", Entitlement(status="approved", talent=zg.talent)
            )
        refused = refusal.value.detail
    assert body["status_label"] == offered
    assert as_("owner").get(ent_url(zg)).json()["status_label"] == "待确认"
    policies = APIClient().get("/api/v1/policies/", **EN).json()
    assert {p["code"]: p["name_en"] for p in policies}["RENT-36"] == "Rent subsidy for talents"
    # A refusal's message in the caller's language (as the catalogue has it).
    approved(as_, zg)
    answer = as_("owner").post(ent_url(zg, "decline"), {}, format="json", **EN).json()
    assert answer["status"] == "approved" and answer["detail"] == refused
    chinese = as_("owner").post(ent_url(zg, "decline"), {}, format="json").json()
    assert "兑现中" in chinese["detail"]
