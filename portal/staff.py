"""Accounts of department handlers, leads and verifiers, managed by the talent office (人才办).

Who may do what to an account is the table ``VERBS`` below, asked by these functions, the
pages, the templates and the API alike (``allowed`` / ``require``). Admins and auditors are
not managed here: they are created on the command line only (三权分立, 等保 2.0), and talents
register themselves.

A new or reset account gets a generated initial password, shown once to the admin who passes
it on; because another person has seen it, the account must change it at first sign-in
(portal.gate). Deactivating an account ends every token at once; page sessions end on their
next request (Django's session refuses an inactive user).
"""

import secrets
import string

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from portal.accounts import _clean_real_name, _clean_username, _collect
from portal.audit import AccountAction, audit_record
from portal.credentials import tokens_end
from portal.errors import NotAllowed
from portal.identity import mask_phone, normalize_mobile
from portal.models import Department, Role, User

# Roles whose accounts the talent office manages in the portal.
MANAGED_ROLES = (Role.STAFF, Role.LEAD, Role.VERIFIER)
# Roles that must belong to a department (verifiers work at partner service points).
NEEDS_DEPARTMENT = (Role.STAFF, Role.LEAD)

# verb → roles that may do it (to an account of a MANAGED_ROLE).
VERBS = {
    "list": {Role.ADMIN},
    "create": {Role.ADMIN},
    "update": {Role.ADMIN},
    "reset_password": {Role.ADMIN},
}


def allowed(user, verb: str, account: User | None = None) -> bool:
    if not (user.is_authenticated and user.is_active and user.role in VERBS[verb]):
        return False
    return account is None or (account.role in MANAGED_ROLES and account.pk != user.pk)


def require(user, verb: str, account: User | None = None) -> None:
    if not allowed(user, verb, account):
        raise NotAllowed("您无权管理该账户。")


def managed_accounts(user):
    """The accounts ``user`` manages (through ``User.objects.visible_to``)."""
    if not allowed(user, "list"):
        return User.objects.none()
    return (
        User.objects.visible_to(user)
        .filter(role__in=MANAGED_ROLES)
        .select_related("department")
        .order_by("department__code", "role", "username")
    )


def accounts_filtered(user, params):
    """The accounts ``user`` manages, narrowed by ``role``, ``department`` (code),
    ``is_active`` (``true``/``false``) and ``q`` from ``params``: the page and the API alike."""
    accounts = managed_accounts(user)
    if params.get("role") in {r.value for r in MANAGED_ROLES}:
        accounts = accounts.filter(role=params["role"])
    if params.get("department"):
        accounts = accounts.filter(department__code=params["department"].upper())
    if params.get("is_active") in {"true", "false"}:
        accounts = accounts.filter(is_active=params["is_active"] == "true")
    return search(accounts, params.get("q", ""))


def search(queryset, q: str):
    q = (q or "").strip()
    if not q:
        return queryset
    return queryset.filter(Q(username__icontains=q) | Q(real_name__icontains=q))


def initial_password() -> str:
    """12 characters with every class the password rules ask for, none easily confused."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0OoIl1")
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(10))
        classes = (str.isupper, str.islower, str.isdigit)
        if all(any(test(c) for c in body) for test in classes):
            return body[:5] + "@" + body[5:] + secrets.choice("#%+=")


def _department(code: str | None, role: str, errors: dict) -> Department | None:
    if code:
        department = Department.objects.active().filter(code=code.upper()).first()
        if department is None:
            errors["department"] = ["所选部门不存在或已停用。"]
        return department
    if role in NEEDS_DEPARTMENT:
        errors["department"] = ["经办人和部门负责人必须选择所属部门。"]
    return None


def _role(role: str, errors: dict) -> str:
    if role not in MANAGED_ROLES:
        errors["role"] = ["只能开通经办人、部门负责人或服务网点核验员账户。"]
    return role


def staff_account_create(
    *,
    actor,
    username: str,
    real_name: str,
    role: str,
    department: str | None = None,
    phone: str = "",
    ip=None,
) -> tuple[User, str]:
    """Open an account; return it with its initial password (shown once)."""
    require(actor, "create")
    errors: dict[str, list[str]] = {}
    username = _collect(errors, "username", lambda: _clean_username(username)) or ""
    real_name = _collect(errors, "real_name", lambda: _clean_real_name(real_name)) or ""
    role = _role(role, errors)
    dept = _department(department, role, errors)
    if phone:
        try:
            phone = normalize_mobile(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    password = initial_password()
    try:
        with transaction.atomic():
            user = User(
                username=username,
                real_name=real_name,
                role=role,
                department=dept,
                phone=phone,
                must_change_password=True,
            )
            user.set_password(password)
            user.save()
            audit_record(
                action=AccountAction.CREATE,
                actor=actor,
                obj=user,
                ip=ip,
                username=user.username,
                role=role,
                department=dept.code if dept else None,
                phone_masked=mask_phone(phone),
            )
    except IntegrityError:
        raise ValidationError({"username": ["该用户名已被使用。"]}) from None
    return user, password


def staff_account_update(
    *,
    actor,
    account: User,
    real_name: str | None = None,
    role: str | None = None,
    department: str | None = None,
    is_active: bool | None = None,
    ip=None,
) -> User:
    """Change a managed account's name, role, department or active state (each audited)."""
    require(actor, "update", account)
    errors: dict[str, list[str]] = {}
    changes = {}
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if real_name is not None and real_name != account.real_name:
            try:
                changes["real_name"] = _clean_real_name(real_name)
            except ValidationError as exc:
                errors["real_name"] = exc.messages
        new_role = account.role if role is None else _role(role, errors)
        if department is not None:
            dept = _department(department, new_role, errors) if department else None
            if not department and new_role in NEEDS_DEPARTMENT:
                errors["department"] = ["经办人和部门负责人必须选择所属部门。"]
        else:
            dept = account.department
            if new_role in NEEDS_DEPARTMENT and dept is None:
                errors["department"] = ["经办人和部门负责人必须选择所属部门。"]
        if errors:
            raise ValidationError(errors)
        if new_role != account.role:
            changes["role"] = new_role
        if dept != account.department:
            changes["department"] = dept
        if is_active is not None and is_active != account.is_active:
            changes["is_active"] = is_active
        if not changes:
            return account
        for field, value in changes.items():
            setattr(account, field, value)
        account.save(update_fields=list(changes))
        ended = 0
        if changes.get("is_active") is False:
            # Every way in ends now: tokens are deleted, page sessions fail their hash check
            # (and stay dead if the account is enabled again).
            ended = tokens_end(account)
            account.sessions_end()
        detail = {
            field: (value.code if isinstance(value, Department) else value)
            for field, value in changes.items()
        }
        action = AccountAction.CHANGE
        if changes.get("is_active") is True:
            action = AccountAction.ACTIVATE
        elif changes.get("is_active") is False:
            action = AccountAction.DEACTIVATE
        audit_record(action=action, actor=actor, obj=account, ip=ip, tokens_ended=ended, **detail)
    return account


def staff_account_reset_password(*, actor, account: User, ip=None) -> str:
    """A new initial password (shown once), to be changed at the next sign-in; every token
    and session of the account ends."""
    require(actor, "reset_password", account)
    password = initial_password()
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        account.set_password(password)
        account.must_change_password = True
        account.save(update_fields=["password", "must_change_password"])
        ended = tokens_end(account)
        audit_record(
            action=AccountAction.PASSWORD_RESET_BY_ADMIN,
            actor=actor,
            obj=account,
            ip=ip,
            tokens_ended=ended,
        )
    return password
