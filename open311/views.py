"""Open311 GeoReport v2 (API.md "Open311 GeoReport v2"): discovery, the service list and each
service's definition, in JSON and XML, for jurisdiction 511902. These are public, as the
specification has them; the requests endpoints take a partner's key."""

import functools

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from open311 import catalogue, render
from open311 import requests as o311
from open311.keys import partner_for_key
from open311.models import PartnerCall, Scope
from portal import ratelimit
from portal.audit import client_ip


def _jurisdiction_error(request, fmt, source=None):
    given = (source if source is not None else request.GET).get("jurisdiction_id")
    if given not in (None, "", catalogue.JURISDICTION):
        return render.errors(
            fmt,
            404,
            gettext("jurisdiction_id 应为 %(id)s（巴中市巴州区）。")
            % {"id": catalogue.JURISDICTION},
        )
    return None


@require_safe
def discovery(request, fmt: str):
    base = request.build_absolute_uri(reverse("open311:services", args=["json"])).rsplit("/", 1)[0]
    return render.answer(
        fmt,
        "discovery",
        {
            "changeset": "2026-12-06T00:00:00+08:00",
            "contact": getattr(
                settings,
                "OPEN311_CONTACT",
                "中共巴中市巴州区委组织部（区委人才工作领导小组办公室）",
            ),
            "key_service": gettext("API 密钥由组织部人才办登记合作系统时发放。"),
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2026-12-06T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
    )


@require_safe
def services(request, fmt: str):
    wrong = _jurisdiction_error(request, fmt)
    if wrong is not None:
        return wrong
    return render.answer(fmt, "services", [catalogue.service(t) for t in catalogue.active_types()])


@require_safe
def service_definition(request, code: str, fmt: str):
    wrong = _jurisdiction_error(request, fmt)
    if wrong is not None:
        return wrong
    found = catalogue.active_types().filter(code=code).first()
    if found is None:
        return render.errors(fmt, 404, gettext("服务事项不存在或已停止受理。"))
    return render.answer(fmt, "service_definition", catalogue.definition(found))


# --- the requests endpoints: a partner's key ----------------------------------------------


def _keyed(view):
    """The key check of the requests endpoints: ``api_key`` (query for GET, form body for
    POST) → the partner (401 otherwise), its per-minute rate limit (429), scope "file" for
    POST (403); every call with a partner's key is written down (PartnerCall: method, the
    path without its query string, status, address)."""

    @functools.wraps(view)
    def wrapped(request, *args, fmt: str, **kwargs):
        source = request.POST if request.method == "POST" else request.GET
        key = source.get("api_key") or request.GET.get("api_key")
        partner = partner_for_key(key) if key else None
        if partner is None:
            return render.errors(fmt, 401, gettext("缺少有效的 api_key（密钥不存在或已停用）。"))
        if not ratelimit.allow(
            f"open311:{partner.pk}", limit=partner.rate_limit, window_seconds=60
        ):
            response = render.errors(
                fmt,
                429,
                gettext("调用过于频繁：每分钟不超过 %(n)s 次，请稍后再试。")
                % {"n": partner.rate_limit},
            )
        elif request.method == "POST" and partner.scope != Scope.FILE:
            response = render.errors(fmt, 403, gettext("该密钥只能查询，不能提交申请。"))
        else:
            try:
                response = view(request, partner, *args, fmt=fmt, **kwargs)
            except o311.BadQuery as exc:
                response = render.answer(
                    fmt,
                    "errors",
                    [{"code": 400, "description": message} for message in exc.messages],
                    status=400,
                )
        PartnerCall.objects.create(
            partner=partner,
            method=request.method[:8],
            path=request.path[:200],
            status=response.status_code,
            ip=client_ip(request),
        )
        return response

    return wrapped


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_keyed
def service_requests(request, partner, fmt: str):
    if request.method == "POST":
        wrong = _jurisdiction_error(request, fmt, request.POST)
        if wrong is not None:
            return wrong
        filed = o311.file_for_partner(partner, request.POST, ip=client_ip(request))
        return render.answer(fmt, "service_requests", [filed])
    wrong = _jurisdiction_error(request, fmt)
    if wrong is not None:
        return wrong
    return render.answer(fmt, "service_requests", o311.partner_requests(partner, request.GET))


@require_safe
@_keyed
def service_request(request, partner, number: str, fmt: str):
    wrong = _jurisdiction_error(request, fmt)
    if wrong is not None:
        return wrong
    found = o311.partner_request(partner, number)
    if found is None:
        return render.errors(fmt, 404, gettext("服务申请不存在。"))
    return render.answer(fmt, "service_requests", [found])
