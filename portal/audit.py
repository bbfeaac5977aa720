"""Writing the audit trail."""

import ipaddress

from django.conf import settings

from portal.models import AuditEvent

# Chinese names of audit actions for the auditor's page; higher layers add theirs from
# AppConfig.ready() with ``ACTION_LABELS.update(...)``.
ACTION_LABELS = {
    "account.register": "注册账户",
    "account.create": "创建账户",
    "account.change": "修改账户",
    "account.activate": "启用账户",
    "account.deactivate": "停用账户",
    "account.password_changed": "修改密码",
    "account.password_change_failed": "修改密码失败（当前密码错误）",
    "account.password_reset": "通过短信验证码重置密码",
    "account.password_reset_failed": "重置密码失败",
    "account.password_reset_unknown": "找回密码（账户不存在）",
    "account.password_reset_limited": "找回密码过于频繁",
    "account.password_reset_by_admin": "管理员重置密码",
    "account.code_sent": "发送短信验证码",
    "account.code_failed": "短信验证码错误",
    "account.code_limited": "短信验证码超过每小时次数",
    "account.email_changed": "修改电子邮箱",
    "account.phone_changed": "更换手机号码",
    "account.otp_begin": "开始绑定身份验证器",
    "account.otp_enabled": "开启双因素认证",
    "account.otp_disabled": "关闭双因素认证",
    "account.otp_failed": "动态验证码错误",
    "account.otp_reset": "运维清除双因素认证",
    "auth.otp_failed": "登录动态验证码错误",
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.lockout": "登录锁定",
    "auth.login_refused_locked": "锁定期间尝试登录",
    "auth.logout": "退出登录",
    "department.create": "新建部门",
    "department.change": "修改部门",
    "department.activate": "启用部门",
    "department.deactivate": "停用部门",
    "personal_info.reveal": "查看完整个人信息",
}


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
    action: str,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    request=None,
    ip: str | None = None,
    **detail,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records, so
    the change and its trail commit or roll back together.

    ``detail`` must never carry a personal identifier in clear: pass masked values.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.username if actor else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=ip or client_ip(request),
        detail=detail,
    )
