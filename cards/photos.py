"""The card holder's photo (证件照): what an upload must be, and who may see it.

Every application carries one photo (DocumentKind.PHOTO); approving it makes that photo the
card's (``Card.photo``). The stored file is never the upload itself but its pixels re-encoded
(portal.uploads.reencode_image), so a phone photo's EXIF (GPS position, time, device) does not
reach the portal's disk.

Who sees the photo: the holder and the organization department through the card pages
(cards.views.photos.card_photo, behind ``Card.objects.visible_to``); a verifier only through
the signed URL a valid verification answers with, for 120 seconds. It is in no list, no card
API answer other than the verification, and no export.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext, gettext_noop

from cards.models import ApplicationDocument, Card
from portal.uploads import ImageLimits, reencode_image

LABEL = gettext_noop("证件照")  # translated where shown (portal.uploads.reencode_image)
# A 2-inch 证件照 scanned at 150 dpi is about 295×413; 200×250 is the least that stays
# recognisable on the card.
MIN_WIDTH, MIN_HEIGHT = 200, 250
# Checked from the header before decoding: a 16-megapixel PNG decodes to at most ~64 MB (a
# JPEG is decoded at reduced scale), and no phone's portrait needs more. Pillow's own bomb
# guard only starts at 89 megapixels.
MAX_PIXELS = 16_000_000
# Stored photos are scaled down to this longest side: the pages show them at ~150 px.
MAX_SIDE = 1600

URL_TTL = timedelta(seconds=120)  # as long as the QR token the verifier has just checked
SALT = "cards.photo.v1"


def photo_limits() -> ImageLimits:
    return ImageLimits(
        max_bytes=settings.PHOTO_MAX_BYTES,
        min_width=MIN_WIDTH,
        min_height=MIN_HEIGHT,
        max_pixels=MAX_PIXELS,
        max_side=MAX_SIDE,
    )


def photo_limit_label() -> str:
    """The rules as the upload form states them."""
    return gettext(
        "证件照须为 JPG 或 PNG 格式的近期正面免冠照片，不小于 %(width)s×%(height)s 像素，"
        "不超过 %(mb)s MB。"
    ) % {
        "width": MIN_WIDTH,
        "height": MIN_HEIGHT,
        "mb": f"{settings.PHOTO_MAX_BYTES / 1024 / 1024:g}",
    }


def photo_check(upload):
    """Validate a photo upload; return ``(CheckedUpload, ContentFile)`` of the re-encoded image
    to store in its place. Raises ValidationError with a Chinese message."""
    return reencode_image(upload, photo_limits(), label=LABEL)


def photo_token(card: Card) -> str | None:
    """A token for ``card``'s photo, good for URL_TTL: the card's id, timestamped and signed.
    No personal data, and worthless once expired or altered. None if the card has no photo."""
    if card.photo_id is None:
        return None
    return signing.TimestampSigner(salt=SALT).sign(str(card.pk))


def photo_for_token(token: str) -> ApplicationDocument | None:
    """The photo a token from ``photo_token`` grants, or None when it is expired, tampered
    with, or the card has no photo any more."""
    try:
        card_id = signing.TimestampSigner(salt=SALT).unsign(token, max_age=URL_TTL)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not card_id.isdigit():
        return None
    card = Card.objects.select_related("photo").filter(pk=int(card_id)).first()
    return card.photo if card else None
