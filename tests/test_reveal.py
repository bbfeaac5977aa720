"""Reveal, with a reason (API.md), and the talent's right to know who read their details.

Through HTTP: the reveal endpoints, the talent's access log (API and page), the handling pages'
查看完整信息 control. Persona values: the talent 李明, 13800002688, and the ID number the
factory gave them.
"""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.models import AccessLog, AuditEvent
from services.seed import seed_service_types
from tests.cards_support import submitted
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PURPOSE = "电话联系核实住房情况"


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    give_card(talent)


@pytest.fixture
def req(talent, handler):
    return request_in("accepted", talent, handler)


def reveal_url(req) -> str:
    return f"/api/v1/service-requests/{req.number}/reveal/"


def full_values(person) -> dict:
    return {"real_name": person.real_name, "phone": person.phone, "id_number": person.id_number}


def reveal(client, req, purpose=PURPOSE):
    return client.post(reveal_url(req), {"purpose": purpose})


# --- the API ---------------------------------------------------------------------------------
def test_the_handler_of_the_current_department_reveals_and_it_is_recorded(
    client_for, talent, handler, req
):
    response = reveal(client_for(handler), req, f"  {PURPOSE}  ")
    assert response.status_code == 200
    assert response.json() == full_values(talent)
    assert "no-store" in response["Cache-Control"]

    row = AccessLog.objects.get()
    assert (row.subject, row.actor, row.actor_name) == (talent, handler, handler.real_name)
    assert row.department_name == handler.department.name
    assert row.purpose == PURPOSE  # stripped
    assert row.fields == ["real_name", "phone", "id_number"]
    assert row.object_label == f"服务申请 {req.number}"

    event = AuditEvent.objects.get(action="personal_info.reveal")
    assert event.actor == handler and event.object_id == str(req.pk)
    assert event.detail["purpose"] == PURPOSE
    assert event.detail["fields"] == ["real_name", "phone", "id_number"]
    assert event.detail["object_label"] == f"服务申请 {req.number}"


def test_the_audit_trail_never_carries_a_revealed_value(client_for, talent, handler, auditor, req):
    assert reveal(client_for(handler), req).status_code == 200
    listed = client_for(auditor).get("/api/v1/audit-events/?action=personal_info.reveal").json()
    assert listed["count"] == 1
    text = json.dumps(listed, ensure_ascii=False)
    for value in full_values(talent).values():
        assert value not in text
    stored = json.dumps(list(AuditEvent.objects.values("detail")), ensure_ascii=False)
    assert talent.id_number not in stored and "13800002688" not in stored


