"""Keeping the card (issue 14 point 2): the holder's PDF e-certificate and phone image, the
public verification page their QR code points at, and who gets what (cards.keep)."""

import io
from datetime import timedelta

import pytest
import segno
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from cards import card_image
from cards.certificate import certificate_pdf
from cards.keep import public_url, qr_payload, qr_runs
from cards.models import Card, CardPublicCheck, CardStatus
from portal import fonts
from portal.models import AuditEvent
from tests.cards_support import approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]

PDF_URL = "/cards/mine/certificate.pdf"
PNG_URL = "/cards/mine/card.png"
API_URL = "/api/v1/cards/mine/certificate/"


@pytest.fixture
def card(client_for, talent, admin_user) -> Card:
    """李明's card, issued through the API (with its photo), tier C."""
    number = approved(client_for(talent), client_for(admin_user))["card"]["number"]
    return Card.objects.select_related("holder", "photo").get(number=number)


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def set_status(card: Card, status: str) -> None:
    if status == CardStatus.EXPIRED:
        # Past its end date, not yet marked by the nightly job: expired all the same.
        Card.objects.filter(pk=card.pk).update(valid_until=timezone.localdate() - timedelta(1))
    else:
        Card.objects.filter(pk=card.pk).update(status=status)


def pdf_text(body: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(body))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


