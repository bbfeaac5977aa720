"""QR verification: a holder shows a short-lived, single-use token; a verifier checks it.

The token is a signed random identifier (django.core.signing): it holds no personal data, and
everything it proves is looked up at verification time, so a suspension or revocation takes
effect on the very next scan.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from cards.hooks import services_for_tier
from cards.issuance import live_card
from cards.models import Card, CardScan, CardStatus, QrToken
from cards.photos import photo_token
from portal.audit import client_ip
from portal.errors import InvalidTransition, NotAllowed, NotFound
from portal.identity import mask_name
from portal.models import Role

logger = logging.getLogger(__name__)

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
        "services": tier_services(card.tier),
    }


# The services a tier unlocks change when the catalogue is edited, a few times a year; a scan
# asks for them hundreds of times a second. Kept in the cache (Redis in production) for this
# long, so a catalogue edit shows in verification answers within a minute. The card itself is
# never cached: its status is read at every scan.
TIER_SERVICES_SECONDS = 60


def tier_services(tier: str) -> list[str]:
    """``services_for_tier`` through the cache. The cache only saves a query: when it is
    unreachable the list is read afresh and the scan goes on."""
    key = f"cards:tier-services:{tier}"
    try:
        names = cache.get(key)
    except Exception:
        logger.warning("cache unavailable; tier services read without it", exc_info=True)
        return services_for_tier(tier)
    if names is None:
        names = services_for_tier(tier)
        try:
            cache.set(key, names, TIER_SERVICES_SECONDS)
        except Exception:
            logger.warning("cache unavailable; tier services not cached")
    return names


# The claim, the token's only lookup. Plain SQL because the ORM's update() cannot say RETURNING;
# PostgreSQL and SQLite (3.35+) both can. Names as in QrToken (cards_qrtoken).
CLAIM_SQL = (
    'UPDATE "cards_qrtoken" SET "used_at" = %s '
    'WHERE "jti" = %s AND "used_at" IS NULL AND "expires_at" > %s '
    'RETURNING "id", "card_id"'
)


def qr_verify(*, token: str, verifier, request=None) -> Verification:
    """Check a token once. Every call is logged as a CardScan, whatever the outcome.

    The hot path (issue 12: hundreds of scans a second) is one transaction, one commit:
    the claim, which is also the token's only lookup (a conditional UPDATE … RETURNING that
    two scans at once cannot both win), the card with its holder, and the scan row. Only a
    token that could not be claimed is read once more, to say why (unknown, expired, used).
    """
    if verifier.role != Role.VERIFIER:
        raise NotAllowed("只有服务网点核验员可以核验优才卡。")
    now = timezone.now()
    try:
        jti = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        jti = None
    if not isinstance(jti, str):  # a forged payload that is no token identifier
        return _logged(Verification(False, TOKEN_INVALID), verifier, request)
    # savepoint=False: at the top level this is the scan's transaction; inside a caller's own
    # transaction it adds no SAVEPOINT round trips (an error there undoes the caller's work too).
    with transaction.atomic(savepoint=False):
        claimed = _claim(jti, now)
        if claimed is None:
            token_id, card_id, result = _unclaimed(jti, now)
        else:
            token_id, card_id = claimed
            result = _judge_card(_card_for_answer(card_id), now)
        return _logged(result, verifier, request, card_id=card_id, token_id=token_id)


def _claim(jti: str, now) -> tuple[int, int] | None:
    """Use up the unexpired, unused token ``jti``: ``(token id, card id)``, or None when there
    is no such token to claim. Any scan uses it up, so a code shown while the card was
    suspended is worthless later. Single use is decided by the database: the row lock makes a
    concurrent claim wait and then find ``used_at`` set."""
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [at, jti, at])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _unclaimed(jti: str, now) -> tuple[int | None, int | None, Verification]:
    """Why the token ``jti`` could not be claimed: unknown, expired (even if also used: the
    holder should refresh either way) or used."""
    row = QrToken.objects.filter(jti=jti).values_list("pk", "card_id", "expires_at").first()
    if row is None:
        return None, None, Verification(False, TOKEN_INVALID)
    token_id, card_id, expires_at = row
    reason = TOKEN_EXPIRED if now >= expires_at else TOKEN_USED
    return token_id, card_id, Verification(False, reason)


def _card_for_answer(card_id: int) -> Card:
    """The claimed token's card with exactly what the answer needs (no other personal data)."""
    return (
        Card.objects.select_related("holder")
        .only("number", "tier", "status", "valid_until", "photo", "holder__real_name")
        .get(pk=card_id)
    )


def _judge_card(card: Card, now) -> Verification:
    """The answer for a freshly claimed token: the card's status decides, read at this very
    scan, so a suspension or revocation takes effect at once."""
    status = card.effective_status(timezone.localdate(now))
    if status != CardStatus.ACTIVE:
        return Verification(False, CARD_REASONS[status], _card_answer(card))
    return Verification(True, None, _card_answer(card), photo_token(card))


def _logged(result: Verification, verifier, request, *, card_id=None, token_id=None):
    """Write the scan row (the verification log) and return ``result``."""
    CardScan.objects.create(
        verifier=verifier,
        card_id=card_id,
        token_id=token_id,
        valid=result.valid,
        reason=result.reason or "",
        ip=client_ip(request),
    )
    return result
