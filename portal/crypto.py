"""Encryption at rest for personal identifiers (PIPL art. 51, 等保 2.0 data confidentiality).

Values are encrypted with Fernet (authenticated: AES-128-CBC with an HMAC-SHA256 tag) under the
keys in ``settings.FIELD_ENCRYPTION_KEYS``; the first key encrypts, every key decrypts, so keys
can be rotated. Equality lookups ("is this ID number already registered?") use a keyed
HMAC-SHA256 under a separate key, so the database can enforce uniqueness without ever holding
the number itself, and a stolen dump cannot be matched against a list of known numbers.

Mobile numbers are kept the same way wherever they are stored (accounts, SMS deliveries and
the outbox, the new number of a phone change): ``seal``/``unseal`` for the value, and
``phone_digest`` (one purpose everywhere) where a row must be found by its number.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def _reset(*, setting, **kwargs):
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY"}:
        _fernet.cache_clear()


setting_changed.connect(_reset)


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value``; ``purpose`` separates the hashes of different kinds of data."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.FIELD_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def seal(plaintext: str) -> str:
    """``encrypt``, except that nothing stays nothing ("" for an empty value)."""
    return encrypt(plaintext) if plaintext else ""


def unseal(token: str) -> str:
    """``decrypt``, except that "" (nothing stored, or erased) reads as ""."""
    return decrypt(token) if token else ""


def phone_digest(number: str) -> str:
    """The keyed hash of a normalised mobile number (portal.identity.normalize_mobile), the same
    for every table that looks rows up by phone."""
    return keyed_hash("phone", number)
