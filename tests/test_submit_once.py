"""Submitting once (issue 11 item 1, API.md "Submitting once"): the ``Idempotency-Key``
header on the API's creating endpoints, the hidden one-time ``form_key`` of the pages, the
hourly purge, and a race of two requests with one key on PostgreSQL."""

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from cards.models import ApplicationDocument, Card, CardApplication
from portal.idempotency import REPEAT_MESSAGE, keys_purge
from portal.models import IdempotencyKey
from portal.tasks import purge_idempotency_keys
from services.models import RequestAttachment, RequestComment, ServiceRequest
from services.seed import seed_service_types
from services.workflow import request_accept, request_ask_info
from tests.cards_support import PDF, PROFILE, draft, photo_bytes, submitted
from tests.requests_support import HOUSING, file_housing, give_card

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FILING = {"service_type": "HOUSING", "fields": HOUSING, "description": "一家三口"}
HOUSING_POST = {
    "field_family_size": "3",
    "field_room_type": "两室一厅",
    "field_move_in_date": "2026-12-01",
    "field_current_housing": "租房",
    "field_no_own_house": "true",
    "description": "夫妻二人带一个孩子。",
}


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def carded(talent):
    give_card(talent, tier="C")
    return talent


def file_with(client, key=None, body=FILING):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/service-requests/", body, format="json", **headers)


def messages_of(html: str) -> str:
    block = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return block.group(1) if block else ""


