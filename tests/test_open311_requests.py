"""Open311 GeoReport v2 requests (issue 17): the keyed endpoints, raw HTTP. A partner sees
only the requests filed through its key; POST files for a card holder (never a sensitive
type); answers carry no personal data; every call is written down without the key."""

import json
import logging
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from cards.models import CardStatus
from open311.keys import partner_create
from open311.logging import RedactKeys
from open311.models import FiledRequest, PartnerCall, Scope
from open311.requests import attributes
from portal.models import AuditEvent, Notification
from services.models import Datatype, RequestEvent, ServiceRequest, ServiceType
from services.seed import seed_service_types
from tests.factories import TalentFactory
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {
    "service_code": "HOUSING",
    "attribute[family_size]": "3",
    "attribute[room_type]": "两室一厅",
    "attribute[move_in_date]": "2026-12-20T00:00:00+08:00",
    "attribute[current_housing]": "租房",
    "attribute[no_own_house]": "true",
    "attribute[remarks]": "朝南的房间",
    "description": "希望尽快入住江北片区",
}


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def card(talent):
    return give_card(talent, tier="C")


@pytest.fixture
def filer():
    return partner_create(name="四川省一体化政务服务平台", scope=Scope.FILE, rate_limit=50)


@pytest.fixture
def reader():
    return partner_create(name="巴州区小程序", scope=Scope.READ)


def post(client, key, fmt="json", **form):
    data = {**FORM, **form}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data)


def descriptions(response) -> list[str]:
    return [e["description"] for e in response.json()]


def file_ok(client, key, card, **form) -> str:
    response = post(client, key, account_id=card.number, **form)
    assert response.status_code == 200, response.content
    return response.json()[0]["service_request_id"]


# --- keys ---------------------------------------------------------------------------------


def test_no_unknown_or_revoked_key_is_401(client, filer):
    partner, key = filer
    assert client.get(f"{BASE}/requests.json").status_code == 401
    wrong = client.get(f"{BASE}/requests.json", {"api_key": "o311_deadbeefnotakey"})
    assert wrong.status_code == 401
    assert wrong.json()[0]["code"] == 401
    assert client.get(f"{BASE}/requests.json", {"api_key": key}).status_code == 200
    partner.revoked_at = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    partner.save()
    revoked = client.get(f"{BASE}/requests.xml", {"api_key": key})
    assert revoked.status_code == 401
    root = ET.fromstring(revoked.content)
    assert root.tag == "errors" and root.find("error/code").text == "401"
    assert post(client, key, account_id="x").status_code == 401
    # Only the one call with a live key was written down.
    assert list(PartnerCall.objects.values_list("status", flat=True)) == [200]


def test_a_read_key_cannot_post(client, reader, card):
    partner, key = reader
    response = post(client, key, account_id=card.number)
    assert response.status_code == 403 and response.json()[0]["code"] == 403
    assert not ServiceRequest.objects.exists()
    call = PartnerCall.objects.get()
    assert (call.partner, call.method, call.status) == (partner, "POST", 403)


