"""The subsidies API's commands (API.md "政策直达快享"), through HTTP: every transition by the
right role (200 and the new state), by each wrong role (404 where the entitlement is not
visible, 403 where it is or the role never touches entitlements), from each illegal state
(409 with the current ``status``), and the failed-payment round: fail → the talent corrects
the account → due again → paid → completed.

tests/test_subsidies_api_reading.py reads: the policies, the lists, the timeline, the
reveal, the notices, the query counts and the languages.
"""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from portal.models import AuditEvent, Role
from subsidies.models import Entitlement, Instalment
from tests.factories import UserFactory
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria", "departments")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)  # a Monday
NUMBER = "6222020200112233445"  # ACCOUNT's number without its spaces
MASKED = "6222 **** **** 3445"
CORRECTED = {
    "bank_name": "中国建设银行巴中分行",
    "account_number": "6217000011112222333",
    "account_name": "李明",
}


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _policies_and_clock(departments):
    seed_policies()
    with time_machine.travel(NOW):
        yield


@pytest.fixture
def people(departments, talent, other_talent, handler, admin_user, auditor, verifier):
    """Everyone, by the part they play for SETTLE-ZG (paid by RSJ) of ``talent``."""
    return {
        "owner": talent,
        "other_talent": other_talent,
        "payer": UserFactory(username="rsj_staff", role=Role.STAFF, department=departments["RSJ"]),
        "payer_lead": UserFactory(
            username="rsj_lead", role=Role.LEAD, department=departments["RSJ"]
        ),
        "other_payer": UserFactory(
            username="czj_staff", role=Role.STAFF, department=departments["CZJ"]
        ),
        "other_department": handler,  # ZJJ: pays no policy
        "admin": admin_user,
        "auditor": auditor,
        "verifier": verifier,
    }


@pytest.fixture
def as_(client_for, people):
    """``as_("payer")``: an API client of that person (one per person, made once)."""
    clients = {}

    def make(who):
        if who not in clients:
            clients[who] = client_for(people[who])
        return clients[who]

    return make


@pytest.fixture
def zg(as_, talent):
    """SETTLE-ZG offered to ``talent`` (RENT-36 too, paid by CZJ)."""
    card_holder(as_("owner"), as_("admin"))
    return entitlement_of(talent, "SETTLE-ZG")


def post(client, path, body=None, status=200, **extra):
    response = client.post(path, body or {}, format="json", **extra)
    assert response.status_code == status, (path, response.status_code, response.content)
    assert NUMBER not in response.content.decode()  # masked in every answer
    return response.json()


def ent_url(ent, verb=""):
    return f"/api/v1/entitlements/{ent.pk}/" + (f"{verb}/" if verb else "")


def inst_url(inst, verb):
    return f"/api/v1/instalments/{inst.pk}/{verb}/"


def confirmed(as_, ent):
    return post(as_("owner"), ent_url(ent, "confirm"), ACCOUNT)


def approved(as_, ent):
    confirmed(as_, ent)
    return post(as_("payer"), ent_url(ent, "approve"), {"note": "材料齐全"})


def instalment(ent, n) -> Instalment:
    return Instalment.objects.get(entitlement=ent, n=n)


def status_of(ent) -> str:
    return Entitlement.objects.values_list("status", flat=True).get(pk=ent.pk)


# --- every transition by the right role ----------------------------------------------------------


def test_confirm_stores_the_account_encrypted_and_answers_it_masked(as_, zg):
    body = confirmed(as_, zg)
    assert body["status"] == "confirmed" and body["status_label"] == "待审核"
    assert body["bank_name"] == ACCOUNT["bank_name"]
    assert body["bank_account_masked"] == MASKED
    assert body["account_name_masked"] == "李*"
    assert body["confirmed_at"] and body["review_due_at"]
    assert body["allowed"] == {
        "confirm": False,
        "decline": True,
        "approve": False,
        "return": False,
        "suspend": False,
        "reveal": False,
    }
    # At rest: the column holds no digits of the number, only the masked copy has four.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_number_encrypted, account_number_masked"
            " FROM subsidies_entitlement WHERE id = %s",
            [zg.pk],
        )
        encrypted, masked = cursor.fetchone()
    assert encrypted and NUMBER not in encrypted and NUMBER[4:-4] not in encrypted
    assert masked == MASKED
    # Masked for the paying department and the organization department too.
    for who in ("payer", "payer_lead", "admin"):
        response = as_(who).get(ent_url(zg))
        assert response.status_code == 200
        assert response.json()["bank_account_masked"] == MASKED
        assert NUMBER not in response.content.decode()