def form_key_of(html: str, action: str) -> str:
    """The one-time key inside the form posting to ``action`` (every such form has its own)."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form, action
    assert "data-submit-once" in form.group(0)
    return re.search(r'name="form_key" value="([0-9a-f]{32})"', form.group(1)).group(1)


# --- API ------------------------------------------------------------------------------------
def test_the_same_key_twice_answers_the_first_response_and_files_once(client_for, carded):
    client = client_for(carded)
    first = file_with(client, "k-1")
    second = file_with(client, "k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert ServiceRequest.objects.count() == 1
    assert IdempotencyKey.objects.get().status_code == 201


def test_different_keys_and_no_key_file_separately(client_for, carded):
    client = client_for(carded)
    numbers = {
        file_with(client, "k-1").json()["number"],
        file_with(client, "k-2").json()["number"],
        file_with(client).json()["number"],
        file_with(client).json()["number"],
    }
    assert len(numbers) == 4 == ServiceRequest.objects.count()
    assert IdempotencyKey.objects.count() == 2  # requests without a key leave none


def test_a_key_is_the_users_own(client_for, carded, other_talent):
    give_card(other_talent)
    mine = file_with(client_for(carded), "shared-key")
    theirs = file_with(client_for(other_talent), "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["number"] != theirs.json()["number"]
    assert ServiceRequest.objects.filter(talent=other_talent).count() == 1


def test_a_key_answers_for_24_hours_then_files_anew(client_for, carded):
    client = client_for(carded)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        first = file_with(client, "daily")
    with time_machine.travel(start + timedelta(hours=24) - timedelta(seconds=1), tick=False):
        again = file_with(client, "daily")
        assert again.json() == first.json() and ServiceRequest.objects.count() == 1
    with time_machine.travel(start + timedelta(hours=24), tick=False):
        later = file_with(client, "daily")
    assert later.status_code == 201 and later.json()["number"] != first.json()["number"]
    assert ServiceRequest.objects.count() == 2
    # The key now answers with the new request.
    assert IdempotencyKey.objects.get().response["number"] == later.json()["number"]


def test_a_refused_request_does_not_use_up_its_key(client_for, carded):
    client = client_for(carded)
    refused = file_with(client, "fix-me", {**FILING, "fields": {**HOUSING, "family_size": "x"}})
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists() and not ServiceRequest.objects.exists()
    fixed = file_with(client, "fix-me")
    assert fixed.status_code == 201
    assert file_with(client, "fix-me").json() == fixed.json()
    assert ServiceRequest.objects.count() == 1


def test_a_key_longer_than_100_characters_is_refused(client_for, carded):
    response = file_with(client_for(carded), "k" * 101)
    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": ["幂等键不能超过100个字符。"]}
    assert not ServiceRequest.objects.exists()
    assert file_with(client_for(carded), "k" * 100).status_code == 201


def test_comments_once_per_key_and_request(client_for, carded, handler):
    client = client_for(carded)
    one, two = file_housing(carded), file_housing(carded)

    def comment(req, key, body="请问进度如何？"):
        return client.post(
            f"/api/v1/service-requests/{req.number}/comments/",
            {"body": body},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first = comment(one, "c-1")
    again = comment(one, "c-1", body="换了内容也不会再建")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert RequestComment.objects.filter(request=one).count() == 1
    # The same key on another request's comments is another operation.
    assert comment(two, "c-1").status_code == 201
    assert RequestComment.objects.count() == 2
    # The handling side's comments too.
    desk = client_for(handler)
    url = f"/api/v1/service-requests/{one.number}/comments/"
    for _ in range(2):
        response = desk.post(
            url, {"body": "正在核查", "internal": True}, format="json", HTTP_IDEMPOTENCY_KEY="d"
        )
        assert response.status_code == 201
    assert RequestComment.objects.filter(request=one, internal=True).count() == 1


def test_card_applications_once_per_key(client_for, criteria, talent):
    client = client_for(talent)
    body = {"criteria": ["D02"], **PROFILE}
    first = client.post("/api/v1/card-applications/", body, HTTP_IDEMPOTENCY_KEY="app")
    again = client.post("/api/v1/card-applications/", body, HTTP_IDEMPOTENCY_KEY="app")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and CardApplication.objects.count() == 1
    # Without the key the second one is what it always was: a 409 naming the open one.
    conflict = client.post("/api/v1/card-applications/", body)
    assert conflict.status_code == 409 and conflict.json()["id"] == first.json()["id"]


def test_uploads_once_per_key(client_for, criteria, talent, other_talent):
    client = client_for(talent)
    app = draft(client)
    for _ in range(2):
        response = client.post(
            f"/api/v1/card-applications/{app['id']}/documents/",
            {"kind": "photo", "file": SimpleUploadedFile("证件照.png", photo_bytes())},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="photo",
        )
        assert response.status_code == 201
    assert ApplicationDocument.objects.count() == 1
    give_card(other_talent)
    req = file_housing(other_talent)
    client = client_for(other_talent)
    for _ in range(2):
        response = client.post(
            f"/api/v1/service-requests/{req.number}/attachments/",
            {"file": SimpleUploadedFile("证明.pdf", PDF)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="file",
        )
        assert response.status_code == 201
    assert RequestAttachment.objects.count() == 1


def test_the_schema_describes_the_header(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    def headers(path):
        parameters = schema["paths"][path]["post"].get("parameters", [])
        return [p["name"] for p in parameters if p["in"] == "header"]

    for path in (
        "/api/v1/service-requests/",
        "/api/v1/service-requests/{number}/comments/",
        "/api/v1/card-applications/",
    ):
        assert headers(path) == ["Idempotency-Key"], path


def test_the_hourly_purge_deletes_keys_older_than_24_hours(talent):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    for hours, key in ((25, "old"), (24, "just-old"), (23, "young")):
        IdempotencyKey.objects.create(
            user=talent, scope="POST /x/", key=key, created_at=now - timedelta(hours=hours)
        )
    with time_machine.travel(now, tick=False):
        assert purge_idempotency_keys() == 2
        assert purge_idempotency_keys() == 0  # idempotent
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    assert keys_purge(now + timedelta(hours=1)) == 1
    beat = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert beat == {
        "task": "portal.tasks.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    }


# --- pages ----------------------------------------------------------------------------------
def test_the_filing_form_files_once_however_often_it_is_sent(client, carded):
    client.force_login(carded)
    html = client.get("/services/HOUSING/apply/").content.decode()
    key = re.search(r'name="form_key" value="([0-9a-f]{32})"', html).group(1)
    assert 'class="request-form" data-submit-once' in html
    assert '<script src="/static/js/submit-once.js" defer></script>' in html
    first = client.post("/services/HOUSING/apply/", {**HOUSING_POST, "form_key": key})
    req = ServiceRequest.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/requests/{req.number}/"
    again = client.post("/services/HOUSING/apply/", {**HOUSING_POST, "form_key": key})
    assert again.status_code == 302 and again["Location"] == f"/requests/{req.number}/"
    assert ServiceRequest.objects.count() == 1
    html = client.get(again["Location"]).content.decode()
    assert REPEAT_MESSAGE in messages_of(html)
    # A new rendering is a new key: filing again on purpose still works.
    fresh = re.search(
        r'name="form_key" value="([0-9a-f]{32})"',
        client.get("/services/HOUSING/apply/").content.decode(),
    ).group(1)
    assert fresh != key
    client.post("/services/HOUSING/apply/", {**HOUSING_POST, "form_key": fresh})
    assert ServiceRequest.objects.count() == 2


def test_a_form_shown_again_with_errors_leaves_its_key_unused(client, carded):
    client.force_login(carded)
    key = "0" * 32
    response = client.post(
        "/services/HOUSING/apply/", {**HOUSING_POST, "field_family_size": "", "form_key": key}
    )
    assert response.status_code == 200 and not ServiceRequest.objects.exists()
    assert not IdempotencyKey.objects.exists()
    response = client.post("/services/HOUSING/apply/", {**HOUSING_POST, "form_key": key})
    assert response.status_code == 302 and ServiceRequest.objects.count() == 1


def test_the_talents_forms_on_the_request_page_post_once(client, carded, handler):
    req = file_housing(carded)
    client.force_login(carded)
    detail = f"/requests/{req.number}/"
    html = client.get(detail).content.decode()
    key = form_key_of(html, f"{detail}comment/")
    for _ in range(2):
        response = client.post(detail + "comment/", {"comment-body": "请问进度？", "form_key": key})
        assert response.status_code == 302 and response["Location"] == detail
    assert RequestComment.objects.count() == 1

    key = form_key_of(html, f"{detail}attach/")
    for _ in range(2):
        client.post(
            detail + "attach/",
            {"attach-file": SimpleUploadedFile("证明.pdf", PDF), "form_key": key},
        )
    assert RequestAttachment.objects.count() == 1

    # A double tap on 提交补正: the second is told gently, not refused with a 409.
    request_accept(req=req, actor=handler)
    request_ask_info(req=req, actor=handler, items=["无房证明"])
    key = form_key_of(client.get(detail).content.decode(), f"{detail}supply-info/")
    for _ in range(2):
        response = client.post(
            detail + "supply-info/", {"supply-note": "已补充", "form_key": key}, follow=True
        )
    html = response.content.decode()
    assert REPEAT_MESSAGE in messages_of(html) and "不能提交补正" not in html
    assert req.events.filter(action="info_supplied").count() == 1


def test_the_desks_comment_form_posts_once(client, carded, handler):
    req = file_housing(carded)
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    key = form_key_of(client.get(url).content.decode(), f"{url}comment/")
    for _ in range(2):
        response = client.post(url + "comment/", {"comment-body": "已收到", "form_key": key})
        assert response.status_code == 302 and response["Location"] == url
    assert RequestComment.objects.count() == 1
    # A double tap on 受理: one acceptance, and no "不能受理" for the second tap.
    key = form_key_of(client.get(url).content.decode(), f"{url}accept/")
    for _ in range(2):
        response = client.post(url + "accept/", {"form_key": key}, follow=True)
    html = response.content.decode()
    assert REPEAT_MESSAGE in messages_of(html) and "不能受理" not in html
    assert req.events.filter(action="accepted").count() == 1


def test_the_card_application_and_its_documents_post_once(client, criteria, talent):
    client.force_login(talent)
    html = client.get("/card/apply/").content.decode()
    key = re.search(r'name="form_key" value="([0-9a-f]{32})"', html).group(1)
    body = {"kind": "new", "criteria": ["D02"], **PROFILE, "form_key": key}
    first = client.post("/card/apply/", body)
    app = CardApplication.objects.get()
    assert first["Location"] == f"/card/applications/{app.pk}/"
    again = client.post("/card/apply/", body, follow=True)
    assert REPEAT_MESSAGE in messages_of(again.content.decode())
    assert CardApplication.objects.count() == 1

    url = f"/card/applications/{app.pk}/"
    key = form_key_of(client.get(url).content.decode(), f"{url}documents/")
    for _ in range(2):
        client.post(
            url + "documents/",
            {"kind": "degree", "file": SimpleUploadedFile("学位.pdf", PDF), "form_key": key},
        )
    assert ApplicationDocument.objects.count() == 1


def test_a_double_tap_on_the_review_decision_is_answered_gently(
    client, client_for, criteria, talent, admin_user
):
    app = submitted(client_for(talent))
    client.force_login(admin_user)
    url = f"/manage/applications/{app['id']}/"
    key = form_key_of(client.get(url).content.decode(), f"{url}approve/")
    body = {"approve-tier": "C", "approve-accepted": ["D02", "C03"], "form_key": key}
    for _ in range(2):
        response = client.post(url + "approve/", body, follow=True)
    html = response.content.decode()
    assert REPEAT_MESSAGE in messages_of(html) and "不能认定" not in html
    assert Card.objects.count() == 1


# --- a race on PostgreSQL -------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_file_one_request(departments, api):
    from portal.models import Role
    from tests.factories import TalentFactory

    seed_service_types()
    racer = TalentFactory(username="racer", role=Role.TALENT)
    give_card(racer)
    token = type(api)().as_user(racer)._credentials["HTTP_AUTHORIZATION"]
    barrier = threading.Barrier(2)
    answers = []

    def post():
        client = type(api)()
        client.credentials(HTTP_AUTHORIZATION=token)
        try:
            barrier.wait()
            answers.append(file_with(client, "race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert ServiceRequest.objects.count() == 1 == IdempotencyKey.objects.count()
