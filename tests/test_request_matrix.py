"""Every action × role × status: allowed (2xx), or 403 / 404 / 409, as API.md says.

Order of the checks, as the API applies them: a role that never touches requests is 403; a
request you cannot see is 404; a role that may not do *this* is 403; the wrong state is 409.
"""

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from portal.models import Department, Role, User
from portal.seed import seed_departments
from services.models import RequestStatus, ServiceRequest
from services.seed import seed_service_types
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db

STATUSES = [s.value for s in RequestStatus]
OPEN = {"submitted", "accepted", "awaiting_talent"}

# action: (body, roles allowed to do it, statuses it is allowed from)
ACTIONS = {
    "accept": ({}, {"handler", "lead"}, {"submitted"}),
    "assign": ({"assignee": "handler"}, {"lead", "admin"}, OPEN),
    "request-info": ({"items": ["补充无房证明"]}, {"handler", "lead", "admin"}, {"accepted"}),
    "supply-info": ({"note": "已补充"}, {"owner"}, {"awaiting_talent"}),
    "resolve": ({"note": "已办结"}, {"handler", "lead", "admin"}, {"accepted"}),
    "reject": ({"reason": "不符合条件"}, {"handler", "lead", "admin"}, OPEN),
    "transfer": (
        {"department": "JYJ", "reason": "应由教育部门办理"},
        {"handler", "lead", "admin"},
        {"submitted", "accepted"},
    ),
    "withdraw": ({}, {"owner"}, OPEN),
    "rate": ({"score": 4}, {"owner"}, {"resolved"}),
    "comments": (
        {"body": "请问进度？"},
        {"owner", "handler", "lead", "admin"},
        OPEN | {"resolved"},
    ),
}
# Who sees the request at all, and who never touches requests.
VISIBLE = {"owner", "handler", "lead", "admin"}
NO_REQUESTS_ROLE = {"auditor", "verifier"}
PERSONAS = [
    "owner",
    "other_talent",
    "handler",
    "other_handler",
    "lead",
    "admin",
    "auditor",
    "verifier",
]


def expected(action: str, persona: str, status: str) -> int:
    _body, roles, statuses = ACTIONS[action]
    if persona in NO_REQUESTS_ROLE:
        return 403
    if persona not in VISIBLE:
        return 404
    if persona not in roles:
        return 403
    if status not in statuses:
        return 409
    return 201 if action == "comments" else 200


CASES = [(a, p) for a in ACTIONS for p in PERSONAS]  # × every status, from ``world``


@pytest.fixture(scope="module", params=STATUSES)
def world(request, django_db_setup, django_db_blocker):
    """Everyone (the people of conftest's fixtures), the catalogue, a card for the owner and
    one request of the owner's in the status ``request.param``: built once for all the tests
    of that status (pytest runs them one after another), in a transaction rolled back after
    them. Each test runs in a savepoint inside it (django_db) that is rolled back after the
    test, so every test starts from exactly this state, as if it had built it itself."""
    status = request.param
    md5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as conftest's autouse fixture
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=md5),
        transaction.atomic(),
    ):
        seed_departments()
        seed_service_types()
        dept = {d.code: d for d in Department.objects.all()}
        people = {
            "owner": TalentFactory(username="talent", real_name="李明", phone="13800002688"),
            "other_talent": TalentFactory(
                username="other_talent", real_name="王五", phone="13800003333"
            ),
            "handler": UserFactory(username="handler", role=Role.STAFF, department=dept["ZJJ"]),
            "other_handler": UserFactory(
                username="other_handler", role=Role.STAFF, department=dept["JYJ"]
            ),
            "lead": UserFactory(username="lead", role=Role.LEAD, department=dept["ZJJ"]),
            "admin": UserFactory(username="admin", role=Role.ADMIN, department=dept["ZZB"]),
            "auditor": UserFactory(username="auditor", role=Role.AUDITOR),
            "verifier": UserFactory(username="verifier", role=Role.VERIFIER),
        }
        give_card(people["owner"])
        req = request_in(status, people["owner"], people["handler"])
        yield SimpleNamespace(
            status=status, number=req.number, people={k: u.pk for k, u in people.items()}
        )
        transaction.set_rollback(True)


@pytest.fixture
def people(world):
    """The world's people, read afresh for each test (nothing one test did to a user object
    reaches the next)."""
    users = User.objects.in_bulk(world.people.values())
    return {name: users[pk] for name, pk in world.people.items()}


@pytest.fixture
def req(world) -> ServiceRequest:
    """The world's request, checked to be as the world built it (the last test's changes were
    rolled back)."""
    req = ServiceRequest.objects.get(number=world.number)
    assert req.status == world.status
    assert ServiceRequest.objects.count() == 1
    return req


@pytest.mark.parametrize(("action", "persona"), CASES)
def test_action_role_status(api, world, people, req, action, persona):
    status = world.status
    api.force_authenticate(people[persona])
    body = ACTIONS[action][0]
    response = api.post(f"/api/v1/service-requests/{req.number}/{action}/", body)
    want = expected(action, persona, status)
    assert response.status_code == want, response.content
    if want == 409:
        assert response.json()["code"] == "invalid_transition"
        assert response.json()["status"] == status


@pytest.mark.parametrize("world", ["accepted"], indirect=True)
@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_a_request(api, people, req, persona):
    api.force_authenticate(people[persona])
    detail = api.get(f"/api/v1/service-requests/{req.number}/")
    listing = api.get("/api/v1/service-requests/")
    if persona in NO_REQUESTS_ROLE:
        assert detail.status_code == listing.status_code == 403
    elif persona in VISIBLE:
        assert detail.status_code == 200 and listing.json()["count"] == 1
    else:
        assert detail.status_code == 404 and listing.json()["count"] == 0
