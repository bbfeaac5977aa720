"""The green-channel catalogue as data (API.md: GET /api/v1/service-types/)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from services.models import ServiceType
from services.models.catalogue import check_field_definitions
from services.seed import seed_service_types

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(departments):
    seed_service_types()
    return {s.code: s for s in ServiceType.objects.all()}


def test_the_catalogue_lists_the_seven_seed_services(api, catalogue):
    response = api.get("/api/v1/service-types/")
    assert response.status_code == 200
    types = {t["code"]: t for t in response.json()}
    assert set(types) == {
        "SCHOOL",
        "HOUSING",
        "MEDICAL",
        "SPOUSE_JOB",
        "SUBSIDY",
        "GOV_AGENT",
        "HUKOU",
    }
    school = types["SCHOOL"]
    assert set(school) == {
        "code", "name", "name_en", "guide", "guide_en", "department", "eligible_tiers",
        "materials", "fields", "sensitivity", "accept_days", "promised_days", "legal_days",
        "contact_phone", "address",
    }  # fmt: skip
    assert school["department"] == {
        "code": "JYJ", "name": "区教育科技局",
        "name_en": "District Bureau of Education, Science and Technology",
    }  # fmt: skip
    assert school["eligible_tiers"] == ["A", "B", "C", "D"] and school["sensitivity"] == "minor"
    assert (school["accept_days"], school["promised_days"]) == (1, 10)
    assert types["MEDICAL"]["eligible_tiers"] == ["A", "B", "C"]
    assert types["MEDICAL"]["sensitivity"] == "medical"
    for service in types.values():
        assert service["materials"] and all(
            {"name", "required"} <= set(m) for m in service["materials"]
        )
        check_field_definitions(service["fields"])
        # 办事指南: whom to call and where to go, for every seed service.
        assert service["contact_phone"].startswith("0827-")
        assert "巴州" in service["address"]
    assert types["HUKOU"]["contact_phone"] == "0827-5238110"


def test_the_guide_page_shows_the_phone_and_the_address(client, catalogue):
    school = catalogue["SCHOOL"]
    page = client.get("/services/SCHOOL/").content.decode()
    assert "咨询电话" in page and "办理地点" in page
    assert f'<a href="tel:08275267016">{school.contact_phone}</a>' in page
    assert school.address in page
    # An admin's own entry is shown as entered; none at all reads "—", not an empty line.
    ServiceType.objects.filter(code="SCHOOL").update(contact_phone="", address="")
    page = client.get("/services/SCHOOL/").content.decode()
    assert (
        '<dd class="contact-phone">—</dd>' in page and '<dd class="service-address">—</dd>' in page
    )


def test_a_database_seeded_before_the_contacts_gets_them_once(catalogue):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("services.migrations.0010_servicetype_contact_and_address")
    ServiceType.objects.update(contact_phone="", address="")
    ServiceType.objects.filter(code="HOUSING").update(contact_phone="0827-1234567")
    migration.fill_seed_contacts(apps, None)
    rows = {s.code: s for s in ServiceType.objects.all()}
    assert rows["SCHOOL"].contact_phone == "0827-5267016" and rows["SCHOOL"].address
    assert rows["HOUSING"].contact_phone == "0827-1234567"  # the admin's entry is kept
    assert rows["HOUSING"].address.startswith("巴中市巴州区政务服务中心")


def test_services_for_a_tier(catalogue):
    from cards.hooks import services_for_tier

    assert "医疗保健（体检/就医绿色通道/家庭医生）" in services_for_tier("C")
    assert "医疗保健（体检/就医绿色通道/家庭医生）" not in services_for_tier("D")
    assert "配偶就业" not in services_for_tier("D")
    assert len(services_for_tier("A")) == 7


def test_deactivating_a_department_withdraws_its_services(api, catalogue, departments):
    rsj = departments["RSJ"]
    rsj.is_active = False
    rsj.save()
    codes = {t["code"] for t in api.get("/api/v1/service-types/").json()}
    assert "SPOUSE_JOB" not in codes and "SUBSIDY" not in codes and "HOUSING" in codes
    service = ServiceType.objects.get(code="SUBSIDY")
    assert not service.is_active
    service.is_active = True
    with pytest.raises(ValidationError):
        service.save()


def test_the_database_refuses_invalid_tiers_and_time_limits(catalogue):
    for bad, rule in (
        ({"eligible_tiers": "XYZ"}, "servicetype_tiers_valid"),
        ({"eligible_tiers": ""}, "servicetype_tiers_valid"),
        ({"promised_days": 0}, "servicetype_days_positive"),
        ({"legal_days": 3, "promised_days": 10}, "servicetype_promise_within_legal_limit"),
    ):
        with pytest.raises(IntegrityError, match=rule), transaction.atomic():
            ServiceType.objects.filter(code="HOUSING").update(**bad)


@pytest.mark.parametrize(
    "definitions",
    [
        "not a list",
        [{"code": "Bad Code", "label": "x", "datatype": "string"}],
        [
            {"code": "a", "label": "x", "datatype": "string"},
            {"code": "a", "label": "y", "datatype": "string"},
        ],
        [{"code": "a", "label": "", "datatype": "string"}],
        [{"code": "a", "label": "x", "datatype": "colour"}],
        [{"code": "a", "label": "x", "datatype": "singlevaluelist", "values": []}],
    ],
)
def test_field_definitions_are_checked(definitions):
    with pytest.raises(ValidationError):
        check_field_definitions(definitions)
