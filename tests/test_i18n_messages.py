"""Messages in the reader's language (issue 14 point 4): the API answers field errors,
403/404/409 details and the verify reasons in English on ``Accept-Language: en`` and in
Chinese without it; a talent who chose English gets the inbox row, e-mail and SMS of a request
transition in English, a Chinese talent in Chinese, and the staff's notices stay Chinese."""

import re

import pytest
from django.core import mail

from portal.delivery import delivery_send
from portal.models import Delivery, Notification, SmsOutbox
from services.feedback import request_rate
from services.models import RequestStatus
from services.seed import seed_service_types
from services.workflow import request_accept, request_reject, request_transfer
from tests.cards_support import approved
from tests.requests_support import HOUSING, file_housing, give_card, request_in

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def carded(talent):
    give_card(talent, tier="C")
    return talent


def _file(client, fields, **headers):
    return client.post(
        "/api/v1/service-requests/",
        {"service_type": "HOUSING", "fields": fields},
        format="json",
        **headers,
    )


def test_field_errors_follow_the_request_s_language(client_for, carded):
    client = client_for(carded)
    fields = {**HOUSING, "family_size": "三个", "room_type": "别墅"}
    del fields["move_in_date"]
    english = _file(client, fields, **EN)
    assert english.status_code == 400
    assert english.json() == {
        "fields.family_size": ["Number of occupants must be a number."],
        "fields.room_type": ["Preferred layout: choose one of the options given."],
        "fields.move_in_date": ["Please fill in Preferred move-in date."],
    }
    chinese = _file(client, fields).json()
    assert chinese["fields.family_size"] == ["入住人数应为数字。"]
    assert chinese["fields.move_in_date"] == ["请填写期望入住日期。"]
    # A serializer's own message too (DRF's catalogue).
    missing = client.post("/api/v1/service-requests/", {}, format="json", **EN).json()
    assert not any(CJK.search(m) for messages in missing.values() for m in messages), missing


def test_a_tier_refusal_names_the_service_in_english(client_for, talent):
    give_card(talent, tier="D")
    answer = client_for(talent).post(
        "/api/v1/service-requests/",
        {"service_type": "MEDICAL", "fields": {}},
        format="json",
        **EN,
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        "“Medical care (health check-up / fast-track treatment / family doctor)” is for "
        "tier A, B, C talents; your card is tier D."
    )


def test_403_404_and_409_details_follow_the_request_s_language(client_for, carded, handler):
    req = file_housing(carded)
    talent = client_for(carded)
    url = f"/api/v1/service-requests/{req.number}"

    refused = talent.post(f"{url}/accept/", **EN)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Only a handler or the lead of the handling department can accept this."
    )
    assert (
        talent.post(f"{url}/accept/").json()["detail"] == "只有承办部门的经办人或负责人可以受理。"
    )

    missing = talent.get("/api/v1/service-requests/FW-20000101-0001/", **EN)
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    assert talent.get("/api/v1/service-requests/FW-20000101-0001/").json() == {"detail": "未找到。"}

    too_early = talent.post(f"{url}/rate/", {"score": 5}, format="json", **EN)
    assert too_early.status_code == 409
    assert too_early.json()["detail"] == (
        "The request is “Awaiting acceptance”: it can be rated once, after it is resolved."
    )
    assert too_early.json()["status"] == "submitted"

    request_reject(req=req, actor=handler, reason="不符合条件")
    late = talent.post(f"{url}/withdraw/", {}, format="json", **EN)
    assert late.status_code == 409
    assert late.json()["detail"] == "The request is “Refused” and cannot be withdrawn now."
    chinese = talent.post(f"{url}/withdraw/", {}, format="json").json()
    assert chinese["detail"] == "申请当前为“不予办理”状态，不能撤回。"


def test_the_request_s_status_label_follows_the_language(client_for, carded):
    req = file_housing(carded)
    talent = client_for(carded)
    body = talent.get(f"/api/v1/service-requests/{req.number}/", **EN).json()
    assert body["status_label"] == "Awaiting acceptance"
    assert body["service_type"]["name_en"] == "Talent apartment"
    assert talent.get(f"/api/v1/service-requests/{req.number}/").json()["status_label"] == "待受理"


def test_verify_reasons_follow_the_verifier_s_language(client_for, verifier):
    checker = client_for(verifier)
    english = checker.post("/api/v1/cards/verify/", {"token": "garbage"}, **EN).json()
    assert english == {
        "valid": False,
        "reason": "token_invalid",
        "reason_label": "Unrecognized QR code",
        "card": None,
    }
    chinese = checker.post("/api/v1/cards/verify/", {"token": "garbage"}).json()
    assert chinese["reason_label"] == "无法识别的二维码"


