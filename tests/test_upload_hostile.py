"""Uploads never 500 (issue 13 point 3): every upload path — the API's ``file`` field and the
pages' multipart forms, for card application documents, the card holder's photo, request
attachments (talent and staff), 补正 files and the calendar's CSV — answers a malformed or
hostile file with a Chinese message (API: 400 ``{"file": [...]}``; pages: the form again, 200,
with the message next to the field), and stores nothing: no row, no file.

The hostile files: a decompression bomb (a real, 110 KB PNG of 30000×30000 one-bit pixels,
900 million pixels), a smaller one that Pillow would only warn about, a PNG and a JPEG cut
short, an HTML page named .pdf, an SVG with a script inside, and an empty file. A valid file
is still accepted on every path.
"""

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cards.models import ApplicationDocument, ApplicationStatus, CardApplication
from portal.uploads import ImageLimits, check_upload, reencode_image
from services.models import CalendarDay, RequestAttachment, RequestStatus
from services.seed import seed_service_types
from services.workflow import request_ask_info
from tests.cards_support import PDF, draft, photo_bytes, submitted
from tests.requests_support import give_card, request_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]


# --- the files ------------------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG of ``width``×``height`` one-bit black pixels, built without ever holding
    them: one fully flushed deflate segment of 1000 zero rows (it refers to nothing before
    it), repeated. 30000×30000 is ~110 KB here, 112 MB decoded, 2.7 GB as RGB."""
    rows = 1000
    raw = b"\0" * ((1 + (width + 7) // 8) * rows)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = deflate.compress(raw) + deflate.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(height, rows)
    last = raw[: len(raw) // rows * rest]
    end = deflate.compress(last) + deflate.flush()
    adler = 1
    for _ in range(full):
        adler = zlib.adler32(raw, adler)
    adler = zlib.adler32(last, adler)
    idat = b"\x78\xda" + segment * full + end + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def image_bytes(size=(240, 320), kind="PNG", mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "#438edb" if mode in ("RGB", "RGBA") else 1).save(buffer, kind, **save)
    return buffer.getvalue()


def noisy_png(size=(240, 320), **save) -> bytes:
    """A photo-sized PNG whose pixels do not compress away (so that cutting it hurts)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, bytes(range(256)) * (size[0] * size[1] * 3 // 256 + 1)).save(
        buffer, "PNG", **save
    )
    return buffer.getvalue()


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
ADAM7 += ((0, 1, 1, 2),)


def interlaced_png(size=(240, 320)) -> tuple[bytes, Image.Image]:
    """An Adam7-interlaced RGB PNG (Pillow writes none) of noisy pixels, and its image."""
    width, height = size
    image = Image.frombytes("RGB", size, bytes(range(7, 256)) * (width * height * 3 // 249 + 1))
    pixels = image.tobytes()
    raw = bytearray()
    for x0, y0, dx, dy in ADAM7:
        for y in range(y0, height, dy):
            row = b"".join(
                pixels[(y * width + x) * 3 : (y * width + x) * 3 + 3] for x in range(x0, width, dx)
            )
            if row:
                raw += b"\0" + row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw)))
        + _chunk(b"IEND", b"")
    )
    return data, image