# --- the public reference -------------------------------------------------------------------
def test_each_card_has_its_own_unguessable_public_ref(card, other_talent):
    other = Card.objects.create(
        number="BZYC-2026-999999",
        holder=other_talent,
        tier="D",
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    assert len(card.public_ref) == 22  # 16 random bytes, URL-safe base64
    assert card.public_ref != other.public_ref
    assert card.number not in card.public_ref


def test_the_qr_payload_is_the_absolute_public_url_built_from_site_url(card, settings):
    settings.SITE_URL = "https://rc.bazhou.example/"
    url = f"https://rc.bazhou.example/v/{card.public_ref}/"
    assert public_url(card) == url
    assert qr_payload(card) == url
    # What is drawn is that payload's QR code, module for module.
    size, runs = qr_runs(url, border=0)
    drawn = [[False] * size for _ in range(size)]
    for row, col, length in runs:
        for x in range(col, col + length):
            drawn[row][x] = True
    expected = [[bool(v) for v in row] for row in segno.make(url, error="m").matrix]
    assert drawn == expected


# --- the PDF e-certificate ------------------------------------------------------------------
def test_the_holder_downloads_the_certificate_page_and_api(card, talent, client_for):
    before = AuditEvent.objects.filter(action="card.certificate_download").count()
    response = browser(talent).get(PDF_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    pages, text = pdf_text(response.content)
    assert pages == 1
    assert card.number in text
    assert "C类 省级领军人才" in text
    assert "李明" in text  # the holder's own document carries the full name
    assert "巴州优才卡 电子证书" in text
    assert "中共巴中市巴州区委组织部" in text
    assert card.valid_until.strftime("%Y年%m月%d日") in text

    api = client_for(talent).get(API_URL)
    assert api.status_code == 200
    assert api["Content-Type"] == "application/pdf"
    assert api["Content-Disposition"].startswith("attachment;")
    assert pdf_text(api.content)[0] == 1

    events = AuditEvent.objects.filter(action="card.certificate_download")
    assert events.count() == before + 2
    assert {e.object_id for e in events} == {str(card.pk)}
    assert {e.actor_id for e in events} == {talent.pk}


def test_the_certificate_carries_no_id_number_and_draws_without_a_photo(card, talent):
    Card.objects.filter(pk=card.pk).update(photo=None)
    card.refresh_from_db()
    _pages, text = pdf_text(certificate_pdf(card))
    assert "无照片" in text
    assert talent.id_number not in text
    assert talent.id_number[-4:] not in text
    assert "身份证" not in text


# --- the phone image ------------------------------------------------------------------------
def test_the_holder_saves_the_phone_image(card, talent):
    response = browser(talent).get(PNG_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    assert image.size == (card_image.WIDTH, card_image.HEIGHT) == (1080, 1920)
    # Drawn with a font that has every character of the card's text (no boxes).
    path = card_image.font_for("李明巴州优才卡")
    assert path is not None
    assert image.info["Font"] == card_image.ImageFont.truetype(path, 12).getname()[0]
    # The title is white text on the red band.
    band = image.crop((0, 90, 1080, 200)).convert("RGB")
    colours = {colour for _count, colour in band.getcolors(maxcolors=1 << 16)}
    assert (255, 255, 255) in colours and card_image.BRAND in colours
    assert AuditEvent.objects.filter(action="card.image_download", object_id=str(card.pk)).exists()


def test_a_character_no_font_has_is_never_drawn_as_a_box(card, talent):
    assert card_image.font_for("巴州") is not None
    # U+10FFFD (private use) is in no font: the image is refused, never drawn with boxes.
    assert card_image.font_for("李\U0010fffd") is None
    type(talent).objects.filter(pk=talent.pk).update(real_name="李\U0010fffd")
    response = browser(talent).get(PNG_URL)
    assert response.status_code == 503
    assert "PDF 电子证书" in response.content.decode()
    assert not AuditEvent.objects.filter(action="card.image_download").exists()


def test_without_a_cjk_font_the_image_is_refused_and_not_offered(
    card, talent, monkeypatch, settings
):
    settings.CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Latin only
    monkeypatch.setattr(fonts, "FONT_CANDIDATES", ())
    response = browser(talent).get(PNG_URL)
    assert response.status_code == 503
    home = browser(talent).get("/card/").content.decode()
    assert PDF_URL in home
    assert PNG_URL not in home


# --- who gets what --------------------------------------------------------------------------
def test_the_card_page_offers_both_downloads_to_the_holder(card, talent):
    html = browser(talent).get("/card/").content.decode()
    assert f'href="{PDF_URL}"' in html
    assert f'href="{PNG_URL}"' in html


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_a_card_not_valid_now_gets_no_certificate_nor_image(card, talent, client_for, status):
    set_status(card, status)
    for url in (PDF_URL, PNG_URL):
        response = browser(talent).get(url)
        assert response.status_code == 409, url
        assert "不能" in response.content.decode()
    api = client_for(talent).get(API_URL)
    assert api.status_code == 409
    assert api.json()["status"] == status
    html = browser(talent).get("/card/").content.decode()
    assert PDF_URL not in html and PNG_URL not in html
    assert not AuditEvent.objects.filter(
        action__in=["card.certificate_download", "card.image_download"]
    ).exists()


def test_nobody_else_gets_the_holders_files(
    card, other_talent, handler, verifier, admin_user, client_for
):
    # Another talent has no card: "mine" is theirs, so 404.
    for url in (PDF_URL, PNG_URL):
        assert browser(other_talent).get(url).status_code == 404
    assert client_for(other_talent).get(API_URL).status_code == 404
    # Staff, verifiers and the organization department: no such page for them.
    for user in (handler, verifier, admin_user):
        for url in (PDF_URL, PNG_URL):
            assert browser(user).get(url).status_code == 404, (user.role, url)
        assert client_for(user).get(API_URL).status_code == 403, user.role
    # Signed out: the page asks to sign in, the API answers 401.
    response = browser().get(PDF_URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get(API_URL).status_code == 401


# --- the public verification page -----------------------------------------------------------
LABELS = {"active": "有效", "suspended": "已暂停", "revoked": "已注销", "expired": "已过期"}


@pytest.mark.parametrize("status", list(LABELS))
def test_the_public_page_shows_validity_tier_and_end_date_only(
    card, talent, status, django_assert_num_queries
):
    set_status(card, status)
    card.refresh_from_db()
    with django_assert_num_queries(2):  # the card, the log row
        response = Client().get(f"/v/{card.public_ref}/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = html.split('class="public-verify', 1)[1].split("</article>", 1)[0]
    assert LABELS[status] in shown.split("</p>", 1)[0]
    assert "C类 省级领军人才" in shown
    assert card.valid_until.strftime("%Y-%m-%d") in shown
    for secret in ("李明", "李*", card.number, talent.phone, "/card/photos/", "verify/photos"):
        assert secret not in html, secret
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in html
    check = CardPublicCheck.objects.get()
    assert (check.card_id, check.status) == (card.pk, status)


def test_the_public_page_of_an_unknown_ref_is_404_and_counted(card):
    for ref in ("A" * 22, "not-a-ref", card.public_ref[:-1] + "_"):
        assert Client().get(f"/v/{ref}/").status_code == 404
    assert CardPublicCheck.objects.filter(card=None, status="").count() == 3


def test_the_public_page_is_throttled_per_address(card, settings):
    settings.PUBLIC_VERIFY_RATE_LIMIT = 3
    url = f"/v/{card.public_ref}/"
    answers = [Client(REMOTE_ADDR="203.0.113.9").get(url).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="203.0.113.10").get(url).status_code == 200
    assert CardPublicCheck.objects.count() == 4  # the refused lookup looked nothing up


def test_the_public_ref_survives_revocation_and_renewal(card, client_for, admin_user):
    ref = card.public_ref
    response = client_for(admin_user).post(
        f"/api/v1/cards/{card.number}/revoke/", {"reason": "离开巴州区"}
    )
    assert response.status_code == 200, response.content
    card.refresh_from_db()
    assert card.public_ref == ref
    assert "已注销" in Client().get(f"/v/{ref}/").content.decode()


def test_the_public_page_speaks_english_to_an_english_browser(card):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/v/{card.public_ref}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Talent Card status check" in html
    assert "nothing about the holder" in html
    assert "李明" not in html and card.number not in html
