"""SMS verification codes: 6 digits, valid VERIFICATION_CODE_MINUTES, VERIFICATION_CODE_TRIES
wrong guesses, at most VERIFICATION_CODES_PER_HOUR sent per account.

Only a keyed hash is stored (HMAC under FIELD_HASH_KEY, bound to the code's row), so a copy of
the database does not give the codes, and a code for one account says nothing of another's.
Every code and every check writes an audit event (never the code).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from portal import crypto
from portal.audit import AccountAction, audit_record
from portal.delivery import sms_direct
from portal.i18n import for_user
from portal.models import CodePurpose, User, VerificationCode

# In the account holder's language (portal.i18n.for_user), whatever the request's.
SMS_TEXT = {
    CodePurpose.PASSWORD_RESET: gettext_noop(
        "【巴州优才卡】您正在找回密码，验证码 {code}，"
        "{minutes} 分钟内有效。如非本人操作，请忽略本短信并留意账户安全。"
    ),
    CodePurpose.PHONE_CHANGE: gettext_noop(
        "【巴州优才卡】您正在将此号码设为账户手机号，验证码 {code}，"
        "{minutes} 分钟内有效。如非本人操作，请忽略。"
    ),
}


class CodeRejected(Exception):
    """The code is wrong, expired, used up or unknown: one answer for all, on purpose."""


def _digest(code_id: int, code: str) -> str:
    return crypto.keyed_hash("sms_code", f"{code_id}:{code}")


def code_send(*, user: User, purpose: str, phone: str, ip: str | None = None, **audit) -> bool:
    """Send a new code for ``purpose`` to ``phone``; return False (and send nothing) when the
    account already had VERIFICATION_CODES_PER_HOUR codes in the last hour.

    The account's row is locked so that parallel requests count each other; an earlier live
    code of the same purpose is voided, so only the newest one works.
    """
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        # Per account, whatever the purpose (the rule: 5 an hour per account). Someone
        # who knows a username can use them up for an hour; the phone holder then waits, but
        # no more texts reach the phone than that.
        recent = VerificationCode.objects.filter(
            user=user, created_at__gt=now - timedelta(hours=1)
        ).count()
        if recent >= settings.VERIFICATION_CODES_PER_HOUR:
            audit_record(
                action=AccountAction.CODE_LIMITED, actor=None, obj=user, ip=ip, purpose=purpose
            )
            return False
        VerificationCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(
            used_at=now
        )
        code = f"{secrets.randbelow(1_000_000):06d}"
        row = VerificationCode.objects.create(
            user=user,
            purpose=purpose,
            code_hash="",
            # The new number, sealed like every stored phone (portal.crypto).
            target_encrypted=crypto.seal(phone) if purpose == CodePurpose.PHONE_CHANGE else "",
            created_at=now,
            expires_at=now + timedelta(minutes=settings.VERIFICATION_CODE_MINUTES),
        )
        row.code_hash = _digest(row.pk, code)
        row.save(update_fields=["code_hash"])
        with for_user(user):
            text = gettext(SMS_TEXT[purpose]).format(
                code=code, minutes=settings.VERIFICATION_CODE_MINUTES
            )
        sms_direct(phone=phone, text=text)
        audit_record(action=AccountAction.CODE_SENT, obj=user, ip=ip, purpose=purpose, **audit)
    return True


def code_check(*, user: User, purpose: str, code: str, ip: str | None = None) -> VerificationCode:
    """Use the live code of ``user`` for ``purpose``; return its row, or raise CodeRejected.

    A wrong guess counts against the code whatever the caller does next (it commits on its
    own); the last allowed wrong guess voids it. A right one voids it too: single use.
    """
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        good = (
            row is not None
            and code.isdigit()
            and len(code) == 6
            and secrets.compare_digest(row.code_hash, _digest(row.pk, code))
        )
        if row is not None:
            if not good:
                row.attempts += 1
            if good or row.attempts >= settings.VERIFICATION_CODE_TRIES:
                row.used_at = now
            row.save(update_fields=["attempts", "used_at"])
        if not good:
            # Committed with the count above: the exception is raised after the block.
            audit_record(
                action=AccountAction.CODE_FAILED,
                obj=user,
                ip=ip,
                purpose=purpose,
                attempts=row.attempts if row else None,
            )
    if not good:
        raise CodeRejected
    return row


def code_target(row: VerificationCode) -> str:
    """The phone number a phone-change code was sent to."""
    return crypto.unseal(row.target_encrypted)


def code_pending(*, user: User, purpose: str) -> bool:
    """Whether ``user`` has a live code for ``purpose`` (the page then shows the code box)."""
    return VerificationCode.objects.filter(
        user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
