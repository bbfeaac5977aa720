"""The organization department's instruments (issue 6): the SLA dashboard, the 督办 list and
the working-day calendar, plus the calendar warning banner shown to admins on every page.

Thin callers: every figure comes from services.dashboard, every day from services.calendar,
every action on a request goes through the existing handling actions. A lead sees the same
pages limited to their own department; other roles get a 404.
"""

import datetime
import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.review_clock import review_limits
from cards.views.common import role_page
from portal.audit import client_ip
from portal.errors import DomainError, NotAllowed
from portal.identity import mask_name
from portal.models import Department, Role
from services import charts, dashboard, permissions
from services.calendar import calendar_set_day, year_days
from services.forms import StaffCommentForm, TransferForm
from services.models import DepartmentScope, ServiceRequest, department_scope
from services.views.calendar_recompute import RECOMPUTING, recomputes_context
from services.views.common import PAGE_SIZE, request_for
from services.views.exports import export_buttons
from services.views.handling import allowed_actions, handling_action

logger = logging.getLogger(__name__)
supervisor_page = role_page(Role.ADMIN, Role.LEAD)
calendar_page = role_page(Role.ADMIN, Role.LEAD, Role.STAFF)

PERIOD_ERROR = "日期格式应为 年-月-日（如 2026-03-01），截止日期不能早于起始日期，期间不超过十年。"
WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]
BANNER_SECONDS = 300


def _scope(user) -> DepartmentScope:
    """Which departments the pages cover: those of the user's request lists
    (services.models.department_scope, the rule of ``visible_to``); to someone whose lists
    hold no department's requests the pages do not exist."""
    scope = department_scope(user)
    if scope is None:
        raise Http404
    return scope


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


# --- dashboard ------------------------------------------------------------------------------
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


# --- 督办 list --------------------------------------------------------------------------------
def _back_query(data) -> str:
    """The list's own query (page, escalated) from untrusted input, for coming back to it."""
    query = {}
    if (data.get("page") or "").isdigit():
        query["page"] = data["page"]
    if data.get("escalated") == "1":
        query["escalated"] = "1"
    return urlencode(query)