def test_decline_by_the_owner(as_, zg):
    body = post(as_("owner"), ent_url(zg, "decline"), {"reason": "已在原单位享受"})
    assert body["status"] == "declined" and body["decline_reason"] == "已在原单位享受"
    assert body["allowed"]["confirm"] is False and body["events"][-1]["action"] == "declined"
    # The reason is optional.
    rent = entitlement_of(zg.talent, "RENT-36")
    assert post(as_("owner"), ent_url(rent, "decline"))["status"] == "declined"


@pytest.mark.parametrize("who", ["payer", "payer_lead"])
def test_approve_schedules_the_instalments(as_, zg, who):
    confirmed(as_, zg)
    body = post(as_(who), ent_url(zg, "approve"), {"note": "材料齐全"})
    assert body["status"] == "approved" and body["approved_at"]
    assert body["review_due_at"] is None  # the review clock stopped
    assert [(i["n"], i["amount"], i["status"]) for i in body["instalments"]] == [
        (1, "107334.00", "scheduled"),
        (2, "107333.00", "scheduled"),
        (3, "107333.00", "scheduled"),
    ]
    assert [i["due_on"] for i in body["instalments"]] == ["2027-01-07", "2028-01-07", "2029-01-08"]
    assert all(i["allowed"] == {"pay": True, "fail": True} for i in body["instalments"])


def test_return_then_confirm_again(as_, zg):
    confirmed(as_, zg)
    items = ["户名与身份证姓名不一致", "请提供一类账户"]
    body = post(as_("payer"), ent_url(zg, "return"), {"items": items, "note": "请修改"})
    assert body["status"] == "returned" and body["returned_items"] == items
    assert body["events"][-1]["items"] == items
    assert body["allowed"]["approve"] is False  # the caller's: the payer's
    assert as_("owner").get(ent_url(zg)).json()["allowed"]["confirm"] is True
    body = post(as_("owner"), ent_url(zg, "confirm"), CORRECTED)
    assert body["status"] == "confirmed" and body["returned_items"] == []
    assert body["bank_account_masked"] == "6217 **** **** 2333"


def test_suspend_stops_every_unpaid_instalment(as_, zg):
    approved(as_, zg)
    first, second = instalment(zg, 1), instalment(zg, 2)
    post(as_("payer"), inst_url(first, "pay"), {"voucher": "PZ-2026-0001"})
    post(as_("payer"), inst_url(second, "fail"), {"reason": "账户已冻结"})
    body = post(as_("admin"), ent_url(zg, "suspend"), {"reason": "已调离巴州区"})
    assert body["status"] == "suspended" and body["suspend_reason"] == "已调离巴州区"
    assert [i["status"] for i in body["instalments"]] == ["paid", "stopped", "stopped"]
    assert body["instalments"][0]["voucher"] == "PZ-2026-0001"
    # A stopped instalment is paid no more.
    conflict = post(as_("payer"), inst_url(instalment(zg, 3), "pay"), {"voucher": "X"}, 409)
    assert conflict["status"] == "stopped" and conflict["code"] == "invalid_transition"


def test_a_suspended_offer_was_never_confirmed(as_, zg):
    body = post(as_("admin"), ent_url(zg, "suspend"), {"reason": "已调离巴州区"})
    assert body["status"] == "suspended" and body["instalments"] == []


def test_failed_instalment_corrected_account_due_again_paid_then_completed(as_, zg):
    approved(as_, zg)
    first = instalment(zg, 1)
    body = post(as_("payer"), inst_url(first, "fail"), {"reason": "户名与账号不符"})
    row = body["instalments"][0]
    assert row["status"] == "failed" and row["fail_reason"] == "户名与账号不符"
    assert row["allowed"] == {"pay": False, "fail": False}
    assert body["status"] == "approved"
    assert as_("owner").get(ent_url(zg)).json()["allowed"]["confirm"] is True
    # The talent corrects the account: the failed instalment is due again.
    body = post(as_("owner"), ent_url(zg, "confirm"), CORRECTED)
    assert body["status"] == "approved"
    assert body["bank_account_masked"] == "6217 **** **** 2333"
    assert body["instalments"][0]["status"] == "due" and body["instalments"][0]["due_at"]
    assert [e["action"] for e in body["events"][-2:]] == ["account_changed", "repay"]
    for n in (1, 2, 3):
        body = post(as_("payer"), inst_url(instalment(zg, n), "pay"), {"voucher": f"PZ-{n}"})
        assert body["instalments"][n - 1]["status"] == "paid"
        assert body["instalments"][n - 1]["voucher"] == f"PZ-{n}"
        assert body["status"] == ("completed" if n == 3 else "approved")
    assert body["ended_at"] and body["events"][-1]["action"] == "completed"
    assert all(i["paid_at"] for i in body["instalments"])


