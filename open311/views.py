"""Open311 GeoReport v2 (API.md "Open311 GeoReport v2"): discovery, the service list and each
service's definition, in JSON and XML, for jurisdiction 511902. These are public, as the
specification has them; the requests endpoints take a partner's key."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from open311 import catalogue, render


def _jurisdiction_error(request, fmt):
    given = request.GET.get("jurisdiction_id")
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
