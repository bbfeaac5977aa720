"""What happens to entitlements, as people read it: the audit actions and the steps of the
talent's timeline; registered with portal's registries from SubsidiesConfig.ready()."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.audit import AuditAction, register_actions
from portal.auditlog import register_detail_labels, register_object_labels


class EntitlementAction(AuditAction):
    """Audit actions on an entitlement (subsidies.entitlement)."""

    OFFER = "entitlement.offer", "推送待遇"
    CONFIRM = "entitlement.confirm", "确认收款账户"
    DECLINE = "entitlement.decline", "放弃待遇"
    APPROVE = "entitlement.approve", "待遇审核通过"
    RETURN = "entitlement.return", "待遇退回修改"
    SUSPEND = "entitlement.suspend", "中止待遇"
    COMPLETE = "entitlement.complete", "待遇兑现完毕"
    PAY = "entitlement.pay", "登记分期兑现"
    FAIL = "entitlement.fail", "登记分期兑现失败"
    REVEAL = "entitlement.reveal", "查看完整银行账号"


class PolicyAction(AuditAction):
    """Audit actions on the policies (subsidies.policy)."""

    CREATE = "policy.create", "新增兑现政策"
    CHANGE = "policy.change", "修改兑现政策"
    OFFER_EXISTING = "policy.offer_existing", "向现有持卡人推送待遇"


class Step(models.TextChoices):
    """Steps of an entitlement's timeline (EntitlementEvent.action), as the talent reads them."""

    OFFERED = "offered", _("系统推送待遇")
    CONFIRMED = "confirmed", _("确认收款账户")
    ACCOUNT_CHANGED = "account_changed", _("更正收款账户")
    DECLINED = "declined", _("放弃待遇")
    APPROVED = "approved", _("审核通过")
    RETURNED = "returned", _("退回修改")
    DUE = "due", _("分期到期应兑现")
    PAID = "paid", _("分期已兑现")
    FAILED = "failed", _("分期兑现失败")
    REPAY = "repay", _("重新兑现")
    SUSPENDED = "suspended", _("中止兑现")
    COMPLETED = "completed", _("全部兑现")


def _entitlement_labels(ids: list[str]) -> dict[str, str]:
    return {pk: f"待遇 #{pk}" for pk in ids}


def _policy_labels(ids: list[str]) -> dict[str, str]:
    from subsidies.models import Policy

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = Policy.objects.filter(pk__in=pks).values_list("pk", "code", "name")
    return {str(pk): f"政策 {code} {name}" for pk, code, name in rows}


def register() -> None:
    register_actions(EntitlementAction, label="待遇")
    register_actions(PolicyAction, label="兑现政策")
    register_object_labels("subsidies.entitlement", _entitlement_labels)
    register_object_labels("subsidies.policy", _policy_labels)
    register_detail_labels(
        {
            "policy": ("政策", None),
            "amount": ("金额（元）", None),
            "instalment": ("期次", None),
            "voucher": ("支付凭证号", None),
            "account": ("银行账号（脱敏）", None),
            "offered": ("推送数量", None),
            "stopped": ("停发期数", None),
        }
    )
