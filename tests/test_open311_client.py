"""A standard Open311 GeoReport v2 client (the ``georeport`` package from PyPI) reads the
portal through a live server, in JSON and in XML, as a partner system would: the service list
and each definition (issue 17, point 5)."""

import pytest
from georeport import GeoReport

from services.models import ServiceType
from services.seed import seed_service_types

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portal(live_server, departments):
    seed_service_types()
    return f"{live_server.url}/open311/v2/"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_client_reads_the_catalogue(portal, fmt):
    client = GeoReport(portal, jurisdiction="511902", output_format=fmt)
    services = client.get_service_list()
    active = set(ServiceType.objects.filter(is_active=True).values_list("code", flat=True))
    assert {s["service_code"] for s in services} == active
    housing = next(s for s in services if s["service_code"] == "HOUSING")
    # XML reads every value as text: the same answer, typed by the format.
    assert str(housing["metadata"]).lower() == "true"
    definition = client.get_service_definition("HOUSING")
    fields = ServiceType.objects.get(code="HOUSING").fields
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == [f["code"] for f in fields]


def test_a_wrong_jurisdiction_is_an_error_for_the_client(portal):
    import requests

    client = GeoReport(portal, jurisdiction="510000")
    with pytest.raises(requests.HTTPError) as caught:
        client.get_service_list()
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()[0]["code"] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_client_follows_a_request_its_partner_filed(portal, fmt, talent, monkeypatch):
    """The partner files over raw HTTP (the client has no POST), then follows the request with
    the client. The client sends no key of its own: the partner adds its key to every call."""
    import georeport.georeport as module
    import requests

    from open311.keys import partner_create
    from tests.requests_support import HOUSING, give_card

    card = give_card(talent, tier="C")
    _partner, key = partner_create(name="巴州区小程序", scope="file")
    form = {
        "api_key": key,
        "service_code": "HOUSING",
        "account_id": card.number,
        "description": "需要两室一厅",
        **{f"attribute[{k}]": str(v).lower() if v is True else str(v) for k, v in HOUSING.items()},
    }
    filed = requests.post(f"{portal}requests.json", data=form, timeout=10)
    assert filed.status_code == 200, filed.text
    number = filed.json()[0]["service_request_id"]

    real_get = requests.get

    def with_key(url, params=None, **kwargs):
        return real_get(url, params={**(params or {}), "api_key": key}, timeout=10, **kwargs)

    monkeypatch.setattr(module.requests, "get", with_key)
    client = GeoReport(portal, jurisdiction="511902", output_format=fmt)
    listed = client.get_service_requests(status="open")
    if fmt == "xml":
        listed = [listed] if isinstance(listed, dict) else listed
    assert [r["service_request_id"] for r in listed] == [number]
    one = client.get_service_request(number)
    assert one["service_code"] == "HOUSING" and one["status"] == "open"
    assert talent.real_name not in str(listed) + str(one)
