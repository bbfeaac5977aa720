"""Keeping an account: change or reset the password, keep the e-mail and phone current.

After a password change or reset every other way into the account ends: API tokens are
deleted (the caller's own token survives a change it made itself), and page sessions end on
their next request because Django ties a session to the password hash. A reset proven by an
SMS code also lifts a sign-in lockout: the person has just proven they hold the phone.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from knox.models import AuthToken

from portal import ratelimit
from portal.audit import AccountAction, audit_record
from portal.codes import CodeRejected, code_check, code_send, code_target
from portal.delivery import sms_direct
from portal.errors import RateLimited
from portal.i18n import for_user
from portal.identity import mask_phone, normalize_mobile
from portal.models import CodePurpose, LoginFailure, LoginLockout, User
from portal.models.throttle import Scope
from portal.signin import password_recheck

# Translated where raised (gettext), in the request's language.
CODE_REJECTED = gettext_noop("验证码错误或已失效，请重新获取。")
RESET_RATE_LIMITED = gettext_noop("操作过于频繁，请稍后再试。")


def tokens_end(user: User, *, keep=None) -> int:
    """Delete the account's API tokens (all, or all but ``keep``); return how many."""
    tokens = AuthToken.objects.filter(user=user)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    count, _ = tokens.delete()
    return count


def tokens_purge_expired() -> int:
    """Delete API tokens past their expiry (hourly, portal.tasks.purge_expired_tokens).

    Signing in with a token no longer sweeps the account's other expired tokens on every
    request (knox does; portal.gate.GatedTokenAuthentication does not, to spend one query per
    API request instead of two): an expired token is refused either way, and this removes it.
    """
    count, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return count


def _new_password_errors(user: User, new_password: str) -> list[str]:
    if not new_password:
        return [gettext("请设置新密码。")]
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        return exc.messages[:1]  # one message per field: the first problem to fix
    if user.check_password(new_password):
        return [gettext("新密码不能与当前密码相同。")]
    return []


def password_change(
    *, user: User, old_password: str, new_password: str, keep_token=None, ip=None
) -> None:
    """Change the password, knowing the current one. Ends every other token; the page keeps
    its own session with ``update_session_auth_hash``."""
    errors = {}
    if not password_recheck(user=user, password=old_password, ip=ip):
        errors["old_password"] = [gettext("当前密码不正确。")]
    else:
        problems = _new_password_errors(user, new_password)
        if problems:
            errors["new_password"] = problems
    if errors:
        audit_record(action=AccountAction.PASSWORD_CHANGE_FAILED, actor=user, obj=user, ip=ip)
        raise ValidationError(errors)
    with transaction.atomic():
        user.set_password(new_password)
        forced = user.must_change_password
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        ended = tokens_end(user, keep=keep_token)
        audit_record(
            action=AccountAction.PASSWORD_CHANGED,
            actor=user,
            obj=user,
            ip=ip,
            initial=forced,
            tokens_ended=ended,
        )


def _accounts_for(*, username: str = "", phone: str = "") -> list[User]:
    active = User.objects.filter(is_active=True, phone_hash__isnull=False)
    if username:
        return list(active.filter(username__iexact=username.strip())[:1])
    try:
        number = normalize_mobile(phone)
    except ValidationError:
        return []
    # One phone may serve a family's accounts; each gets its own code (at most a few). Found
    # by the keyed hash: the number is stored only encrypted.
    return list(active.with_phone(number)[:3])


def password_reset_request(*, username: str = "", phone: str = "", ip=None) -> None:
    """Send a reset code to the phone of the account named by ``username`` or ``phone``.

    Says nothing either way: the caller answers the same whether or not an account exists,
    has a phone, or has reached its hourly limit. Per address, at most 20 requests an hour
    (the per-account limit is in portal.codes).
    """
    if not ratelimit.allow(f"password-reset:{ip or 'unknown'}", limit=20, window_seconds=3600):
        audit_record(action=AccountAction.PASSWORD_RESET_LIMITED, ip=ip)
        return
    accounts = _accounts_for(username=username, phone=phone)
    if not accounts:
        audit_record(action=AccountAction.PASSWORD_RESET_UNKNOWN, ip=ip)
    for user in accounts:
        code_send(user=user, purpose=CodePurpose.PASSWORD_RESET, phone=user.phone, ip=ip)


