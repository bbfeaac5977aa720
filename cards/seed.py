"""Seed catalogue of card criteria (DESIGN.md "The card"). Admins edit it in the admin;
``seed_criteria`` adds what is missing and never overwrites an admin's edits."""

import re

from cards.models import Category, Criterion, DocumentKind, Tier

K = DocumentKind
# 《“巴州优才卡”实施办法》 is the district's implementing measure; the article references below
# are the seed's own numbering and are meant to be corrected by the organization department.
POLICY = "《“巴州优才卡”实施办法》"

CRITERIA = [
    # code, tier, category, title, evidence, policy reference
    ("A01", Tier.A, Category.TECH, "中国科学院院士、中国工程院院士",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 A类第1项"),
    ("A02", Tier.A, Category.TECH, "国家最高科学技术奖获得者",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 A类第2项"),
    ("B01", Tier.B, Category.OTHER, "享受国务院政府特殊津贴专家",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 B类第1项"),
    ("B02", Tier.B, Category.TECH, "国家级重大人才工程（计划）入选者",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 B类第2项"),
    ("B03", Tier.B, Category.CULTURE, "国家级非物质文化遗产代表性传承人",
     [K.ID_CARD, K.AWARD], f"{POLICY}附件 B类第3项"),
    ("B04", Tier.B, Category.SKILLS, "中华技能大奖获得者、全国技术能手",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 B类第4项"),
    ("C01", Tier.C, Category.TECH, "“天府万人计划”“天府青城计划”入选者",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 C类第1项"),
    ("C02", Tier.C, Category.OTHER, "享受四川省人民政府特殊津贴专家",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 C类第2项"),
    ("C03", Tier.C, Category.EDU_HEALTH, "具有正高级专业技术职称的教育、卫生人才",
     [K.ID_CARD, K.TITLE, K.CONTRACT], f"{POLICY}附件 C类第3项"),
    ("C04", Tier.C, Category.SKILLS, "四川省技能大师、“四川工匠”",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 C类第4项"),
    ("D01", Tier.D, Category.MANAGEMENT, "“巴山优才计划”入选者",
     [K.ID_CARD, K.AWARD, K.CONTRACT], f"{POLICY}附件 D类第1项"),
    ("D02", Tier.D, Category.TECH, "全日制博士研究生",
     [K.ID_CARD, K.DEGREE, K.CONTRACT], f"{POLICY}附件 D类第2项"),
    ("D03", Tier.D, Category.EDU_HEALTH, "具有副高级专业技术职称人员",
     [K.ID_CARD, K.TITLE, K.CONTRACT], f"{POLICY}附件 D类第3项"),
    ("D04", Tier.D, Category.SKILLS, "高级技师（国家职业资格一级）",
     [K.ID_CARD, K.TITLE, K.CONTRACT], f"{POLICY}附件 D类第4项"),
    ("D05", Tier.D, Category.MANAGEMENT, "规模以上企业高级经营管理人员",
     [K.ID_CARD, K.CONTRACT, K.OTHER], f"{POLICY}附件 D类第5项"),
    ("D06", Tier.D, Category.CULTURE, "省级、市级非物质文化遗产代表性传承人",
     [K.ID_CARD, K.AWARD], f"{POLICY}附件 D类第6项"),
]  # fmt: skip


# The criteria's English titles (issue 14: criteria carry English as data).
TITLES_EN = {
    "A01": "Academician of the Chinese Academy of Sciences or the Chinese Academy of Engineering",
    "A02": "Winner of the State Preeminent Science and Technology Award",
    "B01": "Expert receiving the State Council's special government allowance",
    "B02": "Selected for a national major talent programme",
    "B03": "Representative inheritor of a national intangible cultural heritage item",
    "B04": "Winner of the China Skills Award or a National Technical Expert",
    "C01": "Selected for the Tianfu Ten Thousand Talents or Tianfu Qingcheng Programme",
    "C02": "Expert receiving the Sichuan Provincial Government's special allowance",
    "C03": "Education or health professional with a full senior professional title",
    "C04": "Sichuan Skills Master or Sichuan Craftsman",
    "D01": "Selected for the Bashan Talent Programme",
    "D02": "Full-time doctoral graduate",
    "D03": "Professional with an associate senior professional title",
    "D04": "Senior technician (national vocational qualification level 1)",
    "D05": "Senior manager of an enterprise above the designated size",
    "D06": (
        "Representative inheritor of a provincial or municipal intangible cultural heritage item"
    ),
}


POLICY_EN = "Implementing Measures for the Bazhou Talent Card"
_ITEM = re.compile(r"附件 ([A-D])类第(\d+)项$")


def policy_ref_en(policy_ref: str) -> str:
    """``《…实施办法》附件 A类第1项`` → ``… Talent Card, Annex, tier A item 1`` ("" otherwise)."""
    found = _ITEM.search(policy_ref)
    if not (found and policy_ref.startswith(POLICY)):
        return ""
    return f"{POLICY_EN}, Annex, tier {found.group(1)} item {found.group(2)}"


def seed_criteria() -> int:
    """Create the seed criteria that do not exist yet; return how many were created. A seed
    criterion without an English title gets one (an admin's own English is kept)."""
    created = 0
    for order, (code, tier, category, title, evidence, policy_ref) in enumerate(CRITERIA):
        criterion, was_created = Criterion.objects.get_or_create(
            code=code,
            defaults={
                "tier": tier,
                "category": category,
                "title": title,
                "title_en": TITLES_EN[code],
                "policy_ref_en": policy_ref_en(policy_ref),
                "evidence": [str(kind) for kind in evidence],
                "policy_ref": policy_ref,
                "sort_order": order,
            },
        )
        created += was_created
        english = {
            "title_en": TITLES_EN[code],
            "policy_ref_en": policy_ref_en(criterion.policy_ref),
        }
        missing = {
            field: value for field, value in english.items() if not getattr(criterion, field)
        }
        if missing:
            Criterion.objects.filter(pk=criterion.pk).update(**missing)
    return created
