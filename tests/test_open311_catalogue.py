"""Open311 GeoReport v2, the public part (issue 17, first slice): discovery, the service list
and each service's definition, in JSON and XML, jurisdiction 511902; and registering a
partner system (``create_partner``: the key printed once, stored as a digest, audited)."""

import io
import json
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command

from open311.keys import digest, partner_for_key
from open311.models import Partner
from portal.models import AuditEvent
from services.models import ServiceType
from services.seed import seed_service_types

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def catalogue(departments):
    seed_service_types()
    return {t.code: t for t in ServiceType.objects.all()}


def test_discovery_names_the_specification_and_formats(client):
    body = client.get(f"{BASE}/discovery.json").json()
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    root = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "application/json",
        "text/xml",
    ]


def test_the_service_list_is_the_active_catalogue(client, catalogue):
    housing = catalogue["HOUSING"]
    housing_off = ServiceType.objects.filter(code="SCHOOL")
    housing_off.update(is_active=False)
    response = client.get(f"{BASE}/services.json", {"jurisdiction_id": "511902"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    services = {s["service_code"]: s for s in response.json()}
    assert "SCHOOL" not in services and set(services) == {
        t.code for t in ServiceType.objects.filter(is_active=True)
    }
    row = services["HOUSING"]
    assert row["service_name"] == housing.name
    assert row["group"] == housing.department.name
    assert row["metadata"] is True and row["type"] == "batch"
    assert row["keywords"] == ",".join(housing.eligible_tiers)
    assert set(row) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }


def test_the_service_list_in_xml_and_in_english(client, catalogue):
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert "HOUSING" in codes
    housing = next(s for s in root.findall("service") if s.findtext("service_code") == "HOUSING")
    assert housing.findtext("metadata") == "true"
    english = client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    by_code = {s["service_code"]: s for s in english}
    assert by_code["HOUSING"]["service_name"] == catalogue["HOUSING"].name_en


def test_a_definition_has_the_typed_fields_as_attributes(client, catalogue):
    housing = catalogue["HOUSING"]
    body = client.get(f"{BASE}/services/HOUSING.json").json()
    assert body["service_code"] == "HOUSING"
    attributes = body["attributes"]
    assert [a["code"] for a in attributes] == [f["code"] for f in housing.fields]
    assert [a["order"] for a in attributes] == list(range(1, len(housing.fields) + 1))
    for attribute, field in zip(attributes, housing.fields, strict=True):
        assert attribute["variable"] is True
        assert attribute["required"] == bool(field.get("required"))
        assert attribute["description"] == field["label"]
        expected = {
            "string": "string",
            "text": "text",
            "number": "number",
            "date": "datetime",
            "boolean": "singlevaluelist",
            "singlevaluelist": "singlevaluelist",
            "multivaluelist": "multivaluelist",
        }[field["datatype"]]
        assert attribute["datatype"] == expected
        if field["datatype"] == "singlevaluelist":
            assert [v["key"] for v in attribute["values"]] == field["values"]
        if field["datatype"] == "boolean":
            assert [v["key"] for v in attribute["values"]] == ["true", "false"]
    root = ET.fromstring(client.get(f"{BASE}/services/HOUSING.xml").content)
    assert root.tag == "service_definition"
    assert len(root.findall("attributes/attribute")) == len(housing.fields)


def test_errors_follow_the_open311_format(client, catalogue):
    response = client.get(f"{BASE}/services/NOPE.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "服务事项不存在或已停止受理。"}]
    response = client.get(f"{BASE}/services.xml", {"jurisdiction_id": "510000"})
    assert response.status_code == 404
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert client.get(f"{BASE}/services.csv").status_code == 404
    assert client.post(f"{BASE}/services.json").status_code == 405


def test_create_partner_prints_the_key_once_and_keeps_a_digest():
    out = io.StringIO()
    call_command("create_partner", "四川省一体化政务服务平台", "--scope", "file", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    partner = Partner.objects.get()
    assert partner.scope == "file" and partner.key_digest == digest(key)
    assert key.startswith(partner.key_prefix) and key not in json.dumps(
        list(Partner.objects.values()), default=str
    )
    assert partner_for_key(key) == partner
    assert partner_for_key(key + "x") is None
    event = AuditEvent.objects.get(action="partner.create")
    assert key not in json.dumps(event.detail) and event.detail["scope"] == "file"
    partner.revoked_at = partner.created_at
    partner.save(update_fields=["revoked_at"])
    assert partner_for_key(key) is None
    with pytest.raises(Exception, match="已登记"):
        call_command("create_partner", "四川省一体化政务服务平台", stdout=io.StringIO())
