"""QR verification: a holder shows a short-lived, single-use token; a verifier checks it.

The token is a signed random identifier (django.core.signing): it holds no personal data, and
everything it proves is looked up at verification time, so a suspension or revocation takes
effect on the very next scan.
"""

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.hooks import services_for_tier
from cards.issuance import live_card
from cards.models import Card, CardStatus, QrToken
from cards.photos import photo_token
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
    None: _("有效"),
    TOKEN_EXPIRED: _("二维码已过期，请持卡人刷新后重新出示"),
    TOKEN_USED: _("二维码已使用过，请持卡人刷新后重新出示"),
    TOKEN_INVALID: _("无法识别的二维码"),
    "card_suspended": _("该优才卡已暂停使用"),
    "card_revoked": _("该优才卡已注销"),
    "card_expired": _("该优才卡已过有效期"),
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
        """The reason in words, in the verifier's language."""
        return str(REASON_LABELS[self.reason])


def qr_issue(*, holder) -> tuple[str, object]:
    """A fresh token for the holder's active card: ``(token, expires_at)``."""
    if holder.role != Role.TALENT:
        raise NotAllowed(gettext("只有持卡人才可以出示优才卡二维码。"))
    card = live_card(holder)
    if card is None:
        raise NotFound(gettext("您还没有优才卡。"))
    status = card.effective_status()
    if status != CardStatus.ACTIVE:
        raise InvalidTransition(
            gettext("您的优才卡%(status)s，不能出示二维码。")
            % {"status": CardStatus(status).label},
            status=status,
        )
    now = timezone.now()
    token = QrToken.objects.create(
        jti=secrets.token_hex(16), card=card, issued_at=now, expires_at=now + QR_TTL
    )
    return signing.dumps(token.jti, salt=SALT), token.expires_at


def _card_answer(card: Card, holder_name: str) -> dict:
    return {
        "number": card.number,
        "tier": card.tier,
        "holder_name_masked": mask_name(holder_name),
        "valid_until": card.valid_until,
        "services": tier_services(card.tier),
    }


# The services a tier unlocks change when the catalogue is edited, a few times a year; a scan
# asks for them hundreds of times a second. Each worker remembers them for this long, so a
# catalogue edit shows in verification answers within a minute, and a scan spends no round
# trip on them (a shared cache would cost one, as much as the query). The card itself is never
# remembered: its status is read at every scan.
TIER_SERVICES_SECONDS = 60
_clock = time.monotonic
_tier_services: dict[tuple[str, str], tuple[float, list[str]]] = {}


def tier_services(tier: str) -> list[str]:
    """``services_for_tier``, remembered by this process for TIER_SERVICES_SECONDS, per
    language (the names are in the verifier's)."""
    now = _clock()
    key = (tier, translation.get_language() or "")
    remembered = _tier_services.get(key)
    if remembered is None or remembered[0] <= now:
        remembered = _tier_services[key] = (now + TIER_SERVICES_SECONDS, services_for_tier(tier))
    return list(remembered[1])


@receiver(setting_changed)
def _forget_tier_services(**kwargs):
    """Settings change only under tests (each test starts by changing some): each starts with
    the catalogue it builds, as Django's own per-process caches do."""
    _tier_services.clear()


# --- a scan ---------------------------------------------------------------------------------
# A scan is the portal's hottest path (issue 12: hundreds a second on two workers). Its
# statements are written out: building them with the ORM costs the worker several times what
# the database spends running them. The names are those of QrToken, Card, the user and
# CardScan; tests/test_card_qr.py runs each statement on SQLite and on PostgreSQL.
#
# On PostgreSQL a scan is one statement (SCAN_PG_SQL), so one round trip and, as a statement
# in autocommit, one commit: the claim, the card, the verdict and the scan row together. Any
# other database takes the same steps one by one in a transaction (CLAIM_SQL, then CARD_SQL or
# the token's state, then SCAN_SQL). The same tests run against both.

