"""The card's server-rendered pages: talent, organization department, verifier (issue 3 point 6).

The API is tested in test_card_lifecycle.py; here the same domain functions are driven through
the pages, and the pages are checked for what they show, whom they refuse, and how many queries
they run.
"""

import re
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from cards.models import ApplicationStatus, Card, CardApplication, CardScan, Criterion
from cards.qr import qr_verify
from tests.cards_support import PDF, approved, draft, photo_bytes, png_bytes, submitted
from tests.factories import TalentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]

PROFILE_POST = {
    "kind": "new",
    "criteria": ["D02", "C03"],
    "employer": "巴州区人民医院",
    "position": "主任医师",
    "industry": "卫生",
    "education": "博士研究生",
    "professional_title": "主任医师",
    "arrival_date": "2024-03-01",
}


@pytest.fixture
def t(client_for, talent):
    return client_for(talent)


@pytest.fixture
def a(client_for, admin_user):
    return client_for(admin_user)


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def field_error(html: str, field_id: str) -> str:
    """The text of the error shown under field ``field_id`` (includes/field.html)."""
    found = re.findall(
        rf'<small class="field-error" id="{re.escape(field_id)}_error">([^<]+)', html
    )
    return " ".join(found)


def nav_labels(html: str) -> list[str]:
    header = html.split("<main", 1)[0]
    return re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', header)


def page_upload(client, app_id, kind, content=None, name="证书.png"):
    if content is None:
        content = photo_bytes() if kind == "photo" else png_bytes()
    file = SimpleUploadedFile(name, content, "image/png")
    return client.post(
        f"/card/applications/{app_id}/documents/", {"kind": kind, "file": file}, follow=False
    )


# --- the talent's journey -------------------------------------------------------------------
def test_the_talent_applies_uploads_and_submits_through_the_pages(client, talent):
    client.force_login(talent)
    home = page(client, "/card/")
    assert "您还没有巴州优才卡" in home and 'href="/card/apply/"' in home

    form = page(client, "/card/apply/")
    # Criteria grouped by tier, with category, evidence kinds and policy reference.
    assert "D类 市级及其他高层次人才" in form and "A类 顶尖人才" in form
    d02 = form.split('value="D02"', 1)[1].split("</label>", 1)[0]
    assert "全日制博士研究生" in d02 and "科技" in d02
    assert "身份证件、学历学位证书、劳动合同或聘用证明" in d02
    assert "附件 D类第2项" in d02
    assert form.count('type="checkbox" name="criteria"') == Criterion.objects.current().count()

    response = client.post("/card/apply/", PROFILE_POST)
    app = CardApplication.objects.get(talent=talent)
    assert response.status_code == 302 and response.url == f"/card/applications/{app.pk}/"
    assert app.status == ApplicationStatus.DRAFT
    assert sorted(app.criteria.values_list("code", flat=True)) == ["C03", "D02"]

    # Submitting with no evidence is refused, naming every missing kind at once.
    response = client.post(f"/card/applications/{app.pk}/submit/")
    html = response.content.decode()
    assert response.status_code == 200
    errors = html.split('id="submit-errors"', 1)[1].split("</div>", 1)[0]
    for label, kind in [
        ("证件照", "photo"),
        ("身份证件", "id_card"),
        ("学历学位证书", "degree"),
        ("职称证书", "title"),
        ("劳动合同或聘用证明", "contract"),
    ]:
        assert f"缺少证明材料：{label}" in errors and f"（{kind}）" not in errors
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT

    # A renamed executable is refused next to the file field; the limit is on the page.
    response = page_upload(client, app.pk, "id_card", b"MZ\x90\x00" + b"\x00" * 200, "scan.png")
    html = response.content.decode()
    assert response.status_code == 200
    assert "只能上传 PDF、JPG 或 PNG" in field_error(html, "id_file")
    assert "单个文件不超过 10 MB" in html

    # The photo has rules of its own, stated on the page and enforced next to the field.
    assert "证件照须为 JPG 或 PNG 格式" in html and "不小于 200×250 像素" in html
    response = page_upload(client, app.pk, "photo", png_bytes(), "证件照.png")
    assert "证件照尺寸过小（24×24像素）" in field_error(response.content.decode(), "id_file")
    for kind in ("photo", "id_card", "degree", "title"):
        assert page_upload(client, app.pk, kind).status_code == 302
    pdf = SimpleUploadedFile("合同.pdf", PDF, "application/pdf")
    response = client.post(
        f"/card/applications/{app.pk}/documents/", {"kind": "contract", "file": pdf}
    )
    assert response.status_code == 302
    detail = page(client, f"/card/applications/{app.pk}/")
    assert "合同.pdf" in detail and "缺少</strong>" not in detail

    response = client.post(f"/card/applications/{app.pk}/submit/")
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.submitted_at
    detail = page(client, f"/card/applications/{app.pk}/")
    assert "待审核" in detail and "正在等待区委组织部（人才办）审核" in detail
    assert "上传材料</button>" not in detail and "删除</button>" not in detail
    assert "提交申请" in detail  # the timeline
    home = page(client, "/card/")
    assert f'href="/card/applications/{app.pk}/"' in home and "待审核" in home


