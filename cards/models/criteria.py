from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """Talent tiers, A highest (the A–D ladders of Chengdu and Hangzhou)."""

    A = "A", _("A类 顶尖人才")
    B = "B", _("B类 国家级领军人才")
    C = "C", _("C类 省级领军人才")
    D = "D", _("D类 市级及其他高层次人才")

    @classmethod
    def highest(cls, tiers) -> "Tier | None":
        """就高原则: the highest of ``tiers`` (A beats B beats C beats D)."""
        tiers = sorted(set(tiers))
        return cls(tiers[0]) if tiers else None


class Category(models.TextChoices):
    TECH = "tech", _("科技")
    EDU_HEALTH = "edu_health", _("教育卫生")
    MANAGEMENT = "management", _("经营管理")
    SKILLS = "skills", _("技能")
    CULTURE = "culture", _("文化艺术")
    OTHER = "other", _("其他")


class DocumentKind(models.TextChoices):
    # Every application needs one photo, whatever its criteria (cards.applications).
    PHOTO = "photo", _("证件照")
    ID_CARD = "id_card", _("身份证件")
    DEGREE = "degree", _("学历学位证书")
    TITLE = "title", _("职称证书")
    AWARD = "award", _("获奖、入选或资格证明")
    CONTRACT = "contract", _("劳动合同或聘用证明")
    OTHER = "other", _("其他材料")


class CriterionQuerySet(models.QuerySet):
    def current(self, today=None):
        """Criteria a talent may choose today: active and within their effective dates."""
        today = today or timezone.localdate()
        return self.filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=today),
            Q(effective_to__isnull=True) | Q(effective_to__gte=today),
            is_active=True,
        )


class Criterion(models.Model):
    """One recognition criterion of the card catalogue ("两院院士" → tier A).

    Criteria are data, edited by the organization department in the admin: which tier a
    qualification earns, and which evidence documents prove it, change with policy, not code.
    """

    code = models.CharField("代码", max_length=20, unique=True)
    tier = models.CharField("层次", max_length=1, choices=Tier.choices)
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    title = models.CharField("认定条件", max_length=200)
    title_en = models.CharField("英文认定条件", max_length=300, blank=True)
    evidence = models.JSONField(
        "所需证明材料", default=list, help_text="材料类型代码列表，如 id_card、degree、title"
    )
    policy_ref = models.CharField("政策依据（文件号）", max_length=200)
    policy_ref_en = models.CharField("英文政策依据", max_length=300, blank=True)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    effective_to = models.DateField("失效日期", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    objects = CriterionQuerySet.as_manager()

    class Meta:
        verbose_name = "认定条件"
        verbose_name_plural = "认定条件"
        ordering = ["tier", "sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="criterion_tier_valid"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="criterion_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.tier} {self.title}"

    def clean(self):
        unknown = [kind for kind in self.evidence or [] if kind not in DocumentKind.values]
        if not isinstance(self.evidence, list) or unknown or not self.evidence:
            choices = "、".join(map(str, DocumentKind.labels))
            raise ValidationError({"evidence": f"请至少选择一种所需证明材料，可选：{choices}。"})