# The claim, which is also the token's only lookup: an UPDATE … RETURNING that two scans at
# once cannot both win (the second waits for the first's row lock, then finds used_at set).
# The ORM's update() cannot say RETURNING; PostgreSQL and SQLite (3.35+) both can.
CLAIM_SQL = (
    'UPDATE "cards_qrtoken" SET "used_at" = %s '
    'WHERE "jti" = %s AND "used_at" IS NULL AND "expires_at" > %s '
    'RETURNING "id", "card_id"'
)
# The claimed token's card, with nothing of the holder but the name the answer masks.
CARD_SQL = (
    'SELECT c."number", c."tier", c."status", c."valid_until", c."photo_id", u."real_name" '
    'FROM "cards_card" c INNER JOIN "portal_user" u ON u."id" = c."holder_id" '
    'WHERE c."id" = %s'
)
# The scan row, the verification log (CardScan).
SCAN_SQL = (
    'INSERT INTO "cards_cardscan" ("at", "verifier_id", "card_id", "token_id", "valid", '
    '"reason", "ip") VALUES (%s, %s, %s, %s, %s, %s, %s)'
)
# All of it in one statement. Every part sees the database as it was when the statement
# began, except that the claim waits for a concurrent claim of the same row and then finds it
# used: so "seen" reads the token as it was (to tell unknown, expired and used apart) and the
# claim's RETURNING says whether this scan used it up. The verdict is _unclaimed's and
# _judge_card's (Card.effective_status, CARD_REASONS), in SQL.
SCAN_PG_SQL = """
WITH claim AS (
    UPDATE "cards_qrtoken" SET "used_at" = %(now)s
    WHERE "jti" = %(jti)s AND "used_at" IS NULL AND "expires_at" > %(now)s
    RETURNING "id", "card_id"
), seen AS MATERIALIZED (
    SELECT t."id" AS token_id, t."card_id", claim."id" IS NOT NULL AS claimed,
        CASE
            WHEN t."id" IS NULL THEN 'token_invalid'
            WHEN claim."id" IS NULL AND t."expires_at" <= %(now)s THEN 'token_expired'
            WHEN claim."id" IS NULL THEN 'token_used'
            WHEN c."status" = 'active' AND c."valid_until" < %(today)s THEN 'card_expired'
            WHEN c."status" = 'active' THEN ''
            ELSE 'card_' || c."status"
        END AS reason,
        c."number", c."tier", c."valid_until", c."photo_id", u."real_name"
    FROM (SELECT 1) AS one
    LEFT JOIN "cards_qrtoken" t ON t."jti" = %(jti)s
    LEFT JOIN claim ON claim."id" = t."id"
    LEFT JOIN "cards_card" c ON c."id" = claim."card_id"
    LEFT JOIN "portal_user" u ON u."id" = c."holder_id"
), logged AS (
    INSERT INTO "cards_cardscan"
        ("at", "verifier_id", "card_id", "token_id", "valid", "reason", "ip")
    SELECT %(now)s, %(verifier)s, "card_id", "token_id", "reason" = '', "reason", %(ip)s
    FROM seen
)
SELECT claimed, reason, card_id, "number", "tier", "valid_until", "photo_id", "real_name"
FROM seen
"""


def qr_verify(*, token: str, verifier, ip: str | None = None) -> Verification:
    """Check a token once. Every call is logged as a CardScan, whatever the outcome.

    One transaction, so one commit (one flush to disk): the claim, the card with its holder's
    name, and the scan row; on PostgreSQL one statement. Elsewhere only a token that could not
    be claimed is read once more, to say why (unknown, expired, used).
    """
    if verifier.role != Role.VERIFIER:
        raise NotAllowed("只有服务网点核验员可以核验优才卡。")
    now = timezone.now()
    try:
        jti = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        jti = None
    if not isinstance(jti, str):  # a forged payload that is no token identifier
        return _logged(Verification(False, TOKEN_INVALID), now, verifier, ip)
    if connection.vendor == "postgresql":
        return _scan_in_one_statement(jti, now, verifier, ip)
    # savepoint=False: at the top level this is the scan's transaction; inside a caller's own
    # transaction it adds no SAVEPOINT round trips (an error there undoes the caller's work too).
    with transaction.atomic(savepoint=False):
        claimed = _claim(jti, now)
        if claimed is None:
            token_id, card_id, result = _unclaimed(jti, now)
        else:
            token_id, card_id = claimed
            result = _judge_card(*_card_for_answer(card_id), now)
        return _logged(result, now, verifier, ip, card_id=card_id, token_id=token_id)


def _scan_in_one_statement(jti: str, now, verifier, ip) -> Verification:
    """The scan on PostgreSQL: SCAN_PG_SQL, one round trip, one commit."""
    params = {
        "now": now,
        "today": timezone.localdate(now),
        "jti": jti,
        "verifier": verifier.pk,
        "ip": connection.ops.adapt_ipaddressfield_value(ip),
    }
    with connection.cursor() as cursor:
        cursor.execute(SCAN_PG_SQL, params)
        claimed, reason, card_id, number, tier, valid_until, photo_id, name = cursor.fetchone()
    if not claimed:
        return Verification(False, reason)
    card = Card(id=card_id, number=number, tier=tier, valid_until=valid_until, photo_id=photo_id)
    answer = _card_answer(card, name)
    if reason:
        return Verification(False, reason, answer)
    return Verification(True, None, answer, photo_token(card))


def _claim(jti: str, now) -> tuple[int, int] | None:
    """Use up the unexpired, unused token ``jti``: ``(token id, card id)``, or None when there
    is no such token to claim. Any scan uses it up, so a code shown while the card was
    suspended is worthless later."""
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


def _card_for_answer(card_id: int) -> tuple[Card, str]:
    """The claimed token's card (the fields the answer and its status need) and the holder's
    name."""
    with connection.cursor() as cursor:
        cursor.execute(CARD_SQL, [card_id])
        number, tier, status, valid_until, photo_id, holder_name = cursor.fetchone()
    card = Card(
        id=card_id,
        number=number,
        tier=tier,
        status=status,
        valid_until=valid_until,
        photo_id=photo_id,
    )
    return card, holder_name


def _judge_card(card: Card, holder_name: str, now) -> Verification:
    """The answer for a freshly claimed token: the card's status decides, read at this very
    scan, so a suspension or revocation takes effect at once."""
    status = card.effective_status(timezone.localdate(now))
    answer = _card_answer(card, holder_name)
    if status != CardStatus.ACTIVE:
        return Verification(False, CARD_REASONS[status], answer)
    return Verification(True, None, answer, photo_token(card))


def _logged(result: Verification, now, verifier, ip, *, card_id=None, token_id=None):
    """Write the scan row (the verification log) and return ``result``."""
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            SCAN_SQL,
            [
                ops.adapt_datetimefield_value(now),
                verifier.pk,
                card_id,
                token_id,
                result.valid,
                result.reason or "",
                ops.adapt_ipaddressfield_value(ip),
            ],
        )
    return result
