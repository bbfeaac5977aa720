"""The card's PDF e-certificate (电子证书), in the style of a Chinese certificate (证照): one A4
page with a red double frame, the title, the holder's photo, name, tier, card number and
dates, the issuer, and a QR code of the card's public verification page (cards.keep).

It is the holder's own document, so it carries the full name; never the ID number. Chinese
text is set in reportlab's built-in CID font STSong-Light (UnicodeCIDFont): no font file is
needed on the server, and every PDF reader brings its own Song face for it.
"""

import io

from django.utils import timezone
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from cards.keep import ISSUER, photo_image, qr_payload, qr_runs
from cards.models import Card

TITLE = "巴州优才卡 电子证书"
SONG = "STSong-Light"
BRAND = HexColor("#b71c1c")
INK = HexColor("#212121")
MUTED = HexColor("#616161")


def _fonts() -> None:
    if SONG not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(SONG))


def _draw_qr(pdf: canvas.Canvas, payload: str, x: float, y: float, side: float) -> None:
    size, runs = qr_runs(payload)
    module = side / size
    pdf.setFillColor(white)
    pdf.rect(x, y, side, side, stroke=0, fill=1)
    pdf.setFillColor(INK)
    for row, col, length in runs:
        # PDF's y axis points up; the matrix's first row is the top.
        pdf.rect(
            x + col * module,
            y + side - (row + 1) * module,
            length * module,
            module,
            stroke=0,
            fill=1,
        )


def certificate_pdf(card: Card) -> bytes:
    """The e-certificate of ``card`` (holder and photo selected) as PDF bytes."""
    _fonts()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{TITLE} {card.number}")
    pdf.setAuthor(ISSUER)
    pdf.setSubject("巴州优才卡电子证书")
    pdf.setCreator("巴州区人才服务平台")

    # The frame: a thick red line and a thin one inside it.
    margin = 14 * mm
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(3)
    pdf.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    pdf.setLineWidth(0.8)
    pdf.rect(
        margin + 3 * mm, margin + 3 * mm, width - 2 * margin - 6 * mm, height - 2 * margin - 6 * mm
    )

    # Title.
    pdf.setFillColor(BRAND)
    pdf.setFont(SONG, 30)
    pdf.drawCentredString(width / 2, height - 52 * mm, TITLE)
    pdf.setFont(SONG, 12)
    pdf.setFillColor(MUTED)
    pdf.drawCentredString(width / 2, height - 62 * mm, "巴中市巴州区高层次人才服务卡")

    # Photo (2-inch portrait proportions) on the right, facts on the left.
    photo_w, photo_h = 35 * mm, 45 * mm
    photo_x, photo_y = width - margin - 20 * mm - photo_w, height - 130 * mm
    image = photo_image(card)
    pdf.setStrokeColor(MUTED)
    pdf.setLineWidth(0.5)
    if image is not None:
        pdf.drawImage(
            ImageReader(image), photo_x, photo_y, photo_w, photo_h, preserveAspectRatio=True
        )
    else:
        pdf.rect(photo_x, photo_y, photo_w, photo_h)
        pdf.setFont(SONG, 10)
        pdf.drawCentredString(photo_x + photo_w / 2, photo_y + photo_h / 2, "（无照片）")

    facts = [
        ("持卡人", card.holder.real_name),
        ("人才层次", card.get_tier_display()),
        ("卡　　号", card.number),
        ("发卡日期", f"{timezone.localtime(card.issued_at):%Y年%m月%d日}"),
        ("有效期至", f"{card.valid_until:%Y年%m月%d日}"),
    ]
    x_label, x_value = margin + 20 * mm, margin + 48 * mm
    y = height - 85 * mm
    for label, value in facts:
        pdf.setFillColor(MUTED)
        pdf.setFont(SONG, 13)
        pdf.drawString(x_label, y, label)
        pdf.setFillColor(INK)
        # Latin-only values (the card number) read better in Helvetica than in Song's
        # half-width forms.
        pdf.setFont("Helvetica" if value.isascii() else SONG, 15)
        pdf.drawString(x_value, y, value)
        y -= 11 * mm

    # The statement.
    pdf.setFillColor(INK)
    pdf.setFont(SONG, 13)
    text = pdf.beginText(margin + 20 * mm, height - 155 * mm)
    text.setLeading(22)
    for line in (
        f"　　兹证明 {card.holder.real_name} 经巴中市巴州区认定为{card.get_tier_display()}，",
        "持有巴州优才卡，可按规定享受人才服务绿色通道。",
    ):
        text.textLine(line)
    pdf.drawText(text)

    # QR code of the public page, bottom left, with how to use it.
    qr_side = 42 * mm
    qr_x, qr_y = margin + 20 * mm, margin + 40 * mm
    _draw_qr(pdf, qr_payload(card), qr_x, qr_y, qr_side)
    pdf.setFont(SONG, 10)
    pdf.setFillColor(MUTED)
    pdf.drawString(qr_x, qr_y - 6 * mm, "扫码核验：显示本卡当前是否有效、")
    pdf.drawString(qr_x, qr_y - 11 * mm, "人才层次和有效期，不显示个人信息。")

    # Issuer and date, bottom right, like a seal line.
    pdf.setFillColor(INK)
    pdf.setFont(SONG, 13)
    right = width - margin - 20 * mm
    pdf.drawRightString(right, margin + 62 * mm, "中共巴中市巴州区委组织部")
    pdf.setFont(SONG, 10)
    pdf.drawRightString(right, margin + 55 * mm, "（区委人才工作领导小组办公室）")
    pdf.setFont(SONG, 12)
    pdf.drawRightString(
        right, margin + 46 * mm, f"{timezone.localtime(card.issued_at):%Y年%m月%d日}"
    )

    pdf.setFont(SONG, 9)
    pdf.setFillColor(MUTED)
    pdf.drawCentredString(
        width / 2,
        margin + 10 * mm,
        "本证书为电子证书，由巴州区人才服务平台生成；卡片状态以扫码核验结果为准。",
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
