"""Every action × role × status: allowed (2xx), or 403 / 404 / 409, as API.md says.

Order of the checks, as the API applies them: a role that never touches requests is 403; a
request you cannot see is 404; a role that may not do *this* is 403; the wrong state is 409.
"""

import pytest

from services.models import RequestStatus
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


CASES = [(a, p, s) for a in ACTIONS for p in PERSONAS for s in STATUSES]


@pytest.fixture
def people(
    request, talent, other_talent, handler, other_handler, lead, admin_user, auditor, verifier
):
    give_card(talent)
    return {
        "owner": talent,
        "other_talent": other_talent,
        "handler": handler,
        "other_handler": other_handler,
        "lead": lead,
        "admin": admin_user,
        "auditor": auditor,
        "verifier": verifier,
    }


@pytest.fixture
def catalogue(departments):
    from services.seed import seed_service_types

    seed_service_types()


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("action", "persona", "status"), CASES)
def test_action_role_status(api, people, action, persona, status):
    req = request_in(status, people["owner"], people["handler"])
    api.force_authenticate(people[persona])
    body = ACTIONS[action][0]
    response = api.post(f"/api/v1/service-requests/{req.number}/{action}/", body)
    want = expected(action, persona, status)
    assert response.status_code == want, response.content
    if want == 409:
        assert response.json()["code"] == "invalid_transition"
        assert response.json()["status"] == status


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_a_request(api, people, persona):
    req = request_in("accepted", people["owner"], people["handler"])
    api.force_authenticate(people[persona])
    detail = api.get(f"/api/v1/service-requests/{req.number}/")
    listing = api.get("/api/v1/service-requests/")
    if persona in NO_REQUESTS_ROLE:
        assert detail.status_code == listing.status_code == 403
    elif persona in VISIBLE:
        assert detail.status_code == 200 and listing.json()["count"] == 1
    else:
        assert detail.status_code == 404 and listing.json()["count"] == 0
