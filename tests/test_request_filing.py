"""Filing a request: card and tier, consent, typed fields, numbering, routing."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from portal.models import Notification
from services.filing import clean_fields
from services.models import ServiceRequest, ServiceType
from services.seed import seed_service_types
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def t(client_for, talent):
    give_card(talent, tier="C")
    return client_for(talent)


def file(client, service_type="HOUSING", fields=None, **extra):
    body = {"service_type": service_type, "fields": HOUSING if fields is None else fields, **extra}
    return client.post("/api/v1/service-requests/", body)


def test_filing_routes_to_the_types_department(t, talent, handler, lead):
    response = file(t, description="希望尽快入住")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["tier"] == "C"
    assert body["department"] == {
        "code": "ZJJ",
        "name": "区住房和城乡建设局",
        "name_en": "District Bureau of Housing and Urban-Rural Development",
    }
    assert body["service_type"]["code"] == "HOUSING" and body["assignee"] is None
    assert body["fields"]["family_size"] == 3 and body["fields"]["no_own_house"] is True
    assert body["talent"] == {"real_name_masked": "李*", "phone_masked": "138****2688"}
    assert set(body) >= {
        "number", "status", "service_type", "department", "assignee", "talent", "tier", "fields",
        "description", "submitted_at", "accepted_at", "resolved_at", "closed_at", "sla",
        "events", "comments", "attachments", "rating",
    }  # fmt: skip
    assert set(body["sla"]) >= {
        "accept_due_at", "resolve_due_at", "paused", "accepted_on_time", "resolved_on_time",
        "overdue", "escalated", "calendar_verified",
    }  # fmt: skip
    # The department is told: every active member gets an inbox row.
    told = set(
        Notification.objects.filter(kind="request_filed").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"handler", "lead"}


def test_numbers_are_per_day_and_sequential(t):
    with time_machine.travel(datetime(2026, 3, 2, 23, 59, tzinfo=SHANGHAI), tick=False) as clock:
        first = file(t).json()["number"]
        second = file(t).json()["number"]
        clock.move_to(datetime(2026, 3, 3, 0, 1, tzinfo=SHANGHAI))
        third = file(t).json()["number"]
    assert [first, second, third] == ["FW-20260302-0001", "FW-20260302-0002", "FW-20260303-0001"]


def test_without_an_active_card_filing_is_403(client_for, talent, admin_user):
    client = client_for(talent)
    response = file(client)
    assert response.status_code == 403 and "有效的巴州优才卡" in response.json()["detail"]
    card = give_card(talent)
    card.status = "suspended"
    card.save()
    assert file(client).status_code == 403
    assert not ServiceRequest.objects.exists()


def test_a_tier_the_service_does_not_serve_is_403(client_for, talent):
    give_card(talent, tier="D")
    client = client_for(talent)
    spouse = {
        "spouse_name": "王芳",
        "spouse_education": "本科",
        "was_civil_servant": False,
        "desired_fields": ["教育"],
    }
    response = file(client, "SPOUSE_JOB", spouse)
    assert response.status_code == 403 and "A、B、C类" in response.json()["detail"]


@pytest.mark.parametrize(
    ("code", "fields", "consent_text"),
    [
        ("MEDICAL", {"service": "年度健康体检", "hospital": "巴州区人民医院"}, "单独同意"),
        (
            "SCHOOL",
            {
                "child_name": "李小明",
                "child_birth_date": "2019-05-01",
                "request_kind": "转学",
                "grade": "小学二年级",
                "living_in_bazhou": True,
            },
            "监护人",
        ),
    ],
)
def test_medical_and_minor_matters_need_consent(t, code, fields, consent_text):
    refused = file(t, code, fields)
    assert refused.status_code == 400 and consent_text in refused.json()["consent"][0]
    accepted = file(t, code, fields, consent=True)
    assert accepted.status_code == 201
    assert ServiceRequest.objects.get(number=accepted.json()["number"]).consent_at is not None


def test_every_invalid_field_is_reported_at_once(t):
    response = file(
        t, fields={"family_size": "三个", "room_type": "五室", "move_in_date": "明天", "extra": 1}
    )
    assert response.status_code == 400
    assert response.json() == {
        "fields.extra": ["本事项没有这一项。"],
        "fields.family_size": ["入住人数应为数字。"],
        "fields.room_type": ["意向户型须从给定选项中选择。"],
        "fields.move_in_date": ["期望入住日期应为日期，格式为 年-月-日（如 2026-09-01）。"],
        "fields.current_housing": ["请填写目前居住情况。"],
        "fields.no_own_house": ["请填写本人及配偶在巴州区无自有住房。"],
    }


def test_unknown_or_inactive_service_type_is_400(t):
    assert file(t, "NOPE").json() == {"service_type": ["服务事项不存在或已停止受理。"]}
    ServiceType.objects.filter(code="HOUSING").update(is_active=False)
    assert file(t).status_code == 400


@pytest.mark.parametrize(
    ("datatype", "extra", "value", "cleaned"),
    [
        ("string", {}, "  巴州区  ", "巴州区"),
        ("string", {}, 12, "12"),
        ("string", {}, "x" * 201, None),
        ("string", {}, ["list"], None),
        ("text", {}, "多行\n文本", "多行\n文本"),
        ("text", {}, "x" * 2001, None),
        ("number", {}, "3", 3),
        ("number", {}, 2.5, 2.5),
        ("number", {}, "1e3", 1000),
        ("number", {}, True, None),
        ("number", {}, "NaN", None),
        ("number", {}, "三", None),
        ("date", {}, "2026-02-28", "2026-02-28"),
        ("date", {}, "2026-02-30", None),
        ("date", {}, "28/02/2026", None),
        ("boolean", {}, True, True),
        ("boolean", {}, "否", False),
        ("boolean", {}, "1", True),
        ("boolean", {}, "maybe", None),
        ("singlevaluelist", {"values": ["甲", "乙"]}, "乙", "乙"),
        ("singlevaluelist", {"values": ["甲", "乙"]}, "丙", None),
        ("multivaluelist", {"values": ["甲", "乙"]}, ["甲", "乙", "甲"], ["甲", "乙"]),
        ("multivaluelist", {"values": ["甲", "乙"]}, "甲", ["甲"]),
        ("multivaluelist", {"values": ["甲", "乙"]}, ["甲", "丙"], None),
    ],
)
def test_each_datatype(datatype, extra, value, cleaned):
    service = ServiceType(fields=[{"code": "x", "label": "测试项", "datatype": datatype, **extra}])
    if cleaned is None:
        with pytest.raises(ValidationError) as info:
            clean_fields(service, {"x": value})
        assert list(info.value.message_dict) == ["fields.x"]
    else:
        assert clean_fields(service, {"x": value}) == {"x": cleaned}


def test_required_and_optional_fields():
    service = ServiceType(
        fields=[
            {"code": "a", "label": "必填项", "datatype": "string", "required": True},
            {"code": "b", "label": "选填项", "datatype": "string"},
        ]
    )
    with pytest.raises(ValidationError) as info:
        clean_fields(service, {"a": "  ", "b": ""})
    assert info.value.message_dict == {"fields.a": ["请填写必填项。"]}
    assert clean_fields(service, {"a": "有"}) == {"a": "有"}


def test_staff_cannot_file(client_for, handler):
    assert file(client_for(handler)).status_code == 403