def password_reset_confirm(*, username: str, code: str, new_password: str, ip=None) -> User:
    """Set a new password with the code sent by SMS. Ends every token and session of the
    account and lifts its sign-in lockout.

    Nothing in the answer depends on the account before the code is accepted: the new
    password is checked against the general rules only (and against the username typed, as
    for any account), so the form can neither tell whether an account exists nor confirm a
    guess of its current password. A wrong or expired code and an unknown account give one
    answer; at most 30 tries an hour per address.
    """
    if not ratelimit.allow(
        f"password-reset-confirm:{ip or 'unknown'}", limit=30, window_seconds=3600
    ):
        raise RateLimited(gettext(RESET_RATE_LIMITED))
    probe = User(username=(username or "").strip())
    if not new_password:
        raise ValidationError({"new_password": [gettext("请设置新密码。")]})
    try:
        validate_password(new_password, probe)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages[:1]}) from None
    user = User.objects.filter(is_active=True, username__iexact=probe.username).first()
    if user is None:
        audit_record(action=AccountAction.PASSWORD_RESET_FAILED, ip=ip)
        raise ValidationError({"code": [gettext(CODE_REJECTED)]})
    try:
        code_check(user=user, purpose=CodePurpose.PASSWORD_RESET, code=code, ip=ip)
    except CodeRejected:
        raise ValidationError({"code": [gettext(CODE_REJECTED)]}) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        ended = tokens_end(user)
        user.sessions_end()
        key = f"user:{user.pk}"
        LoginFailure.objects.filter(username_key=key).delete()
        LoginLockout.objects.filter(scope=Scope.USERNAME, key=key).delete()
        audit_record(
            action=AccountAction.PASSWORD_RESET, actor=user, obj=user, ip=ip, tokens_ended=ended
        )
    return user


def email_update(*, user: User, email: str, ip=None) -> User:
    from django.core.validators import validate_email

    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": [gettext("请输入有效的电子邮箱地址。")]}) from None
    if email == user.email:
        return user
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email"])
        audit_record(action=AccountAction.EMAIL_CHANGED, actor=user, obj=user, ip=ip)
    return user


def phone_change_request(*, user: User, phone: str, password: str, ip=None) -> None:
    """Send a code to the new phone; the phone changes only when the code comes back.

    The phone receives password-reset codes, so changing it asks for the password again:
    otherwise a session left open at a service point would be enough to take the account
    over (change the phone, then reset the password)."""
    if not password_recheck(user=user, password=password, ip=ip):
        raise ValidationError({"password": [gettext("密码不正确。")]})
    try:
        number = normalize_mobile(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    if number == user.phone:
        raise ValidationError({"phone": [gettext("新手机号码与当前号码相同。")]})
    sent = code_send(
        user=user,
        purpose=CodePurpose.PHONE_CHANGE,
        phone=number,
        ip=ip,
        phone_masked=mask_phone(number),
    )
    if not sent:
        raise ValidationError({"phone": [gettext("一小时内获取验证码次数过多，请稍后再试。")]})


def phone_change_confirm(*, user: User, code: str, ip=None) -> User:
    try:
        row = code_check(user=user, purpose=CodePurpose.PHONE_CHANGE, code=code, ip=ip)
    except CodeRejected:
        raise ValidationError({"code": [gettext(CODE_REJECTED)]}) from None
    number = code_target(row)
    with transaction.atomic():
        old = user.phone
        user.phone = number
        user.save(update_fields=User.PHONE_FIELDS)
        if old:
            # The old number hears of it: if this was not its holder, they can act at once.
            with for_user(user):
                text = gettext(
                    "【巴州优才卡】您账户的手机号码已更换为 %(phone)s。"
                    "如非本人操作，请立即联系区委组织部（人才办）。"
                ) % {"phone": mask_phone(number)}
            sms_direct(phone=old, text=text)
        audit_record(
            action=AccountAction.PHONE_CHANGED,
            actor=user,
            obj=user,
            ip=ip,
            old_phone_masked=mask_phone(old),
            new_phone_masked=mask_phone(number),
        )
    return user


__all__ = [
    "CODE_REJECTED",
    "email_update",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "phone_change_confirm",
    "phone_change_request",
    "tokens_end",
]
