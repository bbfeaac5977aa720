"""The public catalogue: what the green channel offers, and each service's 办事指南."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, pgettext
from django.views.decorators.http import require_safe

from cards.models import Tier
from portal.home import HomeItem
from portal.localized import localized, localized_choices
from services.models import Datatype, Sensitivity, ServiceType
from services.permissions import allowed

SENSITIVITY_NOTICES = {
    Sensitivity.MEDICAL: gettext_lazy(
        "本事项涉及医疗健康等敏感个人信息。依据《个人信息保护法》第二十九条，提交前须由您本人单独同意；"
        "表单内容仅您本人和承办部门可见。"
    ),
    Sensitivity.MINOR: gettext_lazy(
        "本事项涉及未成年人个人信息。依据《个人信息保护法》第三十一条，须由监护人同意后提交；"
        "表单内容仅您本人和承办部门可见。"
    ),
}


def tiers_text(tiers: str) -> str:
    """``ABC`` → ``A、B、C类人才`` (``Tier A, B, C talents``)."""
    return gettext("%(tiers)s类人才") % {"tiers": pgettext("list separator", "、").join(tiers)}


def _limits(service: ServiceType) -> dict:
    return {
        "accept": service.accept_days,
        "promised": service.promised_days,
        "legal": service.legal_days,
    }


def materials(service: ServiceType) -> list[dict]:
    """The one-time notice (一次告知): every material once, required if any entry says so."""
    listed: dict[str, bool] = {}
    for material in service.materials or []:
        # In the page's language (the English name where the type has one).
        name = str(localized(material, "name")).strip()
        if name:
            listed[name] = listed.get(name, False) or bool(material.get("required", True))
    return [{"name": name, "required": required} for name, required in listed.items()]


def fields(service: ServiceType) -> list[dict]:
    kinds = dict(Datatype.choices)
    return [
        {
            "label": localized(f, "label"),
            "kind": kinds.get(f["datatype"], f["datatype"]),
            "required": bool(f.get("required")),
            "values": [label for _value, label in localized_choices(f)],
        }
        for f in service.fields
    ]


def home_items(request) -> list[HomeItem]:
    """The home page's 绿色通道服务: every active service, each linking to its 办事指南
    (registered with portal.home in ServicesConfig.ready; one query)."""
    return [
        HomeItem(
            localized(service, "name"),
            gettext("%(department)s承办 · %(tiers)s · 承诺受理后 %(days)s 个工作日内办结")
            % {
                "department": localized(service.department, "name"),
                "tiers": tiers_text(service.eligible_tiers),
                "days": service.promised_days,
            },
            reverse("services:guide", args=[service.code]),
        )
        for service in ServiceType.objects.active().select_related("department")
    ]


@require_safe
def catalogue(request):
    """服务事项: every active service, for everyone (visitors too)."""
    services = list(ServiceType.objects.active().select_related("department"))
    for service in services:
        service.tiers_text = tiers_text(service.eligible_tiers)
        service.limits = _limits(service)
        # 我要申请: for visitors (who sign in first) and whoever services.permissions lets file.
        service.may_file = allowed(request.user, "file", service)
    return render(request, "services/catalogue.html", {"services": services})


@require_safe
def guide(request, code: str):
    """办事指南 of one service: guide, materials, form, time limits, sensitivity."""
    service = get_object_or_404(
        ServiceType.objects.active().select_related("department"), code=code
    )
    return render(
        request,
        "services/guide.html",
        {
            "service": service,
            "tiers": [Tier(t).label for t in service.eligible_tiers],
            "tiers_text": tiers_text(service.eligible_tiers),
            "limits": _limits(service),
            "materials": materials(service),
            "fields": fields(service),
            "sensitivity_notice": SENSITIVITY_NOTICES.get(service.sensitivity, ""),
            "may_file": allowed(request.user, "file", service),
        },
    )
