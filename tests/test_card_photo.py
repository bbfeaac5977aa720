"""The card holder's photo (API.md "The card holder's photo"): required to submit, checked by
content and stored without metadata, shown on the card to its holder and admins, and to a
verifier only through the signed 120-second URL of a valid verification."""

import hashlib
import io
import struct
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from PIL import ExifTags, Image, PngImagePlugin

from cards.models import ApplicationDocument, Card, DocumentKind
from tests.cards_support import PDF, approved, draft, photo_bytes, submitted, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
T0 = datetime(2026, 5, 11, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
ALL_EVIDENCE = ("id_card", "degree", "title", "contract")  # D02 + C03, the helpers' criteria


@pytest.fixture
def t(client_for, talent):
    return client_for(talent)


@pytest.fixture
def a(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def app(t):
    return draft(t)


def send_photo(client, app_id, content, name="证件照.jpg", content_type="image/jpeg"):
    return upload(client, app_id, "photo", content, name, content_type)


def stored(document: ApplicationDocument) -> bytes:
    return (Path(settings.PRIVATE_UPLOAD_ROOT) / document.storage_name).read_bytes()


def png_claiming(width: int, height: int) -> bytes:
    """A ~150-byte PNG whose header claims ``width``×``height`` 1-bit pixels: decoding it
    would take width×height bits of memory (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width // 8 + 2) * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def jpeg_with_gps() -> bytes:
    """A phone photo: landscape pixels with EXIF orientation 6 (turn 90° to stand upright),
    the camera's make, a GPS position and a JPEG comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 51.0, 7.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 44.0, 2.0),
    }
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "#438edb").save(
        buffer, "JPEG", exif=exif, comment=b"taken-at-home"
    )
    return buffer.getvalue()


# --- required ---------------------------------------------------------------------------------
def test_submit_is_refused_without_a_photo(t, app):
    for kind in ALL_EVIDENCE:
        assert upload(t, app["id"], kind).status_code == 201
    response = t.post(f"/api/v1/card-applications/{app['id']}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert body["missing_evidence"] == ["photo"]
    assert body["documents"] == ["缺少证明材料：证件照"]

    assert send_photo(t, app["id"], photo_bytes(kind="JPEG")).status_code == 201
    response = t.post(f"/api/v1/card-applications/{app['id']}/submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"


def test_the_page_names_the_missing_photo_in_chinese(client, talent, t, app):
    for kind in ALL_EVIDENCE:
        upload(t, app["id"], kind)
    client.force_login(talent)
    html = client.post(f"/card/applications/{app['id']}/submit/").content.decode()
    errors = html.split('id="submit-errors"', 1)[1].split("</div>", 1)[0]
    assert "缺少证明材料：证件照" in errors
    checklist = html.split('class="checklist"', 1)[1].split("</ul>", 1)[0]
    assert "证件照：<strong>缺少</strong>" in " ".join(checklist.split())


def test_a_new_photo_replaces_the_previous_one(t, app, django_capture_on_commit_callbacks):
    assert send_photo(t, app["id"], photo_bytes(kind="JPEG")).status_code == 201
    first = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
    first_file = Path(settings.PRIVATE_UPLOAD_ROOT) / first.storage_name
    with django_capture_on_commit_callbacks(execute=True):
        response = send_photo(t, app["id"], photo_bytes(), "新照片.png", "image/png")
    assert response.status_code == 201
    photo = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
    assert photo.pk == response.json()["id"] and photo.name == "新照片.png"
    assert not first_file.exists()
    documents = t.get(f"/api/v1/card-applications/{app['id']}/").json()["documents"]
    assert [d["kind"] for d in documents] == ["photo"]


# --- checked by content, stored re-encoded ----------------------------------------------------
def test_a_jpeg_is_stored_upright_without_exif_gps_or_comment(t, app):
    original = jpeg_with_gps()
    assert b"PhoneCo" in original and b"taken-at-home" in original
    response = send_photo(t, app["id"], original, "IMG_0001.JPG")
    assert response.status_code == 201, response.content
    document = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
    data = stored(document)
    assert data != original and b"Exif" not in data
    assert b"PhoneCo" not in data and b"taken-at-home" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (240, 320)  # the orientation was applied before it was dropped
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    # The row describes the stored file, not the upload.
    assert document.content_type == "image/jpeg" and document.name == "IMG_0001.JPG"
    assert document.size == len(data) and document.sha256 == hashlib.sha256(data).hexdigest()
    assert response.json()["size"] == len(data)


def test_a_png_is_accepted_and_its_text_chunks_dropped(t, app):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "李明 13800002688")
    original = photo_bytes(size=(300, 400), kind="PNG", pnginfo=info)
    assert b"Author" in original
    response = send_photo(t, app["id"], original, "证件照.png", "image/png")
    assert response.status_code == 201, response.content
    document = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
    data = stored(document)
    assert b"Author" not in data and b"tEXt" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (300, 400)
    assert document.content_type == "image/png"


def test_a_large_photo_is_scaled_down(t, app):
    response = send_photo(t, app["id"], photo_bytes(size=(2400, 3200), kind="JPEG"))
    assert response.status_code == 201
    data = stored(ApplicationDocument.objects.get(kind=DocumentKind.PHOTO))
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1200, 1600)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><script>alert(document.cookie)</script></html>"


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 320), "red").save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content", [PDF, HTML, SVG, gif_bytes()], ids=["pdf", "html", "svg", "gif"]
)
def test_anything_but_jpeg_or_png_is_refused_whatever_its_name(t, app, content):
    response = send_photo(t, app["id"], content, "证件照.jpg", "image/jpeg")
    assert response.status_code == 400
    assert response.json() == {"file": ["证件照只能是 JPG 或 PNG 格式的图片。"]}
    assert not ApplicationDocument.objects.exists()


