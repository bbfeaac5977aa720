"""Signing in and out, with lockout after repeated failures (等保 2.0 登录失败处理).

Rules: LOGIN_FAILURE_LIMIT failures for one username within LOGIN_FAILURE_WINDOW_MINUTES lock
that username for LOGIN_LOCKOUT_MINUTES; LOGIN_IP_FAILURE_LIMIT failures from one address lock
the address likewise. A locked sign-in is refused before the password is looked at. An unknown
username and a wrong password give the same answer, are counted the same way and lock the same
way, so neither the message nor the lockout tells whether an account exists.

django-axes was considered: it keeps one running counter per row, refreshed by every failure,
so it cannot say "5 within 15 minutes", nor give an address a higher limit than a username.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_record, client_ip
from portal.errors import BadCredentials, LoginLocked
from portal.models import LoginFailure, LoginLockout, User
from portal.models.throttle import Scope


def username_key(username: str) -> str:
    return User.normalize_username((username or "").strip()).lower()[:150]


def _locked(key: str, ip: str | None, now) -> LoginLockout | None:
    keys = [(Scope.USERNAME, key)] + ([(Scope.IP, ip)] if ip else [])
    found = None
    for scope, value in keys:
        lock = (
            LoginLockout.objects.filter(scope=scope, key=value, locked_until__gt=now)
            .order_by("-locked_until")
            .first()
        )
        if lock and (found is None or lock.locked_until > found.locked_until):
            found = lock
    return found


def _lock(scope: str, value: str, now) -> None:
    until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    LoginLockout.objects.create(scope=scope, key=value, locked_until=until, created_at=now)
    # The failures that caused this lock are spent: after it expires the count starts over.
    if scope == Scope.USERNAME:
        LoginFailure.objects.filter(username_key=value).delete()
    else:
        LoginFailure.objects.filter(ip=value).delete()


def _record_failure(key: str, ip: str | None, attempted: str, now) -> None:
    since = now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    with transaction.atomic():
        LoginFailure.objects.create(username_key=key, ip=ip, at=now)
        audit_record(action="auth.login_failed", ip=ip, username=attempted[:150])
        if (
            LoginFailure.objects.filter(username_key=key, at__gt=since).count()
            >= settings.LOGIN_FAILURE_LIMIT
        ):
            _lock(Scope.USERNAME, key, now)
            audit_record(action="auth.lockout", ip=ip, scope=Scope.USERNAME, username=key)
        if (
            ip
            and LoginFailure.objects.filter(ip=ip, at__gt=since).count()
            >= settings.LOGIN_IP_FAILURE_LIMIT
        ):
            _lock(Scope.IP, ip, now)
            audit_record(action="auth.lockout", ip=ip, scope=Scope.IP)


def signin_attempt(*, request, username: str, password: str) -> User:
    """Check a username and password; return the user, or raise LoginLocked / BadCredentials.

    Does not start a session or issue a token: the page and the API each do their own.
    """
    now = timezone.now()
    ip = client_ip(request)
    key = username_key(username)
    lock = _locked(key, ip, now)
    if lock is not None:
        audit_record(action="auth.login_refused_locked", ip=ip, username=key)
        raise LoginLocked(
            retry_after=max(1, math.ceil((lock.locked_until - now).total_seconds())),
            minutes=settings.LOGIN_LOCKOUT_MINUTES,
        )
    # ModelBackend hashes the password even for an unknown username, so the answer takes
    # as long either way; it also refuses inactive accounts.
    user = authenticate(request, username=username, password=password) if key else None
    if user is None:
        _record_failure(key, ip, username or "", now)
        raise BadCredentials()
    with transaction.atomic():
        LoginFailure.objects.filter(username_key=key).delete()
        update_last_login(None, user)
        audit_record(action="auth.login", actor=user, obj=user, ip=ip)
    return user


def signout_record(*, request, user, how: str) -> None:
    """Audit a sign-out (the caller ends the session or deletes the token)."""
    audit_record(action="auth.logout", actor=user, obj=user, request=request, via=how)


def purge_expired(now=None) -> int:
    """Delete failures older than the window and lockouts that have ended."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    failures, _ = LoginFailure.objects.filter(at__lte=since).delete()
    locks, _ = LoginLockout.objects.filter(locked_until__lte=now).delete()
    return failures + locks