def test_apply_errors_are_shown_next_to_their_fields(client, talent):
    client.force_login(talent)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = dict(PROFILE_POST, kind="renewal", arrival_date=tomorrow, criteria=["D02", "ZZ9"])
    response = client.post("/card/apply/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "您没有有效的优才卡" in field_error(html, "id_kind")
    assert "来巴工作时间不能晚于今天" in field_error(html, "id_arrival_date")
    assert "ZZ9" in field_error(html, "id_criteria")
    # What was typed and ticked is kept.
    assert 'value="巴州区人民医院"' in html
    assert re.search(r'value="D02" id="criterion-D02" checked', html)
    assert not CardApplication.objects.exists()


def test_apply_sends_a_talent_with_an_open_application_to_it(client, talent, t):
    app = draft(t)
    client.force_login(talent)
    response = client.get("/card/apply/", follow=True)
    assert response.redirect_chain[-1][0] == f"/card/applications/{app['id']}/"
    assert "您已有一份未办结的申请" in response.content.decode()
    assert client.post("/card/apply/", PROFILE_POST).url == f"/card/applications/{app['id']}/"
    assert CardApplication.objects.count() == 1


def test_the_talent_edits_the_draft_and_removes_a_document(client, talent, t):
    app = draft(t)
    client.force_login(talent)
    assert page_upload(client, app["id"], "id_card").status_code == 302
    document = CardApplication.objects.get(pk=app["id"]).documents.get()

    data = dict(PROFILE_POST, criteria=["D03"], employer="巴州中学", position="")
    del data["kind"]
    response = client.post(f"/card/applications/{app['id']}/edit/", data)
    assert response.status_code == 302
    saved = CardApplication.objects.get(pk=app["id"])
    assert saved.employer == "巴州中学"
    assert list(saved.criteria.values_list("code", flat=True)) == ["D03"]

    # Submitting now names the empty position next to its field, and what is missing.
    html = client.post(f"/card/applications/{app['id']}/submit/").content.decode()
    assert "请填写职务/岗位" in field_error(html, "id_position")
    assert "缺少证明材料：职称证书" in html and "（title）" not in html

    response = client.post(f"/card/applications/{app['id']}/documents/{document.pk}/delete/")
    assert response.status_code == 302
    assert not saved.documents.exists()


def test_a_submitted_application_refuses_changes_with_a_message(client, talent, t):
    app = submitted(t)
    client.force_login(talent)
    document = CardApplication.objects.get(pk=app["id"]).documents.first()
    response = client.post(
        f"/card/applications/{app['id']}/documents/{document.pk}/delete/", follow=True
    )
    assert "申请当前为“待审核”状态，不能修改" in response.content.decode()
    assert CardApplication.objects.get(pk=app["id"]).documents.filter(pk=document.pk).exists()


def test_documents_download_for_owner_and_admin_only(client, talent, other_talent, admin_user, t):
    app = draft(t)
    client.force_login(talent)
    assert page_upload(client, app["id"], "id_card").status_code == 302
    document = CardApplication.objects.get(pk=app["id"]).documents.get()
    url = f"/card/applications/{app['id']}/documents/{document.pk}/"

    response = client.get(url + "?inline=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Disposition"].startswith("inline")
    assert client.get(url)["Content-Disposition"].startswith("attachment")

    client.force_login(admin_user)
    assert client.get(url + "?inline=1").status_code == 200
    client.force_login(other_talent)
    assert client.get(url).status_code == 404


# --- the organization department ------------------------------------------------------------
def test_the_admin_returns_an_application_and_the_talent_sees_every_item(
    client, talent, admin_user, t
):
    app = submitted(t)
    client.force_login(admin_user)
    url = f"/manage/applications/{app['id']}/"

    # No item: refused next to the field.
    response = client.post(url + "return/", {"return-items": " \n ", "return-note": ""})
    assert response.status_code == 200
    assert "请逐条列出需要补正的全部事项" in field_error(
        response.content.decode(), "id_return-items"
    )

    items = "身份证件照片模糊，请重新上传\n\n劳动合同缺少盖章页"
    response = client.post(url + "return/", {"return-items": items, "return-note": "请一并补正"})
    assert response.status_code == 302 and response.url == url
    assert CardApplication.objects.get(pk=app["id"]).status == ApplicationStatus.RETURNED

    client.force_login(talent)
    html = page(client, f"/card/applications/{app['id']}/")
    box = html.split('class="returned"', 1)[1].split("</article>", 1)[0]
    assert "需补正事项（一次性告知，共 2 项）" in box
    # Every item, as a checklist in the resubmit form (which takes the new files too).
    ticks = re.findall(r'<input type="checkbox" name="resubmit-items" value="([^"]+)"', box)
    assert ticks == ["身份证件照片模糊，请重新上传", "劳动合同缺少盖章页"] and "请一并补正" in box
    assert 'type="file" name="resubmit-file_id_card"' in box
    timeline = html.split("办理记录", 1)[1]
    assert "退回补正" in timeline and "组织部人才办" in timeline and "申请人" in timeline
    assert "补正后重新提交</button>" in html


def test_the_admin_approves_with_the_highest_tier_by_default(client, talent, admin_user, t):
    app = submitted(t)  # D02 (D) and C03 (C)
    client.force_login(admin_user)
    url = f"/manage/applications/{app['id']}/"
    html = page(client, url)
    assert re.search(r'<option value="C" selected>', html)
    for code in ("D02", "C03"):
        assert f'name="approve-accepted" value="{code}" checked' in html
    assert "须在审核意见中写明理由" in html
    # Previews: the image inline, the documents through the permission-checked view.
    assert f'<img src="/card/applications/{app["id"]}/documents/' in html

    # Another tier without a reason: refused next to the note.
    accept_all = {"approve-accepted": ["D02", "C03"]}
    response = client.post(url + "approve/", {"approve-tier": "B", **accept_all})
    assert response.status_code == 200
    assert "须填写理由" in field_error(response.content.decode(), "id_approve-note")
    # Nothing accepted: refused next to the criteria, and the unticked boxes stay unticked.
    response = client.post(url + "approve/", {"approve-tier": "C"})
    html = response.content.decode()
    assert "请至少接受本申请所申报的一项认定条件" in field_error(html, "id_approve-accepted")
    assert 'value="C03" checked' not in html

    response = client.post(url + "approve/", {"approve-tier": "C", **accept_all})
    assert response.status_code == 302
    saved = CardApplication.objects.get(pk=app["id"])
    assert saved.status == ApplicationStatus.APPROVED and saved.approved_tier == "C"

    client.force_login(talent)
    html = page(client, f"/card/applications/{app['id']}/")
    assert saved.card.number in html and "C类 省级领军人才" in html

    # Deciding twice: the refusal (409) comes back as a message on the page.
    client.force_login(admin_user)
    response = client.post(url + "reject/", {"reject-reason": "重复"}, follow=True)
    assert "申请当前为“已认定”状态，不能作出不予认定决定" in response.content.decode()
    assert CardApplication.objects.get(pk=app["id"]).status == ApplicationStatus.APPROVED


def test_the_admin_rejects_with_a_reason_the_talent_reads(client, talent, admin_user, t):
    app = submitted(t)
    client.force_login(admin_user)
    url = f"/manage/applications/{app['id']}/"
    response = client.post(url + "reject/", {"reject-reason": ""})
    assert "请填写不予认定的理由" in field_error(response.content.decode(), "id_reject-reason")
    assert client.post(url + "reject/", {"reject-reason": "学历证书非全日制"}).status_code == 302

    client.force_login(talent)
    html = page(client, f"/card/applications/{app['id']}/")
    assert "不予认定" in html and "学历证书非全日制" in html


def test_the_review_queue_filters_and_puts_the_oldest_first(client, admin_user, talent):
    other = TalentFactory(real_name="张三丰", phone="13911112222")
    now = timezone.now()
    newer = CardApplication.objects.create(
        talent=talent, status="submitted", submitted_at=now - timedelta(hours=1)
    )
    older = CardApplication.objects.create(
        talent=other, status="submitted", submitted_at=now - timedelta(days=3, hours=2)
    )
    newer.criteria.set(Criterion.objects.filter(code__in=["D02", "C03"]))
    client.force_login(admin_user)
    html = page(client, "/manage/applications/")
    assert html.index(f"#{older.pk}<") < html.index(f"#{newer.pk}<")
    assert "张**" in html and "李*" in html and "李明" not in html and "张三丰" not in html
    assert "C03" in html
    assert re.search(r"3\s日，2\s小时", html)  # how long it has waited

    CardApplication.objects.filter(pk=older.pk).update(status="draft", submitted_at=None)
    html = page(client, "/manage/applications/")
    assert f"#{older.pk}<" not in html
    assert f"#{older.pk}<" in page(client, "/manage/applications/?status=draft")
    assert f"#{older.pk}<" in page(client, "/manage/applications/?status=")


def _cards(n: int, *, start: int = 1, **fields) -> list[Card]:
    cards = []
    for i in range(start, start + n):
        holder = TalentFactory()
        defaults = {"tier": "D", "valid_until": date(2029, 1, 1), **fields}
        cards.append(Card.objects.create(number=f"BZYC-2026-{i:06d}", holder=holder, **defaults))
    return cards


def test_the_card_registry_filters_and_searches(client, admin_user):
    _cards(2, tier="B")
    _cards(1, start=3, tier="D", status="suspended")
    client.force_login(admin_user)
    html = page(client, "/manage/cards/")
    assert all(f"BZYC-2026-00000{i}" in html for i in (1, 2, 3))
    html = page(client, "/manage/cards/?status=suspended")
    assert "BZYC-2026-000003" in html and "BZYC-2026-000001" not in html
    html = page(client, "/manage/cards/?tier=B")
    assert "BZYC-2026-000001" in html and "BZYC-2026-000003" not in html
    html = page(client, "/manage/cards/?q=2026-000002")  # a prefix; BZYC- may be left out
    assert "BZYC-2026-000002" in html and "BZYC-2026-000001" not in html


# --- QR and verification --------------------------------------------------------------------
def test_the_card_page_shows_the_card_and_the_qr_endpoint_gives_a_verifiable_token(
    client, talent, verifier, t, a
):
    app = approved(t, a)
    client.force_login(talent)
    html = page(client, "/card/")
    number = app["card"]["number"]
    assert number in html and "C类 省级领军人才" in html and "李*" in html and "有效" in html
    assert 'data-endpoint="/card/qr/"' in html and "/static/js/card-qr.js" in html
    assert "csrfmiddlewaretoken" in html.split('id="card-qr"', 1)[1]

    response = client.post("/card/qr/")
    assert response.status_code == 200
    body = response.json()
    assert body["svg"].startswith("data:image/svg+xml")
    assert 110 <= body["expires_in"] <= 120 and body["expires_at"].endswith("+08:00")
    result = qr_verify(token=body["token"], verifier=verifier)
    assert result.valid and result.card["number"] == number


def test_the_qr_endpoint_refuses_in_json_and_needs_csrf(client, talent, t, a):
    assert client.post("/card/qr/").status_code == 401
    client.force_login(talent)
    response = client.post("/card/qr/")
    assert response.status_code == 404 and response.json()["detail"] == "您还没有优才卡。"
    assert client.get("/card/qr/").status_code == 405
    approved(t, a)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(talent)
    assert strict.post("/card/qr/").status_code == 403


def test_verify_page_shows_valid_then_used(client, talent, verifier, t, a):
    app = approved(t, a)
    token = t.post("/api/v1/cards/mine/qr/").json()["token"]
    client.force_login(verifier)
    form = page(client, "/verify/")
    assert "/static/js/verify-scan.js" in form and 'id="verify-scan"' in form
    assert re.search(r'id="verify-scan"[^>]*hidden', form)  # shown only by the script

    html = client.post("/verify/", {"token": token}).content.decode()
    result = html.split('id="verify-result"', 1)[1].split("</article>", 1)[0]
    assert "✓ 有效" in result and app["card"]["number"] in result
    assert "李*" in result and "C类 省级领军人才" in result and "李明" not in result
    assert app["card"]["valid_until"] in result

    html = client.post("/verify/", {"token": token}).content.decode()
    result = html.split('id="verify-result"', 1)[1].split("</article>", 1)[0]
    assert "✗ 无效" in result and "二维码已使用过" in result
    assert CardScan.objects.filter(verifier=verifier).count() == 2

    html = client.post("/verify/", {"token": "not-a-token"}).content.decode()
    assert "无法识别的二维码" in html
    response = client.post("/verify/", {"token": ""})
    assert response.status_code == 200
    assert "请扫描或粘贴二维码内容" in field_error(response.content.decode(), "id_token")


def test_suspending_on_the_card_page_shows_on_the_next_verification(
    client, talent, admin_user, verifier, t, a
):
    number = approved(t, a)["card"]["number"]
    token = t.post("/api/v1/cards/mine/qr/").json()["token"]
    client.force_login(admin_user)
    url = f"/manage/cards/{number}/"
    html = page(client, url)
    assert "暂停使用" in html and "发卡" in html

    response = client.post(url + "suspend/", {"suspend-reason": ""})
    assert response.status_code == 200
    assert "请填写原因" in field_error(response.content.decode(), "id_suspend-reason")
    response = client.post(url + "suspend/", {"suspend-reason": "材料存疑，待核查"})
    assert response.status_code == 302
    assert Card.objects.get(number=number).status == "suspended"

    client.force_login(verifier)
    html = client.post("/verify/", {"token": token}).content.decode()
    assert "✗ 无效" in html and "该优才卡已暂停使用" in html and number in html

    # The holder's page no longer offers a QR code and the endpoint says why.
    client.force_login(talent)
    html = page(client, "/card/")
    assert 'id="card-qr"' not in html and "已暂停" in html and "材料存疑，待核查" in html
    response = client.post("/card/qr/")
    assert response.status_code == 409 and "已暂停" in response.json()["detail"]

    # The registry shows the scan, and reinstating then revoking works from the page.
    client.force_login(admin_user)
    html = page(client, url)
    assert "该优才卡已暂停使用" in html and "verifier" in html
    assert client.post(url + "reinstate/", {"reinstate-note": "核查无误"}).status_code == 302
    assert Card.objects.get(number=number).status == "active"
    response = client.post(url + "reinstate/", {"reinstate-note": ""}, follow=True)
    assert "只有已暂停的优才卡可以恢复" in response.content.decode()
    assert client.post(url + "revoke/", {"revoke-reason": "离职离巴"}).status_code == 302
    assert Card.objects.get(number=number).status == "revoked"


# --- who sees what --------------------------------------------------------------------------
TALENT_PAGES = ["/card/", "/card/apply/"]
ADMIN_PAGES = ["/manage/applications/", "/manage/cards/"]
VERIFIER_PAGES = ["/verify/"]


@pytest.mark.parametrize("persona", ["handler", "lead", "verifier", "auditor", "admin_user"])
def test_talent_pages_do_not_exist_for_other_roles(client, request, persona, t):
    app = draft(t)
    client.force_login(request.getfixturevalue(persona))
    for url in TALENT_PAGES:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/card/applications/{app['id']}/").status_code == 404
    assert client.post(f"/card/applications/{app['id']}/submit/").status_code == 404
    assert client.post("/card/qr/").status_code == 404


@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "verifier", "auditor"])
def test_admin_pages_do_not_exist_for_other_roles(client, request, persona, t, a):
    app = approved(t, a)
    client.force_login(request.getfixturevalue(persona))
    for url in [
        *ADMIN_PAGES,
        f"/manage/applications/{app['id']}/",
        f"/manage/cards/{app['card']['number']}/",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/manage/applications/{app['id']}/reject/", {}).status_code == 404
    number = app["card"]["number"]
    response = client.post(f"/manage/cards/{number}/suspend/", {"suspend-reason": "x"})
    assert response.status_code == 404
    assert Card.objects.get(number=number).status == "active"


@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "admin_user", "auditor"])
def test_the_verify_page_is_for_verifiers_only(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/verify/").status_code == 404
    assert client.post("/verify/", {"token": "x"}).status_code == 404
    assert not CardScan.objects.exists()


def test_another_talent_cannot_see_an_application_or_its_documents(client, other_talent, t):
    app = draft(t)
    t.post(
        f"/api/v1/card-applications/{app['id']}/documents/",
        {"kind": "id_card", "file": SimpleUploadedFile("a.png", png_bytes(), "image/png")},
        format="multipart",
    )
    document = CardApplication.objects.get(pk=app["id"]).documents.get()
    client.force_login(other_talent)
    base = f"/card/applications/{app['id']}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}documents/{document.pk}/").status_code == 404
    assert client.post(f"{base}submit/").status_code == 404
    assert client.post(f"{base}edit/", {"employer": "x"}).status_code == 404
    assert client.post(f"{base}documents/{document.pk}/delete/").status_code == 404
    assert CardApplication.objects.get(pk=app["id"]).documents.exists()


