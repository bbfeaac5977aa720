"""GET /subsidies/export/ (``subsidies:export``): the finance export of instalments, a page
URL (session login) linked from the 督查看板's 政策兑现 section and from the paying
department's desk: ``?from=&to=`` (the month so far by default), ``format=csv|xlsx`` and, for
the organization department, ``department=CODE``."""

from django.http import Http404, HttpResponseBadRequest
from django.urls import path
from django.views.decorators.http import require_safe

from portal.audit import client_ip
from portal.errors import NotAllowed
from portal.models import Department, Role
from portal.pages import role_page
from services.dashboard import Period
from subsidies.exports import FORMATS, export_scope, instalments_export, pays
from subsidies.figures import scope_for

PERIOD_ERROR = "日期格式应为 年-月-日（如 2026-03-01），截止日期不能早于起始日期，期间不超过十年。"


@role_page(Role.ADMIN, Role.STAFF, Role.LEAD)
@require_safe
def export(request):
    """The period's instalments of the caller's departments as CSV or XLSX (masked)."""
    try:
        scope = scope_for(request.user)
    except NotAllowed:
        raise Http404 from None  # staff without a department: the page does not exist
    if not pays(scope):
        raise Http404  # a department that pays no policy has nothing to export
    try:
        period = Period.parse(request.GET.get("from") or None, request.GET.get("to") or None)
    except ValueError:
        return HttpResponseBadRequest(PERIOD_ERROR, content_type="text/plain; charset=utf-8")
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(
            "format 可选 csv、xlsx。", content_type="text/plain; charset=utf-8"
        )
    try:
        scope = export_scope(scope, request.GET.get("department"))
    except Department.DoesNotExist:
        return HttpResponseBadRequest("没有这个部门。", content_type="text/plain; charset=utf-8")
    return instalments_export(
        user=request.user, period=period, scope=scope, fmt=fmt, ip=client_ip(request)
    )


urlpatterns = [
    path("subsidies/export/", export, name="export"),
]
