"""政策兑现 figures for the 督查看板 and GET /api/v1/sla/summary/?group_by=policy (issue 15
point 5): per policy and per paying department, by SQL aggregates grouped on indexed columns,
a fixed number of queries whatever the number of rows. Definitions, for a period [first, last]
(whole days in Asia/Shanghai) and the instant ``now``:

- ``committed_amount``: the instalments scheduled for approved entitlements, not stopped
  (instalments exist from the approval; a suspension stops the unpaid ones, the paid ones stay
  committed: they were paid). Current, not limited to the period.
- ``paid_amount`` / ``paid_instalments`` / ``paid_on_time``: paid in the period (and of those,
  by 24:00 of the due day); ``paid_amount_total``: paid ever.
- ``overdue_amount`` / ``overdue_instalments``: owed now (scheduled or due) past the deadline.
- ``on_time_rate = paid_on_time / (paid_instalments + overdue_instalments)``: as for requests,
  the overdue backlog counts against the rate; None when the divisor is 0.
- ``entitlements``: how many entitlements are in each status now; ``review_overdue``: those
  waiting for the paying department's review past its deadline.

Who reads which: the organization department every department; a lead (or staff, for the
exports) their own department's, when it pays a policy; anyone else nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse

from portal.errors import NotAllowed
from portal.identity import mask_name
from portal.models import Department, Role
from services.dashboard import Period, with_working_days_overdue
from subsidies.models import (
    Entitlement,
    EntitlementStatus,
    Instalment,
    PaidDay,
    Policy,
)
from subsidies.models.entitlements import OWED

# The overdue payments listed on the dashboard (oldest first); the count says how many more.
OVERDUE_LIST_CAP = 50
ZERO = Decimal("0.00")
STATUSES = [status for status, _label in EntitlementStatus.choices]


@dataclass(frozen=True)
class Scope:
    """Every paying department (``department`` None) or one."""

    department: Department | None = None

    def filter(self, queryset):
        if self.department is None:
            return queryset
        return queryset.filter(department=self.department)


def scope_for(user) -> Scope:
    """The departments whose figures ``user`` reads (NotAllowed for anyone without one)."""
    if not (user.is_authenticated and user.is_active):
        raise NotAllowed("政策兑现数据仅组织部人才办和兑现部门人员可见。")
    if user.role == Role.ADMIN:
        return Scope()
    if user.role in (Role.STAFF, Role.LEAD) and user.department_id:
        return Scope(user.department)
    raise NotAllowed("政策兑现数据仅组织部人才办和兑现部门人员可见。")


def _rate(on_time: int, paid: int, overdue: int):
    divisor = paid + overdue
    return round(on_time / divisor, 4) if divisor else None


def _empty() -> dict:
    return {
        "committed_amount": ZERO,
        "paid_amount": ZERO,
        "paid_amount_total": ZERO,
        "paid_instalments": 0,
        "paid_on_time": 0,
        "overdue_amount": ZERO,
        "overdue_instalments": 0,
        "entitlements": dict.fromkeys(STATUSES, 0),
        "review_overdue": 0,
    }


def _add(total: dict, cell: dict) -> None:
    for name, value in cell.items():
        if name == "entitlements":
            for status, n in value.items():
                total[name][status] += n
        else:
            total[name] += value


def _finish(row: dict) -> dict:
    row["on_time_rate"] = _rate(
        row["paid_on_time"], row["paid_instalments"], row["overdue_instalments"]
    )
    row["entitlements"]["total"] = sum(row["entitlements"][s] for s in STATUSES)
    return row


def _cells(period: Period, now, scope: Scope) -> dict:
    """The figures per (policy, paying department), in three grouped queries that never add
    up the whole history of instalments (subsidies.rollups):

    - the entitlements by status, with their committed and paid amounts (columns the
      transitions keep; index entitlement_policy_idx: policy, status);
    - the period's payments from the daily cells (PaidDay);
    - the owed instalments past their deadline (partial index instalment_owed_due_idx)."""
    entitlements = (
        scope.filter(Entitlement.objects.order_by())
        .values("policy", "department", "status")
        .annotate(
            n=Count("id"),
            committed=Sum("committed_amount"),
            paid_total=Sum("paid_amount"),
            review_overdue=Count(
                "id", filter=Q(status=EntitlementStatus.CONFIRMED, review_due_at__lte=now)
            ),
        )
    )
    days = (
        scope.filter(PaidDay.objects.order_by())
        .filter(day__gte=period.first, day__lte=period.last)
        .values("policy", "department")
        .annotate(amount=Sum("amount"), paid=Sum("paid"), on_time=Sum("on_time"))
    )
    overdue = (
        scope.filter(Instalment.objects.order_by())
        .filter(status__in=OWED, due_at__lte=now)
        .values("policy", "department")
        .annotate(amount=Sum("amount"), n=Count("id"))
    )
    cells: dict = {}
    for row in entitlements:
        cell = cells.setdefault((row["policy"], row["department"]), _empty())
        if row["status"] in cell["entitlements"]:
            cell["entitlements"][row["status"]] += row["n"]
        cell["committed_amount"] += row["committed"] or ZERO
        cell["paid_amount_total"] += row["paid_total"] or ZERO
        cell["review_overdue"] += row["review_overdue"]
    for row in days:
        cell = cells.setdefault((row["policy"], row["department"]), _empty())
        cell["paid_amount"] = row["amount"] or ZERO
        cell["paid_instalments"] = row["paid"] or 0
        cell["paid_on_time"] = row["on_time"] or 0
    for row in overdue:
        cell = cells.setdefault((row["policy"], row["department"]), _empty())
        cell["overdue_amount"] = row["amount"] or ZERO
        cell["overdue_instalments"] = row["n"]
    return cells


def _department(department) -> dict:
    return {"code": department.code, "name": department.name}


def summary(period: Period, now, scope: Scope) -> dict:
    """``{"by_policy": [...], "by_department": [...], "totals": {...}}``: every policy of the
    scope (those with nothing yet too, so a new policy shows), every department that pays one
    or has entitlements; four queries."""
    policies = list(scope.filter(Policy.objects.select_related("department")).order_by("code"))
    cells = _cells(period, now, scope)
    # A policy moved to another department keeps its earlier entitlements under the old one.
    department_ids = {d for _, d in cells} | {p.department_id for p in policies}
    departments = {d.pk: d for d in Department.objects.filter(pk__in=department_ids)}
    by_policy = {p.pk: {**_empty(), "policy": p} for p in policies}
    by_department = {pk: {**_empty(), "department": d} for pk, d in departments.items()}
    totals = _empty()
    for (policy_id, department_id), cell in cells.items():
        if policy_id in by_policy:
            _add(by_policy[policy_id], cell)
        if department_id in by_department:
            _add(by_department[department_id], cell)
        _add(totals, cell)
    policy_rows = []
    for row in by_policy.values():
        policy = row.pop("policy")
        policy_rows.append(
            _finish(
                {
                    "key": policy.code,
                    "name": policy.name,
                    "policy_ref": policy.policy_ref,
                    "active": policy.is_active,
                    "department": _department(policy.department),
                    **row,
                }
            )
        )
    department_rows = []
    for row in sorted(by_department.values(), key=lambda r: r["department"].code):
        department = row.pop("department")
        department_rows.append(_finish({"key": department.code, "name": department.name, **row}))
    return {"by_policy": policy_rows, "by_department": department_rows, "totals": _finish(totals)}


def policy_rows(user, period: Period, now) -> list[dict]:
    """GET /api/v1/sla/summary/?group_by=policy: one row per policy of ``user``'s scope."""
    return summary(period, now, scope_for(user))["by_policy"]