def test_the_talent_reads_who_revealed_their_details(client_for, talent, handler, lead, req):
    reveal(client_for(handler), req)
    reveal(client_for(lead), req, "核对身份信息后办结")
    response = client_for(talent).get("/api/v1/me/access-log/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["who"] == lead.real_name
    assert newest["department"] == lead.department.name
    assert newest["purpose"] == "核对身份信息后办结"
    assert newest["fields"] == ["real_name", "phone", "id_number"]
    assert newest["fields_label"] == "姓名、手机号码、证件号码"
    assert newest["object_label"] == f"服务申请 {req.number}"
    assert set(newest) == {
        "at",
        "who",
        "department",
        "purpose",
        "fields",
        "fields_label",
        "object_label",
    }
    assert body["results"][1]["who"] == handler.real_name


def test_the_access_log_is_the_talents_own(client_for, talent, other_talent, handler, req):
    reveal(client_for(handler), req)
    assert client_for(other_talent).get("/api/v1/me/access-log/").json()["count"] == 0
    assert client_for(handler).get("/api/v1/me/access-log/").status_code == 403


def test_an_admin_reveals_as_the_talent_office(client_for, talent, admin_user, req):
    admin_user.department = None
    admin_user.save(update_fields=["department"])
    assert reveal(client_for(admin_user), req).json() == full_values(talent)
    assert AccessLog.objects.get().department_name == "组织部人才办"


def test_who_may_not_reveal(
    client_for, talent, other_talent, other_handler, verifier, auditor, req
):
    # Not visible to them: 404, as if the request did not exist.
    assert reveal(client_for(other_handler), req).status_code == 404
    assert reveal(client_for(other_talent), req).status_code == 404
    # Visible, but not theirs to reveal: the owner has nothing to reveal to themselves.
    response = reveal(client_for(talent), req)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    # Roles that never touch requests.
    assert reveal(client_for(verifier), req).status_code == 403
    assert reveal(client_for(auditor), req).status_code == 403
    assert not AccessLog.objects.exists()
    assert not AuditEvent.objects.filter(action="personal_info.reveal").exists()


@pytest.mark.parametrize("purpose", ["", "   ", "看看", "查 看 "])
def test_a_purpose_of_fewer_than_four_characters_is_refused(client_for, handler, req, purpose):
    response = reveal(client_for(handler), req, purpose)
    assert response.status_code == 400
    assert "至少 4 个字" in response.json()["purpose"][0]
    assert not AccessLog.objects.exists()


def test_a_missing_purpose_is_refused(client_for, handler, req):
    response = client_for(handler).post(reveal_url(req), {})
    assert response.status_code == 400 and "purpose" in response.json()


def test_the_daily_limit_counts_per_person_and_resets_at_shanghai_midnight(
    client_for, settings, handler, lead, req
):
    settings.REVEAL_DAILY_LIMIT = 2
    client = client_for(handler)
    with time_machine.travel(datetime(2026, 3, 10, 23, 58, tzinfo=SHANGHAI), tick=False) as clock:
        assert reveal(client, req).status_code == 200
        assert reveal(client, req).status_code == 200
        third = reveal(client, req)
        assert third.status_code == 429
        assert third.json()["code"] == "rate_limited" and "2 次上限" in third.json()["detail"]
        # Another person's allowance is their own.
        assert reveal(client_for(lead), req).status_code == 200
        # Still the same Shanghai day one second before midnight (15:59:59 UTC).
        clock.move_to(datetime(2026, 3, 10, 23, 59, 59, tzinfo=SHANGHAI))
        assert reveal(client, req).status_code == 429
        clock.move_to(datetime(2026, 3, 11, 0, 0, tzinfo=SHANGHAI))
        assert reveal(client, req).status_code == 200
    assert AccessLog.objects.filter(actor=handler).count() == 3


def test_after_a_transfer_the_old_department_can_no_longer_reveal(
    client_for, talent, handler, other_handler, req
):
    assert reveal(client_for(handler), req).status_code == 200
    response = client_for(handler).post(
        f"/api/v1/service-requests/{req.number}/transfer/",
        {"department": "JYJ", "reason": "涉及子女入学"},
    )
    assert response.status_code == 200
    assert reveal(client_for(handler), req).status_code == 404
    assert reveal(client_for(other_handler), req).json() == full_values(talent)


def test_lists_and_details_stay_masked_after_a_reveal(client_for, talent, handler, req):
    client = client_for(handler)
    assert reveal(client, req).status_code == 200
    for url in ("/api/v1/service-requests/", f"/api/v1/service-requests/{req.number}/"):
        text = client.get(url).content.decode()
        assert "李明" not in text and "13800002688" not in text
        assert talent.id_number not in text
        assert "李*" in text and "138****2688" in text


@pytest.fixture
def applicant(other_talent):
    """A talent without a card yet (the ``talent`` persona holds one), applying for it."""
    return other_talent


def test_an_admin_reveals_a_card_applicant(client_for, criteria, applicant, admin_user, verifier):
    app = submitted(client_for(applicant))
    url = f"/api/v1/card-applications/{app['id']}/reveal/"
    response = client_for(admin_user).post(url, {"purpose": "核对学历证书上的姓名"})
    assert response.status_code == 200 and response.json() == full_values(applicant)
    assert response.json()["phone"] == "13800003333"
    assert "no-store" in response["Cache-Control"]
    row = AccessLog.objects.get()
    assert row.subject == applicant and row.object_label == f"优才卡申请 #{app['id']}"
    assert AuditEvent.objects.filter(
        action="personal_info.reveal", object_type="cards.cardapplication"
    ).exists()
    # The applicant may see the application but not "reveal" it; a verifier may see neither.
    assert client_for(applicant).post(url, {"purpose": "核对我的信息"}).status_code == 403
    assert client_for(verifier).post(url, {"purpose": "核对持卡人信息"}).status_code == 403
    assert client_for(admin_user).post(url, {"purpose": "看"}).status_code == 400
    assert AccessLog.objects.count() == 1


def test_a_card_application_is_invisible_to_another_talent(client_for, criteria, applicant, talent):
    app = submitted(client_for(applicant))
    url = f"/api/v1/card-applications/{app['id']}/reveal/"
    assert client_for(talent).post(url, {"purpose": "核对我的信息"}).status_code == 404


# --- the pages -------------------------------------------------------------------------------
def field_error(html: str, field_id: str) -> str:
    return " ".join(
        re.findall(rf'<small class="field-error" id="{re.escape(field_id)}_error">([^<]+)', html)
    )


def test_the_desk_page_reveals_with_a_purpose(client, talent, handler, req):
    client.force_login(handler)
    detail = f"/desk/requests/{req.number}/"
    html = client.get(detail).content.decode()
    assert "<summary>查看完整信息</summary>" in html
    assert 'name="reveal-purpose"' in html
    action = f"/desk/requests/{req.number}/reveal/"
    assert f'action="{action}"' in html
    assert talent.id_number not in html and "13800002688" not in html

    # A short purpose: the same page, the message next to the field, nothing revealed.
    response = client.post(action, {"reveal-purpose": "看看"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "至少 4 个字" in field_error(html, "id_reveal-purpose")
    assert "<details open>" in html
    assert talent.id_number not in html
    assert "no-store" in response["Cache-Control"]
    assert not AccessLog.objects.exists()

    response = client.post(action, {"reveal-purpose": PURPOSE})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "以下信息仅供本次办理使用，查看行为已记录" in html
    for value in full_values(talent).values():
        assert value in html
    assert AccessLog.objects.get().purpose == PURPOSE
    # Nothing keeps the values: the next visit is masked again.
    assert not any(talent.id_number in str(value) for value in client.session.values())
    html = client.get(detail).content.decode()
    assert talent.id_number not in html and "13800002688" not in html


def test_the_page_shows_the_daily_limit_as_a_message(client, settings, talent, handler, req):
    settings.REVEAL_DAILY_LIMIT = 1
    client.force_login(handler)
    action = f"/desk/requests/{req.number}/reveal/"
    assert client.post(action, {"reveal-purpose": PURPOSE}).status_code == 200
    response = client.post(action, {"reveal-purpose": PURPOSE})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 次上限" in html and talent.id_number not in html
    assert AccessLog.objects.count() == 1


def test_the_admin_reveals_on_the_manage_page(client, talent, admin_user, req):
    client.force_login(admin_user)
    action = f"/manage/requests/{req.number}/reveal/"
    assert f'action="{action}"' in client.get(f"/manage/requests/{req.number}/").content.decode()
    html = client.post(action, {"reveal-purpose": PURPOSE}).content.decode()
    assert talent.id_number in html


def test_the_reveal_page_is_refused_to_those_who_may_not(client, talent, other_handler, req):
    client.force_login(other_handler)
    assert (
        client.post(f"/desk/requests/{req.number}/reveal/", {"reveal-purpose": PURPOSE}).status_code
        == 404
    )
    client.force_login(talent)
    assert (
        client.post(f"/desk/requests/{req.number}/reveal/", {"reveal-purpose": PURPOSE}).status_code
        == 404
    )
    assert "查看完整信息" not in client.get(f"/requests/{req.number}/").content.decode()
    assert not AccessLog.objects.exists()


def test_the_admin_reveals_on_the_application_review_page(
    client, client_for, criteria, applicant, admin_user
):
    app = submitted(client_for(applicant))
    client.force_login(admin_user)
    html = client.get(f"/manage/applications/{app['id']}/").content.decode()
    action = f"/manage/applications/{app['id']}/reveal/"
    assert f'action="{action}"' in html and applicant.id_number not in html
    response = client.post(action, {"reveal-purpose": "短"})
    assert response.status_code == 200 and "至少 4 个字" in response.content.decode()
    response = client.post(action, {"reveal-purpose": "核对学历证书上的姓名"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "以下信息仅供本次办理使用，查看行为已记录" in html
    for value in full_values(applicant).values():
        assert value in html
    assert AccessLog.objects.get().object_label == f"优才卡申请 #{app['id']}"


def test_the_talent_reads_the_access_log_page(client, client_for, talent, handler, req):
    reveal(client_for(handler), req)
    client.force_login(talent)
    response = client.get("/accounts/me/access-log/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "个人信息查看记录" in html
    assert handler.real_name in html and handler.department.name in html
    assert PURPOSE in html and "姓名、手机号码、证件号码" in html
    assert f"服务申请 {req.number}" in html


def test_the_access_log_page_is_for_talents(client, handler):
    response = client.get("/accounts/me/access-log/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(handler)
    assert client.get("/accounts/me/access-log/").status_code == 404


def test_the_access_log_page_is_paginated(client, client_for, talent, handler, req):
    client_handler = client_for(handler)
    for n in range(21):
        assert reveal(client_handler, req, f"{PURPOSE}{n}").status_code == 200
    client.force_login(talent)
    first = client.get("/accounts/me/access-log/").content.decode()
    assert "第 1 / 2 页，共 21 条" in first and f"{PURPOSE}20" in first
    second = client.get("/accounts/me/access-log/?page=2").content.decode()
    assert f"{PURPOSE}0<" in second and f"{PURPOSE}20" not in second


def test_the_account_summary_include_shows_the_latest_five(client_for, talent, handler, req):
    from django.template.loader import render_to_string

    from portal.reveal import access_log_recent

    client_handler = client_for(handler)
    for n in range(6):
        reveal(client_handler, req, f"{PURPOSE}{n}")
    html = render_to_string(
        "portal/includes/access_log_summary.html",
        {"access_log_recent": access_log_recent(talent)},
    )
    assert html.count("<li>") == 5
    assert f"{PURPOSE}5" in html and f"{PURPOSE}0" not in html
    assert 'href="/accounts/me/access-log/"' in html


# --- concurrency -----------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_reveals_stays_within_the_daily_limit(
    settings, monkeypatch, talent, handler
):
    import threading
    import time

    from django.db import connection

    from portal import reveal as portal_reveal
    from portal.errors import RateLimited
    from services.reveal import request_reveal

    settings.REVEAL_DAILY_LIMIT = 3
    counted = portal_reveal.reveals_today

    def slow_count(actor, now=None):
        # Widen the window between counting and writing, where an unlocked count races.
        result = counted(actor, now)
        time.sleep(0.05)
        return result

    monkeypatch.setattr(portal_reveal, "reveals_today", slow_count)
    # Eight different requests: the lock that counts is the handler's, not the request's.
    requests = [request_in("accepted", talent, handler) for _ in range(8)]
    barrier = threading.Barrier(8)
    outcomes = []

    def attempt(req):
        try:
            connection.ensure_connection()
            barrier.wait()
            request_reveal(req=req, actor=handler, purpose=PURPOSE)
            outcomes.append("shown")
        except RateLimited:
            outcomes.append("limited")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(req,)) for req in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited"] * 5 + ["shown"] * 3
    assert AccessLog.objects.filter(actor=handler).count() == 3
