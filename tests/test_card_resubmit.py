"""退回补正 that means something (issue 11 item 2, cards): a resubmission answers the return
with a note or new documents, a document of a kind the reviewer saw is replaced, not deleted,
and only the current documents count — through the API and the pages alike."""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from cards.models import ApplicationDocument, ApplicationStatus, Card, CardApplication
from tests.cards_support import PDF, photo_bytes, png_bytes, submitted, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
EMPTY = "请上传补正材料或填写补正说明后再重新提交；不能提交空白的补正。"
ITEMS = ["学历学位证书扫描件不清晰", "请补充劳动合同盖章页"]


@pytest.fixture
def t(client_for, talent):
    return client_for(talent)


@pytest.fixture
def a(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def returned(t, a):
    """A D02 + C03 application, submitted with every document and returned for ITEMS."""
    app = submitted(t)
    response = a.post(
        f"/api/v1/card-applications/{app['id']}/return/",
        {"items": ITEMS, "note": "其他材料齐全"},
        format="json",
    )
    assert response.status_code == 200
    return response.json()


def resubmit(client, app, **body):
    return client.post(f"/api/v1/card-applications/{app['id']}/submit/", body, format="json")


def detail(client, app) -> dict:
    return client.get(f"/api/v1/card-applications/{app['id']}/").json()


def doc(app: dict, kind: str) -> ApplicationDocument:
    return ApplicationDocument.objects.get(application_id=app["id"], kind=kind)


# --- API ------------------------------------------------------------------------------------
def test_an_empty_resubmission_is_refused(t, returned):
    response = resubmit(t, returned)
    assert response.status_code == 400 and response.json() == {"note": [EMPTY]}
    assert CardApplication.objects.get().status == ApplicationStatus.RETURNED
    # Changing a field is not an answer by itself: it is said in the note.
    t.patch(f"/api/v1/card-applications/{returned['id']}/", {"position": "主任医师（正高）"})
    assert resubmit(t, returned, note="   ").status_code == 400


def test_a_note_answers_and_is_kept_with_the_ticked_items(t, returned):
    response = resubmit(t, returned, note="已修改职务", items=[ITEMS[1], ITEMS[0]])
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    event = response.json()["events"][-1]
    assert event["action"] == "resubmitted" and event["note"] == "已修改职务"
    assert event["items"] == ITEMS  # in the order they were returned


def test_an_item_that_was_not_returned_is_refused(t, returned):
    response = resubmit(t, returned, note="已补", items=["户口簿"])
    assert response.status_code == 400
    assert response.json() == {"items": ["以下事项不在退回补正的事项中：户口簿。"]}


def test_a_document_uploaded_since_the_return_answers(t, a, returned):
    first_degree = doc(returned, "degree")
    assert upload(t, returned["id"], "degree", name="学位证书-清晰.png").status_code == 201
    response = resubmit(t, returned)
    assert response.status_code == 200
    # The reviewer sees the new degree, and the old one as history.
    seen = detail(a, returned)
    current = {d["kind"]: d["name"] for d in seen["documents"]}
    assert current["degree"] == "学位证书-清晰.png" and len(seen["documents"]) == 5
    (old,) = seen["superseded_documents"]
    new_degree = ApplicationDocument.objects.current().get(kind="degree")
    assert old["id"] == first_degree.pk and old["superseded_by"] == new_degree.pk
    assert old["superseded_at"] is not None
    # Both files stay downloadable.
    assert a.get(old["url"]).status_code == 200


def test_a_second_file_after_the_return_adds_and_a_second_photo_replaces(t, returned):
    reviewed_photo, reviewed_degree = doc(returned, "photo"), doc(returned, "degree")
    upload(t, returned["id"], "degree", name="学位证书第1页.png")
    upload(t, returned["id"], "degree", name="学位证书第2页.png")
    current = ApplicationDocument.objects.current().filter(kind="degree")
    assert sorted(d.name for d in current) == ["学位证书第1页.png", "学位证书第2页.png"]
    reviewed_degree.refresh_from_db()
    assert reviewed_degree.superseded_by.name == "学位证书第1页.png"

    upload(t, returned["id"], "photo", name="新证件照.png")
    upload(t, returned["id"], "photo", name="更新的证件照.png")
    photos = ApplicationDocument.objects.filter(kind="photo")
    # The reviewed photo is history; the first new one, never reviewed, is simply gone.
    assert sorted(p.name for p in photos) == sorted([reviewed_photo.name, "更新的证件照.png"])
    reviewed_photo.refresh_from_db()
    assert reviewed_photo.superseded_by.name == "更新的证件照.png"


def test_what_the_reviewer_saw_cannot_be_deleted_but_a_replacement_can(t, returned):
    reviewed = doc(returned, "degree")
    url = f"/api/v1/card-applications/{returned['id']}/documents/"
    response = t.delete(f"{url}{reviewed.pk}/")
    assert response.status_code == 409 and "不能删除" in response.json()["detail"]
    upload(t, returned["id"], "degree", name="学位证书-清晰.png")
    reviewed.refresh_from_db()
    assert reviewed.superseded_at is not None
    assert t.delete(f"{url}{reviewed.pk}/").status_code == 409  # history stays
    replacement = ApplicationDocument.objects.current().get(kind="degree")
    assert t.delete(f"{url}{replacement.pk}/").status_code == 204
    # The replaced file is back in force, and nothing is missing.
    reviewed.refresh_from_db()
    assert reviewed.superseded_at is None and reviewed.superseded_by is None
    assert detail(t, returned)["missing_evidence"] == []


def test_missing_evidence_and_approval_count_only_current_documents(t, a, returned):
    first_photo = doc(returned, "photo")
    new_photo = photo_bytes(size=(300, 400))
    response = t.post(
        f"/api/v1/card-applications/{returned['id']}/documents/",
        {"kind": "photo", "file": SimpleUploadedFile("新照片.png", new_photo)},
        format="multipart",
    )
    assert response.status_code == 201
    # A replaced document does not count: take the replacement's kind out of the current set.
    ApplicationDocument.objects.filter(pk=response.json()["id"]).update(
        superseded_at=first_photo.uploaded_at
    )
    assert detail(t, returned)["missing_evidence"] == ["photo"]
    ApplicationDocument.objects.filter(pk=response.json()["id"]).update(superseded_at=None)
    assert detail(t, returned)["missing_evidence"] == []

    assert resubmit(t, returned, note="已更换证件照").status_code == 200
    assert a.post(f"/api/v1/card-applications/{returned['id']}/approve/", {}).status_code == 200
    # The card shows the current photo, not the one the reviewer first saw.
    card = Card.objects.get()
    assert card.photo.name == "新照片.png" and card.photo != first_photo
    assert card.photo.sha256 != first_photo.sha256


# --- the talent's page ----------------------------------------------------------------------
def resubmit_form(html: str) -> str:
    return re.search(r'<form[^>]*class="resubmit-form"[^>]*>.*?</form>', html, re.S).group(0)


def test_the_returned_items_and_the_uploads_are_one_form(client, talent, returned):
    client.force_login(talent)
    url = f"/card/applications/{returned['id']}/"
    html = client.get(url).content.decode()
    form = resubmit_form(html)
    assert f'action="{url}submit/"' in form and 'enctype="multipart/form-data"' in form
    assert "data-submit-once" in form and 'name="form_key"' in form
    ticks = re.findall(r'<input type="checkbox" name="resubmit-items" value="([^"]+)"', form)
    assert ticks == ITEMS
    files = re.findall(r'<input type="file" name="resubmit-file_(\w+)"', form)
    assert sorted(files) == ["contract", "degree", "id_card", "other", "photo", "title"]
    assert form.index('name="resubmit-file_other"') < form.index(">补正后重新提交</button>")
    # The reviewed documents can be replaced, not deleted; no separate submit button.
    assert "已审核，如需更正请上传同类材料替换" in html
    assert "/delete/" not in html and html.count(">补正后重新提交</button>") == 1


def test_an_empty_resubmission_page_answers_200_with_the_message(client, talent, returned):
    client.force_login(talent)
    url = f"/card/applications/{returned['id']}/submit/"
    response = client.post(url, {"resubmit-note": ""})
    assert response.status_code == 200
    error = re.search(r'id="id_resubmit-note_error">([^<]+)', response.content.decode())
    assert error.group(1) == EMPTY
    assert CardApplication.objects.get().status == ApplicationStatus.RETURNED


def test_the_resubmit_form_replaces_documents_and_keeps_the_history(
    client, talent, admin_user, returned
):
    client.force_login(talent)
    url = f"/card/applications/{returned['id']}/"
    response = client.post(
        url + "submit/",
        {
            "resubmit-items": [ITEMS[0]],
            "resubmit-file_degree": SimpleUploadedFile("学位证书-清晰.pdf", PDF),
            "resubmit-file_contract": SimpleUploadedFile("劳动合同-盖章.png", png_bytes()),
            "resubmit-note": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    app = CardApplication.objects.get()
    assert app.status == ApplicationStatus.SUBMITTED
    assert app.events.get(action="resubmitted").items == [ITEMS[0]]
    current = {d.kind: d.name for d in app.documents.current()}
    assert current["degree"] == "学位证书-清晰.pdf" and current["contract"] == "劳动合同-盖章.png"
    assert app.documents.filter(superseded_at__isnull=False).count() == 2

    html = client.get(url).content.decode()
    history = html.split('id="replaced-documents"', 1)[1].split("</details>", 1)[0]
    assert "已替换的材料（2 份）" in history and "替换为 学位证书-清晰.pdf" in history

    client.force_login(admin_user)
    html = client.get(f"/manage/applications/{app.pk}/").content.decode()
    previews = re.findall(r'<article class="document-preview">', html)
    assert len(previews) == 5  # the current documents only
    assert "补正后上传，替换了 证书.png" in html
    history = html.split('id="replaced-documents" open', 1)[1].split("</details>", 1)[0]
    assert history.count('<span class="tag">已替换</span>') == 2


def test_a_bad_file_refuses_the_resubmission_and_stores_nothing(client, talent, returned):
    client.force_login(talent)
    before = set(ApplicationDocument.objects.values_list("pk", flat=True))
    response = client.post(
        f"/card/applications/{returned['id']}/submit/",
        {
            "resubmit-file_degree": SimpleUploadedFile("学位证书.pdf", PDF),
            "resubmit-file_contract": SimpleUploadedFile("合同.pdf", b"<html>not a pdf</html>"),
            "resubmit-note": "见新材料",
        },
    )
    assert response.status_code == 200
    error = re.search(r'id="id_resubmit-file_contract_error">([^<]+)', response.content.decode())
    assert error.group(1) == "只能上传 PDF、JPG 或 PNG 格式的文件。"
    assert set(ApplicationDocument.objects.values_list("pk", flat=True)) == before
    assert CardApplication.objects.get().status == ApplicationStatus.RETURNED
    stored = {p.name for p in settings.PRIVATE_UPLOAD_ROOT.rglob("*") if p.is_file()}
    assert stored == {
        p.rsplit("/", 1)[-1]
        for p in ApplicationDocument.objects.values_list("storage_name", flat=True)
    }


def test_a_refused_resubmission_deletes_the_files_it_stored(client, talent, returned):
    """Files pass their checks and are stored, then the submission is refused (an item that
    was not returned): the rows roll back and the files are deleted with them."""
    client.force_login(talent)
    before = {p for p in settings.PRIVATE_UPLOAD_ROOT.rglob("*") if p.is_file()}
    response = client.post(
        f"/card/applications/{returned['id']}/submit/",
        {
            "resubmit-items": ["不存在的事项"],
            "resubmit-file_degree": SimpleUploadedFile("学位证书.pdf", PDF),
        },
    )
    assert response.status_code == 200
    assert "不在退回补正的事项中" in response.content.decode()
    assert {p for p in settings.PRIVATE_UPLOAD_ROOT.rglob("*") if p.is_file()} == before
