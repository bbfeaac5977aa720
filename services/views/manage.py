"""The organization department's pages: every request, filtered, and the handling page
(admins are handlers of every request: transfer, request-info, resolve, reject, assign)."""

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from portal.identity import mask_name
from portal.models import Department
from services.forms import ManageFilterForm
from services.models import ServiceType
from services.views.common import (
    PAGE_SIZE,
    admin_page,
    mark_rows,
    query_without_page,
    visible_requests,
)
from services.views.handling import handling_action, handling_detail


@admin_page
@require_safe
def request_list(request):
    """全部申请: filter by status, service, department, overdue; newest first, or nearest
    deadline first when looking at the overdue ones."""
    now = timezone.now()
    form = ManageFilterForm(
        request.GET,
        service_types=ServiceType.objects.order_by("sort_order", "code"),
        departments=Department.objects.order_by("code"),
    )
    queryset = visible_requests(request.user)
    ordering = ("-submitted_at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["service_type"]:
            queryset = queryset.filter(service_type__code=data["service_type"])
        if data["department"]:
            queryset = queryset.filter(department__code=data["department"])
        if data["overdue"]:
            queryset = queryset.filter(due_at__lte=now)
            ordering = (F("due_at").asc(nulls_last=True), "submitted_at", "id")
    page = Paginator(queryset.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = mark_rows(page.object_list, now)
    for req in rows:
        req.talent_name_masked = mask_name(req.talent.real_name)
    page.object_list = rows
    return render(
        request,
        "services/manage/request_list.html",
        {"form": form, "page": page, "query": query_without_page(request)},
    )


@admin_page
@require_safe
def request_detail(request, number: str):
    return handling_detail(request, number, "manage")


@admin_page
@require_POST
def request_action(request, number: str, action: str):
    return handling_action(request, number, action, "manage")
