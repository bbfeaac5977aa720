"""Partner keys: ``o311_`` + 8 characters of prefix + 32 of secret (URL-safe random, 128+ bits
in all), shown once when made; the database keeps the prefix and the SHA-256 digest."""

import hashlib
import secrets

from django.db import transaction

from open311.actions import PartnerAction
from open311.models import Partner, Scope
from portal.audit import audit_record

PREFIX = "o311_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """(key, prefix)."""
    prefix = secrets.token_hex(4)
    return f"{PREFIX}{prefix}{secrets.token_urlsafe(24)}", f"{PREFIX}{prefix}"


def partner_create(
    *, name: str, contact: str = "", scope: str = Scope.READ, rate_limit: int = 60, actor=None
) -> tuple[Partner, str]:
    """Register a partner; returns it and its key (shown once, never stored)."""
    key, prefix = new_key()
    with transaction.atomic():
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
