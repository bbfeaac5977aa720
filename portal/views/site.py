"""Pages and endpoints for everyone: the home page and the health check."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.health import broker_ok, database_ok


@require_GET
def home(request):
    return render(request, "portal/home.html")


@never_cache
@require_GET
def healthz(request):
    """200 with the state of database and broker; 503 when the database is unreachable.

    A broker outage is reported but is not fatal: requests are still accepted and the work
    waiting for the broker is sent when it is back.
    """
    database = database_ok()
    body = {"database": "ok" if database else "down", "broker": "ok" if broker_ok() else "down"}
    return JsonResponse(body, status=200 if database else 503)
