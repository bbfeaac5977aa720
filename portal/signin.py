"""Signing in, with lockout after repeated failures (等保 2.0 登录失败处理).

Rules: LOGIN_FAILURE_LIMIT failures for one account within LOGIN_FAILURE_WINDOW_MINUTES lock
it for LOGIN_LOCKOUT_MINUTES; LOGIN_IP_FAILURE_LIMIT failures from one address lock the
address likewise. A locked sign-in is refused before the password is looked at. An unknown
username and a wrong password give the same answer, are counted the same way and lock the same
way, so neither the message nor the lockout tells whether an account exists.

Two details keep the limit honest:

- Every attempt is written down as a failure *before* the password is checked (and struck off
  if it succeeds). Attempts fired in parallel therefore each see the ones before them: of a
  burst of 25, at most LOGIN_FAILURE_LIMIT reach the password check (attempts still in flight
  count too, so a burst can lock a little sooner, never later).
- Failures are counted per account (``user:<pk>``) whenever the typed name resolves to one, so
  spellings the database folds together (``ADMIN``, ``admin``, ``admın``) share one counter.

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
from django.utils.translation import gettext

from portal import crypto
from portal.audit import AccountAction, AuthAction, audit_record
from portal.errors import BadCredentials, LoginLocked, OtpRequired
from portal.models import LoginFailure, LoginLockout, User
from portal.models.throttle import Scope
from portal.otp import otp_enabled, otp_match


def _normalized(username: str) -> str:
    return User.normalize_username((username or "").strip())[:150]


def _account_for(username: str) -> User | None:
    name = _normalized(username)
    if not name:
        return None
    try:
        return User.objects.get_by_natural_key(name)
    except (User.DoesNotExist, User.MultipleObjectsReturned):
        return None


def _key(username: str, user: User | None) -> str:
    # An unknown name is counted under its keyed hash, never as typed (see _who): the failure
    # and lockout rows would otherwise keep whatever phone or ID number was typed in plain.
    if user:
        return f"user:{user.pk}"
    return f"name:{crypto.keyed_hash('login_name', _normalized(username).lower())}"


def _who(username: str, user: User | None) -> dict:
    """How an attempt is named in the audit trail. An unknown name is stored only as a keyed
    hash: people type ID numbers, phone numbers and passwords into the username box."""
    if user:
        return {"username": user.username}
    return {
        "unknown_name_hash": crypto.keyed_hash("login_name", _normalized(username).lower())[:16]
    }


def _active_lock(key: str, ip: str | None, now) -> LoginLockout | None:
    scopes = [(Scope.USERNAME, key)] + ([(Scope.IP, ip)] if ip else [])
    locks = [
        LoginLockout.objects.filter(scope=scope, key=value, locked_until__gt=now)
        .order_by("-locked_until")
        .first()
        for scope, value in scopes
    ]
    locks = [lock for lock in locks if lock]
    return max(locks, key=lambda lock: lock.locked_until) if locks else None


def _refuse(lock_until, now, ip, who) -> LoginLocked:
    audit_record(action=AuthAction.LOGIN_REFUSED_LOCKED, ip=ip, **who)
    return LoginLocked(
        retry_after=max(1, math.ceil((lock_until - now).total_seconds())),
        minutes=settings.LOGIN_LOCKOUT_MINUTES,
    )


def _lock(scope: str, value: str, now) -> LoginLockout:
    until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    lock = LoginLockout.objects.create(scope=scope, key=value, locked_until=until, created_at=now)
    # The failures that caused this lock are spent: after it ends the count starts over.
    if scope == Scope.USERNAME:
        LoginFailure.objects.filter(username_key=value).delete()
    else:
        LoginFailure.objects.filter(ip=value).delete()
    return lock


def signin_attempt(
    *, username: str, password: str, otp: str | None = None, ip: str | None = None
) -> User:
    """Check a username and password (and, for an account with two-factor sign-in on, the
    code from its authenticator or a recovery code); return the user, or raise LoginLocked /
    BadCredentials / OtpRequired.

    A right password without a code raises OtpRequired and counts as no failure (the page
    then asks for the code: ``signin_second_factor``); a wrong code counts like a wrong
    password. Does not start a session or issue a token: the page and the API each do their own.
    ``ip`` is the caller's address (portal.audit.client_ip): counted for the per-address lock
    and written into the audit trail.
    """
    now = timezone.now()
    account = _account_for(username)
    key = _key(username, account)
    who = _who(username, account)
    lock = _active_lock(key, ip, now)
    if lock is not None:
        raise _refuse(lock.locked_until, now, ip, who)

    # Written (and committed) before the password is checked: see the module docstring.
    attempt = LoginFailure.objects.create(username_key=key, ip=ip, at=now)
    since = now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    by_name = LoginFailure.objects.filter(username_key=key, at__gt=since).count()
    by_ip = LoginFailure.objects.filter(ip=ip, at__gt=since).count() if ip else 0
    # Looked at again after counting: a parallel attempt may have locked the account (and,
    # locking, struck off the failures that caused it) between our first look and our count.
    late_lock = _active_lock(key, ip, now)
    if (
        by_name > settings.LOGIN_FAILURE_LIMIT
        or by_ip > settings.LOGIN_IP_FAILURE_LIMIT
        or late_lock is not None
    ):
        attempt.delete()
        lock = late_lock or _active_lock(key, ip, now)
        raise _refuse(lock.locked_until if lock else now + timedelta(minutes=1), now, ip, who)

    # ModelBackend hashes the password even for an unknown username, so the answer takes
    # as long either way; it also refuses inactive accounts.
    user = authenticate(None, username=username, password=password)
    if user is None:
        with transaction.atomic():
            audit_record(action=AuthAction.LOGIN_FAILED, ip=ip, **who)
            if by_name >= settings.LOGIN_FAILURE_LIMIT:
                _lock(Scope.USERNAME, key, now)
                audit_record(action=AuthAction.LOCKOUT, ip=ip, scope=Scope.USERNAME, **who)
            if ip and by_ip >= settings.LOGIN_IP_FAILURE_LIMIT:
                _lock(Scope.IP, ip, now)
                audit_record(action=AuthAction.LOCKOUT, ip=ip, scope=Scope.IP)
        raise BadCredentials()

    if otp_enabled(user):
        if not otp:
            attempt.delete()  # the password was right: not a failure, the code comes next
            raise OtpRequired()
        if otp_match(user, otp) is None:
            audit_record(action=AuthAction.OTP_FAILED, actor=user, obj=user, ip=ip)
            raise OtpRequired(gettext("动态验证码不正确或已使用。"))
    _succeed(user, key, ip)
    return user


def _succeed(user: User, key: str, ip) -> None:
    with transaction.atomic():
        LoginFailure.objects.filter(username_key=key).delete()
        update_last_login(None, user)
        audit_record(action=AuthAction.LOGIN, actor=user, obj=user, ip=ip)


def _guarded(*, user: User, ip, check, failed_action) -> bool:
    """Run ``check()`` (a password or code check for a known account) under the account's
    lockout: refused while locked; the attempt is written down as a failure *before* the check
    (as in ``signin_attempt``), so a burst of parallel guesses counts every one of them; struck
    off when right; the LOGIN_FAILURE_LIMIT-th wrong one locks the account."""
    now = timezone.now()
    key = _key(user.username, user)
    lock = _active_lock(key, ip, now)
    if lock is not None:
        raise _refuse(lock.locked_until, now, ip, _who(user.username, user))
    attempt = LoginFailure.objects.create(username_key=key, ip=ip, at=now)
    since = now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    failures = LoginFailure.objects.filter(username_key=key, at__gt=since).count()
    late_lock = _active_lock(key, ip, now)  # as in signin_attempt
    if failures > settings.LOGIN_FAILURE_LIMIT or late_lock is not None:
        attempt.delete()
        lock = late_lock or _active_lock(key, ip, now)
        raise _refuse(
            lock.locked_until if lock else now + timedelta(minutes=1),
            now,
            ip,
            _who(user.username, user),
        )
    result = check()
    if result:
        attempt.delete()
        return result
    with transaction.atomic():
        audit_record(action=failed_action, actor=user, obj=user, ip=ip)
        if failures >= settings.LOGIN_FAILURE_LIMIT:
            _lock(Scope.USERNAME, key, now)
            audit_record(
                action=AuthAction.LOCKOUT, ip=ip, scope=Scope.USERNAME, username=user.username
            )
    return result


def signin_second_factor(*, user: User, code: str, ip: str | None = None):
    """The page's second step, after ``signin_attempt`` raised OtpRequired for ``user``:
    return the device that accepted ``code`` (the caller passes it to django_otp.login), or
    raise OtpRequired / LoginLocked. Wrong codes count towards the account's lockout."""
    device = _guarded(
        user=user,
        ip=ip,
        check=lambda: otp_match(user, code),
        failed_action=AuthAction.OTP_FAILED,
    )
    if device is None:
        raise OtpRequired(gettext("动态验证码不正确或已使用。"))
    _succeed(user, _key(user.username, user), ip)
    return device


def password_recheck(*, user: User, password: str, ip=None) -> bool:
    """Ask a signed-in account for its password again before a change that could take it
    over (the password itself, the phone that receives reset codes, a new authenticator).
    Wrong answers count towards the sign-in lockout, so a left-open session cannot be used to
    guess the password; raises LoginLocked while locked."""
    return bool(
        _guarded(
            user=user,
            ip=ip,
            check=lambda: user.check_password(password or ""),
            failed_action=AccountAction.REAUTH_FAILED,
        )
    )


def purge_expired(now=None) -> int:
    """Delete failures older than the window and lockouts that have ended."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    failures, _ = LoginFailure.objects.filter(at__lte=since).delete()
    locks, _ = LoginLockout.objects.filter(locked_until__lte=now).delete()
    return failures + locks
