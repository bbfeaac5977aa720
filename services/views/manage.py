"""The organization department's pages: every request, filtered, and the handling page
(admins are handlers of every request: transfer, request-info, resolve, reject, assign)."""

from django.db.models import F, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from portal.identity import mask_name
from portal.models import Department, Role
from portal.paging import CountedPaginator
from services import dashboard
from services.forms import ManageFilterForm
from services.models import OPEN_STATUSES, DepartmentStint, FollowUp, Rating, ServiceType
from services.search import request_search
from services.views.common import (
    PAGE_SIZE,
    admin_page,
    mark_rows,
    query_without_page,
    role_page,
    visible_requests,
)
from services.views.handling import handling_action, handling_detail

# The full list with the dashboard's filters: admins (everything), leads (their department).
supervisor_list = role_page(Role.ADMIN, Role.LEAD)


def _period_q(field: str, first, last) -> Q:
    """Whole days in Asia/Shanghai, as the dashboard counts them."""
    q = Q()
    if first:
        q &= Q(**{f"{field}__gte": dashboard.Period(first, first).start})
    if last:
        q &= Q(**{f"{field}__lt": dashboard.Period(last, last).end})
    return q


def apply_figure_filters(queryset, data: dict, now):
    """The filters the dashboard's figures link with: each selects what a figure counted."""
    if data.get("open"):
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if data.get("escalated"):
        queryset = queryset.filter(status__in=OPEN_STATUSES, escalate_at__lte=now)
    if data.get("on_time"):
        queryset = queryset.filter(resolved_on_time=True)
    queryset = queryset.filter(
        _period_q("submitted_at", data.get("filed_from"), data.get("filed_to"))
    )
    queryset = queryset.filter(
        _period_q("resolved_at", data.get("resolved_from"), data.get("resolved_to"))
    )
    if data.get("received_from") or data.get("received_to") or data.get("held_by"):
        stints = DepartmentStint.objects.filter(
            _period_q("entered_at", data.get("received_from"), data.get("received_to"))
        )
        if data.get("held_by"):
            stints = stints.filter(department__code=data["held_by"].upper())
        queryset = queryset.filter(pk__in=stints.values("request_id"))
    if data.get("bad_rating") or data.get("rated_from") or data.get("rated_to"):
        ratings = Rating.objects.filter(
            _period_q("created_at", data.get("rated_from"), data.get("rated_to"))
        )
        if data.get("bad_rating"):
            ratings = ratings.filter(score__lte=dashboard.BAD_SCORE)
        queryset = queryset.filter(pk__in=ratings.values("request_id"))
    if data.get("followup"):
        followups = FollowUp.objects.filter(closed_at__isnull=True)
        if data["followup"] == "overdue":
            followups = followups.filter(due_at__lte=now)
        queryset = queryset.filter(pk__in=followups.values("request_id"))
    return queryset


@supervisor_list
@require_safe
def request_list(request):
    """全部申请: search (services.search, as the API), filter by status, service, department,
    overdue, and by the filters the dashboard's figures link with; newest first, or nearest
    deadline first for overdue ones.
    Leads see their own department's requests (visible_to) and open them on their desk."""
    now = timezone.now()
    form = ManageFilterForm(
        request.GET,
        service_types=ServiceType.objects.order_by("sort_order", "code"),
        departments=Department.objects.order_by("code"),
    )
    queryset = visible_requests(request.user)
    ordering = ("-submitted_at", "-id")
    filtered = any(value for name, value in request.GET.items() if name != "page")
    if form.is_valid():
        data = form.cleaned_data
        queryset = request_search(queryset, data["q"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["service_type"]:
            queryset = queryset.filter(service_type__code=data["service_type"])
        if data["department"]:
            queryset = queryset.filter(department__code=data["department"])
        if data["overdue"]:
            queryset = queryset.filter(due_at__lte=now)
            ordering = (F("due_at").asc(nulls_last=True), "submitted_at", "id")
        queryset = apply_figure_filters(queryset, data, now)
    # Unfiltered, the count is the rollups' (never a count of a million rows); filtered, it is
    # counted up to a cap (portal.paging).
    count = None if filtered else dashboard.visible_count(request.user)
    page = CountedPaginator(queryset.order_by(*ordering), PAGE_SIZE, count=count).get_page(
        request.GET.get("page")
    )
    rows = mark_rows(page.object_list, now)
    for req in rows:
        req.talent_name_masked = mask_name(req.talent.real_name)
    page.object_list = rows
    detail = (
        "services:manage-request" if request.user.role == Role.ADMIN else "services:desk-request"
    )
    return render(
        request,
        "services/manage/request_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "detail_url": detail,
            "figure_filters": form.describe(),
        },
    )


@admin_page
@require_safe
def request_detail(request, number: str):
    return handling_detail(request, number, "manage")


@admin_page
@require_POST
def request_action(request, number: str, action: str):
    return handling_action(request, number, action, "manage")
