"""Keeping the card (issue 14 point 2): the holder's PDF e-certificate and "save to the phone"
image, and the public verification page their QR code points at.

The e-certificate's QR code is not the live QR code of cards.qr (a 120-second, single-use
token for verifiers at a service point, answered with the holder's masked name and photo). It
encodes the absolute URL of the card's public page, ``/v/<public_ref>/``: a stable random
reference (128 bits, Card.public_ref), which tells whoever scans it only whether the card is
valid now (有效 / 已暂停 / 已注销 / 已过期), its tier and its end date — no name, no number,
no photo. The reference is kept for the card's whole life: a revoked card's certificate
keeps pointing at a page that says 已注销 (a revoked card is not reinstated, so nothing is
gained by rotating it, and a 404 would read as "forged" rather than "revoked").

Who may download (cards.permissions, ``download_certificate`` / ``download_image``): the
holder, while the card is active and not past its end date. A suspended, revoked or expired
card gets a 409 with the reason (a certificate printed now would be wrong the day it is
printed). Each download is audited; each public lookup is counted in CardPublicCheck, without
anything about who asked.
"""

import logging
from dataclasses import dataclass

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image

from cards.actions import CardAction
from cards.models import Card, CardPublicCheck, CardStatus
from cards.permissions import CARDS
from portal.audit import audit_record
from portal.errors import InvalidTransition, NotFound
from portal.uploads import private_storage

logger = logging.getLogger(__name__)

# The issuer as printed on the certificate and the image.
ISSUER = "中共巴中市巴州区委组织部（区委人才工作领导小组办公室）"

# kind → (the table's verb, the refusal of a card past its end date)
_KINDS = {
    "certificate": (
        "download_certificate",
        _("您的优才卡已于 %(date)s 到期，不能下载电子证书。请申请续期。"),
    ),
    "image": (
        "download_image",
        _("您的优才卡已于 %(date)s 到期，不能保存优才卡图片。请申请续期。"),
    ),
}


def public_path(card: Card) -> str:
    return reverse("cards:public-verify", args=[card.public_ref])


def public_url(card: Card) -> str:
    """The absolute URL the certificate's QR code encodes: the site's address (SITE_URL, as
    in e-mails) and the card's public page."""
    return settings.SITE_URL.rstrip("/") + public_path(card)


def qr_payload(card: Card) -> str:
    """What the certificate's (and the phone image's) QR code encodes: the absolute URL of
    the card's public verification page, and nothing else."""
    return public_url(card)


def qr_runs(payload: str, border: int = 2) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code of ``payload`` as ``(size, [(row, first column, length), …])``: the dark
    modules merged into horizontal runs (fewer shapes to draw), quiet zone included."""
    rows = list(segno.make(payload, error="m").matrix_iter(scale=1, border=border))
    runs = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return len(rows), runs


def photo_image(card: Card) -> Image.Image | None:
    """The card's photo as a Pillow image (RGB), or None when it has none or its file cannot
    be read (a certificate without a photo beats no certificate; the gap is logged)."""
    if card.photo is None:
        return None
    try:
        with private_storage().open(card.photo.storage_name, "rb") as handle:
            image = Image.open(handle)
            image.load()
    except (OSError, ValueError):
        logger.warning("card %s: photo %s unreadable", card.pk, card.photo.storage_name)
        return None
    return image.convert("RGB")


def card_to_keep(user, kind: str) -> Card:
    """The holder's card, if they may download its ``kind`` ("certificate" or "image") now.

    NotFound (404) when they hold no card; NotAllowed (403) for anyone but the holder (the
    pages and the API only ever look up the caller's own card); InvalidTransition (409) when
    the card is suspended, revoked or past its end date."""
    verb, expired = _KINDS[kind]
    card = (
        Card.objects.visible_to(user)
        .filter(holder=user)
        .select_related("holder", "photo")
        .order_by("-issued_at", "-id")
        .first()
    )
    if card is None:
        raise NotFound(gettext("您还没有优才卡。"))
    CARDS.require(user, verb, card)
    if card.effective_status() == CardStatus.EXPIRED:
        raise InvalidTransition(
            expired % {"date": f"{card.valid_until:%Y-%m-%d}"}, status=CardStatus.EXPIRED
        )
    return card


def record_download(card: Card, kind: str, *, actor, ip: str | None = None) -> None:
    """The audit event of a download (the file itself is not kept)."""
    if kind == "certificate":
        audit_record(action=CardAction.CERTIFICATE_DOWNLOAD, actor=actor, obj=card, ip=ip)
    else:
        audit_record(action=CardAction.IMAGE_DOWNLOAD, actor=actor, obj=card, ip=ip)


@dataclass(frozen=True)
class PublicAnswer:
    """What the public page may show: nothing that names the holder or the card."""

    status: str
    status_label: str
    valid: bool
    tier: str
    tier_label: str
    valid_until: object  # datetime.date


def _well_formed(ref: str) -> bool:
    return 16 <= len(ref) <= 32 and all(c.isascii() and (c.isalnum() or c in "-_") for c in ref)


def public_check(ref: str) -> PublicAnswer | None:
    """Look ``ref`` up for the public page, and log the lookup (one row: when, which card,
    the status shown; None when unknown). Two statements."""
    card = None
    if _well_formed(ref):
        card = Card.objects.filter(public_ref=ref).only("tier", "status", "valid_until").first()
    if card is None:
        CardPublicCheck.objects.create(card=None, status="")
        return None
    status = card.effective_status(timezone.localdate())
    CardPublicCheck.objects.create(card=card, status=status)
    return PublicAnswer(
        status=status,
        status_label=str(CardStatus(status).label),
        valid=status == CardStatus.ACTIVE,
        tier=card.tier,
        tier_label=card.get_tier_display(),
        valid_until=card.valid_until,
    )
