"""What the talent sees of a request filed for them (代办): the officer named in the page's
language on the timeline, and, before consenting to a sensitive one, the values the officer
recorded."""

import pytest
from django.utils import timezone

from services.seed import seed_service_types
from talents.visits import visit_record
from tests.talents_support import holder, liaison_for, officer

pytestmark = pytest.mark.django_db

MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院"}


@pytest.fixture
def world(departments, admin_user):
    seed_service_types()
    talent, card = holder("B")
    staff = officer(username="zhou")
    staff.real_name = "周专员"
    staff.save(update_fields=["real_name"])
    return talent, staff, liaison_for(card, staff, admin_user)


def test_the_filed_event_names_the_officer_in_english(world, client):
    talent, staff, liaison = world
    visit = visit_record(
        liaison=liaison,
        actor=staff,
        visited_on=timezone.localdate(),
        mode="phone",
        summary="电话了解住房需求。",
        concerns=[{"text": "需要人才公寓", "service_type": "HOUSING", "fields": _housing()}],
    )
    number = visit.concerns.get().request.number
    talent.language = "en"
    talent.save(update_fields=["language"])
    client.force_login(talent)
    html = client.get(f"/requests/{number}/", HTTP_ACCEPT_LANGUAGE="en").content
    page = html.decode()
    assert "Filed on your behalf by your service officer 周专员" in page
    assert "代为提交" not in page


def test_the_talent_sees_what_the_officer_recorded_before_consenting(world, client):
    talent, staff, liaison = world
    visit_record(
        liaison=liaison,
        actor=staff,
        visited_on=timezone.localdate(),
        mode="in_person",
        summary="走访了解体检需求。",
        concerns=[{"text": "希望安排年度体检", "service_type": "MEDICAL", "fields": MEDICAL}],
    )
    client.force_login(talent)
    page = client.get("/talents/liaison/").content.decode()
    section = page.split('id="awaiting"', 1)[1]
    assert "服务专员记录的申请内容" in section
    assert "年度健康体检" in section and "巴州区人民医院" in section


def _housing() -> dict:
    from tests.requests_support import HOUSING

    return dict(HOUSING)
