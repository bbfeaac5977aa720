"""A demo every department can try (issue 11 item 9): seed_demo opens a handler and a head for
every department and files a handful of requests in different states across departments
through the domain functions, once."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from cards.models import Card, CardApplication
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.models import AuditEvent, Department, Notification, Role, User
from services.models import RequestEvent, RequestStatus, ServiceRequest, ServiceType

pytestmark = pytest.mark.django_db
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)


def _signed_in(api, username):
    client = type(api)()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, username
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_every_department_has_a_handler_and_a_head(seeded):
    for department in Department.objects.all():
        people = User.objects.filter(department=department, username__startswith="demo_")
        staff = people.filter(role=Role.STAFF, is_active=True)
        leads = people.filter(role=Role.LEAD, is_active=True)
        assert staff.count() == 1 and leads.count() == 1, department.code
        for person in (staff.get(), leads.get()):
            assert CHINESE_NAME.match(person.real_name), person.username
    code = "jyj"
    assert User.objects.get(username=f"demo_{code}_staff").department.code == "JYJ"
    assert User.objects.get(username=f"demo_{code}_lead").role == Role.LEAD
    # ZJJ keeps the accounts the README has always named.
    assert User.objects.get(username="demo_staff").department.code == "ZJJ"
    assert User.objects.get(username="demo_lead").department.code == "ZJJ"
    assert not User.objects.filter(username__startswith="demo_zjj_").exists()
    assert User.objects.filter(username="demo_verifier", role=Role.VERIFIER).exists()
    assert User.objects.filter(username="demo_auditor", role=Role.AUDITOR).exists()
    assert User.objects.count() == len(DEMO_ACCOUNTS) == 6 + 2 * 7


def test_requests_in_every_state_across_departments(seeded):
    requests = list(ServiceRequest.objects.select_related("service_type", "department"))
    assert {r.service_type.code for r in requests} == set(
        ServiceType.objects.values_list("code", flat=True)
    )
    assert {r.status for r in requests} >= {
        RequestStatus.SUBMITTED,
        RequestStatus.ACCEPTED,
        RequestStatus.AWAITING_TALENT,
        RequestStatus.RESOLVED,
    }
    assert len({r.department_id for r in requests}) == 6  # every department with a service
    now = timezone.now()
    overdue = [r for r in requests if r.due_at is not None and r.due_at <= now]
    assert len(overdue) == 1
    (late,) = overdue
    assert late.status == RequestStatus.SUBMITTED and late.service_type.code == "HUKOU"
    # Filed days ago, as its number, timeline and stint say.
    assert late.number == f"FW-{timezone.localtime(late.submitted_at):%Y%m%d}-0001"
    assert late.events.get().at == late.submitted_at
    assert late.stints.get().entered_at == late.submitted_at
    # Worked by each department's own demo handler, through the domain (timeline rows).
    for r in requests:
        if r.status != RequestStatus.SUBMITTED:
            assert r.assignee.username.startswith("demo_")
            assert r.assignee.department_id == r.department_id
            assert r.events.filter(action="accepted").exists()
    sensitive = [r for r in requests if r.service_type.sensitivity]
    assert sensitive and all(r.consent_at for r in sensitive)


def test_every_service_can_be_worked_from_the_demo(seeded, api):
    for request_ in ServiceRequest.objects.select_related("department"):
        code = request_.department.code
        staff = "demo_staff" if code == "ZJJ" else f"demo_{code.lower()}_staff"
        listed = _signed_in(api, staff).get("/api/v1/service-requests/").json()
        assert request_.number in [row["number"] for row in listed["results"]], staff
    housing = ServiceRequest.objects.get(service_type__code="HOUSING")
    response = _signed_in(api, "demo_staff").post(
        f"/api/v1/service-requests/{housing.number}/accept/"
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    # The talent has something to answer and something to rate.
    talent = _signed_in(api, "demo_talent")
    mine = {row["status"] for row in talent.get("/api/v1/service-requests/").json()["results"]}
    assert {"awaiting_talent", "resolved"} <= mine


def test_the_overdue_request_is_on_the_supervision_list(seeded, client):
    client.force_login(User.objects.get(username="demo_admin"))
    html = client.get("/manage/supervision/").content.decode()
    late = ServiceRequest.objects.get(service_type__code="HUKOU")
    assert late.number in html


def test_running_it_twice_creates_nothing_new(seeded, settings):
    def counts():
        return [
            model.objects.count()
            for model in (
                User,
                Department,
                Card,
                CardApplication,
                ServiceRequest,
                RequestEvent,
                Notification,
                AuditEvent,
            )
        ]

    first = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == first


def test_a_request_the_demo_has_moved_on_is_not_filed_again(seeded):
    housing = ServiceRequest.objects.get(service_type__code="HOUSING")
    ServiceRequest.objects.filter(pk=housing.pk).update(status=RequestStatus.WITHDRAWN, due_at=None)
    call_command("seed_demo", verbosity=0)
    assert ServiceRequest.objects.filter(service_type__code="HOUSING").count() == 1
