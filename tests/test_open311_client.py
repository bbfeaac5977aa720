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
