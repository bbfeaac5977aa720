"""工作日历 (issue 6): the year's working and rest days, unverified ranges marked, for the
organization department, leads and staff; admins correct a day here
(services.calendar.calendar_set_day, which schedules the recomputation of open deadlines whose
progress the page shows). Larger upkeep (a CSV import, one day's page) is
services.views.calendar_upkeep."""

import datetime

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.audit import client_ip
from portal.form_messages import PlainForm
from portal.models import Role
from portal.pages import role_page
from services.calendar import calendar_set_day, year_days
from services.views.calendar_banner import forget_banner
from services.views.calendar_recompute import RECOMPUTING, recomputes_context

calendar_page = role_page(Role.ADMIN, Role.LEAD, Role.STAFF)
WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


class CalendarDayForm(PlainForm):
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
            forget_banner(today)
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
