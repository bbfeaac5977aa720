"""Reference data of the subsidies layer: the demo policies (API.md "政策直达快享").

The amounts are the research report's (巴中: 正高 / 副高 / 全日制博士 / 硕士 安家补助和工作补贴
32.2万 / 18.6万 / 25.4万 / 13.6万元) and a 租房补贴 paid monthly for 36 months; every figure,
rule and schedule is data the organization department edits in the admin.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from portal.models import Department
from subsidies.models import Policy, PolicyInstalment, PolicyKind, PolicyRule
from subsidies.models.policies import RuleAttribute as A
from subsidies.models.policies import RuleOperator as O

REF = "巴中市引才安家补助和工作补贴政策（演示）"
REF_RENT = "巴州区人才安居租房补贴办法（演示）"
START = datetime.date(2025, 1, 1)


def _yearly(total: int, years: int = 3) -> list[tuple[int, Decimal]]:
    """``total`` in ``years`` yearly payments (the first a month after approval), the cents
    left over on the first."""
    share = Decimal(total // years)
    first = Decimal(total) - share * (years - 1)
    return [(1 + 12 * i, first if i == 0 else share) for i in range(years)]


def _settlement(code, name, name_en, total, attribute, keywords) -> dict:
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "policy_ref": REF,
        "kind": PolicyKind.SETTLEMENT,
        "department": "RSJ",
        "amount_total": Decimal(total),
        "review_days": 10,
        "description": (
            f"{name}共 {total / 10000:g} 万元，审核通过后分三年发放。同时符合多项安家补助和工作补贴"
            "条件的，按就高原则享受一项。"
        ),
        "description_en": (
            f"{name_en}: CNY {total:,} in total, paid in three yearly instalments after "
            "approval. A talent who meets several settlement policies receives the largest one."
        ),
        "schedule": _yearly(total),
        "rules": [
            (attribute, O.CONTAINS_ANY, keywords),
            (A.ARRIVAL, O.WITHIN_YEARS, 5),
            (A.EXCLUSIVE, O.IS_TRUE, True),
        ],
    }


POLICIES = [
    _settlement(
        "SETTLE-ZG",
        "正高级职称人才安家补助和工作补贴",
        "Settlement and work allowance for senior (full) professional titles",
        322000,
        A.TITLE,
        ["正高"],
    ),
    _settlement(
        "SETTLE-FG",
        "副高级职称人才安家补助和工作补贴",
        "Settlement and work allowance for associate senior professional titles",
        186000,
        A.TITLE,
        ["副高"],
    ),
    _settlement(
        "SETTLE-BS",
        "全日制博士研究生安家补助和工作补贴",
        "Settlement and work allowance for full-time doctoral graduates",
        254000,
        A.EDUCATION,
        ["博士"],
    ),
    _settlement(
        "SETTLE-SS",
        "全日制硕士研究生安家补助和工作补贴",
        "Settlement and work allowance for full-time master's graduates",
        136000,
        A.EDUCATION,
        ["硕士"],
    ),
    {
        "code": "RENT-36",
        "name": "人才租房补贴",
        "name_en": "Rent subsidy for talents",
        "policy_ref": REF_RENT,
        "kind": PolicyKind.RENT,
        "department": "CZJ",
        "amount_total": Decimal(36000),
        "review_days": 5,
        "description": "在巴州区工作的持卡人才，来巴工作 3 年内每月 1000 元，共 36 个月。",
        "description_en": (
            "Card holders working in Bazhou District: CNY 1,000 a month for 36 months within "
            "three years of arrival."
        ),
        "schedule": [(month, Decimal(1000)) for month in range(1, 37)],
        "rules": [
            (A.TIER, O.IN, ["A", "B", "C", "D"]),
            (A.EMPLOYER, O.CONTAINS_ANY, ["巴州", "巴中"]),
            (A.ARRIVAL, O.WITHIN_YEARS, 3),
            (A.EXCLUSIVE, O.IS_TRUE, True),
        ],
    },
]


@transaction.atomic
def seed_policies() -> int:
    """Create the demo policies that do not exist yet (an edited one is left as it is);
    return how many were created."""
    created = 0
    departments = {d.code: d for d in Department.objects.all()}
    for data in POLICIES:
        if Policy.objects.filter(code=data["code"]).exists():
            continue
        data = dict(data)
        schedule, rules = data.pop("schedule"), data.pop("rules")
        policy = Policy.objects.create(
            **{**data, "department": departments[data["department"]], "effective_from": START}
        )
        PolicyInstalment.objects.bulk_create(
            PolicyInstalment(policy=policy, n=n, months_after_start=months, amount=amount)
            for n, (months, amount) in enumerate(schedule, start=1)
        )
        PolicyRule.objects.bulk_create(
            PolicyRule(policy=policy, attribute=attribute, operator=operator, value=value)
            for attribute, operator, value in rules
        )
        created += 1
    return created