def _reachable(user, language):
    user.email = f"{user.username}@example.cn"
    user.language = language
    user.save()
    return user


def _sent(notification):
    for delivery in Delivery.objects.filter(notification=notification):
        assert delivery_send(delivery.pk) == "sent"


def test_an_english_talent_gets_the_transition_in_english(carded, handler, settings):
    _reachable(carded, "en")
    req = file_housing(carded)
    # The handler works in Chinese; what the talent is told is written in theirs.
    request_accept(req=req, actor=handler)
    notice = Notification.objects.get(recipient=carded, kind="request_accepted")
    assert notice.title == f"{req.number} accepted"
    assert notice.body == (
        "Handling department: District Bureau of Housing and Urban-Rural Development"
    )
    _sent(notice)
    (email,) = mail.outbox
    assert email.subject == f"[Bazhou Talent Card] {req.number} accepted"
    assert f"Details: {settings.SITE_URL.rstrip('/')}/requests/{req.number}/" in email.body
    sms = SmsOutbox.objects.get()
    assert sms.text == (
        f"[Bazhou Talent Card] {req.number} accepted. Sign in to the portal for details."
    )
    # Staff notices stay Chinese, whoever caused them.
    filed = Notification.objects.get(recipient=handler, kind="request_filed")
    assert filed.title.startswith("新的服务申请")


def test_a_chinese_talent_gets_the_transition_in_chinese(carded, handler, other_handler):
    _reachable(carded, "zh-hans")
    req = request_in(RequestStatus.ACCEPTED, carded, handler)
    notice = Notification.objects.get(recipient=carded, kind="request_accepted")
    assert notice.title == f"{req.number} 已受理" and notice.body == "承办部门：区住房和城乡建设局"
    _sent(notice)
    assert mail.outbox[0].subject == f"【巴州优才卡】{req.number} 已受理"
    assert (
        SmsOutbox.objects.get().text == f"【巴州优才卡】{req.number} 已受理。详情请登录平台查看。"
    )


def test_an_english_request_does_not_make_a_chinese_talent_s_notice_english(
    client_for, carded, handler
):
    """The language of the request that caused a notice is not the recipient's."""
    _reachable(carded, "zh-hans")
    req = file_housing(carded)
    response = client_for(handler).post(
        f"/api/v1/service-requests/{req.number}/reject/", {"reason": "材料不全"}, **EN
    )
    assert response.status_code == 200, response.content
    notice = Notification.objects.get(recipient=carded, kind="request_rejected")
    assert notice.title == f"{req.number} 不予办理" and notice.body == "理由：材料不全"


def test_a_transfer_names_the_new_department_in_english(carded, handler, admin_user):
    _reachable(carded, "en")
    req = file_housing(carded)
    request_transfer(req=req, actor=handler, department="ZWJ", reason="应由政务服务局代办")
    notice = Notification.objects.get(recipient=carded, kind="request_transferred")
    assert notice.title == (
        f"{req.number} transferred to District Bureau of Government Services and Big Data"
    )
    assert notice.body == "Reason for the transfer: 应由政务服务局代办"


def test_a_verifier_reads_the_card_s_services_in_their_language(
    client_for, talent, admin_user, verifier, criteria
):
    approved(client_for(talent), client_for(admin_user))
    holder = client_for(talent)

    def scan(**headers):
        token = holder.post("/api/v1/cards/mine/qr/").json()["token"]
        return client_for(verifier).post("/api/v1/cards/verify/", {"token": token}, **headers)

    english = scan(**EN).json()
    assert english["valid"] is True and english["reason_label"] == "Valid"
    assert "Spouse's employment" in english["card"]["services"]
    assert not any(CJK.search(name) for name in english["card"]["services"])
    chinese = scan().json()
    assert chinese["reason_label"] == "有效" and "配偶就业" in chinese["card"]["services"]


def test_the_rating_reads_in_the_page_s_language_on_the_timeline(client, carded, handler):
    req = request_in(RequestStatus.RESOLVED, carded, handler)
    request_rate(req=req, actor=carded, score=4, comment="Quick and friendly.")
    client.force_login(carded)
    english = client.get(f"/requests/{req.number}/", **EN).content.decode()
    assert "4 of 5 stars: Satisfied. Quick and friendly." in english and "星" not in english
    chinese = client.get(f"/requests/{req.number}/").content.decode()
    assert "4星 满意：Quick and friendly." in chinese
