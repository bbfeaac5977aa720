"""人才画像 for the organization department (组织部人才办): the district's talents counted by
industry chain, tier, education, title, arrival year and employer (talents.stats, read from the
rollup: one query per dimension whatever the number of talents), each count leading to 人才名录,
the profiles it counted; and the counts' export.

Admin pages (portal.pages.role_page): a visitor goes to the login page, a signed-in user of
another role gets the portal's 404, as on the other admin pages.
"""

from urllib.parse import urlencode

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal.audit import client_ip
from portal.identity import mask_name
from portal.models import Role
from portal.pages import role_page
from portal.paging import CountedPaginator
from services import charts
from services.views.common import query_without_page
from talents.exports import ALL, FORMATS
from talents.exports import portrait_export as export_counts
from talents.models import Dimension, IndustryChain, Standing, TalentProfile
from talents.stats import OTHERS_KEY, talent_stats
from talents.stats import _name as key_name

PAGE_SIZE = 20
admin_page = role_page(Role.ADMIN)
# A chart shows at most this many categories (the table lists every row), and cuts a label to
# what fits its slot (a glyph is about this many of the chart's units, on a phone too).
CHART_ROWS = 8
LABEL_UNITS = 14
# The profile column each dimension filters (the drill-down reads its index, profile_*_idx).
COLUMN = {
    Dimension.INDUSTRY_CHAIN: "industry_chain",
    Dimension.TIER: "tier",
    Dimension.EDUCATION: "education",
    Dimension.PROFESSIONAL_TITLE: "professional_title",
    Dimension.ARRIVAL_YEAR: "arrival_year",
    Dimension.EMPLOYER: "employer",
}
_CHAIN = dict(IndustryChain.choices)
_STANDING = dict(Standing.choices)


# --- 人才画像 --------------------------------------------------------------------------------
def registry_url(**query) -> str:
    """人才名录 narrowed by ``query`` (dimension, key, standing, year); empty values dropped,
    except ``key`` ("" is 未填写)."""
    kept = {k: v for k, v in query.items() if v not in (None, "") or k == "key"}
    return (
        f"{reverse('talents:registry')}?{urlencode(kept)}" if kept else reverse("talents:registry")
    )


def _links(dimension, key, year: int) -> dict:
    """Where each count of a row leads (none for the employers' folded rest: it is not one
    key)."""
    if key == OTHERS_KEY:
        return {}
    base = {"dimension": dimension, "key": key} if dimension else {}
    return {
        "talents": registry_url(**base),
        "active_cards": registry_url(**base, standing=Standing.ACTIVE),
        "arrived_this_year": registry_url(**base, year=year),
        "departed": registry_url(**base, standing=Standing.DEPARTED),
    }


def _short(label: str, count: int) -> str:
    """A category label that fits its slot of the chart (the table below has it whole)."""
    fits = max(2, int(charts.WIDTH * 0.9 / max(count, 1) / LABEL_UNITS))
    return label if len(label) <= fits else label[: fits - 1] + "…"


def _chart(dimension: Dimension, rows: list[dict]) -> tuple:
    """The dimension's bars and whether some rows were left out of them: arrivals per year
    (the latest CHART_ROWS years; the unknown year left out), else talents and active cards
    per key (the first CHART_ROWS rows: the largest for education, title and employer, whose
    rows come largest first; the employers' folded rest left out)."""
    if dimension == Dimension.ARRIVAL_YEAR:
        years = [r for r in rows if r["key"]]
        shown = years[-CHART_ROWS:]
        svg = charts.bar_chart(
            [r["key"] for r in shown],
            [charts.Series("来巴人数", [r["talents"] for r in shown], "bar-filed")],
            title="各年份来巴人数",
            unit="人",
        )
        return svg, len(shown) < len(years)
    named = [r for r in rows if r["key"] != OTHERS_KEY]
    shown = named[:CHART_ROWS]
    svg = charts.bar_chart(
        [_short(r["name"], len(shown)) for r in shown],
        [
            charts.Series("人才数", [r["talents"] for r in shown], "bar-filed"),
            charts.Series("持有效卡", [r["active_cards"] for r in shown], "bar-resolved"),
        ],
        title=f"按{dimension.label}统计的人才数和持有效卡人数",
        unit="人",
    )
    return svg, len(shown) < len(rows)


def _section(dimension: Dimension, stats: dict) -> dict:
    year = stats["year"]
    chart, cut = _chart(dimension, stats["rows"])
    return {
        "dimension": dimension,
        "label": dimension.label,
        "id": f"by-{dimension.value.replace('_', '-')}",
        "rows": [{**row, "links": _links(dimension, row["key"], year)} for row in stats["rows"]],
        "total": stats["total"],
        "total_links": _links(None, None, year),
        "chart": chart,
        "chart_cut": cut,
        "export_csv": _export_url(dimension.value, "csv"),
        "export_xlsx": _export_url(dimension.value, "xlsx"),
    }