def test_over_the_rate_limit_is_429(client):
    partner, key = partner_create(name="限流测试", rate_limit=3)
    statuses = [client.get(f"{BASE}/requests.json", {"api_key": key}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert client.get(f"{BASE}/requests.json", {"api_key": key}).json()[0]["code"] == 429
    assert PartnerCall.objects.filter(partner=partner, status=429).count() == 3


# --- POST ---------------------------------------------------------------------------------


def test_post_files_for_the_card_holder(client, filer, card, talent, handler):
    partner, key = filer
    response = post(client, key, account_id=card.number, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    (answer,) = response.json()
    req = ServiceRequest.objects.get()
    assert answer == {
        "service_request_id": req.number,
        "service_notice": "",
        "account_id": card.number,
    }
    assert req.talent == talent and req.filed_via == "open311" and req.filed_by is None
    assert req.fields == {
        "family_size": 3,
        "room_type": "两室一厅",
        "move_in_date": "2026-12-20",
        "current_housing": "租房",
        "no_own_house": True,
        "remarks": "朝南的房间",
    }
    assert req.description == "希望尽快入住江北片区"
    assert FiledRequest.objects.get().partner == partner
    assert FiledRequest.objects.get().request == req
    event = RequestEvent.objects.get(request=req)
    assert event.actor is None and event.note == f"由合作系统{partner.name}提交"
    audit = AuditEvent.objects.get(action="service_request.file")
    assert audit.actor is None and audit.detail["filed_via"] == "open311"
    told = Notification.objects.get(recipient=talent, kind="request_filed_for_you")
    assert partner.name in told.title and req.number in told.title
    # The department hears of it as of any request.
    assert Notification.objects.filter(recipient=handler, kind="request_filed").exists()
    call = PartnerCall.objects.get()
    assert (call.method, call.path, call.status) == ("POST", f"{BASE}/requests.json", 200)
    assert key not in call.path


def test_post_in_xml_and_the_talent_told_in_english(client, filer, card, talent):
    talent.language = "en"
    talent.save()
    partner, key = filer
    response = post(client, key, fmt="xml", account_id=card.number)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    assert number == ServiceRequest.objects.get().number
    assert root.find("request/account_id").text == card.number
    told = Notification.objects.get(recipient=talent, kind="request_filed_for_you")
    assert told.title.startswith(f"Partner system {partner.name}")
    assert number in told.title


def test_unknown_and_suspended_cards_get_the_same_answer(client, filer, card):
    _, key = filer
    unknown = post(client, key, account_id="BZYC-2026-999999")
    card.status = CardStatus.SUSPENDED
    card.save()
    suspended = post(client, key, account_id=card.number)
    missing = post(client, key)
    assert unknown.status_code == suspended.status_code == missing.status_code == 400
    assert unknown.content == suspended.content == missing.content
    assert descriptions(unknown)[0].startswith("account_id:")
    assert not ServiceRequest.objects.exists()


def test_a_sensitive_type_is_refused(client, filer, card):
    _, key = filer
    response = post(client, key, account_id=card.number, service_code="MEDICAL")
    assert response.status_code == 400
    (message,) = descriptions(response)
    assert "本人" in message and "敏感个人信息" in message
    assert not ServiceRequest.objects.exists() and not FiledRequest.objects.exists()


def test_invalid_attributes_are_one_error_each(client, filer, card):
    _, key = filer
    response = post(
        client,
        key,
        account_id=card.number,
        **{
            "attribute[family_size]": "三",
            "attribute[no_own_house]": "maybe",
            "attribute[room_type]": "",
            "attribute[colour]": "红",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert {e["code"] for e in body} == {400}
    fields = sorted(e["description"].split(":")[0] for e in body)
    assert fields == [
        "attribute[colour]",
        "attribute[family_size]",
        "attribute[no_own_house]",
        "attribute[room_type]",
    ]
    unknown_type = post(client, key, account_id=card.number, service_code="NOPE")
    assert descriptions(unknown_type)[0].startswith("service_code:")
    assert not ServiceRequest.objects.exists()


def test_attribute_conversion_of_a_multivaluelist():
    service = ServiceType(
        code="X",
        fields=[
            {"code": "langs", "label": "语言", "datatype": str(Datatype.MULTI), "values": []},
            {"code": "n", "label": "数", "datatype": str(Datatype.NUMBER)},
        ],
    )
    form = QueryDict(mutable=True)
    form.setlist("attribute[langs][]", ["中文", "English"])
    form["attribute[n]"] = "2.5"
    assert attributes(service, form) == {"langs": ["中文", "English"], "n": 2.5}


# --- GET ----------------------------------------------------------------------------------


def test_list_and_detail_for_the_filing_partner_only(client, filer, reader, card, talent):
    _, key = filer
    _, other_key = reader
    number = file_ok(client, key, card)
    request_in("submitted", talent, None)  # filed on the portal: no partner sees it
    listed = client.get(f"{BASE}/requests.json", {"api_key": key}).json()
    assert [r["service_request_id"] for r in listed] == [number]
    (row,) = listed
    req = ServiceRequest.objects.get(number=number)
    assert row["status"] == "open" and row["status_notes"] == "待受理"
    assert row["service_code"] == "HOUSING" and row["service_name"] == "人才公寓"
    assert row["agency_responsible"] == "区住房和城乡建设局"
    assert row["requested_datetime"] == req.submitted_at.astimezone(SHANGHAI).isoformat(
        timespec="seconds"
    )
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] == (req.promised_due_at or req.resolve_due_at).astimezone(
        SHANGHAI
    ).isoformat(timespec="seconds")
    assert "lat" not in row and "long" not in row and row["address"] == ""
    detail = client.get(f"{BASE}/requests/{number}.json", {"api_key": key})
    assert detail.status_code == 200 and detail.json() == [row]
    xml = ET.fromstring(client.get(f"{BASE}/requests/{number}.xml", {"api_key": key}).content)
    assert xml.tag == "service_requests" and xml.find("request/status").text == "open"
    # Another partner sees nothing.
    assert client.get(f"{BASE}/requests.json", {"api_key": other_key}).json() == []
    other = client.get(f"{BASE}/requests/{number}.json", {"api_key": other_key})
    assert other.status_code == 404 and other.json()[0]["code"] == 404
    portal_only = ServiceRequest.objects.exclude(number=number).get().number
    assert client.get(f"{BASE}/requests/{portal_only}.json", {"api_key": key}).status_code == 404


def test_no_personal_data_in_any_answer(client, filer, card, talent):
    _, key = filer
    number = file_ok(client, key, card)
    answers = [
        client.get(f"{BASE}/requests.json", {"api_key": key}).content,
        client.get(f"{BASE}/requests.xml", {"api_key": key}).content,
        client.get(f"{BASE}/requests/{number}.json", {"api_key": key}).content,
        client.get(f"{BASE}/requests/{number}.xml", {"api_key": key}).content,
    ]
    secrets = ["李明", "李", "13800002688", "2688", "两室一厅", "租房", "朝南", "江北片区"]
    for body in answers:
        text = body.decode()
        for secret in secrets:
            assert secret not in text, (secret, text)


def test_status_and_updated_follow_the_request(client, filer, card, handler):
    from services.workflow import request_accept, request_reject

    _, key = filer
    first = file_ok(client, key, card)
    second = file_ok(client, key, card, **{"attribute[remarks]": "二"})
    with time_machine.travel(datetime.now(SHANGHAI) + timedelta(hours=1), tick=False):
        request_accept(req=ServiceRequest.objects.get(number=first), actor=handler)
        request_reject(req=ServiceRequest.objects.get(number=second), actor=handler, reason="否")
    rows = {
        r["service_request_id"]: r
        for r in client.get(f"{BASE}/requests.json", {"api_key": key}).json()
    }
    assert rows[first]["status"] == "open" and rows[first]["status_notes"] == "办理中"
    assert rows[second]["status"] == "closed" and rows[second]["status_notes"] == "不予办理"
    latest = RequestEvent.objects.filter(request__number=first).order_by("-at").first().at
    assert rows[first]["updated_datetime"] == latest.astimezone(SHANGHAI).isoformat(
        timespec="seconds"
    )
    assert rows[first]["updated_datetime"] > rows[first]["requested_datetime"]
    only_open = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "open"}).json()
    assert [r["service_request_id"] for r in only_open] == [first]
    only_closed = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "closed"})
    assert [r["service_request_id"] for r in only_closed.json()] == [second]
    english = client.get(f"{BASE}/requests.json", {"api_key": key}, HTTP_ACCEPT_LANGUAGE="en")
    notes = {r["service_request_id"]: r["status_notes"] for r in english.json()}
    assert notes[first] != "办理中" and notes[first]


