"""The talents' hot paths (人才信息库 and 一对一联系服务), measured like the requests'

- the organization department (demo_admin): 人才画像's counts by every dimension (API and page),
  the registry's drill-down for a large and a small key, the liaisons (all, overdue; API and
  page), the coverage figures (API and page), the visits list;
- a service officer (demo_staff, who serves the demo talent among ~1/17 of the A–C holders):
  their liaisons (API and page), one liaison's page, their visits;
- the talent (demo_talent): the profile (API and page) and 我的联系服务.

A path whose URL does not resolve in this checkout, or resolves to a placeholder view (a
module whose docstring begins "Placeholder", as talents/views/* are until their pages are
written), is left out and said so in the report.
"""

import importlib
from urllib.parse import quote

from django.urls import Resolver404, resolve

# Tables of the talents layer: a captured query touching one is worth a plan.
HOT_TABLES = (
    "talents_talentcount",
    "talents_talentprofile",
    "talents_liaison",
    "talents_visit",
    "talents_concern",
)
# Paths whose captured SELECTs go into the report with their plans.
EXPLAINED = {
    ("talent stats (API)", "admin, group_by=employer"),
    ("人才画像 (page /talents/portrait/)", "admin"),
    ("talent registry (page /talents/registry/)", "admin, largest employer"),
    ("talent registry (page /talents/registry/)", "admin, a small employer"),
    ("talent registry (page /talents/registry/)", "admin, largest chain, ?page=200"),
    ("liaisons (API)", "admin, default order"),
    ("liaisons (API)", "admin, ?overdue=true"),
    ("liaisons (API)", "officer, default order"),
    ("联系服务 (page /talents/liaisons/)", "admin, overdue"),
    ("联系服务 (page /talents/liaisons/)", "officer"),
    ("liaison coverage", "admin, API"),
    ("visits (API)", "admin, default order"),
}
DIMENSIONS = (
    "industry_chain",
    "tier",
    "education",
    "professional_title",
    "arrival_year",
    "employer",
)


def _exists(url: str) -> bool:
    """The URL resolves to a view that is not a placeholder."""
    try:
        match = resolve(url.split("?", 1)[0])
    except Resolver404:
        return False
    func = getattr(match.func, "view_class", None) or match.func
    module = importlib.import_module(func.__module__)
    return not (module.__doc__ or "").lstrip().startswith("Placeholder")


def samples(people: dict) -> dict:
    """Keys and liaisons to open: the largest and a small employer (the smallest with at
    least 5 talents), the largest industry chain; the officer's most urgent liaison; a visited
    card of the officer."""
    from django.db.models import Sum

    from talents.models import Liaison, TalentCount

    found = {}
    employers = (
        TalentCount.objects.filter(dimension="employer", n__gt=0)
        .exclude(key="")
        .values("key")
        .annotate(total=Sum("n"))
    )
    biggest = employers.order_by("-total", "key").first()
    small = employers.filter(total__gte=5).order_by("total", "key").first()
    chain = (
        TalentCount.objects.filter(dimension="industry_chain", n__gt=0)
        .exclude(key="")
        .values("key")
        .annotate(total=Sum("n"))
        .order_by("-total", "key")
        .first()
    )
    if biggest:
        found["big_employer"] = (biggest["key"], biggest["total"])
    if small:
        found["small_employer"] = (small["key"], small["total"])
    if chain:
        found["chain"] = (chain["key"], chain["total"])
    officer = people.get("staff")
    if officer is not None:
        found["officer_card"] = (
            Liaison.objects.filter(officer=officer.user, last_visit_on__isnull=False)
            .order_by("due_on", "id")
            .values_list("card__number", flat=True)
            .first()
        )
    return found