def test_visitors_are_sent_to_the_login_page(client, t):
    app = draft(t)
    for url in [
        *TALENT_PAGES,
        *ADMIN_PAGES,
        *VERIFIER_PAGES,
        f"/card/applications/{app['id']}/",
        f"/manage/applications/{app['id']}/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    ("persona", "labels"),
    [
        ("talent", ["我的优才卡"]),
        ("admin_user", ["优才卡审核", "优才卡登记簿"]),
        ("verifier", ["优才卡核验"]),
        ("handler", []),
        ("auditor", []),
    ],
)
def test_navigation_shows_the_card_pages_by_role(client, request, persona, labels):
    client.force_login(request.getfixturevalue(persona))
    shown = nav_labels(page(client, "/"))
    card_labels = [label for label in shown if "优才卡" in label]
    assert card_labels == labels


# --- query counts and personal data ---------------------------------------------------------
def test_the_review_queue_runs_a_constant_number_of_queries(
    client, admin_user, django_assert_max_num_queries
):
    codes = Criterion.objects.filter(code__in=["D02", "C03"])

    def add(n):
        for _ in range(n):
            app = CardApplication.objects.create(
                talent=TalentFactory(), status="submitted", submitted_at=timezone.now()
            )
            app.criteria.set(codes)

    add(1)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/manage/applications/").status_code == 200
    add(24)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, "/manage/applications/")
    assert len(re.findall(r'href="/manage/applications/\d+/"', html)) == 20