def test_filters_and_the_90_day_window(client, filer, card):
    _, key = filer
    start = datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        old = file_ok(client, key, card)
    with time_machine.travel(start + timedelta(days=100), tick=False):
        new = file_ok(client, key, card)
        recent = client.get(f"{BASE}/requests.json", {"api_key": key}).json()
        assert [r["service_request_id"] for r in recent] == [new]  # the last 90 days
        by_code = client.get(
            f"{BASE}/requests.json", {"api_key": key, "service_code": "SCHOOL,SUBSIDY"}
        ).json()
        assert by_code == []
        by_code = client.get(
            f"{BASE}/requests.json", {"api_key": key, "service_code": "SCHOOL,HOUSING"}
        ).json()
        assert [r["service_request_id"] for r in by_code] == [new]
    june = client.get(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "start_date": "2026-05-20T00:00:00+08:00",
            "end_date": "2026-06-30T00:00:00+08:00",
        },
    ).json()
    assert [r["service_request_id"] for r in june] == [old]
    # Only a start: the 90 days after it.
    after = client.get(f"{BASE}/requests.json", {"api_key": key, "start_date": "2026-05-31"})
    assert [r["service_request_id"] for r in after.json()] == [old]
    too_long = client.get(
        f"{BASE}/requests.json",
        {"api_key": key, "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400 and "90" in descriptions(too_long)[0]
    bad = client.get(f"{BASE}/requests.json", {"api_key": key, "start_date": "昨天"})
    assert bad.status_code == 400 and descriptions(bad)[0].startswith("start_date")
    wrong_status = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "done"})
    assert wrong_status.status_code == 400


def test_query_count_is_constant(client, filer, card):
    _, key = filer

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{BASE}/requests.json", {"api_key": key})
        assert response.status_code == 200
        return len(queries), len(response.json())

    for _ in range(2):
        file_ok(client, key, card)
    few, n_few = count()
    for _ in range(8):
        file_ok(client, key, card)
    many, n_many = count()
    assert (n_few, n_many) == (2, 10)
    assert few == many


# --- keys never in logs ---------------------------------------------------------------------


def test_the_key_is_redacted_from_request_logs(caplog, filer):
    _, key = filer
    logger = logging.getLogger("django.server")
    assert any(isinstance(f, RedactKeys) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="django.server"):
        logger.info(
            '"%s" %s %s', f"GET /open311/v2/requests.json?api_key={key}&x=1 HTTP/1.1", 200, 5
        )
        logging.getLogger("django.request").warning(f"Not Found: /x?api_key={key}")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert key not in text
    assert "api_key=***&x=1" in text and "/x?api_key=***" in text
    assert json.dumps(caplog.records[0].args).count("***") == 1


def test_a_talent_without_a_card_and_a_holder_of_another_tier(client, filer):
    _, key = filer
    holder = TalentFactory(username="d_tier")
    d_card = give_card(holder, tier="D")
    school = ServiceType.objects.get(code="SUBSIDY")
    school.eligible_tiers = "AB"
    school.save()
    response = post(client, key, account_id=d_card.number, service_code="SUBSIDY")
    assert response.status_code == 400
    assert "D" not in descriptions(response)[0].split(":", 1)[1]  # the tier is not told


def test_the_talent_sees_a_partner_filed_the_request(client, filer, card, talent):
    number = file_ok(client, filer[1], card)
    client.force_login(talent)
    page = client.get(f"/requests/{number}/").content.decode()
    assert "由合作系统代为提交" in page
