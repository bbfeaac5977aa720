"""Visits and concerns through the talents API (API.md "人才信息库 and 一对一联系服务"): the
officer records a visit; a concern with a non-sensitive service type is filed as a request for
the talent (代办: filed by the officer, the talent told, audited, shown on the request), one
that needs the talent's own consent waits for the talent's confirm (consent recorded) or
decline; the officer resolves what has no request; the lists by who asks, in a fixed number of
queries; the organization department's coverage figures. Every role on every endpoint.

The world (people, clients, the card and its liaison) is tests/test_talents_api.py's.
"""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.issuance import card_revoke, card_suspend
from portal.models import AuditEvent, ConsentRecord, Notification
from services.models import ServiceRequest
from services.seed import seed_service_types
from talents.models import Concern, ConcernStatus, Liaison, Visit
from tests import test_talents_api as world
from tests.requests_support import HOUSING
from tests.talents_support import holder, liaison_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("departments")]
NOW = world.NOW
_clock = world._clock
people = world.people
as_ = world.as_
card = world.card
liaison = world.liaison
call = world.call

MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院"}


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


def visit_body(card, **extra) -> dict:
    return {
        "card_number": card.number,
        "visited_on": "2026-12-04",
        "mode": "in_person",
        "summary": "到单位走访，了解科研和生活情况。",
        **extra,
    }


def record(client, card, status=201, **extra):
    return call(client, "post", "/api/v1/visits/", visit_body(card, **extra), status=status)


def concern_url(concern_id, verb) -> str:
    return f"/api/v1/concerns/{concern_id}/{verb}/"


@pytest.fixture
def three(as_, liaison):
    """A visit with a concern noted, one filed (housing) and one awaiting consent (medical)."""
    return record(
        as_("officer"),
        liaison.card,
        concerns=[
            {"text": "希望园区增开通勤班车。"},
            {"text": "需要人才公寓。", "service_type": "HOUSING", "fields": HOUSING},
            {"text": "希望安排年度体检。", "service_type": "MEDICAL", "fields": MEDICAL},
        ],
    )


# --- recording a visit -------------------------------------------------------------------------


def test_the_officer_records_a_visit_and_files_for_the_talent(as_, liaison, people, three):
    officer = people["officer"]
    body = three
    assert body["card_number"] == liaison.card.number
    assert body["visited_on"] == "2026-12-04" and body["mode"] == "in_person"
    assert body["mode_name"] == "上门走访" and body["summary"] == "到单位走访，了解科研和生活情况。"
    assert officer.real_name in body["recorded_by"]
    assert datetime.datetime.fromisoformat(body["recorded_at"]) == NOW
    noted, filed, waiting = body["concerns"]
    req = ServiceRequest.objects.get()
    assert noted == {
        "id": noted["id"],
        "n": 1,
        "text": "希望园区增开通勤班车。",
        "service_type": None,
        "status": "noted",
        "status_name": "跟进中",
        "request_number": None,
        "resolved": False,
    }
    assert (filed["service_type"], filed["status"], filed["status_name"]) == (
        "HOUSING",
        "filed",
        "已代办提交",
    )
    assert filed["request_number"] == req.number and filed["resolved"] is False
    assert (waiting["service_type"], waiting["status"], waiting["request_number"]) == (
        "MEDICAL",
        "awaiting_consent",
        None,
    )
    # 代办: the talent's request, filed by the officer, the talent told, both audited.
    assert (req.talent, req.filed_by, req.filed_via) == (people["owner"], officer, "liaison")
    assert req.service_type.code == "HOUSING" and req.description == "需要人才公寓。"
    assert Notification.objects.filter(
        recipient=people["owner"], kind="request_filed_for_you"
    ).exists()
    assert Notification.objects.filter(
        recipient=people["owner"], kind="concern_awaiting_consent"
    ).exists()
    assert AuditEvent.objects.filter(
        action="service_request.file", actor=officer, object_id=str(req.pk)
    ).exists()
    visit_audit = AuditEvent.objects.get(action="liaison.visit")
    assert visit_audit.actor == officer
    # The clock restarts from the visit: 90 days after 2026-12-04.
    liaison.refresh_from_db()
    assert liaison.last_visit_on == datetime.date(2026, 12, 4)
    assert liaison.due_on == datetime.date(2027, 3, 4)
    got = call(as_("officer"), "get", world.liaison_url(liaison.card))
    assert got["last_visit_on"] == "2026-12-04" and got["next_visit_due"] == "2027-03-04"


