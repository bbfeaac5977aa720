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
