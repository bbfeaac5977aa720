"""The card as a phone-sized PNG ("save to the phone", issue 14 point 2): the same facts as the
e-certificate (cards.certificate) and the same public-verification QR code, no ID number.

Drawn on the server with Pillow (one implementation, the same file on every phone), with the
first font on the machine that has a glyph for every character to draw (portal.fonts: the
settings' CJK_FONT, then the known CJK font paths; each character checked against the font's
missing-glyph shape), so a holder's name with a character the first font lacks is drawn with
the next font that has it, and never as boxes. When no font can draw the text,
``CardImageUnavailable`` is raised: the page answers 503 with the way to the PDF certificate,
whose text needs no font on the server at all.
"""

import io

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from cards.keep import ISSUER, photo_image, qr_payload, qr_runs
from cards.models import Card
from portal import fonts
from portal.fonts import cjk_font_for

WIDTH, HEIGHT = 1080, 1920  # a phone screen, portrait (9:16)
BRAND = (183, 28, 28)  # site.css --brand #b71c1c
INK = (33, 33, 33)
MUTED = (97, 97, 97)
PAPER = (255, 255, 255)
BAND = (255, 243, 240)

# Every fixed text of the image, so that a font is known to draw all of them.
_FIXED_TEXT = (
    "巴州优才卡巴中市巴州区人才服务卡持卡人人才层次卡号发卡日期有效期至年月日"
    "扫码核验卡片状态不显示个人信息本图片仅供出示和留存，卡片状态以扫码核验结果为准。"
    "ABCD类顶尖人才国家级领军人才省级领军人才市级及其他高层次人才BZYC-0123456789" + ISSUER
)


class CardImageUnavailable(Exception):
    """No font on this machine can draw the card's text (the page offers the PDF instead)."""


def font_for(text: str) -> str | None:
    """The path of the first usable font with a glyph for every character of ``text`` and of
    the image's fixed text; None when there is none."""
    return cjk_font_for(_FIXED_TEXT + text)


def _texts(card: Card) -> dict[str, str]:
    issued = timezone.localtime(card.issued_at)
    return {
        "name": card.holder.real_name,
        "tier": card.get_tier_display(),
        "number": card.number,
        "issued": f"{issued:%Y年%m月%d日}",
        "valid_until": f"{card.valid_until:%Y年%m月%d日}",
    }


def image_available(card: Card) -> bool:
    """Whether this machine can draw ``card``'s image (the card page offers it only then)."""
    return font_for("".join(_texts(card).values())) is not None


def _centred(draw, y: int, text: str, font, fill) -> None:
    left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((WIDTH - (right - left)) / 2 - left, y), text, font=font, fill=fill)


def _paste_photo(canvas: Image.Image, card: Card, box: tuple[int, int, int, int], font) -> None:
    x, y, w, h = box
    draw = ImageDraw.Draw(canvas)
    photo = photo_image(card)
    if photo is None:
        draw.rectangle((x, y, x + w, y + h), outline=MUTED, width=2)
        left, top, right, bottom = draw.textbbox((0, 0), "（无照片）", font=font)
        draw.text(
            (x + (w - (right - left)) / 2, y + (h - (bottom - top)) / 2),
            "（无照片）",
            font=font,
            fill=MUTED,
        )
        return
    # Cover the box, cropping the longer side around the centre.
    scale = max(w / photo.width, h / photo.height)
    resized = photo.resize(
        (max(w, round(photo.width * scale)), max(h, round(photo.height * scale))),
        Image.Resampling.LANCZOS,
    )
    left = (resized.width - w) // 2
    top = (resized.height - h) // 2
    canvas.paste(resized.crop((left, top, left + w, top + h)), (x, y))
    draw.rectangle((x, y, x + w, y + h), outline=MUTED, width=2)


def card_png(card: Card) -> bytes:
    """The phone image of ``card`` (holder and photo selected) as PNG bytes.
    CardImageUnavailable when no font on the machine can draw its text."""
    texts = _texts(card)
    path = font_for("".join(texts.values()))
    if path is None:
        raise CardImageUnavailable

    def font(size: int) -> ImageFont.FreeTypeFont:
        return fonts.font(path, size)

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)

    # The red band with the title.
    draw.rectangle((0, 0, WIDTH, 330), fill=BRAND)
    _centred(draw, 95, "巴州优才卡", font(96), PAPER)
    _centred(draw, 225, "巴中市巴州区人才服务卡", font(40), PAPER)

    # Photo on the left, name and tier on the right.
    photo_box = (90, 410, 300, 375)
    _paste_photo(image, card, photo_box, font(32))
    draw.text((440, 430), "持卡人", font=font(36), fill=MUTED)
    name_size = 72
    while name_size > 32 and draw.textlength(texts["name"], font=font(name_size)) > 560:
        name_size -= 4
    draw.text((440, 480 + (72 - name_size) // 2), texts["name"], font=font(name_size), fill=INK)
    draw.rounded_rectangle((440, 600, 990, 680), radius=16, fill=BAND)
    draw.text((465, 615), texts["tier"], font=font(38), fill=BRAND)

    # The facts.
    y = 850
    for label, value in (
        ("卡号", texts["number"]),
        ("发卡日期", texts["issued"]),
        ("有效期至", texts["valid_until"]),
    ):
        draw.text((90, y), label, font=font(36), fill=MUTED)
        draw.text((330, y - 6), value, font=font(46), fill=INK)
        y += 90
    draw.line((90, y + 10, WIDTH - 90, y + 10), fill=(224, 224, 224), width=2)

    # The QR code of the public page.
    size, runs = qr_runs(qr_payload(card))
    module = 420 // size
    side = module * size
    qr_x, qr_y = (WIDTH - side) // 2, 1190
    draw.rectangle((qr_x, qr_y, qr_x + side - 1, qr_y + side - 1), fill=PAPER)
    for row, col, length in runs:
        draw.rectangle(
            (
                qr_x + col * module,
                qr_y + row * module,
                qr_x + (col + length) * module - 1,
                qr_y + (row + 1) * module - 1,
            ),
            fill=INK,
        )
    _centred(draw, qr_y + side + 20, "扫码核验卡片状态（不显示个人信息）", font(32), MUTED)

    # The issuer.
    _centred(draw, 1760, ISSUER, font(30), INK)
    _centred(draw, 1815, "本图片仅供出示和留存，卡片状态以扫码核验结果为准。", font(26), MUTED)

    info = PngInfo()
    info.add_text("Title", f"巴州优才卡 {card.number}")
    info.add_text("Font", font(12).getname()[0])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()
