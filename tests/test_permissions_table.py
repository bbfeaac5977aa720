"""One table of who may do what (services.permissions): for every request status, every kind
of person and every verb, what the table says (and so what the pages offer) is exactly what
the domain function then does — it succeeds when allowed, refuses with 403 or 409 when not."""

import pytest
from django.db import transaction

from portal.errors import InvalidTransition, NotAllowed
from portal.models import Role
from services import permissions
from services.calendar import calendar_sync
from services.conversation import request_comment
from services.feedback import request_rate
from services.models import RequestStatus
from services.seed import seed_service_types
from services.views.handling import allowed_actions
from services.workflow import (
    request_accept,
    request_ask_info,
    request_assign,
    request_reject,
    request_resolve,
    request_supply_info,
    request_transfer,
    request_withdraw,
)
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db

VERBS = {
    "accept": lambda req, who: request_accept(req=req, actor=who),
    "assign": lambda req, who: request_assign(req=req, actor=who, assignee="zjj_staff"),
    "request_info": lambda req, who: request_ask_info(req=req, actor=who, items=["补充证明"]),
    "supply_info": lambda req, who: request_supply_info(req=req, actor=who, note="已补充"),
    "resolve": lambda req, who: request_resolve(req=req, actor=who, note="已办结"),
    "reject": lambda req, who: request_reject(req=req, actor=who, reason="不符合条件"),
    "transfer": lambda req, who: request_transfer(
        req=req, actor=who, department="ZWJ", reason="误派"
    ),
    "withdraw": lambda req, who: request_withdraw(req=req, actor=who),
    "comment": lambda req, who: request_comment(req=req, actor=who, body="请问进度"),
    "rate": lambda req, who: request_rate(req=req, actor=who, score=5),
}
STATUSES = [s.value for s in RequestStatus]


class _Undo(Exception):
    pass


def done(action) -> bool:
    """Whether the domain function succeeded; everything it wrote is rolled back."""
    try:
        with transaction.atomic():
            action()
            raise _Undo
    except _Undo:
        return True
    except (NotAllowed, InvalidTransition):
        return False


@pytest.fixture
def world(departments):
    seed_service_types()
    calendar_sync(year=2026)
    owner = TalentFactory(username="owner")
    give_card(owner)
    staff = UserFactory(username="zjj_staff", role=Role.STAFF, department=departments["ZJJ"])
    people = {
        "owner": owner,
        "other_talent": TalentFactory(username="other"),
        "staff": staff,
        "lead": UserFactory(username="zjj_lead", role=Role.LEAD, department=departments["ZJJ"]),
        "other_staff": UserFactory(
            username="zwj_staff", role=Role.STAFF, department=departments["ZWJ"]
        ),
        "admin": UserFactory(username="zzb", role=Role.ADMIN),
        "auditor": UserFactory(username="aud", role=Role.AUDITOR),
    }
    requests = {status: request_in(status, owner, staff) for status in STATUSES}
    return people, requests


def test_the_table_is_what_the_domain_does(world):
    people, requests = world
    disagreements = []
    for status, req in requests.items():
        assert req.status == status
        for name, person in people.items():
            for verb, action in VERBS.items():
                said = permissions.allowed(person, verb, req)
                did = done(lambda a=action, p=person, r=req: a(r, p))
                if said != did:
                    disagreements.append((status, name, verb, said, did))
    assert disagreements == []


def test_the_handling_page_offers_what_the_table_allows(world):
    people, requests = world
    for req in requests.values():
        for person in people.values():
            offered = allowed_actions(person, req, None)
            for verb in ("accept", "assign", "request_info", "resolve", "reject", "transfer"):
                assert offered[verb] == permissions.allowed(person, verb, req)


def test_a_few_rows_of_the_table(world):
    people, requests = world
    submitted, accepted = requests["submitted"], requests["accepted"]
    # Only the department accepts; the organization department handles but does not accept.
    assert permissions.allowed(people["staff"], "accept", submitted)
    assert not permissions.allowed(people["admin"], "accept", submitted)
    assert permissions.allowed(people["admin"], "transfer", accepted)
    assert not permissions.allowed(people["other_staff"], "transfer", accepted)
    # Assigning is for the department's lead and admins, not its staff.
    assert permissions.allowed(people["lead"], "assign", accepted)
    assert not permissions.allowed(people["staff"], "assign", accepted)
    assert not permissions.allowed(people["auditor"], "comment", accepted)
    with pytest.raises(InvalidTransition, match="不能办结"):
        permissions.require(people["staff"], "resolve", submitted)
    with pytest.raises(NotAllowed, match="只有申请人可以撤回申请"):
        permissions.require(people["staff"], "withdraw", submitted)


