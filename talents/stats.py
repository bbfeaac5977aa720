"""人才画像: counts of the district's talents by one dimension, from the rollup (TalentCount):
``{rows: [{key, name, talents, active_cards, arrived_this_year, departed}], total}``. Counts
only, never a person; one query whatever the number of talents."""

import datetime

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from cards.models.criteria import Tier
from talents.models import Dimension, IndustryChain, Standing, TalentCount

# Employers are many: the largest this many, the rest summed in one row.
EMPLOYER_ROWS = 30
OTHERS_KEY = "__others__"


def _name(dimension: str, key: str) -> str:
    if not key:
        return gettext("未填写")
    if dimension == Dimension.INDUSTRY_CHAIN:
        return str(IndustryChain(key).label) if key in IndustryChain.values else key
    if dimension == Dimension.TIER:
        return gettext("%(tier)s类") % {"tier": key} if key in Tier.values else key
    if dimension == Dimension.ARRIVAL_YEAR:
        return gettext("%(year)s年") % {"year": key}
    return key


def _order(dimension: str, rows: list[dict]) -> list[dict]:
    if dimension == Dimension.INDUSTRY_CHAIN:
        order = {key: i for i, key in enumerate(IndustryChain.values)}
        return sorted(rows, key=lambda r: order.get(r["key"], len(order)))
    if dimension == Dimension.TIER:
        return sorted(rows, key=lambda r: (r["key"] == "", r["key"]))
    if dimension == Dimension.ARRIVAL_YEAR:
        return sorted(rows, key=lambda r: (r["key"] == "", r["key"]))
    return sorted(rows, key=lambda r: (r["key"] == "", -r["talents"], r["key"]))


def talent_stats(group_by: str, today: datetime.date | None = None) -> dict:
    """The rows and total of one dimension (``group_by`` a Dimension value)."""
    dimension = Dimension(group_by)
    year = (today or timezone.localdate()).year
    cells = (
        TalentCount.objects.filter(dimension=dimension, n__gt=0)
        .values("key")
        .annotate(
            talents=Sum("n"),
            active_cards=Sum("n", filter=Q(standing=Standing.ACTIVE), default=0),
            arrived_this_year=Sum("n", filter=Q(arrival_year=year), default=0),
            departed=Sum("n", filter=Q(standing=Standing.DEPARTED), default=0),
        )
        .order_by("key")
    )
    rows = [
        {
            "key": cell["key"],
            "name": _name(dimension, cell["key"]),
            "talents": cell["talents"],
            "active_cards": cell["active_cards"],
            "arrived_this_year": cell["arrived_this_year"],
            "departed": cell["departed"],
        }
        for cell in cells
    ]
    rows = _order(dimension, rows)
    total = {
        name: sum(r[name] for r in rows)
        for name in ("talents", "active_cards", "arrived_this_year", "departed")
    }
    if dimension == Dimension.EMPLOYER and len(rows) > EMPLOYER_ROWS:
        named = [r for r in rows if r["key"]][:EMPLOYER_ROWS]
        rest = [r for r in rows if r not in named]
        others = {
            "key": OTHERS_KEY,
            "name": gettext("其他单位（%(n)s家）及未填写") % {"n": len(rest)},
            **{
                name: sum(r[name] for r in rest)
                for name in ("talents", "active_cards", "arrived_this_year", "departed")
            },
        }
        rows = [*named, others]
    return {"group_by": str(dimension), "year": year, "rows": rows, "total": total}