def test_the_talent_sees_the_request_filed_for_them(as_, three, people):
    number = three["concerns"][1]["request_number"]
    body = call(as_("owner"), "get", f"/api/v1/service-requests/{number}/")
    assert body["filed_via"] == "liaison"
    # Named as a timeline names staff: the officer with their office.
    assert body["filed_by"] == {
        "name": f"{people['officer'].real_name}（区住房和城乡建设局经办人）"
    }
    rows = call(as_("owner"), "get", "/api/v1/service-requests/")["results"]
    assert [(r["number"], r["filed_via"]) for r in rows] == [(number, "liaison")]


def test_a_request_the_talent_filed_has_no_proxy(as_, card):
    body = call(
        as_("owner"),
        "post",
        "/api/v1/service-requests/",
        {"service_type": "HOUSING", "fields": HOUSING},
        status=201,
    )
    assert body["filed_by"] is None and body["filed_via"] == ""


def test_the_admin_records_a_visit_too(as_, liaison):
    body = record(as_("admin"), liaison.card, mode="phone")
    assert body["mode_name"] == "电话联系" and body["concerns"] == []
    assert body["recorded_by"] == "组织部人才办"


def test_visit_errors_are_keyed_by_field_and_concern(as_, liaison):
    body = record(
        as_("officer"),
        liaison.card,
        status=400,
        visited_on="2026-12-08",  # tomorrow
        mode="letter",
        summary="",
        concerns=[
            {"text": "要公寓", "service_type": "HOUSING", "fields": {**HOUSING, "family_size": ""}},
            {"text": "", "service_type": "NOPE"},
            {"text": "说明", "fields": {"x": 1}},
        ],
    )
    assert set(body) == {
        "visited_on",
        "mode",
        "summary",
        "concerns.0.fields.family_size",
        "concerns.1.text",
        "concerns.1.service_type",
        "concerns.2.fields",
    }
    assert body["visited_on"] == ["走访日期不能晚于今天。"]
    assert not Visit.objects.exists() and not ServiceRequest.objects.exists()


def test_a_type_above_the_tier_is_refused_per_concern(as_, people):
    _, d_card = holder("D")
    liaison_for(d_card, people["officer"], people["admin"])
    body = record(
        as_("officer"),
        d_card,
        status=400,
        concerns=[{"text": "体检", "service_type": "MEDICAL", "fields": MEDICAL}],
    )
    assert list(body) == ["concerns.0.service_type"] and "D类" in body["concerns.0.service_type"][0]


def test_a_visit_needs_a_card_number(as_, liaison):
    body = call(as_("officer"), "post", "/api/v1/visits/", {"mode": "phone"}, status=400)
    assert list(body) == ["card_number"]


def test_a_card_not_live_takes_no_visit(as_, liaison, people):
    card_revoke(card=liaison.card, actor=people["admin"], reason="调离本地")
    body = record(as_("officer"), liaison.card, status=409)
    assert body["status"] == "ended"
    assert not Visit.objects.exists()


def test_a_suspended_card_takes_a_visit_but_files_nothing(as_, liaison, people):
    card_suspend(card=liaison.card, actor=people["admin"], reason="核查中")
    housing = [{"text": "公寓", "service_type": "HOUSING", "fields": HOUSING}]
    record(as_("officer"), liaison.card, status=403, concerns=housing)
    assert not Visit.objects.exists() and not ServiceRequest.objects.exists()
    record(as_("officer"), liaison.card, concerns=[{"text": "暂无诉求"}])
    assert Visit.objects.count() == 1


def test_the_same_idempotency_key_records_one_visit(as_, liaison):
    client = as_("officer")
    body = visit_body(
        liaison.card, concerns=[{"text": "公寓", "service_type": "HOUSING", "fields": HOUSING}]
    )
    first = client.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Visit.objects.count() == 1 and ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("owner", 403),
        ("other_talent", 403),
        ("staff", 404),  # serves nobody: the liaison is not visible
        ("lead", 404),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_only_the_officer_and_the_admin_record(as_, liaison, who, code):
    record(as_(who), liaison.card, status=code)
    assert not Visit.objects.exists()


def test_another_officers_holder_is_a_404(as_, liaison, people):
    _, other_card = holder("C")
    liaison_for(other_card, world.officer("officer2"), people["admin"])
    record(as_("officer"), other_card, status=404)
    record(as_("officer"), liaison.card)  # their own: recorded


# --- concerns ----------------------------------------------------------------------------------


