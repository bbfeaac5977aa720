"""Pages and endpoints for everyone: the home page and the health check."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import page_not_found, server_error
from django.views.i18n import set_language as django_set_language

from portal import health
from portal import home as home_sections
from portal.i18n import CODES


@require_GET
def home(request):
    """首页: what the card is, how to get it, and what higher layers list (the catalogue's
    active services, each linking to its 办事指南: portal.home)."""
    return render(request, "portal/home.html", {"sections": home_sections.sections(request)})


@require_POST
def set_language(request):
    """The language switch on every page: ``language`` (zh-hans or en) and ``next`` (a page
    of this site; anything else goes back to the referring page or home). Django's own view
    keeps the choice in the language cookie; a signed-in person's choice is also saved on the
    account, so that e-mails, SMS and inbox texts follow it. Not audited: a display preference,
    not access to anyone's data."""
    language = request.POST.get("language")
    if language not in CODES:
        return HttpResponseBadRequest("language: zh-hans | en")
    response = django_set_language(request)
    user = request.user
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


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