def _export_url(group_by: str, fmt: str) -> str:
    query = urlencode({"group_by": group_by, "format": fmt})
    return f"{reverse('talents:portrait-export')}?{query}"


@admin_page
@require_safe
def portrait(request):
    """人才画像: the headline figures and, per dimension (or the one of ``?group_by=``; an
    unknown one is ignored and every dimension shown), a chart and a table whose counts link to
    人才名录. One rollup query per dimension, whatever the number of talents."""
    today = timezone.localdate()
    focus = request.GET.get("group_by") or ""
    dimensions = [Dimension(focus)] if focus in Dimension.values else list(Dimension)
    sections = [_section(d, talent_stats(d, today=today)) for d in dimensions]
    # Every counted profile counts once in each dimension: any section's total is the whole.
    total = sections[0]["total"]
    context = {
        "today": today,
        "year": today.year,
        "arrived_note": f"{today.year}年来巴工作",
        "focus": dimensions[0] if len(dimensions) == 1 else None,
        "dimensions": [
            {"value": d.value, "label": d.label, "url": f"?{urlencode({'group_by': d.value})}"}
            for d in Dimension
        ],
        "total": total,
        "links": _links(None, None, today.year),
        "sections": sections,
        "export_csv": _export_url(ALL, "csv"),
        "export_xlsx": _export_url(ALL, "xlsx"),
    }
    return render(request, "talents/portrait/portrait.html", context)


@admin_page
@require_safe
def portrait_export(request):
    """The counts of ``?group_by=`` (a dimension, or all) as ``?format=csv|xlsx``."""
    group_by = request.GET.get("group_by") or ALL
    if group_by != ALL and group_by not in Dimension.values:
        return HttpResponseBadRequest(
            "group_by 可选 all、" + "、".join(Dimension.values) + "。",
            content_type="text/plain; charset=utf-8",
        )
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(
            "format 可选 csv、xlsx。", content_type="text/plain; charset=utf-8"
        )
    return export_counts(user=request.user, group_by=group_by, fmt=fmt, ip=client_ip(request))


# --- 人才名录 --------------------------------------------------------------------------------
class BadFilter(ValueError):
    """A drill-down filter that names nothing (answered with the 400 page)."""


def _year(text: str) -> int:
    if not text.isdigit() or not 1900 <= int(text) <= 2100:
        raise BadFilter("年份应为四位数字。")
    return int(text)


def _filtered(user, params) -> tuple:
    """The counted profiles ``user`` sees (visible_to) narrowed by ``params``, newest first,
    and what the filter reads as. The same profiles the rollup counts: those with a card and a
    standing."""
    rows = (
        TalentProfile.objects.visible_to(user)
        .filter(card__isnull=False)
        .exclude(standing="")
        .select_related("card", "holder")
    )
    said = []
    dimension = params.get("dimension") or ""
    if dimension:
        if dimension not in Dimension.values:
            raise BadFilter("没有这个统计维度。")
        dimension = Dimension(dimension)
        key = params.get("key") or ""
        column = COLUMN[dimension]
        if dimension == Dimension.ARRIVAL_YEAR:
            # profile_arrival_idx (arrival_year, -id); "" is 未填写 (no year).
            rows = (
                rows.filter(arrival_year=_year(key))
                if key
                else rows.filter(arrival_year__isnull=True)
            )
        else:
            # profile_<column>_idx (column, -id).
            rows = rows.filter(**{column: key})
        said.append(f"{dimension.label}：{key_name(dimension, key)}")
    standing = params.get("standing") or ""
    if standing:
        if standing not in Standing.values:
            raise BadFilter("状态可选 active、suspended、departed。")
        rows = rows.filter(standing=standing)
        said.append(str(_STANDING[standing]))
    year = params.get("year") or ""
    if year:
        rows = rows.filter(arrival_year=_year(year))
        said.append(f"{int(year)}年来巴")
    return rows.order_by("-id"), said


@admin_page
@require_safe
def registry(request):
    """人才名录: the profiles a 人才画像 count counted (``?dimension=&key=&standing=&year=``),
    newest first, names masked; paginated in a constant number of queries. An unknown dimension
    or standing, or a year that is not one, is the 400 page (never silently the whole list)."""
    try:
        rows, said = _filtered(request.user, request.GET)
    except BadFilter as exc:
        return render(
            request,
            "talents/portrait/bad_filter.html",
            {"error": str(exc)},
            status=400,
        )
    page = CountedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [
        {
            "profile": p,
            "name": mask_name(p.holder.real_name),
            "chain": _CHAIN.get(p.industry_chain, "未填写") if p.industry_chain else "未填写",
            "standing": _STANDING.get(p.standing, p.standing),
            "card_url": reverse("cards:card", args=[p.card.number]),
        }
        for p in page.object_list
    ]
    return render(
        request,
        "talents/portrait/registry.html",
        {"page": page, "said": said, "query": query_without_page(request)},
    )