@pytest.mark.parametrize(
    ("width", "height"),
    [(6000, 5000), (10000, 10000), (30000, 30000)],
    ids=["over-our-limit", "over-pillows-warning", "over-pillows-error"],
)
def test_decompression_bombs_are_refused_with_a_400(t, app, width, height):
    bomb = png_claiming(width, height)
    assert len(bomb) < 20_000
    response = send_photo(t, app["id"], bomb, "证件照.png", "image/png")
    assert response.status_code == 400
    assert "像素过多" in response.json()["file"][0]
    assert not ApplicationDocument.objects.exists()


def test_a_bomb_sent_as_other_evidence_is_refused_too(t, app):
    response = upload(t, app["id"], "degree", png_claiming(30000, 30000), "学位.png")
    assert response.status_code == 400 and list(response.json()) == ["file"]


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_truncated_photo_is_refused(t, app, kind):
    whole = photo_bytes(size=(400, 500), kind=kind)
    response = send_photo(t, app["id"], whole[: len(whole) // 2], f"证件照.{kind.lower()}")
    assert response.status_code == 400
    assert response.json() == {"file": ["证件照已损坏或格式不正确，请重新导出后上传。"]}


def test_an_empty_file_is_refused(t, app):
    response = send_photo(t, app["id"], b"")
    assert response.status_code == 400 and "file" in response.json()


def test_a_missing_photo_file_is_refused(t, app):
    response = t.post(
        f"/api/v1/card-applications/{app['id']}/documents/", {"kind": "photo"}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()


def test_a_photo_over_the_size_limit_is_refused(t, app, settings):
    content = photo_bytes(kind="JPEG")
    settings.PHOTO_MAX_BYTES = len(content) - 1
    response = send_photo(t, app["id"], content)
    assert response.status_code == 400
    assert "证件照不能超过" in response.json()["file"][0]
    settings.PHOTO_MAX_BYTES = len(content)
    assert send_photo(t, app["id"], content).status_code == 201


def test_the_photo_limit_is_5_mb_by_default():
    assert settings.PHOTO_MAX_BYTES == 5 * 1024 * 1024


@pytest.mark.parametrize("size", [(199, 300), (240, 249), (24, 24)])
def test_a_photo_below_200_by_250_is_refused(t, app, size):
    response = send_photo(t, app["id"], photo_bytes(size=size), "小.png", "image/png")
    assert response.status_code == 400
    assert "证件照尺寸过小" in response.json()["file"][0]


# --- the card shows it --------------------------------------------------------------------------
def test_approval_puts_the_photo_on_the_card(t, a):
    card = approved(t, a)["card"]
    photo = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
    assert Card.objects.get(number=card["number"]).photo == photo


def test_renewal_and_change_replace_the_cards_photo(t, a, client_for, talent, admin_user):
    with time_machine.travel(T0, tick=False) as clock:
        number = approved(t, a, criteria=("D02",))["card"]["number"]
        first = Card.objects.get(number=number).photo

        change = submitted(t, criteria=("C03",), kind="change")
        a.post(f"/api/v1/card-applications/{change['id']}/approve/", {})
        second = Card.objects.get(number=number).photo
        assert second.application_id == change["id"] and second != first

        clock.move_to(T0 + timedelta(days=3 * 365 - 30))
        t, a = client_for(talent), client_for(admin_user)  # API tokens expire; sign in again
        renewal = submitted(t, criteria=("D02",), kind="renewal")
        a.post(f"/api/v1/card-applications/{renewal['id']}/approve/", {})
    card = Card.objects.get(number=number)
    assert card.photo.application_id == renewal["id"]
    assert card.valid_until.year == 2032


def test_the_card_page_shows_the_photo_to_its_holder(client, talent, t, a):
    number = approved(t, a)["card"]["number"]
    photo = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
    client.force_login(talent)
    html = client.get("/card/").content.decode()
    url = f"/card/photos/{number}/"
    assert f'src="{url}"' in html
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == stored(photo)
    assert "no-store" in response["Cache-Control"]


def test_the_admins_card_page_shows_the_photo(client, admin_user, t, a):
    number = approved(t, a)["card"]["number"]
    client.force_login(admin_user)
    assert (
        f'src="/card/photos/{number}/"' in client.get(f"/manage/cards/{number}/").content.decode()
    )
    assert client.get(f"/card/photos/{number}/").status_code == 200


def test_nobody_else_gets_the_photo(client, t, a, other_talent, verifier, handler):
    url = f"/card/photos/{approved(t, a)['card']['number']}/"
    for user in (other_talent, verifier, handler):
        client.force_login(user)
        assert client.get(url).status_code == 404, user.username
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert client.get("/card/photos/BZYC-2026-999999/").status_code == 302


def test_a_card_without_a_photo_answers_404(client, talent, t, a):
    number = approved(t, a)["card"]["number"]
    Card.objects.filter(number=number).update(photo=None)
    client.force_login(talent)
    assert client.get(f"/card/photos/{number}/").status_code == 404
    assert "/card/photos/" not in client.get("/card/").content.decode()


# --- the verifier sees it for 120 seconds -------------------------------------------------------
def verify(client, token) -> dict:
    response = client.post("/api/v1/cards/verify/", {"token": token})
    assert response.status_code == 200
    return response.json()


def qr_token(client) -> str:
    return client.post("/api/v1/cards/mine/qr/").json()["token"]


def test_a_valid_verification_answers_a_photo_url_for_120_seconds(
    t, a, client_for, talent, verifier, client
):
    with time_machine.travel(T0, tick=False) as clock:
        approved(t, a)
        photo = ApplicationDocument.objects.get(kind=DocumentKind.PHOTO)
        answer = verify(client_for(verifier), qr_token(client_for(talent)))
        assert answer["valid"] is True
        url = answer["card"]["photo_url"]
        assert url.startswith("http://testserver/verify/photos/")
        # The token names only the card (by its id), signed; no personal data.
        token = url.rsplit("/", 2)[-2]
        card = Card.objects.get()
        assert token.split(":")[0] == str(card.pk) and "李" not in token

        response = client.get(url)  # anyone holding the URL: no sign-in
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "no-store"
        # The uploaded file's name (people name files after themselves) stays behind.
        assert "photo.png" in response["Content-Disposition"]
        assert photo.name not in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == stored(photo)

        clock.shift(timedelta(seconds=120))
        assert client.get(url).status_code == 200
        clock.shift(timedelta(microseconds=1))
        assert client.get(url).status_code == 404


def test_a_tampered_photo_url_answers_404(t, a, client_for, talent, verifier, client):
    approved(t, a)
    other = approved(client_for_new_talent(client_for), a)["card"]["number"]
    url = verify(client_for(verifier), qr_token(client_for(talent)))["card"]["photo_url"]
    token = url.rsplit("/", 2)[-2]
    card_id, stamp, signature = token.split(":")
    other_id = Card.objects.get(number=other).pk
    for forged in (
        f"{other_id}:{stamp}:{signature}",  # another card's photo with this signature
        f"{card_id}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{card_id}:{stamp}",
        "garbage",
    ):
        assert client.get(f"/verify/photos/{forged}/").status_code == 404, forged
    assert client.get(url).status_code == 200


def client_for_new_talent(client_for):
    from tests.factories import TalentFactory

    return client_for(TalentFactory())


def test_an_invalid_verification_has_no_photo_url(t, a, client_for, talent, verifier):
    number = approved(t, a)["card"]["number"]
    checker = client_for(verifier)
    token = qr_token(client_for(talent))
    assert "photo_url" in verify(checker, token)["card"]
    assert verify(checker, token) == {
        "valid": False,
        "reason": "token_used",
        "reason_label": "二维码已使用过，请持卡人刷新后重新出示",
        "card": None,
    }

    fresh = qr_token(client_for(talent))
    a.post(f"/api/v1/cards/{number}/suspend/", {"reason": "核查中"})
    answer = verify(checker, fresh)
    assert answer["valid"] is False and answer["reason"] == "card_suspended"
    assert answer["card"]["number"] == number and "photo_url" not in answer["card"]


def test_the_verifier_page_shows_the_photo_next_to_the_masked_name(
    client, t, a, client_for, talent, verifier
):
    approved(t, a)
    client.force_login(verifier)
    html = client.post("/verify/", {"token": qr_token(client_for(talent))}).content.decode()
    holder = html.split('<dd class="holder">', 1)[1].split("</dd>", 1)[0]
    assert "李*" in holder and 'class="holder-photo"' in holder
    src = holder.split('src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/verify/photos/")
    client.logout()
    assert client.get(src)["Content-Type"] == "image/png"

    client.force_login(verifier)
    html = client.post("/verify/", {"token": "garbage"}).content.decode()
    assert "holder-photo" not in html and "/verify/photos/" not in html


def test_the_photo_is_in_no_card_listing(t, a, client_for, talent):
    number = approved(t, a)["card"]["number"]

    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    answers = [
        a.get("/api/v1/cards/").json(),
        client_for(talent).get("/api/v1/cards/mine/").json(),
        a.post(f"/api/v1/cards/{number}/suspend/", {"reason": "核查中"}).json(),
        a.post(f"/api/v1/cards/{number}/reinstate/", {}).json(),
    ]
    for answer in answers:
        assert not {k for k in keys(answer) if "photo" in k}, answer
        assert "/photos/" not in str(answer)


def test_the_schema_documents_the_photo_url():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    verified = schema["components"]["schemas"]["VerifiedCard"]
    assert verified["properties"]["photo_url"]["format"] == "uri"
    assert "120" in verified["properties"]["photo_url"]["description"]
    assert "photo_url" not in verified.get("required", [])
    for name in ("Card", "CardAdmin", "PaginatedCardAdminList"):
        assert "photo" not in str(schema["components"]["schemas"].get(name, {}))


# --- demo data ---------------------------------------------------------------------------------
def test_the_demo_card_has_a_drawn_photo(settings, client, verifier):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo")
    card = Card.objects.get(holder__username="demo_talent")
    assert card.photo is not None and card.photo.kind == DocumentKind.PHOTO
    with Image.open(io.BytesIO(stored(card.photo))) as image:
        assert image.format == "PNG" and image.size == (300, 400)

    # A card seeded before photos existed gets one on the next seed_demo.
    Card.objects.filter(pk=card.pk).update(photo=None)
    ApplicationDocument.objects.filter(kind=DocumentKind.PHOTO).delete()
    call_command("seed_demo")
    card.refresh_from_db()
    assert card.photo is not None
    assert Path(settings.PRIVATE_UPLOAD_ROOT, card.photo.storage_name).is_file()