def png_with_short_pixel_data() -> bytes:
    """Every chunk whole and its CRC right, IEND present — but the IDAT stream stops halfway:
    a file damaged before it was written out, which Pillow's verify() passes."""
    data = noisy_png()
    ihdr = data[8 : 8 + 25]
    pixels = b"".join(_iter_idat(data))
    return (
        b"\x89PNG\r\n\x1a\n"
        + ihdr
        + _chunk(b"IDAT", pixels[: len(pixels) // 2])
        + _chunk(b"IEND", b"")
    )


def _iter_idat(data: bytes):
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            yield data[at + 8 : at + 8 + length]
        at += 12 + length


HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me/')</script></body></html>"
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="320">'
    b'<script type="text/javascript">alert(document.cookie)</script>'
    b'<rect width="240" height="320" fill="red"/></svg>'
)

# name: (file name, content type, bytes)
HOSTILE = {
    "bomb": ("证件照.png", "image/png", lambda: bomb_png()),
    # 8000×6000 = 48 million: above UPLOAD_MAX_IMAGE_PIXELS, below twice it, where Pillow only
    # warns (a warning the portal must treat as a refusal, not decode past).
    "warning-bomb": ("扫描件.png", "image/png", lambda: bomb_png(8000, 6000)),
    "truncated-png": ("证件照.png", "image/png", lambda: noisy_png()[: len(noisy_png()) // 2]),
    "truncated-jpeg": ("证件照.jpg", "image/jpeg", lambda: photo_bytes(kind="JPEG")[:600]),
    "html-as-pdf": ("学位证书.pdf", "application/pdf", lambda: HTML),
    "svg": ("证件照.svg", "image/svg+xml", lambda: SVG),
    "empty": ("证书.pdf", "application/pdf", lambda: b""),
}


NOT_EVIDENCE = ("只能上传 PDF、JPG 或 PNG 格式的文件。", "证件照只能是 JPG 或 PNG 格式的图片。")
MESSAGES = {  # case: (on a document, on the photo)
    "bomb": ("图片像素过多（不能超过4000万像素）", "证件照像素过多（不能超过1600万像素）"),
    "warning-bomb": ("图片像素过多（不能超过4000万像素）", "证件照像素过多（不能超过1600万像素）"),
    "truncated-png": ("文件已损坏或格式不正确", "证件照已损坏或格式不正确"),
    "truncated-jpeg": ("文件已损坏或格式不正确", "证件照已损坏或格式不正确"),
    "html-as-pdf": (
        "只能上传 PDF、JPG 或 PNG 格式的文件。",
        "证件照只能是 JPG 或 PNG 格式的图片。",
    ),
    "svg": ("只能上传 PDF、JPG 或 PNG 格式的文件。", "证件照只能是 JPG 或 PNG 格式的图片。"),
    "empty": ("文件为空，请重新选择。", "文件为空，请重新选择。"),
}


def expected(case: str, photo: bool) -> str:
    """The message (or its start) a path answers ``case`` with."""
    return MESSAGES[case][photo]


def hostile(case: str) -> SimpleUploadedFile:
    name, content_type, content = HOSTILE[case]
    return SimpleUploadedFile(name, content(), content_type)


VALID = {  # kind: (file name, content type, bytes)
    "png": ("近期证件照.png", "image/png", lambda: photo_bytes()),
    "jpeg": ("近期证件照.jpg", "image/jpeg", lambda: photo_bytes(kind="JPEG")),
    "pdf": ("学位证书.pdf", "application/pdf", lambda: PDF),
}


def valid(kind: str) -> SimpleUploadedFile:
    name, content_type, content = VALID[kind]
    return SimpleUploadedFile(name, content(), content_type)


# --- the paths ------------------------------------------------------------------------------
@dataclass
class Target:
    """One upload path: ``send(file)`` posts it; ``field`` is where a page shows the error
    (the API answers under ``file``); ``rows`` counts the rows an upload there creates."""

    send: Any
    api: bool
    photo: bool
    rows: Any
    field: str = "file"
    done: Any = None  # a further check that a valid upload did what it is for


def _card_documents(request, *, api: bool, photo: bool) -> Target:
    talent = request.getfixturevalue("talent")
    app = draft(request.getfixturevalue("client_for")(talent))
    kind = "photo" if photo else "degree"
    if api:
        client = request.getfixturevalue("client_for")(talent)
        url = f"/api/v1/card-applications/{app['id']}/documents/"

        def send(file):
            return client.post(url, {"kind": kind, "file": file}, format="multipart")

    else:
        client = request.getfixturevalue("client")
        client.force_login(talent)
        url = f"/card/applications/{app['id']}/documents/"

        def send(file):
            return client.post(url, {"kind": kind, "file": file})

    return Target(send, api, photo, ApplicationDocument.objects.count, field="id_file")


def _card_resubmit(request, *, photo: bool) -> Target:
    """The 补正后重新提交 form of a returned application: a new file for one kind."""
    talent = request.getfixturevalue("talent")
    admin = request.getfixturevalue("client_for")(request.getfixturevalue("admin_user"))
    app = submitted(request.getfixturevalue("client_for")(talent))
    response = admin.post(
        f"/api/v1/card-applications/{app['id']}/return/",
        {"items": ["请重新上传清晰的材料"], "note": ""},
        format="json",
    )
    assert response.status_code == 200, response.content
    client = request.getfixturevalue("client")
    client.force_login(talent)
    kind = "photo" if photo else "degree"

    def send(file):
        return client.post(
            f"/card/applications/{app['id']}/submit/",
            {f"resubmit-file_{kind}": file, "resubmit-note": "已重新上传"},
        )

    def done():
        return CardApplication.objects.get(pk=app["id"]).status == ApplicationStatus.SUBMITTED

    return Target(
        send,
        False,
        photo,
        ApplicationDocument.objects.count,
        field=f"id_resubmit-file_{kind}",
        done=done,
    )


def _request(request, status="accepted"):
    request.getfixturevalue("departments")
    seed_service_types()
    talent = request.getfixturevalue("talent")
    handler = request.getfixturevalue("handler")
    give_card(talent)
    req = request_in(status if status != "awaiting_talent" else "accepted", talent, handler)
    if status == "awaiting_talent":
        req = request_ask_info(req=req, actor=handler, items=["无房证明"])
    return req, {"talent": talent, "handler": handler}


def _attach_api(request, who: str) -> Target:
    req, people = _request(request)
    client = request.getfixturevalue("client_for")(people[who])
    url = f"/api/v1/service-requests/{req.number}/attachments/"

    def send(file):
        return client.post(url, {"file": file}, format="multipart")

    return Target(send, True, False, RequestAttachment.objects.count)


def _attach_page(request, who: str) -> Target:
    req, people = _request(request)
    user = request.getfixturevalue("admin_user") if who == "admin" else people[who]
    area = {"talent": "requests", "handler": "desk/requests", "admin": "manage/requests"}[who]
    client = request.getfixturevalue("client")
    client.force_login(user)
    url = f"/{area}/{req.number}/attach/"

    def send(file):
        return client.post(url, {"attach-file": file})

    return Target(send, False, False, RequestAttachment.objects.count, field="id_attach-file")


def _supply_page(request) -> Target:
    req, people = _request(request, "awaiting_talent")
    client = request.getfixturevalue("client")
    client.force_login(people["talent"])

    def send(file):
        return client.post(
            f"/requests/{req.number}/supply-info/",
            {"supply-files": [file], "supply-note": "见附件"},
        )

    def done():
        req.refresh_from_db()
        return req.status == RequestStatus.ACCEPTED

    return Target(
        send, False, False, RequestAttachment.objects.count, field="id_supply-files", done=done
    )


PATHS = {
    "api-card-document": lambda r: _card_documents(r, api=True, photo=False),
    "api-card-photo": lambda r: _card_documents(r, api=True, photo=True),
    "api-attachment-talent": lambda r: _attach_api(r, "talent"),
    "api-attachment-staff": lambda r: _attach_api(r, "handler"),
    "page-card-document": lambda r: _card_documents(r, api=False, photo=False),
    "page-card-photo": lambda r: _card_documents(r, api=False, photo=True),
    "page-card-resubmit-document": lambda r: _card_resubmit(r, photo=False),
    "page-card-resubmit-photo": lambda r: _card_resubmit(r, photo=True),
    "page-attachment-talent": lambda r: _attach_page(r, "talent"),
    "page-attachment-desk": lambda r: _attach_page(r, "handler"),
    "page-attachment-manage": lambda r: _attach_page(r, "admin"),
    "page-supply-info": _supply_page,
}


def stored_files() -> set[Path]:
    root = Path(settings.PRIVATE_UPLOAD_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def field_error(html: str, field_id: str) -> str:
    found = re.findall(
        rf'<small class="field-error" id="{re.escape(field_id)}_error">([^<]+)', html
    )
    return " ".join(found)


@pytest.fixture(params=list(PATHS))
def target(request) -> Target:
    return PATHS[request.param](request)


# --- every path × every hostile file ---------------------------------------------------------
@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_message_and_nothing_is_stored(target, case):
    rows, files = target.rows(), stored_files()
    response = target.send(hostile(case))
    message = expected(case, target.photo)
    if target.api:
        assert response.status_code == 400, response.content
        body = response.json()
        assert list(body) == ["file"], body
        assert any(m.startswith(message) for m in body["file"]), body
    else:
        assert response.status_code == 200, response.status_code
        shown = field_error(response.content.decode(), target.field)
        assert message in shown, (message, shown)
    assert target.rows() == rows
    assert stored_files() == files
    if target.done is not None:
        assert not target.done()


@pytest.mark.parametrize("kind", list(VALID))
def test_a_valid_file_is_still_accepted(target, kind):
    rows, files = target.rows(), stored_files()
    response = target.send(valid(kind))
    if target.photo and kind == "pdf":  # sound evidence, but no photo
        assert response.status_code == (400 if target.api else 200)
        assert target.rows() == rows and stored_files() == files
        return
    assert response.status_code == (201 if target.api else 302), response.content[:2000]
    assert target.rows() > rows or target.photo  # a new photo may replace an unreviewed one
    assert len(stored_files() - files) == 1
    if target.done is not None:
        assert target.done()


# --- the calendar's CSV upload (admins) --------------------------------------------------------
CALENDAR = "/manage/calendar/import/"


CALENDAR_MESSAGES = {
    "bomb": "所选文件是 PNG 文件，不是 CSV 文件。",
    "warning-bomb": "所选文件是 PNG 文件，不是 CSV 文件。",
    "truncated-png": "所选文件是 PNG 文件，不是 CSV 文件。",
    "truncated-jpeg": "所选文件是 JPG 文件，不是 CSV 文件。",
    "empty": "文件为空，请重新选择。",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_the_calendar_upload_refuses_a_hostile_file(client, admin_user, case):
    """Binary files are refused next to the field; text that is no CSV (HTML, SVG) is read
    as one and every line refused in the preview — shown as text, never as markup."""
    client.force_login(admin_user)
    response = client.post(CALENDAR, {"step": "preview", "file": hostile(case)})
    assert response.status_code == 200
    html = response.content.decode()
    if case in CALENDAR_MESSAGES:
        assert CALENDAR_MESSAGES[case] in field_error(html, "id_file"), html
    else:
        assert "行有误" in html and "第1行：日期“" in html
        assert "<script>alert" not in html and "<script>fetch" not in html
    assert 'name="step" value="apply"' not in html  # nothing can be applied from it
    assert not CalendarDay.objects.filter(date__year__gte=2027).exists()


def test_a_csv_with_a_nul_byte_is_refused(client, admin_user):
    """NUL would pass csv.reader and reach the database (PostgreSQL refuses it: a 500)."""
    client.force_login(admin_user)
    csv = SimpleUploadedFile("2027.csv", b"2027-02-06,1,\x00\n", "text/csv")
    response = client.post(CALENDAR, {"step": "preview", "file": csv})
    assert "无法识别文件编码" in field_error(response.content.decode(), "id_file")


def test_the_calendar_upload_still_reads_a_csv(client, admin_user):
    client.force_login(admin_user)
    csv = SimpleUploadedFile("2027.csv", "2027-02-06,1,春节调休上班\n".encode(), "text/csv")
    response = client.post(CALENDAR, {"step": "preview", "file": csv})
    assert response.status_code == 200
    assert 'name="step" value="apply"' in response.content.decode()


# --- the checks themselves ------------------------------------------------------------------
PHOTO_LIMITS = ImageLimits(
    max_bytes=5 * 1024 * 1024, min_width=200, min_height=250, max_pixels=16_000_000, max_side=1600
)


def test_the_bomb_is_a_real_png():
    """The generator writes valid PNGs (checked on a small one, decoded in full), and the
    bomb declares 30000×30000 in a little over 100 KB."""
    with Image.open(io.BytesIO(bomb_png(3001, 2503))) as small:
        small.load()
        assert small.size == (3001, 2503) and small.getextrema() == (0, 0)
    data = bomb_png()
    assert len(data) < 200_000
    assert struct.unpack(">II", data[16:24]) == (30000, 30000)


def test_pillow_s_own_limit_is_set_from_the_setting():
    assert settings.UPLOAD_MAX_IMAGE_PIXELS == 40_000_000
    assert Image.MAX_IMAGE_PIXELS == settings.UPLOAD_MAX_IMAGE_PIXELS


@pytest.mark.parametrize("warning", ["error", "ignore", "default"])
def test_the_pixel_count_is_refused_from_the_header_whatever_warnings_do(warning):
    """In production a DecompressionBombWarning is only printed: the header check, not the
    warning, must refuse the image, before any decoding."""
    for width, height in [(8000, 6000), (30000, 30000)]:
        with warnings.catch_warnings(record=True):  # "default": recorded, not printed
            warnings.simplefilter(warning, Image.DecompressionBombWarning)
            upload = SimpleUploadedFile("scan.png", bomb_png(width, height), "image/png")
            with pytest.raises(ValidationError) as refused:
                check_upload(upload)
            assert refused.value.code == "too_many_pixels"
            with pytest.raises(ValidationError) as refused:
                reencode_image(upload, PHOTO_LIMITS, label="证件照")
            assert refused.value.code == "too_many_pixels"


def test_the_ceiling_is_the_setting(settings):
    upload = SimpleUploadedFile("scan.png", bomb_png(3000, 2000), "image/png")
    assert check_upload(upload).content_type == "image/png"
    settings.UPLOAD_MAX_IMAGE_PIXELS = 5_000_000
    with pytest.raises(ValidationError) as refused:
        check_upload(upload)
    assert refused.value.messages == ["图片像素过多（不能超过500万像素），请缩小后重新上传。"]


@pytest.mark.parametrize(
    "content",
    [
        png_with_short_pixel_data(),
        noisy_png()[:-12],  # no IEND
        image_bytes(kind="JPEG")[:-200],
        b"\x89PNG\r\n\x1a\n" + b"\0" * 200,
        b"\xff\xd8\xff\xe0" + b"\0" * 200,
        bomb_png(300, 200)[:60],
    ],
    ids=["png-short-idat", "png-no-iend", "jpeg-cut", "png-garbage", "jpeg-garbage", "png-cut"],
)
def test_damaged_images_are_refused_as_documents_too(content):
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("scan.png", content, "image/png"))
    assert refused.value.code in ("corrupt", "file_type"), refused.value.messages


@pytest.mark.parametrize(
    "content",
    [
        image_bytes(kind="PNG"),
        interlaced_png()[0],
        interlaced_png((7, 5))[0],  # passes that hold no pixel
        interlaced_png((1, 1))[0],
        image_bytes(kind="PNG", mode="RGBA"),
        image_bytes(kind="PNG", mode="1"),
        image_bytes(kind="PNG", mode="L"),
        image_bytes(kind="PNG", mode="LA"),
        image_bytes(kind="PNG", mode="P"),
        image_bytes(kind="PNG", mode="I;16"),
        image_bytes(kind="JPEG"),
        image_bytes(kind="JPEG", progressive=True),
        image_bytes(kind="JPEG", mode="L"),
        image_bytes(kind="JPEG", mode="CMYK"),
        image_bytes(size=(4, 3), kind="JPEG"),
        PDF,
    ],
    ids=[
        "png",
        "png-interlaced",
        "png-interlaced-tiny",
        "png-interlaced-1px",
        "png-rgba",
        "png-1bit",
        "png-grey",
        "png-grey-alpha",
        "png-palette",
        "png-16bit",
        "jpeg",
        "jpeg-progressive",
        "jpeg-grey",
        "jpeg-cmyk",
        "jpeg-tiny",
        "pdf",
    ],
)
def test_sound_files_of_every_kind_pass_the_document_check(content):
    checked = check_upload(SimpleUploadedFile("scan", content))
    assert checked.size == len(content)


@pytest.mark.parametrize("size", [(240, 320), (7, 5), (1, 1)])
def test_the_interlaced_sample_is_one(size):
    """The interlaced PNGs above are what they claim: Pillow reads them back pixel for pixel."""
    data, image = interlaced_png(size)
    with Image.open(io.BytesIO(data)) as read:
        assert read.info.get("interlace") == 1
        assert read.convert("RGB").tobytes() == image.tobytes()


def test_an_interlaced_png_cut_short_is_refused():
    data, _ = interlaced_png()
    pixels = b"".join(_iter_idat(data))
    short = data[:33] + _chunk(b"IDAT", pixels[: len(pixels) * 9 // 10]) + _chunk(b"IEND", b"")
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("scan.png", short, "image/png"))
    assert refused.value.code == "corrupt"
