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