# --- the rows that were hand-written role checks in pages, templates and the API ------------
def test_the_rows_pages_used_to_decide_by_role(world):
    people, requests = world
    submitted, accepted = requests["submitted"], requests["accepted"]
    waiting = requests["awaiting_talent"]
    # Internal notes and the follow-up: the handling side, never the talent.
    assert [n for n, p in people.items() if permissions.allowed(p, "see_internal", accepted)] == [
        "staff",
        "lead",
        "admin",
    ]
    # Transferring from the 督办 list: the organization department only, in the transfer's
    # states; a lead transfers from the desk.
    assert permissions.allowed(people["admin"], "supervise_transfer", submitted)
    assert permissions.allowed(people["lead"], "transfer", submitted)
    with pytest.raises(NotAllowed, match="部门负责人请在办件工作台转办"):
        permissions.require(people["lead"], "supervise_transfer", submitted)
    with pytest.raises(InvalidTransition, match="申请当前为“待补正”状态，不能转办"):
        permissions.require(people["admin"], "supervise_transfer", waiting)
    # Filing: a talent (the card and its tier are the domain's checks).
    housing = accepted.service_type
    assert [n for n, p in people.items() if permissions.allowed(p, "file", housing)] == [
        "owner",
        "other_talent",
    ]


@pytest.mark.parametrize("persona", ["staff", "admin", "auditor"])
def test_filing_is_refused_with_the_tables_reason(world, persona):
    from services.filing import request_file

    people, _ = world
    with pytest.raises(NotAllowed) as refused:
        request_file(talent=people[persona], service_type="HOUSING", fields={})
    assert refused.value.detail == permissions.RULES["file"].denied


def test_the_talents_page_offers_what_the_table_allows(world, client):
    people, requests = world
    owner = people["owner"]
    client.force_login(owner)
    for status, req in requests.items():
        context = client.get(f"/requests/{req.number}/").context
        for flag, verb in [
            ("can_comment", "comment"),
            ("can_attach", "attach"),
            ("can_supply", "supply_info"),
            ("can_withdraw", "withdraw"),
            ("can_rate", "rate"),
        ]:
            assert context[flag] == permissions.allowed(owner, verb, req), (status, flag)


def test_the_catalogue_offers_filing_to_whom_the_table_allows(world, client):
    people, _ = world
    assert "我要申请" in client.get("/services/").content.decode()  # visitors: sign in first
    for name, person in people.items():
        client.force_login(person)
        catalogue = client.get("/services/").content.decode()
        guide = client.get("/services/HOUSING/").content.decode()
        offered = name in ("owner", "other_talent")
        assert ("我要申请" in catalogue) == offered, name
        assert ("我要申请" in guide) == offered, name


def test_internal_notes_and_the_follow_up_reach_whom_the_table_allows(world, client, client_for):
    people, requests = world
    req = requests["resolved"]
    request_comment(req=req, actor=people["staff"], body="内部：已电话核实", internal=True)
    request_rate(req=req, actor=people["owner"], score=1, comment="太慢")
    for name in ("owner", "staff", "lead", "admin"):
        person = people[name]
        shown = permissions.allowed(person, "see_internal", req)
        assert shown == (name != "owner")
        body = client_for(person).get(f"/api/v1/service-requests/{req.number}/").json()
        assert any(c["internal"] for c in body["comments"]) == shown, name
        assert (body["followup"] is not None) == shown, name
        client.force_login(person)
        page = "/requests/" if name == "owner" else "/desk/requests/"
        if name == "admin":
            page = "/manage/requests/"
        html = client.get(f"{page}{req.number}/").content.decode()
        assert ("内部：已电话核实" in html) == shown, name


@pytest.mark.parametrize("persona", ["owner", "staff"])
def test_closing_a_follow_up_through_the_api_is_refused_with_the_tables_reason(
    world, client_for, persona
):
    people, requests = world
    req = requests["resolved"]
    request_rate(req=req, actor=people["owner"], score=1)
    response = client_for(people[persona]).post(
        f"/api/v1/service-requests/{req.number}/followup/close/", {"note": "已回访"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == permissions.FOLLOWUP_RULES["close"].denied
    done = client_for(people["lead"]).post(
        f"/api/v1/service-requests/{req.number}/followup/close/", {"note": "已回访"}, format="json"
    )
    assert done.status_code == 200


def test_only_talents_apply_for_their_own_card(
    criteria, client_for, talent, other_talent, admin_user
):
    from cards.applications import application_create
    from cards.permissions import APPLICATIONS

    assert APPLICATIONS.allowed(talent, "create", talent)
    assert not APPLICATIONS.allowed(talent, "create", other_talent)
    assert not APPLICATIONS.allowed(admin_user, "create", admin_user)
    response = client_for(admin_user).post(
        "/api/v1/card-applications/", {"criteria": ["D02"]}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == APPLICATIONS.rules["create"].denied
    with pytest.raises(NotAllowed, match="只有人才账户可以申请优才卡"):
        application_create(talent=admin_user, criteria=["D02"])
    assert (
        client_for(talent)
        .post("/api/v1/card-applications/", {"criteria": ["D02"]}, format="json")
        .status_code
        == 201
    )
