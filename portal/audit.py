"""Writing the audit trail, and the vocabulary it is written in.

Every action is a member of an ``AuditAction`` enum: one enum per object type, its values
``<group>.<verb>`` and its labels the Chinese the auditor reads. Portal's own enums are here;
higher layers define theirs next to their code and register them from ``AppConfig.ready()``
(``register_actions``), so the auditor's page can offer every group without portal importing
them. ``audit_record`` refuses anything that is not a member: an action without a label cannot
be written (tests/test_audit_labels.py also scans the source for every call).
"""

import ipaddress

from django.conf import settings
from django.db import models

from portal.models import AuditEvent


class AuditAction(models.TextChoices):
    """Base of every audit action enum (an enum without members can be subclassed)."""


class AccountAction(AuditAction):
    """What happens to an account (portal.user)."""

    REGISTER = "account.register", "注册账户"
    CREATE = "account.create", "创建账户"
    CHANGE = "account.change", "修改账户"
    ACTIVATE = "account.activate", "启用账户"
    DEACTIVATE = "account.deactivate", "停用账户"
    PASSWORD_CHANGED = "account.password_changed", "修改密码"
    PASSWORD_CHANGE_FAILED = "account.password_change_failed", "修改密码失败（当前密码错误）"
    PASSWORD_RESET = "account.password_reset", "通过短信验证码重置密码"
    PASSWORD_RESET_FAILED = "account.password_reset_failed", "重置密码失败"
    PASSWORD_RESET_UNKNOWN = "account.password_reset_unknown", "找回密码（账户不存在）"
    PASSWORD_RESET_LIMITED = "account.password_reset_limited", "找回密码过于频繁"
    PASSWORD_RESET_BY_ADMIN = "account.password_reset_by_admin", "管理员重置密码"
    CODE_SENT = "account.code_sent", "发送短信验证码"
    CODE_FAILED = "account.code_failed", "短信验证码错误"
    CODE_LIMITED = "account.code_limited", "短信验证码超过每小时次数"
    EMAIL_CHANGED = "account.email_changed", "修改电子邮箱"
    PHONE_CHANGED = "account.phone_changed", "更换手机号码"
    OTP_BEGIN = "account.otp_begin", "开始绑定身份验证器"
    OTP_ENABLED = "account.otp_enabled", "开启双因素认证"
    OTP_DISABLED = "account.otp_disabled", "关闭双因素认证"
    OTP_FAILED = "account.otp_failed", "动态验证码错误"
    OTP_RESET = "account.otp_reset", "运维清除双因素认证"
    REAUTH_FAILED = "account.reauth_failed", "敏感操作前核验密码失败"


class AuthAction(AuditAction):
    """Signing in and out."""

    LOGIN = "auth.login", "登录成功"
    LOGIN_FAILED = "auth.login_failed", "登录失败"
    OTP_FAILED = "auth.otp_failed", "登录动态验证码错误"
    LOCKOUT = "auth.lockout", "登录锁定"
    LOGIN_REFUSED_LOCKED = "auth.login_refused_locked", "锁定期间尝试登录"
    LOGOUT = "auth.logout", "退出登录"


class DepartmentAction(AuditAction):
    """Changes to the departments (portal.department)."""

    CREATE = "department.create", "新建部门"
    CHANGE = "department.change", "修改部门"
    ACTIVATE = "department.activate", "启用部门"
    DEACTIVATE = "department.deactivate", "停用部门"


class PersonalInfoAction(AuditAction):
    """Reading a person's details in full (PIPL: who read them, when, why)."""

    REVEAL = "personal_info.reveal", "查看完整个人信息"


class DeliveryAction(AuditAction):
    """Operators' actions on notification deliveries."""

    RETRY = "delivery.retry", "重新发送消息"


class AuditLogAction(AuditAction):
    """The audit log's own use: an export leaves the log, so it is logged."""

    EXPORT = "audit.export", "导出审计日志"


class RetentionAction(AuditAction):
    """The nightly retention job (portal.retention): what it erased, as counts."""

    RUN = "retention.run", "按保存期限删除或匿名化个人信息"


# group prefix (the part before the dot) → (Chinese name, enum); filled by register_actions.
_GROUPS: dict[str, tuple[str, type[AuditAction]]] = {}


def register_actions(enum: type[AuditAction], *, label: str) -> None:
    """Make ``enum`` an action group of the auditor's filters, named ``label``. Its members
    must share one prefix, the group (``service_request.`` for ServiceRequestAction)."""
    prefixes = {value.split(".", 1)[0] for value in enum.values}
    if len(prefixes) != 1 or not all("." in value for value in enum.values):
        raise ValueError(f"{enum.__name__}: every value must be '<group>.<verb>' of one group.")
    (prefix,) = prefixes
    known = _GROUPS.get(prefix)
    if known and known[1] is not enum:
        raise ValueError(f"Action group {prefix!r} is already {known[1].__name__}.")
    _GROUPS[prefix] = (label, enum)


def action_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """``[(prefix, label, [(action, label), …]), …]`` in registration order."""
    return [(prefix, label, list(enum.choices)) for prefix, (label, enum) in _GROUPS.items()]


def group_actions(prefix: str) -> list[str] | None:
    """The actions of the group ``prefix`` (``service_request``), None for an unknown one."""
    return list(_GROUPS[prefix][1].values) if prefix in _GROUPS else None


def group_label(prefix: str) -> str:
    """``service_request`` → ``服务申请`` (the prefix itself when no enum has it)."""
    return _GROUPS[prefix][0] if prefix in _GROUPS else prefix


def action_filter_label(value: str) -> str:
    """An ``?action=`` value as read: a whole group (``service_request.``) or one action."""
    if value.endswith(".") and value.count(".") == 1:
        return f"{group_label(value[:-1])}（全部）"
    return action_label(value)


def action_label(action: str) -> str:
    """``auth.login_failed`` → ``登录失败``; an action no enum knows (written by an older
    version) reads as its code."""
    group = _GROUPS.get(str(action).split(".", 1)[0])
    if group and action in group[1].values:
        return group[1](action).label
    return str(action)


register_actions(AccountAction, label="账户")
register_actions(AuthAction, label="登录")
register_actions(DepartmentAction, label="部门")
register_actions(PersonalInfoAction, label="个人信息查看")
register_actions(DeliveryAction, label="消息投递")
register_actions(AuditLogAction, label="审计日志")
register_actions(RetentionAction, label="保存期限")


def client_ip(request) -> str | None:
    """The caller's address, trusting X-Forwarded-For only as far as ``NUM_PROXIES`` goes."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(settings.NUM_PROXIES, len(hops))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def audit_record(
    *,
    action: AuditAction,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    ip: str | None = None,
    **detail,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records, so
    the change and its trail commit or roll back together.

    ``action`` is a member of an AuditAction enum (TypeError otherwise). ``ip`` is the
    caller's address: views and API views pass ``client_ip(request)`` to the domain function,
    which passes it on (no HTTP request below the views). ``detail`` must never carry a
    personal identifier in clear: pass masked values.
    """
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit_record: action {action!r} is not a member of an AuditAction enum.")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.username if actor else "",
        action=action.value,
        object_type=object_type,
        object_id=object_id,
        ip=ip or None,
        detail=detail,
    )
