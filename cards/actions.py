"""What happens to applications, cards and criteria, as people read it: the audit actions
(one AuditAction enum per object type) and the steps of the talent's timelines, each with its
Chinese label; and how the audit log names this layer's objects and details.

``register()`` is called from CardsConfig.ready(): portal reads these through its registries
and never imports this module.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.audit import AuditAction, register_actions
from portal.auditlog import register_detail_labels, register_object_labels


class CardApplicationAction(AuditAction):
    """Audit actions on a card application (cards.cardapplication)."""

    CREATE = "card_application.create", "新建优才卡申请"
    UPDATE = "card_application.update", "修改优才卡申请"
    DOCUMENT_ADD = "card_application.document_add", "上传申请材料"
    DOCUMENT_REMOVE = "card_application.document_remove", "删除申请材料"
    SUBMITTED = "card_application.submitted", "提交优才卡申请"
    RESUBMITTED = "card_application.resubmitted", "补正后重新提交"
    RETURN = "card_application.return", "退回补正"
    APPROVE = "card_application.approve", "认定通过"
    REJECT = "card_application.reject", "不予认定"


class CardAction(AuditAction):
    """Audit actions on a card (cards.card)."""

    ISSUE = "card.issue", "发放优才卡"
    RENEW = "card.renew", "优才卡续期"
    CHANGE = "card.change", "优才卡信息变更"
    SUSPENDED = "card.suspended", "暂停优才卡"
    REVOKED = "card.revoked", "注销优才卡"
    REINSTATED = "card.reinstated", "恢复优才卡"
    EXPIRED = "card.expired", "优才卡到期失效"
    CERTIFICATE_DOWNLOAD = "card.certificate_download", "下载优才卡电子证书"
    IMAGE_DOWNLOAD = "card.image_download", "保存优才卡图片"


class CriterionAction(AuditAction):
    """Audit actions on the catalogue of criteria (cards.criterion)."""

    CREATE = "criterion.create", "新增认定条件"
    CHANGE = "criterion.change", "修改认定条件"


class ReviewLimitAction(AuditAction):
    """Audit actions on the review time limits, 审核时限 (cards.reviewlimit)."""

    CHANGE = "review_limit.change", "修改优才卡审核时限"


class ApplicationEventAction(models.TextChoices):
    """Steps of an application's timeline (ApplicationEvent.action), as the talent reads them."""

    CREATED = "created", _("创建申请（草稿）")
    SUBMITTED = "submitted", _("提交申请")
    RESUBMITTED = "resubmitted", _("补正后重新提交")
    RETURNED = "returned", _("退回补正")
    APPROVED = "approved", _("认定通过")
    REJECTED = "rejected", _("不予认定")


class CardEventAction(models.TextChoices):
    """Steps of a card's life (CardEvent.action)."""

    ISSUED = "issued", _("发卡")
    RENEWED = "renewed", _("续期")
    CHANGED = "changed", _("信息变更")
    SUSPENDED = "suspended", _("暂停使用")
    REVOKED = "revoked", _("注销")
    REINSTATED = "reinstated", _("恢复使用")
    EXPIRED = "expired", _("到期失效")


def _application_labels(ids: list[str]) -> dict[str, str]:
    # The application's own number is its id: no query needed.
    return {pk: f"优才卡申请 #{pk}" for pk in ids}


def _card_labels(ids: list[str]) -> dict[str, str]:
    from cards.models import Card

    pks = [int(pk) for pk in ids if pk.isdigit()]
    return {
        str(pk): number
        for pk, number in Card.objects.filter(pk__in=pks).values_list("pk", "number")
    }


def _criterion_labels(ids: list[str]) -> dict[str, str]:
    from cards.models import Criterion

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = Criterion.objects.filter(pk__in=pks).values_list("pk", "code", "title")
    return {str(pk): f"认定条件 {code} {title}" for pk, code, title in rows}


def register() -> None:
    """Hand this layer's vocabulary to portal's registries (CardsConfig.ready)."""
    from cards.models import ApplicationKind, DocumentKind, Tier

    register_actions(CardApplicationAction, label="优才卡申请")
    register_actions(CardAction, label="优才卡")
    register_actions(CriterionAction, label="认定条件")
    register_actions(ReviewLimitAction, label="优才卡审核时限")
    register_object_labels("cards.cardapplication", _application_labels)
    register_object_labels("cards.card", _card_labels)
    register_object_labels("cards.criterion", _criterion_labels)
    register_detail_labels(
        {
            # "B" → "B类 国家级领军人才", as the card and the pages name a tier.
            "tier": ("人才层次", dict(Tier.choices)),
            "highest": ("就高认定层次", dict(Tier.choices)),
            "kind": ("类型", dict(DocumentKind.choices)),
            "size": ("文件大小（字节）", None),
            "replaced": ("替换旧文件数", None),
            "superseded": ("替换已审核材料数", None),
            "card": ("优才卡号", None),
            "on_time": ("按时", None),
            "application_kind": ("申请类型", dict(ApplicationKind.choices)),
            "working_days": ("审核时限（工作日）", None),
            "valid_until": ("有效期至", None),
            "fields": (
                "涉及字段",
                {
                    "employer": "工作单位",
                    "position": "职务/岗位",
                    "industry": "所属行业",
                    "education": "学历",
                    "professional_title": "职称",
                    "criteria": "认定条件",
                    "kind": "申请类型",
                    "code": "代码",
                    "title": "名称",
                    "category": "类别",
                    "policy_ref": "政策文件号",
                    "evidence": "所需材料",
                    "is_active": "是否启用",
                    "effective_from": "生效日期",
                    "effective_to": "失效日期",
                },
            ),
        }
    )
