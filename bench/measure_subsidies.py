"""The subsidies' hot paths (issue 15, 政策直达快享), measured like the requests' (bench.measure):
the API's lists and details for each caller, the talent's 我的待遇, the paying department's
desk and its tabs, the organization department's 政策兑现 list, the summary by policy.

The personas: demo_rsj_staff (RSJ pays the four 安家补助), demo_czj_staff (CZJ pays the
36-instalment 租房补贴: the longest schedules and timelines), demo_rsj_lead (the dashboard
and the summary of one paying department), demo_admin, and demo_talent (SETTLE-ZG and RENT-36).
"""

from django.urls import Resolver404, resolve

# Request tables of the subsidies: a captured query touching one is worth a plan.
HOT_TABLES = ("subsidies_entitlement", "subsidies_instalment", "subsidies_entitlementevent")
# Paths whose captured SELECTs go into the report with their plans.
EXPLAINED = {
    ("entitlements (API)", "CZJ staff, default order"),
    ("entitlements (API)", "RSJ staff, ?status=confirmed"),
    ("entitlements (API)", "admin, ?status=confirmed"),
    ("subsidies desk (page /subsidies/desk/)", "CZJ staff, ?tab=payments"),
    ("subsidies desk (page /subsidies/desk/)", "RSJ staff, ?tab=review"),
    ("subsidies desk (page /subsidies/desk/)", "RSJ staff, ?tab=all"),
    ("政策兑现 (page /subsidies/)", "admin, default order"),
    ("政策兑现 (page /subsidies/)", "admin, ?overdue=payment"),
    ("SLA summary, year", "admin, group_by=policy"),
}


def _exists(url: str) -> bool:
    try:
        resolve(url.split("?", 1)[0])
    except Resolver404:
        return False
    return True


def samples(people: dict) -> dict:
    """Entitlements to open: an RSJ one approved (3 instalments, some paid), the oldest
    approved CZJ one (36 instalments, the longest timeline), the demo talent's rent."""
    from subsidies.models import Entitlement

    def first(rows):
        return rows.values_list("pk", flat=True).first()

    found = {}
    for role in ("rsj_staff", "czj_staff"):
        person = people.get(role)
        if person is None:
            continue
        rows = Entitlement.objects.filter(department_id=person.user.department_id)
        order = "-approved_at" if role == "rsj_staff" else "approved_at"
        found[role] = first(rows.filter(status="approved").order_by(order)) or first(rows)
    if "talent" in people:
        found["talent"] = first(
            Entitlement.objects.filter(talent=people["talent"].user).order_by("-amount_total")
        )
    return found


def subsidies_paths(people: dict, add, period: str, targets: dict) -> list[str]:
    """Add the subsidies' paths through ``add(group, label, persona, url, target)``; return
    the notes on paths left out (a URL that does not exist in this checkout)."""
    listed, skipped = [], []
    target = targets["list"]

    def path(group, label, persona, url, goal=target):
        if persona not in people:
            skipped.append(f"{url} ({persona}): no such persona")
        elif not _exists(url):
            skipped.append(f"{url}: no such URL in this checkout")
        else:
            add(group, label, persona, url, goal)
            listed.append(url)

    found = samples(people)
    api = "entitlements (API)"
    path(api, "RSJ staff, default order", "rsj_staff", "/api/v1/entitlements/")
    path(api, "RSJ staff, ?status=confirmed", "rsj_staff", "/api/v1/entitlements/?status=confirmed")
    path(
        api,
        "RSJ staff, ?status=approved&policy=SETTLE-SS",
        "rsj_staff",
        "/api/v1/entitlements/?status=approved&policy=SETTLE-SS",
    )
    path(api, "RSJ staff, ?page=200", "rsj_staff", "/api/v1/entitlements/?page=200")
    path(api, "CZJ staff, default order", "czj_staff", "/api/v1/entitlements/")
    path(api, "admin, default order", "admin", "/api/v1/entitlements/")
    path(api, "admin, ?status=confirmed", "admin", "/api/v1/entitlements/?status=confirmed")
    path(api, "talent", "talent", "/api/v1/entitlements/")
    for role, label in (("rsj_staff", "RSJ staff, 安家补助"), ("czj_staff", "CZJ staff, RENT-36")):
        if found.get(role):
            path(
                "entitlement detail",
                f"API ({label}) #{found[role]}",
                role,
                f"/api/v1/entitlements/{found[role]}/",
            )
    path("policies (API)", "talent", "talent", "/api/v1/policies/")
    path("我的待遇 (page /benefits/)", "talent", "talent", "/benefits/")
    if found.get("talent"):
        path(
            "entitlement detail",
            f"page /benefits/ (talent) #{found['talent']}",
            "talent",
            f"/benefits/{found['talent']}/",
        )
    desk = "subsidies desk (page /subsidies/desk/)"
    for tab in ("review", "payments", "returned", "failed", "all"):
        path(desk, f"RSJ staff, ?tab={tab}", "rsj_staff", f"/subsidies/desk/?tab={tab}")
    path(
        desk,
        "RSJ staff, ?tab=all&status=approved&policy=SETTLE-SS",
        "rsj_staff",
        "/subsidies/desk/?tab=all&status=approved&policy=SETTLE-SS",
    )
    path(desk, "RSJ staff, ?tab=all&page=200", "rsj_staff", "/subsidies/desk/?tab=all&page=200")
    for tab in ("review", "payments"):
        path(desk, f"CZJ staff, ?tab={tab}", "czj_staff", f"/subsidies/desk/?tab={tab}")
    path(
        desk,
        "CZJ staff, ?tab=payments&page=200",
        "czj_staff",
        "/subsidies/desk/?tab=payments&page=200",
    )
    for role, label in (("rsj_staff", "RSJ staff, 安家补助"), ("czj_staff", "CZJ staff, RENT-36")):
        if found.get(role):
            path(
                "entitlement detail",
                f"page /subsidies/desk/ ({label}) #{found[role]}",
                role,
                f"/subsidies/desk/{found[role]}/",
            )
    manage = "政策兑现 (page /subsidies/)"
    for label, query in (
        ("default order", ""),
        ("?status=confirmed", "?status=confirmed"),
        ("?overdue=review", "?overdue=review"),
        ("?overdue=payment", "?overdue=payment"),
        ("?department=CZJ&status=approved", "?department=CZJ&status=approved"),
        ("?page=200", "?page=200"),
    ):
        path(manage, f"admin, {label}", "admin", f"/subsidies/{query}")
    if found.get("czj_staff"):
        path(
            "entitlement detail",
            f"page /subsidies/ (admin, RENT-36) #{found['czj_staff']}",
            "admin",
            f"/subsidies/{found['czj_staff']}/",
        )
    summary = targets["summary"]
    path(
        "SLA summary, year",
        "admin, group_by=policy",
        "admin",
        f"/api/v1/sla/summary/?{period}&group_by=policy",
        summary,
    )
    path(
        "SLA summary, year",
        "RSJ lead, group_by=policy",
        "rsj_lead",
        f"/api/v1/sla/summary/?{period}&group_by=policy",
        summary,
    )
    path(
        "dashboard page, year",
        "RSJ lead (政策兑现 of one paying department)",
        "rsj_lead",
        f"/manage/dashboard/?{period}",
        targets["dashboard"],
    )
    return skipped
