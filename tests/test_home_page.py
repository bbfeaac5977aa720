"""The home page lists every active service of the catalogue, each linking to its 办事指南."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services.models import ServiceType
from services.seed import SERVICE_TYPES, seed_service_types

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


def _services_section(html: str) -> str:
    start = html.index("<h2>绿色通道服务</h2>")
    return html[start : html.index("</section>", start)]


def test_every_active_service_links_to_its_guide(client):
    section = _services_section(client.get("/").content.decode())
    links = dict(re.findall(r'<a href="(/services/[A-Z_]+/)">([^<]+)</a>', section))
    assert links == {f"/services/{s['code']}/": s["name"] for s in SERVICE_TYPES}
    assert "区住房和城乡建设局承办" in section and "承诺受理后 15 个工作日内办结" in section
    # Each link leads to the guide page of that service.
    assert client.get("/services/HUKOU/").status_code == 200


def test_a_service_added_or_withdrawn_in_the_catalogue_shows_at_once(client, departments):
    ServiceType.objects.filter(code="MEDICAL").update(is_active=False)
    ServiceType.objects.create(
        code="PARKING",
        name="停车便利",
        guide="……",
        department=departments["ZWJ"],
        eligible_tiers="AB",
        promised_days=3,
    )
    section = _services_section(client.get("/").content.decode())
    assert "医疗保健" not in section and "/services/MEDICAL/" not in section
    assert '<a href="/services/PARKING/">停车便利</a>' in section and "A、B类人才" in section


def test_the_home_page_costs_the_same_whatever_the_catalogue_holds(client, departments):
    with CaptureQueriesContext(connection) as seven:
        client.get("/")
    for n in range(5):
        ServiceType.objects.create(
            code=f"EXTRA{n}",
            name=f"新事项{n}",
            guide="……",
            department=departments["ZWJ"],
            eligible_tiers="D",
            promised_days=3,
        )
    with CaptureQueriesContext(connection) as twelve:
        response = client.get("/")
    assert response.content.decode().count("新事项") == 5
    assert len(twelve) == len(seven)
