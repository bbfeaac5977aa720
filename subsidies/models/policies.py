"""Subsidy policies as data (API.md "政策直达快享"): what a policy pays, to whom, by which
department and on which schedule. Like the card criteria, a policy is edited by the
organization department in the admin, never in code."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PolicyKind(models.TextChoices):
    SETTLEMENT = "settlement", _("安家补助")
    WORK = "work_allowance", _("工作补贴")
    PURCHASE = "housing_purchase", _("购房补贴")
    RENT = "rent", _("租房补贴")
    OTHER = "other", _("其他")


class PolicyQuerySet(models.QuerySet):
    def in_force(self, day=None):
        """Policies that offer entitlements on ``day`` (today): active and within their
        effective dates."""
        day = day or timezone.localdate()
        return self.filter(is_active=True, effective_from__lte=day).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )


class Policy(models.Model):
    """A subsidy policy (安家补助, 工作补贴, 购房/租房补贴 …) with its 文件号, paying department,
    total amount, instalment schedule (PolicyInstalment) and matching rules (PolicyRule)."""

    code = models.CharField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    name_en = models.CharField("英文名称", max_length=200, blank=True)
    policy_ref = models.CharField("政策文件号", max_length=120)
    kind = models.CharField("类别", max_length=20, choices=PolicyKind.choices)
    department = models.ForeignKey(
        "portal.Department",
        verbose_name="兑现部门",
        on_delete=models.PROTECT,
        related_name="subsidy_policies",
    )
    amount_total = models.DecimalField(
        "总金额（元）",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # 审核时限: the paying department approves or returns a confirmed entitlement within this
    # many working days (the same counting as requests: services.workdays).
    review_days = models.PositiveSmallIntegerField("审核时限（工作日）", default=10)
    description = models.TextField("政策说明", blank=True)
    description_en = models.TextField("英文说明", blank=True)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "兑现政策"
        verbose_name_plural = "兑现政策"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_total__gt=0), name="policy_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=PolicyKind.values), name="policy_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="policy_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(review_days__gte=1), name="policy_review_days"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class PolicyInstalment(models.Model):
    """One payment of a policy's schedule: the n-th, so many months after approval, so much.
    The amounts add up to the policy's total (checked by ``schedule_check``)."""

    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="instalments"
    )
    n = models.PositiveSmallIntegerField("期次")
    months_after_start = models.PositiveSmallIntegerField("审核通过后第几个月", default=0)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "分期计划"
        verbose_name_plural = "分期计划"
        ordering = ["policy", "n"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "n"], name="policyinstalment_n_unique"),
            models.CheckConstraint(condition=Q(n__gte=1), name="policyinstalment_n_positive"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="policyinstalment_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.policy_id} 第{self.n}期"


def schedule_check(policy: Policy, instalments: list) -> None:
    """ValidationError unless ``instalments`` (objects with n, months_after_start, amount)
    number 1..k, move forward in time and add up to the policy's total."""
    if not instalments:
        raise ValidationError("请至少设置一期兑现计划。")
    numbers = sorted(i.n for i in instalments)
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValidationError("期次应从 1 开始连续编号。")
    ordered = sorted(instalments, key=lambda i: i.n)
    months = [i.months_after_start for i in ordered]
    if months != sorted(months):
        raise ValidationError("后一期的兑现月份不能早于前一期。")
    total = sum((Decimal(i.amount) for i in instalments), Decimal(0))
    if total != policy.amount_total:
        raise ValidationError(
            f"各期金额合计 {total} 元，与政策总金额 {policy.amount_total} 元不一致。"
        )


class RuleAttribute(models.TextChoices):
    TIER = "tier", _("人才层次")
    EDUCATION = "education", _("最高学历")
    TITLE = "professional_title", _("专业技术职称")
    ARRIVAL = "arrival_date", _("来巴工作时间")
    EMPLOYER = "employer", _("工作单位")
    AGE = "age", _("年龄")
    EXCLUSIVE = "exclusive_kind", _("未享受同类待遇")


class RuleOperator(models.TextChoices):
    IN = "in", _("属于")
    CONTAINS_ANY = "contains_any", _("包含任一关键词")
    ON_OR_AFTER = "on_or_after", _("不早于")
    ON_OR_BEFORE = "on_or_before", _("不晚于")
    WITHIN_YEARS = "within_years", _("发卡前若干年内")
    AT_MOST = "at_most", _("不超过")
    IS_TRUE = "is_true", _("是")


# Which operators each attribute takes, and what its ``value`` holds.
RULE_SHAPES = {
    RuleAttribute.TIER: {RuleOperator.IN},  # ["A", "B"]
    RuleAttribute.EDUCATION: {RuleOperator.CONTAINS_ANY},  # ["博士"]
    RuleAttribute.TITLE: {RuleOperator.CONTAINS_ANY},  # ["正高", "教授"]
    RuleAttribute.EMPLOYER: {RuleOperator.CONTAINS_ANY},  # ["巴州", "巴中"]
    # "2024-01-01" / "2030-12-31" / 3
    RuleAttribute.ARRIVAL: {
        RuleOperator.ON_OR_AFTER,
        RuleOperator.ON_OR_BEFORE,
        RuleOperator.WITHIN_YEARS,
    },
    RuleAttribute.AGE: {RuleOperator.AT_MOST},  # 45
    RuleAttribute.EXCLUSIVE: {RuleOperator.IS_TRUE},  # true
}


class PolicyRule(models.Model):
    """One condition of a policy; a holder matches the policy when every rule holds
    (subsidies.rules). A small table, not code: the organization department edits it."""

    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="rules"
    )
    attribute = models.CharField("条件项", max_length=20, choices=RuleAttribute.choices)
    operator = models.CharField("比较方式", max_length=15, choices=RuleOperator.choices)
    value = models.JSONField("取值")

    class Meta:
        verbose_name = "享受条件"
        verbose_name_plural = "享受条件"
        ordering = ["policy", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "attribute", "operator"], name="policyrule_once"
            ),
        ]

    def __str__(self):
        # In words, as the talent reads it (the admin's rule rows show this), not Python's
        # repr of the value ("True").
        from subsidies.rules import rule_text

        return rule_text(self)

    def clean(self):
        from subsidies.rules import rule_check

        rule_check(self.attribute, self.operator, self.value)
