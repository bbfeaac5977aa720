"""Matching a card holder against a policy's rule table (PolicyRule): every rule must hold.

The facts come from the card and the application that issued, renewed or changed it (tier,
最高学历, 职称, 来巴工作时间, 工作单位) and from the holder's resident ID number (age at the
card's date). A fact the portal does not know (no arrival date, a passport without a birth
date) does not satisfy a rule that needs it: an offer is a promise of money, so it is made only
on what is known.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext

from cards.models import Tier
from subsidies.models.policies import RULE_SHAPES, RuleAttribute, RuleOperator


@dataclass(frozen=True)
class Facts:
    """What the rules read about one holder at one moment."""

    tier: str
    education: str = ""
    professional_title: str = ""
    employer: str = ""
    arrival_date: datetime.date | None = None
    birth_date: datetime.date | None = None
    on: datetime.date = field(default_factory=datetime.date.today)
    # Kinds of benefit the holder already has (offered, confirmed, approved or paid).
    kinds_held: frozenset = frozenset()


def _keywords(value) -> list[str]:
    return [str(v).strip() for v in value if str(v).strip()]


def rule_check(attribute: str, operator: str, value) -> None:
    """ValidationError unless ``operator`` suits ``attribute`` and ``value`` has its shape."""
    if attribute not in RULE_SHAPES:
        raise ValidationError({"attribute": "未知的条件项。"})
    if operator not in RULE_SHAPES[attribute]:
        allowed = "、".join(str(RuleOperator(op).label) for op in RULE_SHAPES[attribute])
        raise ValidationError({"operator": f"该条件项可用的比较方式：{allowed}。"})
    if operator == RuleOperator.IN:
        if not isinstance(value, list) or not value or set(value) - set(Tier.values):
            raise ValidationError({"value": '请填写层次列表，如 ["A", "B"]。'})
    elif operator == RuleOperator.CONTAINS_ANY:
        if not isinstance(value, list) or not _keywords(value):
            raise ValidationError({"value": '请填写关键词列表，如 ["博士"]。'})
    elif operator in (RuleOperator.ON_OR_AFTER, RuleOperator.ON_OR_BEFORE):
        try:
            datetime.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({"value": '请填写日期，如 "2024-01-01"。'}) from None
    elif operator in (RuleOperator.WITHIN_YEARS, RuleOperator.AT_MOST):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError({"value": "请填写不小于 0 的整数。"})
    elif operator == RuleOperator.IS_TRUE and value is not True:
        raise ValidationError({"value": "请填写 true。"})


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def rule_holds(rule, facts: Facts, kind: str) -> bool:
    """Whether one rule (attribute, operator, value) holds for ``facts``; ``kind`` is the
    policy's kind (for exclusive_kind)."""
    attribute, operator, value = rule.attribute, rule.operator, rule.value
    if attribute == RuleAttribute.TIER:
        return facts.tier in value
    if attribute in (RuleAttribute.EDUCATION, RuleAttribute.TITLE, RuleAttribute.EMPLOYER):
        text = getattr(facts, attribute) or ""
        return any(word in text for word in _keywords(value))
    if attribute == RuleAttribute.ARRIVAL:
        if facts.arrival_date is None:
            return False
        if operator == RuleOperator.ON_OR_AFTER:
            return facts.arrival_date >= datetime.date.fromisoformat(value)
        if operator == RuleOperator.ON_OR_BEFORE:
            return facts.arrival_date <= datetime.date.fromisoformat(value)
        return facts.arrival_date >= _years_before(facts.on, value)
    if attribute == RuleAttribute.AGE:
        return facts.birth_date is not None and _age(facts.birth_date, facts.on) <= value
    if attribute == RuleAttribute.EXCLUSIVE:
        return kind not in facts.kinds_held
    return False


def policy_matches(policy, facts: Facts) -> bool:
    """Every rule of ``policy`` holds (its rules prefetched or read here)."""
    return all(rule_holds(rule, facts, policy.kind) for rule in policy.rules.all())


def rule_text(rule) -> str:
    """One rule as the talent reads it, in the language of the moment: "人才层次属于 A、B"
    ("Talent tier is one of A, B"); the values are the rule's data as stored."""
    value = rule.value
    if isinstance(value, list):
        shown = pgettext("list separator", "、").join(str(v) for v in value)
    elif value is True:
        shown = ""
    else:
        shown = str(value)
    if rule.operator == RuleOperator.WITHIN_YEARS:
        return gettext("发卡前 %(years)s 年内来巴工作") % {"years": value}
    if rule.operator == RuleOperator.AT_MOST and rule.attribute == RuleAttribute.AGE:
        return gettext("年龄不超过 %(age)s 周岁") % {"age": value}
    if rule.attribute == RuleAttribute.EXCLUSIVE:
        return gettext("未享受其他同类待遇")
    return (
        gettext("%(attribute)s%(operator)s %(value)s")
        % {
            "attribute": rule.get_attribute_display(),
            "operator": rule.get_operator_display(),
            "value": shown,
        }
    ).strip()


def rules_text(policy) -> str:
    """The policy's rules in one line, joined with "；"."""
    return pgettext("rules separator", "；").join(rule_text(rule) for rule in policy.rules.all())
