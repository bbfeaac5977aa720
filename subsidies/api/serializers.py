"""Output and input shapes of the subsidies API (API.md "政策直达快享").

Outputs read what the views prefetched (policy, talent, department, instalments, events with
their instalment): no serializer runs a query of its own. The bank account is only ever the
masked copy here; the full number is the reveal endpoint's (subsidies.reveal).
"""

from rest_framework import serializers

from portal.api.accounts import DepartmentRefSerializer
from portal.identity import mask_name
from subsidies.actions import Step
from subsidies.models import Entitlement, EntitlementStatus, InstalmentStatus, Policy, PolicyKind
from subsidies.permissions import (
    ENTITLEMENT_RULES,
    ENTITLEMENTS,
    INSTALMENT_RULES,
    INSTALMENTS,
)
from subsidies.rules import rules_text

# --- policies ---------------------------------------------------------------------------------


class PolicyInstalmentOutput(serializers.Serializer):
    n = serializers.IntegerField(help_text="期次，从 1 开始")
    months_after_start = serializers.IntegerField(help_text="审核通过后第几个月发放")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="金额（元）")


class PolicyOutput(serializers.ModelSerializer):
    """A policy in force, as anyone may read it (no person in it)."""

    kind = serializers.ChoiceField(choices=PolicyKind.choices)
    kind_label = serializers.CharField(source="get_kind_display", help_text="类别名称")
    department = DepartmentRefSerializer(help_text="兑现部门")
    instalments = PolicyInstalmentOutput(many=True, help_text="分期计划")
    rules_text = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = [
            "code",
            "name",
            "name_en",
            "policy_ref",
            "kind",
            "kind_label",
            "department",
            "amount_total",
            "instalments",
            "rules_text",
            "description",
            "description_en",
            "review_days",
            "effective_from",
            "effective_to",
        ]

    def get_rules_text(self, obj) -> str:
        """The conditions in one line (subsidies.rules.rules_text), e.g. "专业技术职称包含任一
        关键词 正高；发卡前 5 年内来巴工作；未享受其他同类待遇"."""
        return rules_text(obj)


# --- entitlements -----------------------------------------------------------------------------


class PolicyRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class TalentRef(serializers.Serializer):
    real_name_masked = serializers.SerializerMethodField()

    def get_real_name_masked(self, obj) -> str:
        return mask_name(obj.real_name)


# ``{verb: bool}`` for every verb of the table (``return`` is a Python keyword: built, not
# declared).
EntitlementAllowed = type(
    "EntitlementAllowed",
    (serializers.Serializer,),
    {verb: serializers.BooleanField() for verb in ENTITLEMENT_RULES},
)
InstalmentAllowed = type(
    "InstalmentAllowed",
    (serializers.Serializer,),
    {verb: serializers.BooleanField() for verb in INSTALMENT_RULES},
)


class InstalmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    n = serializers.IntegerField(help_text="期次")
    due_on = serializers.DateField(help_text="应兑现日期（遇非工作日顺延）")
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="兑现期限（未兑现时）：当日 24:00，重新兑现时另计"
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.ChoiceField(choices=InstalmentStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    paid_at = serializers.DateTimeField(allow_null=True)
    paid_on_time = serializers.BooleanField(allow_null=True)
    voucher = serializers.CharField(help_text="支付凭证号（已兑现时）")
    fail_reason = serializers.CharField(help_text="兑现失败的原因（失败时）")
    failed_at = serializers.DateTimeField(allow_null=True)
    allowed = serializers.SerializerMethodField()

    def get_allowed(self, obj) -> InstalmentAllowed:
        """What the caller may do to this instalment now (subsidies.permissions.INSTALMENTS)."""
        return INSTALMENTS.offered(self.context["request"].user, obj)


class EntitlementEventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="事项代码，如 confirmed、approved、paid")
    action_label = serializers.SerializerMethodField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    instalment_n = serializers.SerializerMethodField()

    def get_action_label(self, obj) -> str:
        """The step as the talent reads it ("审核通过"), in the request's language."""
        try:
            return str(Step(obj.action).label)
        except ValueError:
            return obj.action

    def get_instalment_n(self, obj) -> int | None:
        """The instalment the step is about (null for the entitlement's own steps)."""
        return obj.instalment.n if obj.instalment_id else None


class EntitlementOutput(serializers.ModelSerializer):
    """One entitlement as its viewer may see it: the account masked, the schedule, the
    timeline and what the caller may do now (the tables of subsidies.permissions)."""

    policy = PolicyRef()
    talent = TalentRef()
    department = DepartmentRefSerializer(help_text="兑现部门")
    status = serializers.ChoiceField(choices=EntitlementStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    bank_account_masked = serializers.CharField(
        source="account_number_masked", help_text="银行账号（脱敏），如 6222 **** **** 3445"
    )
    account_name_masked = serializers.SerializerMethodField()
    returned_items = serializers.ListField(
        child=serializers.CharField(), help_text="退回时需修改的事项（一次告知）"
    )
    instalments = InstalmentOutput(many=True)
    events = EntitlementEventOutput(many=True)
    allowed = serializers.SerializerMethodField()

    class Meta:
        model = Entitlement
        fields = [
            "id",
            "policy",
            "talent",
            "department",
            "amount_total",
            "status",
            "status_label",
            "bank_name",
            "bank_account_masked",
            "account_name_masked",
            "offered_at",
            "confirmed_at",
            "approved_at",
            "ended_at",
            "returned_items",
            "return_note",
            "decline_reason",
            "suspend_reason",
            "review_due_at",
            "reviewed_on_time",
            "instalments",
            "events",
            "allowed",
        ]

    def get_account_name_masked(self, obj) -> str:
        return mask_name(obj.account_name)

    def get_allowed(self, obj) -> EntitlementAllowed:
        """``{confirm, decline, approve, return, suspend, reveal}`` for the caller, now."""
        return ENTITLEMENTS.offered(self.context["request"].user, obj)


class AccountRevealOutput(serializers.Serializer):
    bank_name = serializers.CharField()
    account_name = serializers.CharField()
    bank_account = serializers.CharField(help_text="完整银行账号（仅本次显示，不缓存）")


# --- inputs -----------------------------------------------------------------------------------
# Blank values pass here so that the domain functions answer with their own Chinese messages,
# every field at once (subsidies.entitlements.clean_account).


class ConfirmInput(serializers.Serializer):
    bank_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="开户银行"
    )
    account_number = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=60,
        help_text="银行账号，10 至 30 位数字（可含空格或连字符）",
    )
    account_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100, help_text="户名（本人姓名）"
    )


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SuspendInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="原因（必填）"
    )


class FailInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="兑现失败的原因（必填），如“户名与账号不符”",
    )


class EntitlementApproveInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EntitlementReturnInput(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=500),
        required=False,
        default=list,
        help_text="需修改的事项，逐条列出（至多 20 条）",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PayInput(serializers.Serializer):
    voucher = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="支付凭证号"
    )