def test_the_talent_confirms_with_consent_and_the_request_is_filed(as_, three, people):
    waiting = three["concerns"][2]
    url = concern_url(waiting["id"], "confirm")
    body = call(as_("owner"), "post", url, {}, status=400)
    assert list(body) == ["consent"]
    body = call(as_("owner"), "post", url, {"consent": True})
    concern = body["concerns"][2]
    assert concern["status"] == "filed" and concern["request_number"]
    req = ServiceRequest.objects.get(number=concern["request_number"])
    # The talent's own request, with the consent recorded; not a proxy filing.
    assert (req.talent, req.filed_by, req.filed_via) == (people["owner"], None, "")
    assert req.consent_at is not None and req.service_type.code == "MEDICAL"
    record_ = ConsentRecord.objects.get(user=people["owner"], object_id=str(req.pk))
    assert record_.document == "sensitive_notice"
    assert AuditEvent.objects.filter(
        action="liaison.concern_confirm", actor=people["owner"]
    ).exists()
    # Once.
    body = call(as_("owner"), "post", url, {"consent": True}, status=409)
    assert body["status"] == "filed"


def test_the_talent_declines_and_the_officer_resolves(as_, three, people):
    waiting = three["concerns"][2]
    body = call(as_("owner"), "post", concern_url(waiting["id"], "decline"))
    assert body["concerns"][2]["status"] == "declined"
    assert body["concerns"][2]["status_name"] == "本人未同意代办"
    assert Notification.objects.filter(
        recipient=people["officer"], kind="concern_declined"
    ).exists()
    call(as_("owner"), "post", concern_url(waiting["id"], "decline"), status=409)
    url = concern_url(waiting["id"], "resolve")
    body = call(as_("officer"), "post", url, {"resolution": ""}, status=400)
    assert list(body) == ["resolution"]
    body = call(as_("officer"), "post", url, {"resolution": "已协调区人民医院安排体检。"})
    assert body["concerns"][2]["status"] == "resolved" and body["concerns"][2]["resolved"] is True
    assert not ServiceRequest.objects.filter(service_type__code="MEDICAL").exists()


def test_the_officer_resolves_a_noted_concern_not_a_filed_one(as_, three):
    noted, filed, _ = three["concerns"]
    body = call(
        as_("admin"), "post", concern_url(noted["id"], "resolve"), {"resolution": "已开通班车。"}
    )
    assert body["concerns"][0]["resolved"] is True
    body = call(
        as_("officer"), "post", concern_url(filed["id"], "resolve"), {"resolution": "x"}, status=409
    )
    assert body["status"] == "filed"


def test_a_filed_concern_is_resolved_with_its_request(as_, three, people):
    from services.workflow import request_accept, request_resolve

    handler = people["staff"]  # ZJJ handles housing
    req = ServiceRequest.objects.get(number=three["concerns"][1]["request_number"])
    request_resolve(req=request_accept(req=req, actor=handler), actor=handler, note="已配租")
    rows = call(as_("owner"), "get", "/api/v1/visits/")["results"]
    assert [c["resolved"] for c in rows[0]["concerns"]] == [False, True, False]


@pytest.mark.parametrize(
    ("who", "verb", "code"),
    [
        ("officer", "confirm", 403),
        ("admin", "confirm", 403),
        ("other_talent", "confirm", 404),
        ("staff", "confirm", 404),
        ("auditor", "confirm", 403),
        ("verifier", "confirm", 403),
        ("anonymous", "confirm", 401),
        ("officer", "decline", 403),
        ("other_talent", "decline", 404),
        ("lead", "decline", 404),
        ("owner", "resolve", 403),
        ("other_talent", "resolve", 404),
        ("staff", "resolve", 404),
        ("lead", "resolve", 404),
        ("auditor", "resolve", 403),
        ("anonymous", "resolve", 401),
    ],
)
def test_who_acts_on_a_concern(as_, three, who, verb, code):
    concern = three["concerns"][2 if verb != "resolve" else 0]
    body = {"consent": True} if verb == "confirm" else {"resolution": "已解决"}
    call(as_(who), "post", concern_url(concern["id"], verb), body, status=code)
    expected = ConcernStatus.AWAITING_CONSENT if verb != "resolve" else ConcernStatus.NOTED
    assert Concern.objects.get(pk=concern["id"]).status == expected


def test_an_unknown_concern_is_a_404(as_, three):
    call(as_("admin"), "post", concern_url(999999, "resolve"), {"resolution": "x"}, status=404)


# --- the visits list ---------------------------------------------------------------------------


def visits(client, query="", status=200):
    return call(client, "get", f"/api/v1/visits/{query}", status=status)


