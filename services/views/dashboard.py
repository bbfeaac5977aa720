"""督查看板 (issue 6): the period's headline figures, a table per department and per service
type, the 12-week trend and the distribution of resolve times, for the organization department
(every department) and a lead (their own: services.dashboard.figures_department, the request
lists' department scope), and the sections the layers above register (政策兑现, issue 15:
services.dashboard_sections). Thin caller: every figure comes from services.dashboard or from
a section's own module."""

import datetime
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from cards.review_clock import review_limits
from portal.errors import NotAllowed
from services import charts, dashboard, dashboard_sections
from services.views.common import supervisor_page
from services.views.exports import export_buttons

PERIOD_ERROR = "日期格式应为 年-月-日（如 2026-03-01），截止日期不能早于起始日期，期间不超过十年。"


def _figures_department(user):
    """The department the dashboard's figures are limited to (None: every department), the
    same as the API's (services.dashboard.figures_department)."""
    try:
        return dashboard.figures_department(user)
    except NotAllowed:
        raise Http404 from None


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _hours(value, unit: str) -> str:
    return "—" if value is None else f"{value:g} {unit}"


class _Links:
    """Where each figure leads: the request list (admins: all; leads: their department) with
    the filters that select exactly the requests the figure counted (services.views.manage
    apply_figure_filters, services.dashboard for the definitions)."""

    def __init__(self, period: dashboard.Period):
        self.requests = reverse("services:manage")
        self.period = period

    def _list(self, **query) -> str:
        return f"{self.requests}?{urlencode(query)}"

    def _in(self, field: str) -> dict:
        return {f"{field}_from": self.period.first, f"{field}_to": self.period.last}

    def headline(self) -> dict:
        return {
            "filed": self._list(**self._in("filed")),
            "resolved": self._list(**self._in("resolved")),
            "resolved_on_time": self._list(**self._in("resolved"), on_time=1),
            "open": self._list(open=1, filed_to=self.period.last),
            "open_overdue": self._list(overdue=1, filed_to=self.period.last),
            "escalated": self._list(escalated=1, filed_to=self.period.last),
            "bad_ratings": self._list(**self._in("rated"), bad_rating=1),
            "followups_open": self._list(followup="open"),
            "followups_overdue": self._list(followup="overdue"),
        }

    def row(self, group_by: str, key: str) -> dict:
        group = {group_by: key}
        if group_by == "department":
            total = self._list(held_by=key, **self._in("received"))
        else:
            total = self._list(**group, **self._in("filed"))
        return {
            "total": total,
            "resolved": self._list(**group, **self._in("resolved")),
            "resolved_on_time": self._list(**group, **self._in("resolved"), on_time=1),
            "open": self._list(**group, open=1, filed_to=self.period.last),
            "open_overdue": self._list(**group, overdue=1, filed_to=self.period.last),
            "bad_ratings": self._list(**group, **self._in("rated"), bad_rating=1),
            "followups_open": self._list(**group, followup="open"),
            "followups_overdue": self._list(**group, followup="overdue"),
        }


def _table(rows: list[dict], group_by: str, links: _Links) -> list[dict]:
    return [
        {
            **row,
            "rate_text": _percent(row["on_time_rate"]),
            "accept_text": _hours(row["avg_accept_hours"], "小时"),
            "resolve_text": _hours(row["avg_resolve_working_days"], "个工作日"),
            "hold_text": _hours(row.get("avg_hold_hours"), "小时"),
            "links": links.row(group_by, row["key"]),
        }
        for row in rows
    ]


def _quick_periods(today: datetime.date) -> list[dict]:
    ranges = [
        ("本月", today.replace(day=1), today),
        ("近30天", today - datetime.timedelta(days=29), today),
        ("本年", today.replace(month=1, day=1), today),
    ]
    return [
        {"label": label, "query": urlencode({"from": first, "to": last}), "first": first}
        for label, first, last in ranges
    ]


@supervisor_page
@require_safe
def dashboard_page(request):
    """督查看板: the period's headline figures, a table per department and per service type,
    the 12-week trend and the distribution of resolve times."""
    department = _figures_department(request.user)
    today, now = timezone.localdate(), timezone.now()
    error = ""
    try:
        period = dashboard.Period.parse(
            request.GET.get("from") or None, request.GET.get("to") or None, today=today
        )
    except ValueError:
        error, period = PERIOD_ERROR, dashboard.Period.parse(None, None, today=today)
    links = _Links(period)
    # One scan of the open rows for the headline and both tables.
    open_rows = dashboard.backlog(period, now, department)
    figures = dashboard.headline(period, department=department, now=now, open_rows=open_rows)
    # Card reviews are the organization department's own work: shown to admins only.
    reviews = dashboard.card_reviews(period, now=now) if department is None else None
    trend = dashboard.weekly_trend(department=department, now=now)
    distribution = dashboard.resolve_time_distribution(period, department=department)
    period_query = urlencode({"from": period.first, "to": period.last})
    context = {
        "period": period,
        "error": error,
        "scope": department,
        "is_admin": department is None,
        "quick": _quick_periods(today),
        "figures": figures,
        "rate_text": _percent(figures["on_time_rate"]),
        "links": links.headline(),
        "card_reviews": reviews,
        "card_reviews_rate": _percent(reviews["on_time_rate"]) if reviews else "",
        "review_limits": review_limits() if reviews else {},
        "by_department": _table(
            dashboard.summary(
                period, "department", department=department, now=now, open_rows=open_rows
            ),
            "department",
            links,
        ),
        "by_service_type": _table(
            dashboard.summary(
                period, "service_type", department=department, now=now, open_rows=open_rows
            ),
            "service_type",
            links,
        ),
        "trend": [{**w, "rate_text": _percent(w["on_time_rate"])} for w in trend],
        "trend_svg": charts.trend_chart(trend),
        "distribution": distribution,
        "distribution_svg": charts.distribution_chart(distribution),
        # What the layers above add (政策兑现 …), each deciding what this user sees.
        "sections": dashboard_sections.sections(request.user, period, now),
        # Background exports with a progress bar (services.views.exports); the direct
        # downloads stay for short periods.
        "export_buttons": export_buttons(),
        "export": {
            fmt: f"{reverse('api-sla-export')}?{period_query}&{query}"
            for fmt, query in (
                ("xlsx", "format=xlsx"),
                ("csv", "format=csv&kind=requests"),
                ("csv_summary", "format=csv&kind=summary"),
            )
        },
    }
    return render(request, "services/supervision/dashboard.html", context)
