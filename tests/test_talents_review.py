"""Findings of the talents review, each pinned by a test that failed before its fix.

The world (people, clients, the card and its liaison) is tests/test_talents_api.py's.
"""

import pytest

from services.models import ServiceRequest
from services.seed import seed_service_types
from talents.actions import LiaisonStep
from talents.models import Concern, LiaisonEvent
from tests import test_talents_api as world
from tests.requests_support import HOUSING

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("departments")]
_clock = world._clock
people = world.people
as_ = world.as_
card = world.card
liaison = world.liaison
call = world.call


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def noted_and_filed(as_, liaison):
    """A visit with a concern noted (no service type) and one filed for the talent."""
    body = {
        "card_number": liaison.card.number,
        "visited_on": "2026-12-04",
        "mode": "in_person",
        "summary": "到单位走访。",
        "concerns": [
            {"text": "希望园区增开通勤班车。"},
            {"text": "需要人才公寓。", "service_type": "HOUSING", "fields": HOUSING},
        ],
    }
    return call(as_("officer"), "post", "/api/v1/visits/", body, status=201)["concerns"]


# --- confirm without consent on a concern that waits for none: 409, not a 500 -----------------
@pytest.mark.parametrize(("index", "state"), [(0, "noted"), (1, "filed")])
def test_confirming_a_concern_not_awaiting_consent_is_a_409_whatever_the_body(
    as_, noted_and_filed, index, state
):
    concern = noted_and_filed[index]
    for body in ({}, {"consent": False}, {"consent": True}):
        answer = call(
            as_("owner"), "post", f"/api/v1/concerns/{concern['id']}/confirm/", body, status=409
        )
        assert answer["status"] == state
    assert Concern.objects.get(pk=concern["id"]).status == state
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize("index", [0, 1])
def test_confirming_on_the_page_a_concern_not_awaiting_consent_says_why(
    people, client, noted_and_filed, index
):
    client.force_login(people["owner"])
    concern = noted_and_filed[index]
    response = client.post(f"/talents/concerns/{concern['id']}/confirm/", {})
    assert response.status_code == 302 and response["Location"] == "/talents/liaison/"
    assert Concern.objects.get(pk=concern["id"]).status == concern["status"]
    assert ServiceRequest.objects.count() == 1


# --- a concern's form values are kept only while it awaits the talent's consent -----------------
MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院"}


@pytest.fixture
def medical_and_housing(as_, liaison):
    body = {
        "card_number": liaison.card.number,
        "visited_on": "2026-12-04",
        "mode": "phone",
        "summary": "电话了解情况。",
        "concerns": [
            {"text": "需要人才公寓。", "service_type": "HOUSING", "fields": HOUSING},
            {"text": "希望安排年度体检。", "service_type": "MEDICAL", "fields": MEDICAL},
            {"text": "孩子体检。", "service_type": "MEDICAL", "fields": MEDICAL},
        ],
    }
    return call(as_("officer"), "post", "/api/v1/visits/", body, status=201)["concerns"]


def test_a_filed_concern_keeps_no_copy_of_the_requests_fields(medical_and_housing):
    filed = Concern.objects.get(pk=medical_and_housing[0]["id"])
    assert filed.status == "filed" and filed.fields == {}
    assert filed.request.fields["family_size"] == HOUSING["family_size"]
    waiting = Concern.objects.get(pk=medical_and_housing[1]["id"])
    assert waiting.status == "awaiting_consent" and waiting.fields == MEDICAL


def test_confirmed_or_declined_the_sensitive_fields_leave_the_concern(as_, medical_and_housing):
    confirmed, declined = medical_and_housing[1]["id"], medical_and_housing[2]["id"]
    call(as_("owner"), "post", f"/api/v1/concerns/{confirmed}/confirm/", {"consent": True})
    call(as_("owner"), "post", f"/api/v1/concerns/{declined}/decline/", {})
    confirmed, declined = Concern.objects.get(pk=confirmed), Concern.objects.get(pk=declined)
    assert confirmed.status == "filed" and confirmed.fields == {}
    assert confirmed.request.fields["hospital"] == MEDICAL["hospital"]
    assert declined.status == "declined" and declined.fields == {}


# --- a concern's steps are on its liaison's timeline --------------------------------------------
def test_each_step_of_a_concern_is_an_event_of_its_liaison(
    as_, people, client, liaison, noted_and_filed, medical_and_housing
):
    noted = noted_and_filed[0]["id"]
    confirmed, declined = medical_and_housing[1]["id"], medical_and_housing[2]["id"]
    before = LiaisonEvent.objects.filter(liaison=liaison).count()
    call(as_("owner"), "post", f"/api/v1/concerns/{confirmed}/confirm/", {"consent": True})
    call(as_("owner"), "post", f"/api/v1/concerns/{declined}/decline/", {})
    call(as_("officer"), "post", f"/api/v1/concerns/{noted}/resolve/", {"resolution": "已协调。"})
    number = Concern.objects.get(pk=confirmed).request.number
    steps = list(
        LiaisonEvent.objects.filter(liaison=liaison)
        .order_by("id")
        .values_list("action", "actor", "note")[before:]
    )
    assert steps == [
        (LiaisonStep.CONCERN_FILED, people["owner"].pk, f"走访诉求 #{confirmed}：{number}"),
        (LiaisonStep.CONCERN_DECLINED, people["owner"].pk, f"走访诉求 #{declined}"),
        (LiaisonStep.CONCERN_RESOLVED, people["officer"].pk, f"走访诉求 #{noted}"),
    ]
    # Refused steps write none.
    call(as_("owner"), "post", f"/api/v1/concerns/{declined}/decline/", {}, status=409)
    assert LiaisonEvent.objects.filter(liaison=liaison).count() == before + 3
    # The officer's page shows them, the talent as 申请人.
    client.force_login(people["officer"])
    html = client.get(f"/talents/liaisons/{liaison.card.number}/").content.decode()
    assert f"走访诉求 #{declined}" in html and "本人未同意代办" in html
    assert people["owner"].real_name not in html


# --- no Celery task of the talents layer that nothing runs ----------------------------------------
def test_every_talents_task_is_scheduled_or_enqueued():
    import re
    from pathlib import Path

    from celery import current_app
    from django.conf import settings

    import talents.tasks  # noqa: F401 - registers the layer's tasks

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    source = "\n".join(
        path.read_text()
        for app in ("portal", "cards", "services", "subsidies", "talents")
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py")
    )
    tasks = {name: task for name, task in current_app.tasks.items() if name.startswith("talents.")}
    assert tasks
    idle = [
        name
        for name, task in tasks.items()
        if name not in scheduled
        and not re.search(rf"\b{task.__name__}\.(delay|apply_async|s|si)\(", source)
    ]
    assert idle == []
