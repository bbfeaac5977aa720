"""Partner keys: ``o311_`` + 8 characters of prefix + 32 of secret (URL-safe random, 128+ bits
in all), shown once when made; the database keeps the prefix and the SHA-256 digest."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from open311.actions import PartnerAction
from open311.models import Partner, Scope
from open311.permissions import PARTNERS
from portal.audit import audit_record
from portal.errors import InvalidTransition

PREFIX = "o311_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """(key, prefix)."""
    prefix = secrets.token_hex(4)
    return f"{PREFIX}{prefix}{secrets.token_urlsafe(24)}", f"{PREFIX}{prefix}"


def partner_create(
    *,
    name: str,
    contact: str = "",
    scope: str = Scope.READ,
    rate_limit: int = 60,
    actor=None,
    ip: str | None = None,
) -> tuple[Partner, str]:
    """Register a partner; returns it and its key (shown once, never stored). A name already
    registered is refused (ValidationError on ``name``)."""
    key, prefix = new_key()
    with transaction.atomic():
        if Partner.objects.filter(name=name.strip()).exists():
            raise ValidationError({"name": ["已有同名的合作系统。"]})
        partner = Partner.objects.create(
            name=name.strip(),
            contact=contact.strip(),
            scope=scope,
            rate_limit=rate_limit,
            key_prefix=prefix,
            key_digest=digest(key),
            created_by=actor,
        )
        audit_record(
            action=PartnerAction.CREATE,
            actor=actor,
            obj=partner,
            ip=ip,
            scope=scope,
            key_prefix=prefix,
            rate_limit=rate_limit,
        )
    return partner, key


def partner_for_key(key) -> Partner | None:
    """The active partner holding ``key`` (None for an unknown or revoked key)."""
    if not isinstance(key, str) or not key.startswith(PREFIX) or len(key) > 100:
        return None
    return Partner.objects.filter(key_digest=digest(key), revoked_at__isnull=True).first()


def partner_revoke(partner: Partner, actor, reason: str, ip: str | None = None) -> Partner:
    """The organization department stops a partner's key at once (its next call is refused);
    the partner and its calls stay on record. Only an admin (403); a key already stopped is a
    409; the reason is required."""
    PARTNERS.require_who(actor, "revoke", partner)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写停用原因。"]})
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        if not PARTNERS.allowed(actor, "revoke", locked):
            raise InvalidTransition(
                f"合作系统“{locked.name}”的密钥已于 "
                f"{timezone.localtime(locked.revoked_at):%Y-%m-%d %H:%M} 停用，无需再次停用。",
                status="revoked",
            )
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            action=PartnerAction.REVOKE,
            actor=actor,
            obj=locked,
            ip=ip,
            key_prefix=locked.key_prefix,
            reason=reason[:500],
        )
    partner.revoked_at = locked.revoked_at
    return locked