def overdue_payments(scope: Scope, now, user, limit: int = OVERDUE_LIST_CAP) -> list[dict]:
    """The oldest overdue payments (owed past their deadline: index instalment_owed_due_idx),
    with the working days overdue (one calendar query for the page), the talent's name
    masked and where ``user`` handles the entitlement."""
    rows = list(
        scope.filter(Instalment.objects.filter(status__in=OWED, due_at__lte=now))
        .select_related("entitlement__talent", "policy", "department")
        .order_by("due_at", "pk")[:limit]
    )
    with_working_days_overdue(rows, now=now)
    page = (
        "subsidies:manage-entitlement" if user.role == Role.ADMIN else "subsidies:desk-entitlement"
    )
    return [
        {
            "entitlement": inst.entitlement_id,
            "label": inst.entitlement.label,
            "link": reverse(page, args=[inst.entitlement_id]),
            "talent": mask_name(inst.entitlement.talent.real_name),
            "policy": inst.policy.name,
            "department": inst.department.name,
            "n": inst.n,
            "amount": inst.amount,
            "due_on": inst.due_on,
            "working_days_overdue": inst.working_days_overdue,
            "escalated": inst.escalated,
        }
        for inst in rows
    ]


# --- the 督查看板's 政策兑现 section (services.dashboard_sections) ------------------------------
def money(amount) -> str:
    """``322000`` → ``322,000.00`` (元)."""
    return f"{amount or ZERO:,.2f}"


def money_wan(amount) -> str:
    """``322000`` → ``32.20`` (万元: how the headline figures read, as budgets are written)."""
    return f"{(amount or ZERO) / 10000:,.2f}"


def percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _shown(row: dict) -> dict:
    """A row with its amounts and rate written for the page."""
    return {
        **row,
        "committed_text": money(row["committed_amount"]),
        "paid_text": money(row["paid_amount"]),
        "paid_total_text": money(row["paid_amount_total"]),
        "overdue_amount_text": money(row["overdue_amount"]),
        "committed_wan": money_wan(row["committed_amount"]),
        "paid_wan": money_wan(row["paid_amount"]),
        "paid_total_wan": money_wan(row["paid_amount_total"]),
        "overdue_wan": money_wan(row["overdue_amount"]),
        "rate_text": percent(row["on_time_rate"]),
        "status_counts": [row["entitlements"][status] for status in STATUSES],
    }


def dashboard_section(user, period: Period, now) -> dict | None:
    """The 政策兑现 section: the organization department sees every department; a lead their
    own department's when it pays a policy (or has entitlements), else nothing (None)."""
    try:
        scope = scope_for(user)
    except NotAllowed:
        return None
    figures = summary(period, now, scope)
    totals = figures["totals"]
    pays = figures["by_policy"] or totals["entitlements"]["total"]
    if scope.department is not None and not pays:
        return None
    overdue = overdue_payments(scope, now, user)
    for row in overdue:
        row["amount_text"] = money(row["amount"])
    query = f"from={period.first:%Y-%m-%d}&to={period.last:%Y-%m-%d}"
    export = reverse("subsidies:export")
    return {
        "template": "subsidies/supervision/section.html",
        "context": {
            "scope": scope.department,
            "totals": _shown(totals),
            "by_policy": [_shown(row) for row in figures["by_policy"]],
            "by_department": [_shown(row) for row in figures["by_department"]],
            "statuses": EntitlementStatus.choices,
            "overdue": overdue,
            "overdue_more": max(totals["overdue_instalments"] - len(overdue), 0),
            "export_csv": f"{export}?{query}&format=csv",
            "export_xlsx": f"{export}?{query}&format=xlsx",
        },
    }
