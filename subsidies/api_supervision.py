"""GET /api/v1/sla/summary/?group_by=policy (API.md "政策直达快享"): one row per policy with
its committed, paid and overdue amounts (subsidies.figures), registered with the summary API's
groups (services.dashboard_sections) from SubsidiesConfig.ready()."""

from rest_framework import serializers

from services import dashboard_sections
from subsidies.figures import STATUSES, policy_rows
from subsidies.models import EntitlementStatus

AMOUNT = {"max_digits": 16, "decimal_places": 2}


class PayingDepartment(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class EntitlementCounts(serializers.Serializer):
    """How many entitlements of the policy are in each status now."""

    total = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        labels = dict(EntitlementStatus.choices)
        for status in STATUSES:
            fields[status] = serializers.IntegerField(help_text=str(labels[status]))
        return fields


class PolicySummaryRow(serializers.Serializer):
    """One policy's figures (definitions: subsidies.figures); amounts in 元, as strings."""

    key = serializers.CharField(help_text="政策代码")
    name = serializers.CharField()
    policy_ref = serializers.CharField(help_text="政策文件号")
    active = serializers.BooleanField()
    department = PayingDepartment(help_text="兑现部门")
    committed_amount = serializers.DecimalField(
        **AMOUNT, help_text="已审核通过待遇的各期金额（不含停发）"
    )
    paid_amount = serializers.DecimalField(**AMOUNT, help_text="期间内兑现的金额")
    paid_amount_total = serializers.DecimalField(**AMOUNT, help_text="累计兑现的金额")
    paid_instalments = serializers.IntegerField(help_text="期间内兑现的期数")
    paid_on_time = serializers.IntegerField(help_text="其中在应兑现日 24:00 前兑现的")
    overdue_amount = serializers.DecimalField(**AMOUNT, help_text="当前超期未兑现的金额")
    overdue_instalments = serializers.IntegerField(help_text="当前超期未兑现的期数")
    on_time_rate = serializers.FloatField(
        allow_null=True,
        help_text="paid_on_time ÷ (paid_instalments + overdue_instalments)，分母为0时为空",
    )
    entitlements = EntitlementCounts(help_text="各状态的待遇数（当前）")
    review_overdue = serializers.IntegerField(help_text="待审核且已超过审核期限的待遇数")


def register() -> None:
    dashboard_sections.register_group("policy", policy_rows, PolicySummaryRow, "按政策")
