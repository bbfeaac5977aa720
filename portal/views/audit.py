"""The auditor's audit-log page."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from portal.api.audit import AuditEventFilter
from portal.models import AuditEvent, Role


def audit_list(request):
    # Not an auditor: the page does not exist for you (404, like every invisible object).
    if not request.user.is_authenticated or request.user.role != Role.AUDITOR:
        raise Http404
    events = AuditEventFilter(request.GET, queryset=AuditEvent.objects.visible_to(request.user))
    page = Paginator(events.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/audit_list.html",
        {"page": page, "filters": request.GET, "query": query.urlencode()},
    )
