"""Two-factor sign-in with TOTP (RFC 6238) through django-otp, plus one-time recovery codes.

An account enrols an authenticator app from its profile page (or the API): ``otp_begin``
makes an unconfirmed TOTP device and ten recovery codes, and shows the secret as a QR code with
the codes; ``otp_confirm`` turns both on with a first code from the app. After that the codes
are never shown again (django-otp keeps them as static tokens, each usable once). Wrong codes
are throttled by django-otp itself (the wait doubles after each failure). Roles in
settings.OTP_REQUIRED_ROLES must have it (portal.gate).
"""

import base64

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.audit import AccountAction, audit_record
from portal.errors import NotAllowed, OtpRequired
from portal.gate import has_confirmed_totp, otp_required_for
from portal.notify import notification_create

RECOVERY_CODES = 10
DEVICE_NAME = "身份验证器"
RECOVERY_NAME = "恢复码"


def otp_enabled(user) -> bool:
    return has_confirmed_totp(user)


def otp_begin(*, user, password: str, ip: str | None = None) -> dict:
    """Start (or restart) enrolment: a new unconfirmed device replaces any earlier one.

    Returns ``{secret, otpauth_url, qr_svg, recovery_codes}``. Asks for the password again
    (a session left open must not be enough to bind someone else's phone to the account); an
    account that already has it on must turn it off first (with a code).
    """
    from portal.signin import password_recheck

    if not password_recheck(user=user, password=password, ip=ip):
        raise ValidationError({"password": [gettext("密码不正确。")]})
    if otp_enabled(user):
        raise NotAllowed(
            gettext("已开启双因素认证。如需更换身份验证器，请先用动态验证码关闭后重新绑定。")
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        StaticDevice.objects.filter(user=user, confirmed=False).delete()
        TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=False)
        StaticToken.objects.bulk_create(
            [
                StaticToken(device=recovery, token=StaticToken.random_token())
                for _ in range(RECOVERY_CODES)
            ]
        )
        audit_record(action=AccountAction.OTP_BEGIN, actor=user, obj=user, ip=ip)
    return pending_enrolment(user)


def pending_enrolment(user) -> dict | None:
    """What the enrolment page shows while it waits for the first code: the secret as text and
    as a QR code, and the recovery codes. None when no enrolment is under way."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    recovery = StaticDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None or recovery is None:
        return None
    url = device.config_url
    return {
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "otpauth_url": url,
        # Inline SVG (no image request, no script): the authenticator app scans it.
        "qr_svg": segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff"),
        "recovery_codes": list(recovery.token_set.order_by("id").values_list("token", flat=True)),
    }


def otp_confirm(*, user, code: str, keep_token=None, ip: str | None = None):
    """Turn two-factor sign-in on with the first code from the app; the recovery codes shown
    at ``otp_begin`` start to work at the same moment.

    Every other way into the account ends (tokens but ``keep_token``, page sessions: the
    calling page re-keys its own), because they were opened with the password alone; and the
    holder is told by SMS, in case it was not them."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    recovery = StaticDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    from portal.credentials import tokens_end  # credentials → signin → otp: import late

    if device is None or recovery is None:
        raise NotAllowed(gettext("请先获取新的身份验证器密钥。"))
    if not device.verify_token("".join((code or "").split())):
        audit_record(action=AccountAction.OTP_FAILED, actor=user, obj=user, ip=ip, step="confirm")
        raise OtpRequired(gettext("动态验证码不正确，请核对手机时间后重试。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=user).exclude(pk=recovery.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        StaticDevice.objects.filter(pk=recovery.pk).update(confirmed=True)
        ended = tokens_end(user, keep=keep_token)
        user.sessions_end()
        notification_create(
            recipient=user,
            kind="account.otp_enabled",
            title=_("您的账户已开启双因素认证"),
            body=_(
                "今后登录除密码外还需输入身份验证器上的动态验证码。如非本人操作，"
                "请立即联系区委组织部（人才办）。"
            ),
            urgent=True,
        )
        audit_record(
            action=AccountAction.OTP_ENABLED, actor=user, obj=user, ip=ip, tokens_ended=ended
        )
    device.confirmed = True
    return device


def otp_match(user, code: str):
    """The device (authenticator or recovery codes) that accepts ``code``, or None.

    A code is checked against one device, chosen by its shape (6 digits: the authenticator;
    anything else: a recovery code), so that each device's own throttling counts only the
    guesses meant for it (django-otp advises against trying every device in turn).
    """
    code = "".join((code or "").split()).lower()
    if not code:
        return None
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).order_by("-id").first()
    if device is None:
        return None
    with transaction.atomic():
        return device if device.verify_token(code) else None


def otp_disable(*, user, code: str, ip: str | None = None) -> None:
    """Turn two-factor sign-in off, proven with a current code (or a recovery code)."""
    if otp_required_for(user):
        raise NotAllowed(gettext("您的角色必须使用双因素认证登录，不能关闭。"))
    if otp_match(user, code) is None:
        audit_record(action=AccountAction.OTP_FAILED, actor=user, obj=user, ip=ip, step="disable")
        raise OtpRequired(gettext("动态验证码不正确。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(action=AccountAction.OTP_DISABLED, actor=user, obj=user, ip=ip)


def otp_reset(*, user, actor=None) -> None:
    """Remove every device (an operator's command for a lost phone); the account enrols
    again at its next sign-in if its role requires it. Its tokens and sessions end: they may
    be held by whoever has the lost phone."""
    from portal.credentials import tokens_end

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ended = tokens_end(user)
        user.sessions_end()
        audit_record(action=AccountAction.OTP_RESET, actor=actor, obj=user, tokens_ended=ended)
