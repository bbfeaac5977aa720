"""The auditor's audit-log page and its CSV export."""

from itertools import islice

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.api.audit import AuditEventFilter
from portal.audit import AuditLogAction, action_groups, audit_record, client_ip
from portal.auditlog import label_events
from portal.models import AuditEvent, Role
from portal.streaming import csv_response

PAGE_SIZE = 50
EXPORT_BATCH = 500
FILTER_KEYS = ("actor", "action", "from", "to")
EXPORT_COLUMNS = [
    "时间",
    "操作人",
    "事件",
    "事件代码",
    "对象",
    "对象类型",
    "对象标识",
    "IP 地址",
    "详情",
]


def _auditor_events(request) -> AuditEventFilter:
    # Not an auditor: the page does not exist for you (404, like every invisible object).
    if not request.user.is_authenticated or request.user.role != Role.AUDITOR:
        raise Http404
    return AuditEventFilter(request.GET, queryset=AuditEvent.objects.visible_to(request.user))


def _filters(request) -> dict[str, str]:
    return {key: request.GET[key] for key in FILTER_KEYS if request.GET.get(key)}


@require_GET
def audit_list(request):
    events = _auditor_events(request)
    page = Paginator(events.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = label_events(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/audit_list.html",
        {
            "page": page,
            "filters": request.GET,
            "errors": events.errors,
            "groups": action_groups(),
            "query": query.urlencode(),
        },
    )


def _rows(queryset):
    """Export rows, labelled a batch at a time (one query per object type per batch)."""
    events = queryset.iterator(chunk_size=EXPORT_BATCH)
    while batch := list(islice(events, EXPORT_BATCH)):
        for e in label_events(batch):
            yield [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_username,
                e.action_label,
                e.action,
                e.object_label,
                e.object_type,
                e.object_id,
                e.ip or "",
                e.detail_text,
            ]


@require_GET
def audit_export(request):
    """The filtered log as CSV (UTF-8 with BOM, for Excel), streamed row by row. The export
    itself is an audit event, written before the first byte leaves."""
    events = _auditor_events(request)
    if events.errors:
        # The page shows what is wrong with the filters and offers no export link then.
        return HttpResponseBadRequest(
            "筛选条件有误，请返回审计日志页面修改后再导出。",
            content_type="text/plain; charset=utf-8",
        )
    with transaction.atomic():
        audit_record(
            action=AuditLogAction.EXPORT,
            actor=request.user,
            ip=client_ip(request),
            filters=_filters(request),
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return csv_response(f"audit-{stamp}.csv", EXPORT_COLUMNS, _rows(events.qs))
