"""The talent database (人才信息库): one living profile per talent, and its rollup.

The talent keeps ``industry_chain``, ``specialties`` and research outputs up to date; the
facts of the card (tier, employer, position, education, title, arrival) are copied from the
application that issued, renewed or changed the card, and change only through another one
(talents.profiles.profile_refresh, called by cards.hooks). ``standing`` follows the card.

Counts for 人才画像 come from ``TalentCount``: one row per (dimension, key, standing, arrival
year), moved by every refresh in the same transaction (talents.rollups).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role


class IndustryChain(models.TextChoices):
    """Bazhong's "1+3" industries (文旅康养 first), and the rest."""

    CULTURE_TOURISM_HEALTH = "culture_tourism_health", _("文旅康养")
    FOOD_BEVERAGE = "food_beverage", _("食品饮料")
    BIOMEDICINE = "biomedicine", _("生物医药")
    NEW_ENERGY_MATERIALS = "new_energy_materials", _("新能源新材料")
    OTHER = "other", _("其他")


class Standing(models.TextChoices):
    """Where the holder stands, from the card: 在巴 (active card), 暂停, 已离开 (the card was
    revoked or expired and no live card replaced it)."""

    ACTIVE = "active", _("持有效卡")
    SUSPENDED = "suspended", _("卡已暂停")
    DEPARTED = "departed", _("已离开")


class OutputKind(models.TextChoices):
    PAPER = "paper", _("论文")
    PATENT = "patent", _("专利")
    AWARD = "award", _("奖项")
    PROJECT = "project", _("项目")
    STANDARD = "standard", _("标准")
    BOOK = "book", _("著作")


class Dimension(models.TextChoices):
    """What 人才画像 counts by (GET /api/v1/talent-stats/?group_by=)."""

    INDUSTRY_CHAIN = "industry_chain", _("产业链")
    TIER = "tier", _("人才层次")
    EDUCATION = "education", _("最高学历")
    PROFESSIONAL_TITLE = "professional_title", _("职称")
    ARRIVAL_YEAR = "arrival_year", _("来巴年份")
    EMPLOYER = "employer", _("工作单位")


class TalentProfileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The talent: own; the organization department (人才办): all; nobody else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role == Role.TALENT:
            return self.filter(holder=user)
        return self.none()


class TalentProfile(models.Model):
    holder = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="人才",
        on_delete=models.PROTECT,
        related_name="talent_profile",
    )
    # The holder's latest card (none before the first is issued: not counted).
    card = models.ForeignKey(
        "cards.Card",
        verbose_name="优才卡",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept by the talent.
    industry_chain = models.CharField(
        "所属产业链", max_length=30, choices=IndustryChain.choices, blank=True
    )
    specialties = models.JSONField("专业特长", default=list, blank=True)
    # Copied from the card's application (changed only through a card change application).
    tier = models.CharField("层次", max_length=1, blank=True)
    standing = models.CharField("状态", max_length=10, choices=Standing.choices, blank=True)
    employer = models.CharField("工作单位", max_length=100, blank=True)
    position = models.CharField("职务/岗位", max_length=60, blank=True)
    education = models.CharField("最高学历", max_length=30, blank=True)
    professional_title = models.CharField("职称", max_length=60, blank=True)
    arrival_year = models.PositiveSmallIntegerField("来巴年份", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    # When the retention job (talents.retention) erased what the talent kept (specialties,
    # outputs) and the liaison's visit and concern texts, once the card's own details were
    # erased (3 years after it ended). The counted facts stay (人才画像's history).
    erased_at = models.DateTimeField("个人信息删除时间", null=True, blank=True)

    objects = TalentProfileQuerySet.as_manager()

    class Meta:
        verbose_name = "人才信息"
        verbose_name_plural = "人才信息库"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(industry_chain="") | Q(industry_chain__in=IndustryChain.values),
                name="talentprofile_chain_valid",
            ),
            models.CheckConstraint(
                condition=Q(standing="") | Q(standing__in=Standing.values),
                name="talentprofile_standing_valid",
            ),
            # A counted profile has a card and a standing; an uncounted one neither.
            models.CheckConstraint(
                condition=Q(card__isnull=True, standing="")
                | (Q(card__isnull=False) & ~Q(standing="")),
                name="talentprofile_standing_with_card",
            ),
        ]
        indexes = [
            # Drill-down (人才名录): one dimension's key, newest first.
            models.Index(fields=["industry_chain", "-id"], name="profile_chain_idx"),
            models.Index(fields=["tier", "-id"], name="profile_tier_idx"),
            models.Index(fields=["education", "-id"], name="profile_education_idx"),
            models.Index(fields=["professional_title", "-id"], name="profile_title_idx"),
            models.Index(fields=["arrival_year", "-id"], name="profile_arrival_idx"),
            models.Index(fields=["employer", "-id"], name="profile_employer_idx"),
            # The retention job: departed holders not yet erased.
            models.Index(
                fields=["id"],
                condition=Q(standing="departed", erased_at__isnull=True),
                name="profile_retention_idx",
            ),
        ]

    def __str__(self):
        return f"人才信息 #{self.pk}"


class ResearchOutput(models.Model):
    """One of the talent's research outputs (科研成果), in the talent's order."""

    profile = models.ForeignKey(
        TalentProfile, verbose_name="人才信息", on_delete=models.CASCADE, related_name="outputs"
    )
    n = models.PositiveSmallIntegerField("序号")
    kind = models.CharField("类别", max_length=10, choices=OutputKind.choices)
    title = models.CharField("名称", max_length=200)
    year = models.PositiveSmallIntegerField("年份")
    ref = models.CharField("出处/编号", max_length=200, blank=True)

    class Meta:
        verbose_name = "科研成果"
        verbose_name_plural = "科研成果"
        ordering = ["profile", "n"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "n"], name="output_n_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=OutputKind.values), name="output_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1950, year__lte=2100), name="output_year_range"
            ),
        ]

    def __str__(self):
        return self.title


class TalentCount(models.Model):
    """How many counted profiles have ``key`` in ``dimension``, by standing and arrival year
    (0: unknown). The rollup 人才画像 reads; talents.rollups keeps it."""

    dimension = models.CharField("维度", max_length=20, choices=Dimension.choices)
    key = models.CharField("取值", max_length=100, blank=True)
    standing = models.CharField("状态", max_length=10, choices=Standing.choices)
    arrival_year = models.PositiveSmallIntegerField("来巴年份", default=0)
    n = models.IntegerField("人数", default=0)

    class Meta:
        verbose_name = "人才统计"
        verbose_name_plural = "人才统计"
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "key", "standing", "arrival_year"],
                name="talentcount_cell_unique",
            ),
            models.CheckConstraint(condition=Q(n__gte=0), name="talentcount_not_negative"),
        ]

    def __str__(self):
        return f"{self.dimension}={self.key} {self.standing} {self.arrival_year}: {self.n}"