def test_who_reads_which_visits(as_, liaison, people, three):
    _, other_card = holder("C", user=None)
    other_officer = world.officer("officer2")
    liaison_for(other_card, other_officer, people["admin"])
    record(as_("admin"), other_card, visited_on="2026-12-05")
    both = visits(as_("admin"))
    assert [v["card_number"] for v in both["results"]] == [other_card.number, liaison.card.number]
    assert [v["card_number"] for v in visits(as_("officer"))["results"]] == [liaison.card.number]
    assert [v["card_number"] for v in visits(as_("owner"))["results"]] == [liaison.card.number]
    for who in ("other_talent", "staff", "lead"):
        assert visits(as_(who))["count"] == 0
    only = visits(as_("admin"), f"?card_number={other_card.number}")
    assert [v["card_number"] for v in only["results"]] == [other_card.number]
    assert visits(as_("officer"), f"?card_number={other_card.number}")["count"] == 0
    for who, code in (("auditor", 403), ("verifier", 403), ("anonymous", 401)):
        visits(as_(who), status=code)


def test_the_visits_list_is_latest_first(as_, liaison):
    for day in ("2026-11-20", "2026-12-01", "2026-11-25"):
        record(as_("officer"), liaison.card, visited_on=day)
    days = [v["visited_on"] for v in visits(as_("officer"))["results"]]
    assert days == ["2026-12-01", "2026-11-25", "2026-11-20"]
    assert Liaison.objects.get(pk=liaison.pk).last_visit_on == datetime.date(2026, 12, 1)


def queries(client, query="") -> int:
    with CaptureQueriesContext(connection) as context:
        visits(client, query)
    return len(context)


def test_a_visits_page_reads_a_fixed_number_of_queries(as_, liaison, people):
    concerns = [
        {"text": "公寓", "service_type": "HOUSING", "fields": HOUSING},
        {"text": "体检", "service_type": "MEDICAL", "fields": MEDICAL},
        {"text": "班车"},
    ]
    for _ in range(2):
        record(as_("officer"), liaison.card, concerns=concerns)
    assert visits(as_("officer"))["count"] == 2
    few = {who: queries(as_(who)) for who in ("admin", "officer", "owner")}
    for i in range(8):
        _, card = holder("C")
        liaison_for(card, people["officer"], people["admin"])
        record(as_("officer"), card, concerns=concerns if i % 2 else concerns[2:])
    assert visits(as_("officer"))["count"] == 10
    assert {who: queries(as_(who)) for who in ("admin", "officer", "owner")} == few


# --- coverage ----------------------------------------------------------------------------------


def test_the_coverage_figures(as_, client_for, liaison, people, three):
    _, key = holder("A")
    holder("D")  # no liaison
    liaison_for(key, people["officer"], people["admin"], days=7)
    with time_machine.travel(NOW + datetime.timedelta(days=10), tick=False):
        body = call(client_for(people["admin"]), "get", "/api/v1/liaison-coverage/")
    assert body["today"] == "2026-12-17" and body["since"] == "2026-01-01"
    # Holders: the owner (B), the other talent (C), A and D; with a liaison: owner and A.
    assert (body["holders"], body["key_holders"]) == (4, 3)
    assert (body["with_liaison"], body["key_with_liaison"]) == (2, 2)
    assert body["coverage_rate"] == 0.5 and body["key_coverage_rate"] == round(2 / 3, 4)
    assert (body["liaisons"], body["on_time"], body["overdue"]) == (2, 1, 1)
    assert (body["visits"], body["visits_in_person"]) == (1, 1)
    assert (body["concerns_raised"], body["concerns_filed"], body["concerns_awaiting"]) == (3, 1, 1)
    assert body["concerns_resolved"] == 0 and body["resolved_rate"] == 0.0
    assert body["by_officer"] == [
        {"officer": people["officer"].real_name, "holders": 2, "overdue": 1, "visits": 1}
    ]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("owner", 403),
        ("officer", 403),
        ("staff", 403),
        ("lead", 403),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_only_the_organization_department_reads_coverage(as_, liaison, who, code):
    call(as_(who), "get", "/api/v1/liaison-coverage/", status=code)


def test_a_lead_named_officer_serves_like_staff(as_, card, people):
    liaison_for(card, people["lead"], people["admin"])
    rows = call(as_("lead"), "get", "/api/v1/liaisons/")["results"]
    assert [r["officer"]["username"] for r in rows] == ["lead"]
    body = record(as_("lead"), card, concerns=[{"text": "班车"}])
    resolved = call(
        as_("lead"), "post", concern_url(body["concerns"][0]["id"], "resolve"), {"resolution": "好"}
    )
    assert resolved["concerns"][0]["status"] == "resolved"
    # The staff member who is not named sees none of it.
    assert call(as_("officer"), "get", "/api/v1/visits/")["count"] == 0
