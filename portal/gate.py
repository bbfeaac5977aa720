"""The account gate: what an account may reach before it is fully signed in.

Two things keep an account at the gate after its password was accepted:

- ``must_change_password``: the talent office created or reset it, so another person saw the
  initial password. Only changing it (and signing out) is allowed.
- two-factor sign-in (settings.OTP_REQUIRED_ROLES): an account of such a role without a
  confirmed authenticator may only enrol one; a page session whose second factor was not
  checked yet may only give its code.

Pages are gated by ``AccountGateMiddleware`` (a redirect to the one page that lets them
through); the API by the authentication classes below (403 with ``code``), because DRF
authenticates tokens inside the view, after every middleware has run.
"""

import binascii
import functools
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

PASSWORD_CHANGE_REQUIRED = "password_change_required"  # noqa: S105 - an error code
OTP_SETUP_REQUIRED = "otp_setup_required"
OTP_REQUIRED = "otp_required"

MESSAGES = {
    PASSWORD_CHANGE_REQUIRED: _("您正在使用初始密码，请先修改密码。"),
    OTP_SETUP_REQUIRED: _("您的账户须使用双因素认证登录，请先绑定身份验证器。"),
    OTP_REQUIRED: _("请先完成双因素认证。"),
}


def otp_required_for(user) -> bool:
    return user.role in settings.OTP_REQUIRED_ROLES


def has_confirmed_totp(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def gate_reason(user, *, session_verified: bool | None = None) -> str | None:
    """Why ``user`` is held at the gate, or None.

    ``session_verified`` is whether a page session passed the second factor; None for a
    token, whose issue already required the code of an enrolled account. Only accounts of a
    required role pay the query for their authenticator, and only until they are verified.
    """
    if not user.is_authenticated:
        return None
    if user.must_change_password:
        return PASSWORD_CHANGE_REQUIRED
    if not otp_required_for(user) or session_verified:
        return None
    if not has_confirmed_totp(user):
        return OTP_SETUP_REQUIRED
    return OTP_REQUIRED if session_verified is False else None


# --- pages ------------------------------------------------------------------------------------
PAGE_TARGETS = {
    PASSWORD_CHANGE_REQUIRED: "portal:password-change",
    OTP_SETUP_REQUIRED: "portal:otp-setup",
    OTP_REQUIRED: "portal:login-otp",
}
# Pages that are always reachable at the gate.
PAGE_ALWAYS = ("portal:logout", "portal:set-language")


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and not path.startswith(("/api/", settings.STATIC_URL, "/healthz"))
        ):
            verified = user.is_verified() if hasattr(user, "is_verified") else None
            reason = gate_reason(user, session_verified=verified)
            if reason:
                allowed = {reverse(PAGE_TARGETS[reason])} | {reverse(n) for n in PAGE_ALWAYS}
                if path not in allowed:
                    return redirect(PAGE_TARGETS[reason])
        return self.get_response(request)


# --- API --------------------------------------------------------------------------------------
API_ALLOWED = {
    PASSWORD_CHANGE_REQUIRED: {"/api/v1/me/", "/api/v1/me/password/", "/api/v1/auth/logout/"},
    OTP_SETUP_REQUIRED: {
        "/api/v1/me/",
        "/api/v1/me/password/",
        "/api/v1/auth/logout/",
        "/api/v1/me/otp/",
        "/api/v1/me/otp/confirm/",
    },
    OTP_REQUIRED: {"/api/v1/me/", "/api/v1/auth/logout/"},
}


class GateDenied(exceptions.PermissionDenied):
    def __init__(self, reason: str):
        super().__init__(detail=MESSAGES[reason], code=reason)


def _check(request, user, *, session_verified):
    reason = gate_reason(user, session_verified=session_verified)
    if reason and request.path not in API_ALLOWED[reason]:
        raise GateDenied(reason)


class GatedTokenAuthentication(TokenAuthentication):
    """knox tokens, held at the gate like page sessions.

    One query per request: the token with its user. knox itself also reads all of the user's
    tokens on every request, to delete the expired ones among them; here an expired token is
    refused (and deleted) when it is presented, and the others are deleted hourly
    (portal.tasks.purge_expired_tokens).
    """

    def authenticate_credentials(self, token: bytes):
        failed = exceptions.AuthenticationFailed(_("Invalid token."))
        try:
            token = token.decode("utf-8")
            digest = hash_token(token)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise failed from None
        for auth_token in tokens_with_users(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=type(self), username=username, source="auth_token")
                raise failed
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            return self.validate_user(auth_token)
        raise failed

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            _check(request, result[0], session_verified=None)
        return result


# Every API request signs in with this query, so it is written out once per process from the
# models' own columns rather than built by the ORM each time (that costs about a millisecond,
# three times what PostgreSQL spends answering it): the same SELECT as
# ``AuthToken.objects.filter(token_key=key).select_related("user")``, and the rows become
# model instances with each column's converters applied as the ORM applies them.
# tests/test_token_auth.py checks that both load the same objects.
class _Loader:
    """One model's columns in the statement, and how each value is converted (worked out once
    per process, as the ORM works it out for every query)."""

    def __init__(self, model, alias: str, connection):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.alias = alias
        self.converters = []
        for field in self.fields:
            column = field.get_col(alias)
            backend = connection.ops.get_db_converters(column)
            self.converters.append((column, backend + column.get_db_converters(connection)))

    def columns(self, quote) -> str:
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def load(self, connection, values):
        row = []
        for (column, converters), value in zip(self.converters, values, strict=True):
            for convert in converters:
                value = convert(value, column, connection)
            row.append(value)
        return self.model.from_db(connection.alias, self.attnames, row)


@functools.cache
def _token_statement(vendor: str):
    from django.db import connection

    quote = connection.ops.quote_name
    token = _Loader(AuthToken, "t", connection)
    user = _Loader(get_user_model(), "u", connection)
    user_fk = AuthToken._meta.get_field("user")
    # Names from the models' metadata, quoted; the key is a parameter.
    sql = (
        f"SELECT {token.columns(quote)}, {user.columns(quote)} "  # noqa: S608
        f"FROM {quote(AuthToken._meta.db_table)} t "
        f"INNER JOIN {quote(user.model._meta.db_table)} u "
        f"ON u.{quote(user_fk.target_field.column)} = t.{quote(user_fk.column)} "
        f"WHERE t.{quote(AuthToken._meta.get_field('token_key').column)} = %s"
    )
    return sql, token, user


def tokens_with_users(token_key: str) -> list:
    """The knox tokens of ``token_key`` (almost always one), each with its user loaded."""
    from django.db import connection

    sql, token, user = _token_statement(connection.vendor)
    found = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_key])
        rows = cursor.fetchall()
    split = len(token.fields)
    for row in rows:
        auth_token = token.load(connection, row[:split])
        auth_token.user = user.load(connection, row[split:])
        found.append(auth_token)
    return found


class GatedSessionAuthentication(SessionAuthentication):
    """The pages' session on the API, held at the gate like the pages themselves."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = request._request.user
            verified = user.is_verified() if hasattr(user, "is_verified") else None
            _check(request, result[0], session_verified=verified)
        return result
