"""QR verification: a holder shows a short-lived, single-use token; a verifier checks it.

The token is a signed random identifier (django.core.signing): it holds no personal data, and
everything it proves is looked up at verification time, so a suspension or revocation takes
effect on the very next scan.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from cards.hooks import services_for_tier
from cards.issuance import live_card
from cards.models import Card, CardScan, CardStatus, QrToken
from cards.photos import photo_token
from portal.audit import client_ip
from portal.errors import InvalidTransition, NotAllowed, NotFound
from portal.identity import mask_name
from portal.models import Role

QR_TTL = timedelta(seconds=120)
SALT = "cards.qr.v1"

# Reasons, as API.md names them (not secrets, whatever the linter thinks of the names).
TOKEN_EXPIRED = "token_expired"  # noqa: S105
TOKEN_USED = "token_used"  # noqa: S105
TOKEN_INVALID = "token_invalid"  # noqa: S105
CARD_REASONS = {
    CardStatus.SUSPENDED: "card_suspended",
    CardStatus.REVOKED: "card_revoked",
    CardStatus.EXPIRED: "card_expired",
}
REASON_LABELS = {
    None: "有效",
    TOKEN_EXPIRED: "二维码已过期，请持卡人刷新后重新出示",
    TOKEN_USED: "二维码已使用过，请持卡人刷新后重新出示",
    TOKEN_INVALID: "无法识别的二维码",
    "card_suspended": "该优才卡已暂停使用",
    "card_revoked": "该优才卡已注销",
    "card_expired": "该优才卡已过有效期",
}


@dataclass
class Verification:
    valid: bool
    reason: str | None
    card: dict | None = field(default=None)
    # Only for a valid card that has a photo: the signed token of its 120-second photo URL.
    photo_token: str | None = None

    @property
    def label(self) -> str:
        return REASON_LABELS[self.reason]


def qr_issue(*, holder) -> tuple[str, object]:
    """A fresh token for the holder's active card: ``(token, expires_at)``."""
    if holder.role != Role.TALENT:
        raise NotAllowed("只有持卡人才可以出示优才卡二维码。")
    card = live_card(holder)
    if card is None:
        raise NotFound("您还没有优才卡。")
    status = card.effective_status()
    if status != CardStatus.ACTIVE:
        raise InvalidTransition(
            f"您的优才卡{CardStatus(status).label}，不能出示二维码。", status=status
        )
    now = timezone.now()
    token = QrToken.objects.create(
        jti=secrets.token_hex(16), card=card, issued_at=now, expires_at=now + QR_TTL
    )
    return signing.dumps(token.jti, salt=SALT), token.expires_at


def _card_answer(card: Card) -> dict:
    return {
        "number": card.number,
        "tier": card.tier,
        "holder_name_masked": mask_name(card.holder.real_name),
        "valid_until": card.valid_until,
        "services": services_for_tier(card.tier),
    }


def qr_verify(*, token: str, verifier, request=None) -> Verification:
    """Check a token once. Every call is logged as a CardScan, whatever the outcome."""
    if verifier.role != Role.VERIFIER:
        raise NotAllowed("只有服务网点核验员可以核验优才卡。")
    now = timezone.now()
    qr = None
    try:
        jti = signing.loads(token or "", salt=SALT)
        qr = QrToken.objects.select_related("card__holder").filter(jti=jti).first()
    except signing.BadSignature:
        pass
    result = _judge(qr, now)
    CardScan.objects.create(
        verifier=verifier,
        card=qr.card if qr else None,
        token=qr,
        valid=result.valid,
        reason=result.reason or "",
        ip=client_ip(request),
    )
    return result


def _judge(qr: QrToken | None, now) -> Verification:
    if qr is None:
        return Verification(False, TOKEN_INVALID)
    if now >= qr.expires_at:
        return Verification(False, TOKEN_EXPIRED)
    if qr.used_at is not None:
        return Verification(False, TOKEN_USED)
    # Single use, decided by the database: of two scans at once only one claims the token.
    # Any scan uses it up, so a code shown while the card was suspended is worthless later.
    claimed = QrToken.objects.filter(pk=qr.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        return Verification(False, TOKEN_USED)
    card = qr.card
    status = card.effective_status(timezone.localdate(now))
    if status != CardStatus.ACTIVE:
        return Verification(False, CARD_REASONS[status], _card_answer(card))
    return Verification(True, None, _card_answer(card), photo_token(card))