def test_the_card_registry_runs_a_constant_number_of_queries(
    client, admin_user, django_assert_max_num_queries
):
    _cards(1)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/manage/cards/").status_code == 200
    _cards(24, start=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, "/manage/cards/")
    assert html.count('href="/manage/cards/BZYC-') == 20
    assert "第 1 / 2 页，共 25 条" in html


def test_no_page_shows_an_unmasked_phone_or_id_number(client, talent, admin_user, verifier, t, a):
    app = approved(t, a)
    number = app["card"]["number"]
    token = t.post("/api/v1/cards/mine/qr/").json()["token"]
    secrets = [talent.id_number, talent.id_number.lower(), talent.phone]

    pages = []
    client.force_login(talent)
    pages += [page(client, url) for url in ["/card/", f"/card/applications/{app['id']}/"]]
    pages.append(client.post("/card/qr/").content.decode())
    client.force_login(admin_user)
    pages += [
        page(client, url)
        for url in [
            "/manage/applications/?status=",
            f"/manage/applications/{app['id']}/",
            "/manage/cards/",
            f"/manage/cards/{number}/",
        ]
    ]
    client.force_login(verifier)
    pages.append(client.post("/verify/", {"token": token}).content.decode())

    for html in pages:
        for secret in secrets:
            assert secret not in html
    # The organization department's pages and the verifier see the name masked.
    for html in pages[3:]:
        assert "李明" not in html and "李*" in html
