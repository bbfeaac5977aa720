"""Creating accounts: self-registration of talents and accounts made by an operator."""

import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from portal import ratelimit
from portal.audit import AccountAction, audit_record
from portal.errors import RateLimited
from portal.i18n import active_language
from portal.identity import IdType, normalize_id_number, normalize_mobile
from portal.models import DEPARTMENT_ROLES, Department, Role, User
from portal.privacy import PRIVACY_RULES, consent_record

# Translated where raised (gettext), in the request's language.
ID_NUMBER_TAKEN = gettext_noop("该证件号码已注册账户，请直接登录；如忘记密码请联系人才办。")
USERNAME_TAKEN = gettext_noop("该用户名已被使用。")
CONSENT_REQUIRED = gettext_noop("请阅读并同意个人信息处理规则。")


def _collect(errors: dict, field: str, check):
    """Run ``check()``; file its ValidationError under ``field`` and return None on failure.
    One message per field (the first problem found, e.g. of several password validators):
    a person fixes one thing at a time, and a list of overlapping complaints reads as noise."""
    try:
        return check()
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages[:1])
        return None


def _clean_username(username: str) -> str:
    username = User.normalize_username((username or "").strip())
    if not username:
        raise ValidationError(gettext("请填写用户名。"))
    if len(username) < 3 or len(username) > 30:
        raise ValidationError(gettext("用户名长度应为3至30个字符。"))
    UnicodeUsernameValidator(message=gettext("用户名只能包含字母、数字和 @ . + - _ 字符。"))(
        username
    )
    if _looks_like_identifier(username):
        # A username is shown unmasked (to the holder, to admins, in the audit trail).
        raise ValidationError(gettext("用户名不能是纯数字，也不能使用证件号码或手机号码。"))
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(gettext(USERNAME_TAKEN))
    return username


def _looks_like_identifier(name: str) -> bool:
    if name.isdigit():
        return True
    for check in (
        lambda: normalize_id_number(IdType.RESIDENT, name),
        lambda: normalize_mobile(name),
    ):
        try:
            check()
            return True
        except ValidationError:
            pass
    return False


def _clean_real_name(real_name: str) -> str:
    real_name = " ".join((real_name or "").split())
    if not real_name:
        raise ValidationError(gettext("请填写真实姓名。"))
    if len(real_name) > 50:
        raise ValidationError(gettext("姓名不能超过50个字符。"))
    return real_name


def _clean_id(id_type: str, id_number: str) -> tuple[str, str]:
    id_type = id_type or IdType.RESIDENT
    if id_type not in IdType.values:
        raise ValidationError(gettext("证件类型无效。"))
    number = normalize_id_number(id_type, id_number)
    if User.objects.filter(id_number_hash=User.id_number_digest(id_type, number)).exists():
        raise ValidationError(gettext(ID_NUMBER_TAKEN))
    return id_type, number


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        validate_email(email)
    return email


def registration_check(
    *,
    username: str,
    password: str,
    real_name: str,
    id_number: str,
    phone: str,
    id_type: str = IdType.RESIDENT,
    email: str = "",
    consent: bool | None = False,
    ip: str | None = None,
) -> User:
    """Validate a registration; return the unsaved user or raise ValidationError listing
    every invalid field at once (field → messages). ``consent`` is the person's agreement to
    the current 《个人信息处理规则》 (PIPL art. 13–14): the pages require it; an API client
    that says ``false`` is refused. ``None`` is an API v1 client that does not send the field
    (API.md fixes the register body without it; such a client shows the rules in its own
    screens): the account is made and no consent is recorded for it.

    Rate-limited per address (RateLimited, 429), pages and API alike: the answers say whether
    an ID number or a username is taken, so they must not be harvested at speed.
    """
    if not ratelimit.allow(
        f"register:{ip or 'unknown'}", limit=settings.REGISTER_RATE_LIMIT, window_seconds=3600
    ):
        raise RateLimited(gettext("注册尝试过于频繁，请一小时后再试。"))
    errors: dict[str, list[str]] = {}
    username = _collect(errors, "username", lambda: _clean_username(username))
    real_name = _collect(errors, "real_name", lambda: _clean_real_name(real_name))
    identity = _collect(errors, "id_number", lambda: _clean_id(id_type, id_number))
    phone = _collect(errors, "phone", lambda: normalize_mobile(phone))
    email = _collect(errors, "email", lambda: _clean_email(email))
    if consent is False:
        errors["consent"] = [gettext(CONSENT_REQUIRED)]
    user = User(username=username or "", real_name=real_name or "", email=email or "")
    if not password:
        errors.setdefault("password", []).append(gettext("请设置密码。"))
    else:
        _collect(errors, "password", lambda: validate_password(password, user))
    if errors:
        raise ValidationError(errors)
    user.role = Role.TALENT
    # The page's (or the API request's Accept-Language) language: what is sent to them later.
    user.language = active_language()
    user.phone = phone
    user.set_password(password)
    user.set_id_number(*identity)
    return user


def account_register(*, ip: str | None = None, **fields) -> User:
    """Register a talent (fields as ``registration_check``) and record which version of
    《个人信息处理规则》 they agreed to.

    One account per identity document: checked for a friendly message, and enforced by the
    constraint on ``id_number_hash`` for two registrations racing each other.
    """
    user = registration_check(ip=ip, **fields)
    try:
        with transaction.atomic():
            user.save()
            audit_record(
                action=AccountAction.REGISTER,
                actor=user,
                obj=user,
                ip=ip,
                id_type=user.id_type,
                id_number_masked=user.id_number_masked,
            )
            if fields.get("consent") is True:
                consent_record(user=user, document=PRIVACY_RULES)
    except IntegrityError:
        # Lost a race with an identical registration: report it like the check above.
        if User.objects.filter(id_number_hash=user.id_number_hash).exists():
            raise ValidationError({"id_number": [gettext(ID_NUMBER_TAKEN)]}) from None
        raise ValidationError({"username": [gettext(USERNAME_TAKEN)]}) from None
    return user


def account_create(
    *,
    username: str,
    role: str,
    department_code: str | None = None,
    password: str | None = None,
    real_name: str = "",
    actor=None,
) -> tuple[User, str | None]:
    """Create an account of any role for an operator (the ``create_account`` command).

    Returns the user and, when no password was given, the generated one (shown once); an
    account with a generated password must change it at first sign-in. Every account but a
    talent's needs a real name: talents see it as their handler's name.
    """
    errors: dict[str, list[str]] = {}
    username = _collect(errors, "username", lambda: _clean_username(username))
    if role != Role.TALENT:
        real_name = _collect(errors, "real_name", lambda: _clean_real_name(real_name)) or ""
    if role not in Role.values:
        errors["role"] = [f"角色无效，可选：{'、'.join(map(str, Role.labels))}。"]
    department = None
    if department_code:
        department = Department.objects.active().filter(code=department_code.upper()).first()
        if department is None:
            errors["department"] = [f"部门代码 {department_code} 不存在或已停用。"]
    elif role in DEPARTMENT_ROLES:
        errors["department"] = [gettext("经办人和部门负责人必须指定所属部门。")]
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    else:
        candidate = User(username=username or "", real_name=real_name)
        _collect(errors, "password", lambda: validate_password(password, candidate))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            department=department,
            real_name=real_name,
            must_change_password=generated is not None,
        )
        user.set_password(password)
        user.save()
        audit_record(
            action=AccountAction.CREATE,
            actor=actor,
            obj=user,
            role=role,
            department=department.code if department else None,
        )
    return user, generated