@supervisor_page
@require_safe
def supervision_list(request):
    """督办清单: open overdue requests, longest overdue first, with the working days overdue
    and the escalation state; admins transfer or comment from here, leads comment."""
    user = request.user
    every_department = _scope(user).every_department
    now = timezone.now()
    escalated_only = request.GET.get("escalated") == "1"
    queryset = ServiceRequest.objects.visible_to(user)
    if escalated_only:
        queryset = queryset.filter(escalate_at__lte=now)
    page = Paginator(dashboard.overdue_requests(queryset, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = dashboard.with_working_days_overdue(page.object_list, now=now)
    departments = None  # read once, when the table first offers a transfer
    action_query = _back_query(
        {
            "page": str(page.number) if page.number > 1 else "",
            "escalated": request.GET.get("escalated"),
        }
    )
    for req in rows:
        req.talent_name_masked = mask_name(req.talent.real_name)
        allowed = allowed_actions(user, req, None)
        prefix = f"r{req.pk}_%s"
        req.transfer_form = None
        # Transfers from this list: what services.permissions allows (the organization
        # department; a lead transfers from the desk).
        if permissions.allowed(user, "supervise_transfer", req):
            if departments is None:
                departments = list(Department.objects.active().order_by("code"))
            req.transfer_form = TransferForm(
                prefix="transfer",
                auto_id=prefix,
                departments=[d for d in departments if d.pk != req.department_id],
            )
        req.comment_form = (
            StaffCommentForm(prefix="comment", auto_id=prefix, initial={"internal": True})
            if allowed["comment"]
            else None
        )
        req.action_urls = {
            action: reverse("services:supervision-action", args=[req.number, action])
            + (f"?{action_query}" if action_query else "")
            for action in ("transfer", "comment")
        }
    page.object_list = rows
    return render(
        request,
        "services/supervision/list.html",
        {
            "page": page,
            "rows": rows,
            "every_department": every_department,
            "escalated_only": escalated_only,
            "query": "escalated=1" if escalated_only else "",
            "detail_url": "services:manage-request"
            if every_department
            else "services:desk-request",
        },
    )


@supervisor_page
@require_POST
def supervision_action(request, number: str, action: str):
    """Transfer (admins: services.permissions ``supervise_transfer``) or comment from the 督办
    list through the request's own handling action (same form, same domain call, same
    messages), then back to the list. A transfer the table refuses is refused with its reason
    on the list. A form with errors shows the request's page with them, as the handling action
    does."""
    if action not in ("transfer", "comment"):
        raise Http404
    every_department = _scope(request.user).every_department
    back = _back_query(request.GET)
    to_list = reverse("services:supervision") + (f"?{back}" if back else "")
    if action == "transfer":
        try:
            permissions.require(request.user, "supervise_transfer", request_for(request, number))
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect(to_list)
    area = "manage" if every_department else "desk"
    response = handling_action(request, number, action, area)
    if response.status_code != 302:
        return response
    return redirect(to_list)


# --- calendar -------------------------------------------------------------------------------
class CalendarDayForm(forms.Form):
    """An admin's correction of one day (services.calendar.calendar_set_day)."""

    date = forms.DateField(
        label="日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "请选择日期。",
            "invalid": "日期格式应为 年-月-日（如 2027-01-01）。",
        },
    )
    is_workday = forms.TypedChoiceField(
        label="这一天是",
        choices=[("1", "工作日"), ("0", "休息日")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择这一天是工作日还是休息日。"},
    )
    note = forms.CharField(
        label="备注（如节日名称、调休上班）", required=False, max_length=100, strip=True
    )


def _runs(days: list[dict], key) -> list[dict]:
    """Consecutive days sharing ``key(day)`` (skipping days where it is falsy)."""
    runs: list[dict] = []
    for day in days:
        value = key(day)
        if not value:
            continue
        last = runs[-1] if runs else None
        if (
            last
            and last["value"] == value
            and last["last"] + datetime.timedelta(days=1) == day["date"]
        ):
            last["last"] = day["date"]
        else:
            runs.append({"value": value, "first": day["date"], "last": day["date"]})
    return runs


def _months(days: list[dict], today: datetime.date) -> list[dict]:
    """Twelve month grids, Monday first, each with its notes (runs of the same note)."""
    months = []
    for month in range(1, 13):
        entries = []
        for day in days:
            if day["date"].month != month:
                continue
            weekend = day["date"].weekday() >= 5
            kind = "workday" if day["is_workday"] else "restday"
            if day["is_workday"] and weekend:
                kind = "makeup"  # 调休上班
            elif not day["is_workday"] and not weekend:
                kind = "holiday"
            entries.append({**day, "kind": kind, "today": day["date"] == today})
        cells = [None] * entries[0]["date"].weekday() + entries
        cells += [None] * (-len(cells) % 7)
        months.append(
            {
                "number": month,
                "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
                "notes": _runs(entries, lambda d: d["note"]),
                "unverified": sum(not d["verified"] for d in entries),
            }
        )
    return months


def _year(value, today: datetime.date) -> tuple[int, str]:
    if value in (None, ""):
        return today.year, ""
    if value.isdigit() and 1949 <= int(value) <= 2200:
        return int(value), ""
    return today.year, "年份应为 1949–2200 之间的四位数字，已显示今年。"


@calendar_page
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_view(request):
    """工作日历: the year's working and rest days, unverified ranges marked; admins correct
    a day here (calendar_set_day schedules the recomputation of open deadlines, whose progress
    this page shows)."""
    admin = request.user.role == Role.ADMIN
    today = timezone.localdate()
    form = CalendarDayForm(initial={"is_workday": "1"}) if admin else None
    if request.method == "POST":
        if not admin:
            raise Http404
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            entry = calendar_set_day(
                day=data["date"],
                is_workday=data["is_workday"],
                note=data["note"],
                actor=request.user,
                ip=client_ip(request),
            )
            _forget_banner(today)
            kind = "工作日" if entry.is_workday else "休息日"
            note = f"（{entry.note}）" if entry.note else ""
            messages.success(
                request,
                f"已将 {entry.date:%Y-%m-%d} 设为{kind}{note}，{RECOMPUTING}",
            )
            return redirect(f"{reverse('services:calendar')}?year={entry.date.year}")
        # Shown again with its errors: 200, as the portal's other forms (a 4xx document
        # makes browsers log a console error).
    year, error = _year(request.GET.get("year"), today)
    days = year_days(year)
    unverified = _runs(days, lambda d: not d["verified"])
    return render(
        request,
        "services/supervision/calendar.html",
        {
            "year": year,
            "error": error,
            "months": _months(days, today),
            "weekdays": WEEKDAYS,
            "unverified": unverified,
            "unverified_days": sum(not d["verified"] for d in days),
            "form": form,
            "is_admin": admin,
            "recomputes": recomputes_context(),
        },
    )


# --- banner ---------------------------------------------------------------------------------
def _banner_key(today: datetime.date) -> str:
    return f"services:calendar-unverified-soon:{today:%Y-%m-%d}"


# The cache (Redis in production) only saves a query: when it is unreachable the banner is
# computed afresh, and no page fails because of it.
def _cached_dates(today: datetime.date):
    try:
        return cache.get(_banner_key(today))
    except Exception:
        logger.warning("cache unavailable; calendar banner computed without it", exc_info=True)
        return None


def _remember(today: datetime.date, dates) -> None:
    try:
        cache.set(_banner_key(today), dates, BANNER_SECONDS)
    except Exception:
        logger.warning("cache unavailable; calendar banner not cached")


def _forget_banner(today: datetime.date) -> None:
    try:
        cache.delete(_banner_key(today))
    except Exception:
        logger.warning("cache unavailable; calendar banner expires by itself")


def calendar_banner(request) -> list[tuple[str, str, str]]:
    """For admins, while any of the next 90 days has no calendar row (DESIGN.md "Working days
    and SLA clocks"): deadlines there are counted Monday–Friday until the notice is loaded.
    One query, cached for a few minutes (a correction on the calendar page clears it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role != Role.ADMIN:
        return []
    today = timezone.localdate()
    dates = _cached_dates(today)
    if dates is None:
        dates = dashboard.unverified_soon(today=today)
        _remember(today, dates)
    if not dates:
        return []
    text = (
        f"工作日历待核实：未来90天内有 {len(dates)} 天（自 {dates[0]:%Y-%m-%d} 起）尚未载入"
        "国务院放假安排，办理期限暂按周一至周五推算。请及时导入或逐日核对。"
    )
    return [("warning", text, f"{reverse('services:calendar')}?year={dates[0].year}")]
