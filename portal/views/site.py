"""Pages and endpoints for everyone: the home page and the health check."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found, server_error

from portal import health
from portal import home as home_sections


@require_GET
def home(request):
    """首页: what the card is, how to get it, and what higher layers list (the catalogue's
    active services, each linking to its 办事指南: portal.home)."""
    return render(request, "portal/home.html", {"sections": home_sections.sections(request)})


@never_cache
@require_GET
def healthz(request):
    """200 with the state of database and broker ("ok", "down" or "timeout"); 503 when the
    database is not "ok". Answers within about 2.5 s whatever either does (portal.health).

    A broker outage is reported but is not fatal: requests are still accepted and the work
    waiting for the broker is sent when it is back.
    """
    body = health.states()
    return JsonResponse(body, status=200 if body["database"] == health.OK else 503)


def not_found(request, exception=None):
    """404: JSON under /api/ (API clients parse it), the Chinese page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "未找到。"}, status=404)
    return page_not_found(request, exception)


def server_failure(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "服务器内部错误，请稍后重试。"}, status=500)
    return server_error(request)
