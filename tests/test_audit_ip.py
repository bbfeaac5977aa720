"""Domain functions take the caller's address (``ip=``), not the HTTP request: the pages and
the API views pass ``portal.audit.client_ip(request)``, the domain functions pass it on to
``audit_record``. Through HTTP, every layer's audit rows still carry the client's address, and
behind a proxy the address ``NUM_PROXIES`` trusts."""

import inspect

import pytest

from cards import applications, issuance, qr
from cards.models import Card
from portal import accounts, audit, signin
from portal.models import AuditEvent
from services import calendar, conversation, exports, feedback, filing, workflow
from services.calendar import calendar_sync
from services.seed import seed_service_types
from tests.cards_support import approved
from tests.factories import PASSWORD
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db

TALENT_IP, STAFF_IP, ADMIN_IP = "203.0.113.7", "198.51.100.20", "2001:db8::5"


def ips(action) -> set:
    rows = AuditEvent.objects.filter(action=action)
    assert rows.exists(), f"no {action} row"
    return set(rows.values_list("ip", flat=True))


def test_no_domain_function_takes_the_http_request():
    modules = [applications, issuance, filing, workflow, feedback, conversation, calendar]
    modules += [exports, accounts, signin, qr]
    for module in modules:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            parameters = inspect.signature(function).parameters
            assert "request" not in parameters, f"{module.__name__}.{name}"
    assert "request" not in inspect.signature(audit.audit_record).parameters


def test_the_api_writes_the_callers_address(criteria, departments, client_for, talent, handler):
    from portal.models import Role
    from tests.factories import TalentFactory, UserFactory

    seed_service_types()
    calendar_sync(year=2026)
    admin = UserFactory(username="zzb_ip", role=Role.ADMIN)
    talent_api, admin_api, staff_api = client_for(talent), client_for(admin), client_for(handler)
    talent_api.defaults["REMOTE_ADDR"] = TALENT_IP
    admin_api.defaults["REMOTE_ADDR"] = ADMIN_IP
    staff_api.defaults["REMOTE_ADDR"] = STAFF_IP

    # Cards: the application from draft to approval, and the card it issues.
    approved(talent_api, admin_api)
    for action in ("card_application.create", "card_application.document_add"):
        assert ips(action) == {TALENT_IP}
    assert ips("card_application.submitted") == {TALENT_IP}
    assert ips("card_application.approve") == {ADMIN_IP}
    assert ips("card.issue") == {ADMIN_IP}

    # Requests: filed by a card holder, worked by the department.
    holder = TalentFactory(username="holder_ip")
    issuance.card_issue(holder=holder, tier="C", actor=admin)  # the sequence's next number
    holder_api = client_for(holder)
    holder_api.defaults["REMOTE_ADDR"] = TALENT_IP
    filed = holder_api.post(
        "/api/v1/service-requests/",
        {"service_type": "HOUSING", "fields": dict(HOUSING)},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    number = filed.json()["number"]
    assert staff_api.post(f"/api/v1/service-requests/{number}/accept/").status_code == 200
    comment = staff_api.post(
        f"/api/v1/service-requests/{number}/comments/",
        {"body": "请补充材料", "internal": False},
        format="json",
    )
    assert comment.status_code == 201, comment.content
    assert ips("service_request.file") == {TALENT_IP}
    assert ips("service_request.accept") == {STAFF_IP}
    assert ips("service_request.comment") == {STAFF_IP}

    # The calendar: a day corrected through the API.
    day = admin_api.put(
        "/api/v1/calendar/2026-12-07/", {"is_workday": False, "note": "测试"}, format="json"
    )
    assert day.status_code == 200, day.content
    assert ips("calendar.change") == {ADMIN_IP}


def test_the_pages_write_the_callers_address(client, departments, talent, handler, admin_user):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    # Signing in (portal.signin) and a request filed from its page.
    signed = client.post(
        "/accounts/login/",
        {"username": talent.username, "password": PASSWORD},
        REMOTE_ADDR=TALENT_IP,
    )
    assert signed.status_code == 302
    assert ips("auth.login") == {TALENT_IP}
    req = filing.request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING))
    # The desk's handling page.
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    assert client.post(url + "accept/", REMOTE_ADDR=STAFF_IP).status_code == 302
    assert ips("service_request.accept") == {STAFF_IP}
    # The organization department's card page.
    card = Card.objects.get(holder=talent)
    client.force_login(admin_user)
    suspended = client.post(
        f"/manage/cards/{card.number}/suspend/", {"suspend-reason": "核查中"}, REMOTE_ADDR=ADMIN_IP
    )
    assert suspended.status_code == 302
    assert ips("card.suspended") == {ADMIN_IP}


def test_behind_a_proxy_the_trusted_hop_is_written(client, settings, talent):
    settings.NUM_PROXIES = 1
    client.post(
        "/accounts/login/",
        {"username": talent.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.99",
    )
    assert ips("auth.login") == {"203.0.113.99"}


def test_registering_writes_the_callers_address(api):
    body = {
        "username": "liming",
        "password": "Bazhou#Talent9",
        "real_name": "李明",
        "id_type": "resident",
        "id_number": "511902198803150029",
        "phone": "13800002688",
        "consent": True,
    }
    response = api.post("/api/v1/auth/register/", body, REMOTE_ADDR=TALENT_IP)
    assert response.status_code == 201, response.content
    assert ips("account.register") == {TALENT_IP}


VERIFIER_IP = "192.0.2.44"


def test_a_scan_logs_the_verifiers_address_from_the_api_and_the_page(
    criteria, departments, client_for, client, talent, admin_user, verifier
):
    from cards.models import CardScan

    approved(client_for(talent), client_for(admin_user))
    shower = client_for(talent)
    checker = client_for(verifier)
    checker.defaults["REMOTE_ADDR"] = VERIFIER_IP
    token = shower.post("/api/v1/cards/mine/qr/").json()["token"]
    assert checker.post("/api/v1/cards/verify/", {"token": token}).json()["valid"] is True
    client.force_login(verifier)
    token = shower.post("/api/v1/cards/mine/qr/").json()["token"]
    page = client.post("/verify/", {"token": token}, REMOTE_ADDR=VERIFIER_IP)
    assert page.status_code == 200
    assert list(CardScan.objects.values_list("ip", "valid")) == [(VERIFIER_IP, True)] * 2
