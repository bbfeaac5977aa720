"""Evidence uploads: judged by content, size-limited, stored privately, served by permission."""

from pathlib import Path

import pytest
from django.conf import settings

from cards.models import ApplicationDocument
from tests.cards_support import PDF, draft, jpeg_bytes, png_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def t(client_for, talent):
    return client_for(talent)


@pytest.fixture
def app(t):
    return draft(t)


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "证书.pdf", "application/pdf"),
        (png_bytes(), "证书.png", "image/png"),
        (jpeg_bytes(), "证书.jpg", "image/jpeg"),
        (png_bytes(), "证书.pdf", "application/pdf"),  # a PNG under a wrong name is still a PNG
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_content(t, app, content, name, content_type):
    response = upload(t, app["id"], "degree", content, name, content_type)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "kind", "name", "size"}
    assert body["kind"] == "degree" and body["name"] == name and body["size"] == len(content)


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (EXECUTABLE, "学位证书.pdf", "application/pdf"),
        (EXECUTABLE, "照片.png", "image/png"),
        (ELF, "证书.jpg", "image/jpeg"),
        (HTML, "证书.png", "image/png"),
        (b"GIF89a" + b"\x00" * 50, "证书.gif", "image/gif"),
        (png_bytes()[:40], "truncated.png", "image/png"),
        (b"%PDF-1.4 no end of file marker", "broken.pdf", "application/pdf"),
    ],
    ids=[
        "exe-as-pdf",
        "exe-as-png",
        "elf-as-jpg",
        "html-as-png",
        "gif",
        "truncated-png",
        "no-eof-pdf",
    ],
)
def test_renamed_executables_and_other_types_are_refused(t, app, content, name, content_type):
    response = upload(t, app["id"], "degree", content, name, content_type)
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert not ApplicationDocument.objects.exists()


def test_oversized_files_are_refused(t, app, settings):
    big = png_bytes(size=(400, 400))
    settings.UPLOAD_MAX_BYTES = len(big) - 1
    response = upload(t, app["id"], "degree", big)
    assert response.status_code == 400
    assert "不能超过" in response.json()["file"][0]
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    assert upload(t, app["id"], "degree", big).status_code == 201


def test_a_wrong_kind_is_refused(t, app):
    response = upload(t, app["id"], "passport_photo")
    assert response.status_code == 400 and "kind" in response.json()


def test_a_missing_file_is_refused(t, app):
    response = t.post(
        f"/api/v1/card-applications/{app['id']}/documents/", {"kind": "degree"}, format="multipart"
    )
    assert response.status_code == 400


def test_files_are_stored_privately_under_random_names(t, app):
    upload(t, app["id"], "degree", PDF, "李明-博士学位证书.pdf", "application/pdf")
    document = ApplicationDocument.objects.get()
    root = Path(settings.PRIVATE_UPLOAD_ROOT)
    stored = root / document.storage_name
    assert stored.is_file() and stored.read_bytes() == PDF
    assert "李明" not in document.storage_name and "博士" not in document.storage_name
    assert not str(root.resolve()).startswith(str(Path(settings.STATIC_ROOT).resolve()))
    assert t.get(f"/media/{document.storage_name}").status_code == 404


def test_downloads_go_through_the_permission_check(
    t, app, client_for, other_talent, admin_user, handler, api
):
    response = upload(t, app["id"], "degree", PDF, "学位.pdf", "application/pdf")
    url = f"/api/v1/card-applications/{app['id']}/documents/{response.json()['id']}/"
    own = t.get(url)
    assert own.status_code == 200 and b"".join(own.streaming_content) == PDF
    assert own["Content-Type"] == "application/pdf"
    assert own["X-Content-Type-Options"] == "nosniff"
    assert (
        "attachment" in own["Content-Disposition"] and "sandbox" in own["Content-Security-Policy"]
    )
    assert client_for(admin_user).get(url).status_code == 200
    assert client_for(other_talent).get(url).status_code == 404
    assert client_for(handler).get(url).status_code == 403
    assert api.get(url).status_code == 401


def test_a_document_can_be_removed_while_editable(t, app, django_capture_on_commit_callbacks):
    response = upload(t, app["id"], "degree")
    document = ApplicationDocument.objects.get()
    stored = Path(settings.PRIVATE_UPLOAD_ROOT) / document.storage_name
    with django_capture_on_commit_callbacks(execute=True):
        deleted = t.delete(
            f"/api/v1/card-applications/{app['id']}/documents/{response.json()['id']}/"
        )
    assert deleted.status_code == 204
    assert not ApplicationDocument.objects.exists() and not stored.exists()


def test_a_stored_file_is_removed_when_its_row_cannot_be_written(tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.uploads import check_upload, stored_upload

    upload = SimpleUploadedFile("a.pdf", PDF, "application/pdf")
    checked = check_upload(upload)
    with pytest.raises(RuntimeError), stored_upload(upload, checked, folder="t") as name:
        path = Path(settings.PRIVATE_UPLOAD_ROOT) / name
        assert path.is_file()
        raise RuntimeError("the row could not be written")
    assert not path.exists()
