"""Open311 after review: odd input answers in the Open311 error format (never a 500), a
partner cannot tell card numbers or tiers apart by the errors, GeoReport's comma lists and
jurisdiction checks, datetimes read in Bazhou's time zone, keys redacted however encoded."""

import logging

import pytest

from open311.keys import partner_create
from open311.logging import RedactKeys
from open311.models import FiledRequest
from open311.requests import NO_CARD
from services.models import ServiceRequest, ServiceType
from services.seed import seed_service_types
from tests.factories import TalentFactory
from tests.requests_support import give_card

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
FORM = {
    "service_code": "HOUSING",
    "attribute[family_size]": "3",
    "attribute[room_type]": "两室一厅",
    "attribute[move_in_date]": "2026-12-19T16:00:00Z",
    "attribute[current_housing]": "租房",
    "attribute[no_own_house]": "true",
    "description": "希望尽快入住",
}


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def key():
    return partner_create(name="巴州区小程序", scope="file")[1]


def post(client, key, **form):
    return client.post(f"{BASE}/requests.json", {**FORM, "api_key": key, **form})


def descriptions(response) -> list[str]:
    return [e["description"] for e in response.json()]


@pytest.mark.parametrize(
    "query",
    [{"end_date": "0001-01-01T00:00:00"}, {"start_date": "9999-12-31T00:00:00"}],
)
def test_dates_out_of_range_are_a_400_not_a_500(client, key, query):
    response = client.get(f"{BASE}/requests.json", {"api_key": key, **query})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_status_takes_geo_reports_comma_list(client, key, talent):
    card = give_card(talent, tier="C")
    assert post(client, key, account_id=card.number).status_code == 200
    both = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "open,closed"})
    assert both.status_code == 200 and len(both.json()) == 1
    closed = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "closed"})
    assert closed.json() == []
    wrong = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "open,lost"})
    assert wrong.status_code == 400


def test_a_wrong_jurisdiction_files_nothing_and_reads_nothing(client, key, talent):
    card = give_card(talent, tier="C")
    response = post(client, key, account_id=card.number, jurisdiction_id="999")
    assert response.status_code == 404 and not ServiceRequest.objects.exists()
    assert post(client, key, account_id=card.number).status_code == 200
    number = FiledRequest.objects.get().request.number
    one = client.get(f"{BASE}/requests/{number}.json", {"api_key": key, "jurisdiction_id": "999"})
    assert one.status_code == 404


def test_a_utc_datetime_is_the_date_in_bazhou(client, key, talent):
    card = give_card(talent, tier="C")
    assert post(client, key, account_id=card.number).status_code == 200
    # 2026-12-19T16:00:00Z is 2026-12-20 00:00 in Bazhou.
    assert ServiceRequest.objects.get().fields["move_in_date"] == "2026-12-20"


def test_nul_characters_are_refused(client, key, talent):
    card = give_card(talent, tier="C")
    response = post(client, key, account_id=card.number, description="a\x00b")
    assert response.status_code == 400 and not ServiceRequest.objects.exists()


def test_errors_do_not_tell_a_live_card_from_an_unknown_one(client, key, talent):
    card = give_card(talent, tier="D")
    # An incomplete form: the same attribute errors whether or not the card exists.
    live = post(client, key, account_id=card.number, **{"attribute[family_size]": ""})
    unknown = post(client, key, account_id="BZYC-2026-999999", **{"attribute[family_size]": ""})
    assert live.status_code == unknown.status_code == 400
    assert descriptions(live) == descriptions(unknown)
    # A card of a tier the service is not for answers like an unknown card.
    ServiceType.objects.filter(code="HOUSING").update(eligible_tiers="ABC")
    wrong_tier = post(client, key, account_id=card.number)
    unknown = post(client, key, account_id="BZYC-2026-999999")
    assert descriptions(wrong_tier) == descriptions(unknown) == [str(NO_CARD)]
    other = give_card(TalentFactory(), tier="C")
    assert post(client, key, account_id=other.number).status_code == 200


def test_a_percent_encoded_key_name_is_redacted_too():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"GET %s HTTP/1.1" 200',
        ("/x?api%5Fkey=o311_abc",),
        None,
    )
    RedactKeys().filter(record)
    assert "o311_abc" not in record.getMessage()
