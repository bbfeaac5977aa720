"""The dashboard's figures read through the request lists' department scope
(services.models.department_scope, the rule of ``ServiceRequest.objects.visible_to``), one
function for the page and the API (services.dashboard.figures_department): a lead's figures
count exactly the requests their lists hold, an admin's every department's.

The world (2026 calendar, "now" Monday 03-16 10:00): four housing requests filed in March
(ZJJ), one of them transferred to the education bureau (JYJ) by the organization department,
one resolved by ZJJ; and a fifth filed on 03-11 that ZJJ passed on to JYJ.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.errors import NotAllowed
from portal.models import Role
from services import dashboard
from services.calendar import calendar_sync
from services.models import ServiceRequest, department_scope
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve, request_transfer
from tests.factories import UserFactory
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=SH)
MARCH = "from=2026-03-01&to=2026-03-16"
PERSONAS = ["talent", "handler", "lead", "jyj_lead", "admin_user", "auditor", "verifier"]


def at(day, hour=10):
    return datetime(2026, 3, day, hour, 0, tzinfo=SH)


@pytest.fixture
def jyj_lead(departments):
    return UserFactory(username="jyj_lead", role=Role.LEAD, department=departments["JYJ"])


@pytest.fixture(autouse=True)
def world(departments, talent, handler, admin_user):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    filed = {}
    for name, day in (("A", 2), ("B", 5), ("C", 9), ("D", 12)):
        with time_machine.travel(at(day), tick=False):
            filed[name] = file_housing(talent)
    with time_machine.travel(at(10), tick=False):
        request_transfer(req=filed["B"], actor=admin_user, department="JYJ", reason="属教育局")
        resolved = request_accept(req=filed["C"], actor=handler)
        request_resolve(req=resolved, actor=handler, note="已配租")
    with time_machine.travel(at(11), tick=False):
        filed["E"] = file_housing(talent)
        request_transfer(req=filed["E"], actor=handler, department="JYJ", reason="属教育局")
    return filed


def open_in_scope(user) -> int:
    return ServiceRequest.objects.visible_to(user).open().count()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_figures_scope_is_the_lists_scope(request, persona):
    user = request.getfixturevalue(persona)
    scope = department_scope(user)
    lists = set(ServiceRequest.objects.visible_to(user))
    if persona == "talent":
        assert scope is None and len(lists) == 5  # their own requests, not a department's
    else:
        assert set(ServiceRequest.objects.in_scope(scope)) == lists
        if scope is not None:
            assert dashboard.visible_count(user) == len(lists)
    if persona in ("talent", "auditor", "verifier", "handler"):
        if scope is None:
            with pytest.raises(NotAllowed):
                dashboard.figures_department(user)
        return
    department = dashboard.figures_department(user)
    assert department == (None if persona == "admin_user" else user.department)


def test_an_admin_reads_every_department_and_a_lead_their_own_on_the_page(
    client, lead, jyj_lead, admin_user
):
    seen = {}
    for person in (lead, jyj_lead, admin_user):
        with time_machine.travel(NOW, tick=False):
            client.force_login(person)
            response = client.get(f"/manage/dashboard/?{MARCH}")
        assert response.status_code == 200
        figures = response.context["figures"]
        rows = response.context["by_department"]
        assert figures["open"] == open_in_scope(person)
        seen[person.username] = (figures["open"], [r["key"] for r in rows if r["total"]])
    # ZJJ holds A and D open (B and E went to JYJ, C is resolved); JYJ holds B and E.
    assert seen["lead"] == (2, ["ZJJ"])
    assert seen["jyj_lead"] == (2, ["JYJ"])
    assert seen[admin_user.username] == (4, ["JYJ", "ZJJ"])


def test_an_admin_reads_every_department_and_a_lead_their_own_through_the_api(
    client_for, lead, jyj_lead, admin_user
):
    for person, keys in ((lead, ["ZJJ"]), (jyj_lead, ["JYJ"]), (admin_user, None)):
        with time_machine.travel(NOW, tick=False):
            body = client_for(person).get(f"/api/v1/sla/summary/?{MARCH}").json()
        rows = {row["key"]: row for row in body["rows"]}
        if keys is None:  # every department, the card reviews too
            assert len(rows) > 2 and body["card_reviews"] is not None
        else:
            assert list(rows) == keys and body["card_reviews"] is None
        assert sum(row["open"] for row in rows.values()) == open_in_scope(person)


def test_the_page_and_the_api_agree(client, client_for, lead, admin_user):
    for person in (lead, admin_user):
        with time_machine.travel(NOW, tick=False):
            client.force_login(person)
            page = client.get(f"/manage/dashboard/?{MARCH}").context["by_department"]
            api = client_for(person).get(f"/api/v1/sla/summary/?{MARCH}").json()["rows"]
        figures = ("total", "resolved", "open", "open_overdue")
        assert [(r["key"], *(r[f] for f in figures)) for r in page] == [
            (r["key"], *(r[f] for f in figures)) for r in api
        ]