# --- each wrong role ---------------------------------------------------------------------------

# Who is refused, and how: 404 where the entitlement is not visible (another talent, a
# department that does not pay it), 403 where it is visible or the role never touches
# entitlements (auditor, verifier).
NOT_VISIBLE = {"other_talent": 404, "other_payer": 404, "other_department": 404}
NO_ROLE = {"auditor": 403, "verifier": 403}
WRONG = {
    "confirm": {"payer": 403, "payer_lead": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
    "decline": {"payer": 403, "payer_lead": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
    "approve": {"owner": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
    "return": {"owner": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
    "suspend": {"owner": 403, "payer": 403, "payer_lead": 403, **NOT_VISIBLE, **NO_ROLE},
    "pay": {"owner": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
    "fail": {"owner": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
    "reveal": {"owner": 403, "admin": 403, **NOT_VISIBLE, **NO_ROLE},
}
# A valid body for each verb, and the state it may start from.
BODIES = {
    "confirm": ACCOUNT,
    "decline": {"reason": "不需要"},
    "approve": {"note": "同意"},
    "return": {"items": ["请提供一类账户"]},
    "suspend": {"reason": "已调离"},
    "pay": {"voucher": "PZ-1"},
    "fail": {"reason": "账户已冻结"},
    "reveal": {"purpose": "核对发放账户"},
}
RIGHT = {
    "confirm": ("owner", "confirmed"),
    "decline": ("owner", "declined"),
    "approve": ("payer", "approved"),
    "return": ("payer_lead", "returned"),
    "suspend": ("admin", "suspended"),
    "pay": ("payer", "paid"),
    "fail": ("payer_lead", "failed"),
}


def ready_for(verb, as_, ent) -> str:
    """Bring ``ent`` to a state ``verb`` may start from; return the path to post to."""
    if verb in ("approve", "return", "reveal"):
        confirmed(as_, ent)
    if verb in ("pay", "fail"):
        approved(as_, ent)
        return inst_url(instalment(ent, 1), verb)
    return ent_url(ent, verb)


@pytest.mark.parametrize("verb", list(WRONG))
def test_each_wrong_role_is_refused_and_changes_nothing(as_, zg, verb):
    path = ready_for(verb, as_, zg)
    before = status_of(zg), list(Instalment.objects.filter(entitlement=zg).values("status"))
    for who, code in WRONG[verb].items():
        response = as_(who).post(path, BODIES[verb], format="json")
        assert response.status_code == code, (verb, who, response.content)
        # Refused before the body is read: an empty one gets the same answer, not a 400.
        assert as_(who).post(path, {}, format="json").status_code == code, (verb, who)
    after = status_of(zg), list(Instalment.objects.filter(entitlement=zg).values("status"))
    assert after == before
    assert not AuditEvent.objects.filter(action="entitlement.reveal").exists()
    if verb in RIGHT:
        who, state = RIGHT[verb]
        body = post(as_(who), path, BODIES[verb])
        new = body["instalments"][0]["status"] if verb in ("pay", "fail") else body["status"]
        assert new == state


def test_anonymous_callers_are_asked_to_sign_in(zg):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get("/api/v1/entitlements/").status_code == 401
    assert anonymous.get(ent_url(zg)).status_code == 401
    assert anonymous.post(ent_url(zg, "confirm"), ACCOUNT, format="json").status_code == 401
    assert status_of(zg) == "offered"


def test_unknown_ids_are_not_found(as_, zg):
    assert as_("admin").get("/api/v1/entitlements/999999/").status_code == 404
    assert as_("payer").post("/api/v1/instalments/999999/pay/", {"voucher": "X"}).status_code == 404
    # An instalment is found through its entitlement: the other department's is not there.
    approved(as_, zg)
    first = instalment(zg, 1)
    response = as_("other_payer").post(inst_url(first, "pay"), {"voucher": "X"}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": "未找到。"}


# --- illegal from-states -----------------------------------------------------------------------


def conflict(client, path, body, status):
    answer = post(client, path, body, 409)
    assert answer["code"] == "invalid_transition" and answer["status"] == status, answer
    assert answer["detail"]
    return answer


def test_illegal_transitions_from_offered(as_, zg):
    conflict(as_("payer"), ent_url(zg, "approve"), {}, "offered")
    conflict(as_("payer"), ent_url(zg, "return"), BODIES["return"], "offered")
    conflict(as_("payer"), ent_url(zg, "reveal"), BODIES["reveal"], "offered")
    assert status_of(zg) == "offered"


def test_illegal_transitions_from_confirmed(as_, zg):
    confirmed(as_, zg)
    answer = conflict(as_("owner"), ent_url(zg, "confirm"), ACCOUNT, "confirmed")
    assert "待审核" in answer["detail"]


def test_illegal_transitions_from_approved(as_, zg):
    approved(as_, zg)
    conflict(as_("payer"), ent_url(zg, "approve"), {}, "approved")
    conflict(as_("payer"), ent_url(zg, "return"), BODIES["return"], "approved")
    conflict(as_("owner"), ent_url(zg, "decline"), {}, "approved")
    first = instalment(zg, 1)
    post(as_("payer"), inst_url(first, "pay"), {"voucher": "PZ-1"})
    conflict(as_("payer"), inst_url(first, "pay"), {"voucher": "PZ-2"}, "paid")
    conflict(as_("payer"), inst_url(first, "fail"), {"reason": "重复"}, "paid")
    second = instalment(zg, 2)
    post(as_("payer"), inst_url(second, "fail"), {"reason": "账户已冻结"})
    conflict(as_("payer"), inst_url(second, "pay"), {"voucher": "PZ-3"}, "failed")
    conflict(as_("payer"), inst_url(second, "fail"), {"reason": "再次失败"}, "failed")


def test_illegal_transitions_from_the_final_states(as_, zg, talent):
    post(as_("owner"), ent_url(zg, "decline"))
    for verb, who in [("confirm", "owner"), ("decline", "owner"), ("suspend", "admin")]:
        conflict(as_(who), ent_url(zg, verb), BODIES[verb], "declined")
    rent = entitlement_of(talent, "RENT-36")
    post(as_("admin"), ent_url(rent, "suspend"), {"reason": "已调离"})
    conflict(as_("admin"), ent_url(rent, "suspend"), {"reason": "再次"}, "suspended")
    conflict(as_("owner"), ent_url(rent, "confirm"), ACCOUNT, "suspended")


# --- validation ---------------------------------------------------------------------------------


def test_bad_bodies_answer_field_errors_in_chinese(as_, zg):
    bad = {"bank_name": "", "account_number": "12ab", "account_name": "王五"}
    errors = post(as_("owner"), ent_url(zg, "confirm"), bad, 400)
    assert set(errors) == {"bank_name", "account_number", "account_name"}
    assert errors["account_number"] == ["银行账号应为 10 至 30 位数字。"]
    assert errors["account_name"] == ["户名须为本人姓名，待遇只能发放到本人账户。"]
    assert status_of(zg) == "offered"
    confirmed(as_, zg)
    assert post(as_("payer"), ent_url(zg, "return"), {"items": []}, 400) == {
        "items": ["请逐条列出需要修改的事项。"]
    }
    assert "items" in post(as_("payer"), ent_url(zg, "return"), {"items": "不是列表"}, 400)
    assert set(post(as_("payer"), ent_url(zg, "reveal"), {"purpose": "看"}, 400)) == {"purpose"}
    assert post(as_("admin"), ent_url(zg, "suspend"), {}, 400) == {"reason": ["请填写原因。"]}
    post(as_("payer"), ent_url(zg, "approve"))
    first = instalment(zg, 1)
    assert post(as_("payer"), inst_url(first, "pay"), {}, 400) == {
        "voucher": ["请填写支付凭证号。"]
    }
    assert set(post(as_("payer"), inst_url(first, "pay"), {"voucher": "X" * 61}, 400)) == {
        "voucher"
    }
    assert post(as_("payer"), inst_url(first, "fail"), {"reason": " "}, 400) == {
        "reason": ["请填写失败原因。"]
    }
    assert instalment(zg, 1).status == "scheduled"


def test_no_account_number_is_written_to_the_audit_trail(as_, zg):
    approved(as_, zg)
    post(as_("payer"), inst_url(instalment(zg, 1), "pay"), {"voucher": "PZ-1"})
    details = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert AuditEvent.objects.filter(action="entitlement.confirm").exists()
    assert NUMBER not in details and NUMBER[4:-4] not in details
