"""The audit vocabulary of the partner systems (registered from Open311Config.ready())."""

from portal.audit import AuditAction, register_actions
from portal.auditlog import register_detail_labels, register_object_labels


class PartnerAction(AuditAction):
    CREATE = "partner.create", "登记合作系统"
    REVOKE = "partner.revoke", "停用合作系统密钥"


def _partner_labels(ids: list[str]) -> dict[str, str]:
    from open311.models import Partner

    pks = [int(pk) for pk in ids if pk.isdigit()]
    return {
        str(pk): f"合作系统 {name}"
        for pk, name in Partner.objects.filter(pk__in=pks).values_list("pk", "name")
    }


def register() -> None:
    register_actions(PartnerAction, label="合作系统")
    register_object_labels("open311.partner", _partner_labels)
    register_detail_labels(
        {
            "scope": ("权限", {"read": "只读", "file": "查询和提交"}),
            "key_prefix": ("密钥前缀", None),
            "rate_limit": ("每分钟调用上限", None),
        }
    )