def talents_paths(people: dict, add, targets: dict) -> list[str]:
    """Add the talents' paths through ``add(group, label, persona, url, target)``; return the
    notes on paths left out (a URL that does not exist, or is a placeholder, in this
    checkout)."""
    skipped = []
    lists, summary, page = targets["list"], targets["summary"], targets["dashboard"]

    def path(group, label, persona, url, goal):
        if persona not in people:
            skipped.append(f"{url} ({persona}): no such persona")
        elif not _exists(url):
            skipped.append(f"{url}: no such URL (or a placeholder view) in this checkout")
        else:
            add(group, label, persona, url, goal)

    found = samples(people)
    stats = "talent stats (API)"
    for dimension in DIMENSIONS:
        path(
            stats,
            f"admin, group_by={dimension}",
            "admin",
            f"/api/v1/talent-stats/?group_by={dimension}",
            summary,
        )
    portrait = "人才画像 (page /talents/portrait/)"
    path(portrait, "admin", "admin", "/talents/portrait/", page)
    path(
        portrait, "admin, ?group_by=employer", "admin", "/talents/portrait/?group_by=employer", page
    )
    registry = "talent registry (page /talents/registry/)"
    if "big_employer" in found:
        key, _n = found["big_employer"]
        url = f"/talents/registry/?dimension=employer&key={quote(key)}"
        path(registry, "admin, largest employer", "admin", url, lists)
    if "small_employer" in found:
        key, _n = found["small_employer"]
        url = f"/talents/registry/?dimension=employer&key={quote(key)}"
        path(registry, "admin, a small employer", "admin", url, lists)
    if "chain" in found:
        key, _n = found["chain"]
        url = f"/talents/registry/?dimension=industry_chain&key={key}"
        path(registry, "admin, largest chain", "admin", url, lists)
        path(registry, "admin, largest chain, ?page=200", "admin", url + "&page=200", lists)
        path(
            registry,
            "admin, largest chain, ?standing=active",
            "admin",
            url + "&standing=active",
            lists,
        )
    path(
        registry,
        "admin, arrival_year=2026",
        "admin",
        "/talents/registry/?dimension=arrival_year&key=2026",
        lists,
    )
    api = "liaisons (API)"
    path(api, "admin, default order", "admin", "/api/v1/liaisons/", lists)
    path(api, "admin, ?overdue=true", "admin", "/api/v1/liaisons/?overdue=true", lists)
    path(api, "admin, ?overdue=false", "admin", "/api/v1/liaisons/?overdue=false", lists)
    path(api, "admin, ?page=200", "admin", "/api/v1/liaisons/?page=200", lists)
    path(api, "admin, ?officer=demo_staff", "admin", "/api/v1/liaisons/?officer=demo_staff", lists)
    path(api, "officer, default order", "staff", "/api/v1/liaisons/", lists)
    path(api, "officer, ?overdue=true", "staff", "/api/v1/liaisons/?overdue=true", lists)
    pages = "联系服务 (page /talents/liaisons/)"
    path(pages, "admin", "admin", "/talents/liaisons/", lists)
    path(pages, "admin, overdue", "admin", "/talents/liaisons/?show=overdue", lists)
    path(pages, "admin, due soon", "admin", "/talents/liaisons/?show=soon", lists)
    path(pages, "admin, ?page=200", "admin", "/talents/liaisons/?page=200", lists)
    path(pages, "officer", "staff", "/talents/liaisons/", lists)
    path(pages, "officer, overdue", "staff", "/talents/liaisons/?show=overdue", lists)
    number = found.get("officer_card")
    if number:
        detail = "liaison detail"
        path(detail, f"API (officer) {number}", "staff", f"/api/v1/cards/{number}/liaison/", lists)
        path(detail, f"page (officer) {number}", "staff", f"/talents/liaisons/{number}/", lists)
        path(detail, f"page (admin) {number}", "admin", f"/talents/liaisons/{number}/", lists)
    coverage = "liaison coverage"
    path(coverage, "admin, API", "admin", "/api/v1/liaison-coverage/", summary)
    path(coverage, "admin, page /talents/coverage/", "admin", "/talents/coverage/", page)
    visits = "visits (API)"
    path(visits, "admin, default order", "admin", "/api/v1/visits/", lists)
    path(visits, "admin, ?page=200", "admin", "/api/v1/visits/?page=200", lists)
    path(visits, "officer, default order", "staff", "/api/v1/visits/", lists)
    if number:
        path(
            visits,
            f"officer, ?card_number={number}",
            "staff",
            f"/api/v1/visits/?card_number={number}",
            lists,
        )
    talent = "the talent's profile and liaison"
    path(talent, "API /api/v1/me/profile/", "talent", "/api/v1/me/profile/", lists)
    path(talent, "page /talents/profile/", "talent", "/talents/profile/", lists)
    path(talent, "page /talents/liaison/", "talent", "/talents/liaison/", lists)
    path(talent, "API /api/v1/visits/", "talent", "/api/v1/visits/", lists)
    return skipped
