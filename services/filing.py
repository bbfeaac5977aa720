"""Filing a green-channel request: who may, what the form must hold, where it goes."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext

from cards.issuance import live_card
from cards.models import CardStatus
from portal.audit import audit_record
from portal.errors import NotAllowed
from portal.localized import localized
from portal.models import Role, User
from portal.notify import notification_create
from portal.privacy import GUARDIAN, SENSITIVE_NOTICE, consent_record
from services.actions import RequestEventAction, ServiceRequestAction
from services.clocks import recompute
from services.links import desk_link
from services.models import (
    Datatype,
    DepartmentStint,
    RequestEvent,
    RequestNumberSequence,
    Sensitivity,
    ServiceRequest,
    ServiceType,
)
from services.permissions import require_who
from services.workdays import local_date

MAX_STRING = 200
MAX_TEXT = 2000
TRUE_WORDS = {"true", "1", "yes", "on", "是"}
FALSE_WORDS = {"false", "0", "no", "off", "否"}
CONSENT_MESSAGES = {
    Sensitivity.MEDICAL: gettext_noop(
        "本事项涉及医疗健康信息，请阅读并单独同意《敏感个人信息处理告知》后提交。"
    ),
    Sensitivity.MINOR: gettext_noop(
        "本事项涉及未成年人个人信息，须由监护人阅读并同意《敏感个人信息处理告知》后提交。"
    ),
}  # translated when used (gettext)


def _empty(value) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or (isinstance(value, str) and not value.strip())
    )


def _clean_value(definition: dict, value):
    """One field's value in its canonical JSON form, or ValidationError (in the request's
    language, the field named as the form names it)."""
    label = localized(definition, "label")
    kind = definition["datatype"]
    if kind in (Datatype.STRING, Datatype.TEXT):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError(gettext("%(label)s应为文字。") % {"label": label})
        text = str(value).strip()
        limit = MAX_STRING if kind == Datatype.STRING else MAX_TEXT
        if len(text) > limit:
            raise ValidationError(
                gettext("%(label)s不能超过%(limit)s个字。") % {"label": label, "limit": limit}
            )
        return text
    if kind == Datatype.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(gettext("%(label)s应为数字。") % {"label": label})
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(gettext("%(label)s应为数字。") % {"label": label}) from None
        if not number.is_finite() or abs(number) > Decimal("1e12"):
            raise ValidationError(gettext("%(label)s应为有效的数字。") % {"label": label})
        as_float = float(number)
        return int(number) if number == number.to_integral_value() else as_float
    if kind == Datatype.DATE:
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(
                gettext("%(label)s应为日期，格式为 年-月-日（如 2026-09-01）。") % {"label": label}
            ) from None
    if kind == Datatype.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValidationError(gettext("%(label)s应选择“是”或“否”。") % {"label": label})
    allowed = definition.get("values", [])
    if kind == Datatype.SINGLE:
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(gettext("%(label)s须从给定选项中选择。") % {"label": label})
        return value
    if kind == Datatype.MULTI:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v in allowed for v in values):
            raise ValidationError(gettext("%(label)s须从给定选项中选择。") % {"label": label})
        return list(dict.fromkeys(values))
    raise ValidationError(f"{label}的类型无法识别。")  # pragma: no cover - definitions are checked


def clean_fields(service_type: ServiceType, values) -> dict:
    """Validate ``values`` against the type's field definitions (every error at once).

    Raises ValidationError keyed ``fields.<code>`` (API.md: field → list of messages).
    """
    if not isinstance(values, dict):
        raise ValidationError({"fields": [gettext("表单内容格式不正确。")]})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    known = {d["code"]: d for d in service_type.fields}
    for code in values:
        if code not in known:
            errors[f"fields.{code}"] = [gettext("本事项没有这一项。")]
    for code, definition in known.items():
        value = values.get(code)
        if _empty(value):
            if definition.get("required"):
                errors[f"fields.{code}"] = [
                    gettext("请填写%(label)s。") % {"label": localized(definition, "label")}
                ]
            continue
        try:
            cleaned[code] = _clean_value(definition, value)
        except ValidationError as exc:
            errors[f"fields.{code}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _next_number(day: datetime.date) -> str:
    """FW-YYYYMMDD-NNNN, from a per-day sequence row locked by the filing transaction."""
    RequestNumberSequence.objects.bulk_create(
        [RequestNumberSequence(day=day, last=0)], ignore_conflicts=True
    )
    sequence = RequestNumberSequence.objects.select_for_update().get(day=day)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"FW-{day:%Y%m%d}-{sequence.last:04d}"


def request_file(
    *,
    talent,
    service_type: str,
    fields=None,
    description: str = "",
    consent: bool = False,
    ip: str | None = None,
    filed_by=None,
    filed_via: str = "",
    filed_via_label: str = "",
) -> ServiceRequest:
    """File a request: an active card of an eligible tier, valid fields, and for medical or
    minors' matters the separate consent of PIPL art. 29 / 31. Routed to the type's department.

    ``filed_by`` (with ``filed_via``, e.g. "liaison") files it for the talent (代办): the
    caller has checked that person may; the event and the audit name them, and the talent is
    told. A separate consent is the talent's own: a type that needs one is refused here
    (the caller asks the talent first, who then files with consent).

    ``filed_via`` without ``filed_by`` is a partner system (e.g. "open311", named by
    ``filed_via_label``): the event has no actor and names the system, the talent is told."""
    proxied = filed_by is not None or bool(filed_via)
    service = (
        ServiceType.objects.active().select_related("department").filter(code=service_type).first()
    )
    # Who may file (services.permissions ``file``) before whether the type exists: a refusal
    # for the person tells them nothing about the catalogue.
    require_who(talent, "file", service)
    if service is None:
        raise ValidationError({"service_type": [gettext("服务事项不存在或已停止受理。")]})
    card = live_card(talent)
    if card is None or card.effective_status() != CardStatus.ACTIVE:
        raise NotAllowed(gettext("您需要持有有效的巴州优才卡才能申请绿色通道服务。"))
    if card.tier not in service.eligible_tiers:
        raise NotAllowed(
            gettext("“%(service)s”面向%(tiers)s类人才，您的优才卡为%(tier)s类。")
            % {
                "service": localized(service, "name"),
                "tiers": pgettext("list separator", "、").join(service.eligible_tiers),
                "tier": card.tier,
            }
        )
    errors = {}
    try:
        cleaned = clean_fields(service, fields or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = {}
    if service.sensitivity and (not consent or proxied):
        errors["consent"] = [gettext(CONSENT_MESSAGES[service.sensitivity])]
    description = (description or "").strip()
    if len(description) > MAX_TEXT:
        errors["description"] = [gettext("诉求说明不能超过%(n)s个字。") % {"n": MAX_TEXT}]
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    with transaction.atomic():
        req = ServiceRequest(
            number=_next_number(local_date(now)),
            talent=talent,
            card=card,
            tier=card.tier,
            service_type=service,
            department=service.department,
            fields=cleaned,
            description=description,
            consent_at=now if service.sensitivity else None,
            filed_by=filed_by,
            filed_via=filed_via if proxied else "",
            accept_days=service.accept_days,
            promised_days=service.promised_days,
            submitted_at=now,
            accept_started_at=now,
        )
        recompute(req)
        req.save()
        DepartmentStint.objects.create(request=req, department=service.department, entered_at=now)
        if service.sensitivity:
            # Which version of the notice this request's separate (or guardian's) consent was
            # given to, kept with the request (PIPL art. 29, 31).
            consent_record(
                user=talent,
                document=SENSITIVE_NOTICE,
                obj=req,
                given_by=GUARDIAN if service.sensitivity == Sensitivity.MINOR else "",
            )
        RequestEvent.objects.create(
            request=req,
            actor=filed_by if filed_by is not None else (None if proxied else talent),
            action=RequestEventAction.FILED,
            to_status=req.status,
            note=_proxy_note(filed_by, filed_via_label or filed_via) if proxied else "",
        )
        audit_record(
            action=ServiceRequestAction.FILE,
            actor=filed_by if filed_by is not None else (None if proxied else talent),
            obj=req,
            ip=ip,
            number=req.number,
            service_type=service.code,
            consent=bool(req.consent_at),
            **({"filed_via": filed_via} if proxied else {}),
        )
        notify_department(req, "request_filed", f"新的服务申请 {req.number}：{service.name}")
        if proxied:
            _tell_talent_filed_for(req, filed_by, filed_via_label or filed_via)
    return req


def _proxy_note(filed_by, system: str = "") -> str:
    if filed_by is None:
        return f"由合作系统{system}提交"
    return f"由服务专员{filed_by.real_name or filed_by.username}代为提交（代办）"


def _tell_talent_filed_for(req: ServiceRequest, filed_by, system: str = "") -> None:
    """The talent hears, in their language, that someone filed a request for them."""
    from portal.i18n import for_user
    from services.links import talent_link

    with for_user(req.talent):
        if filed_by is None:
            notification_create(
                recipient=req.talent,
                kind="request_filed_for_you",
                title=gettext("合作系统%(system)s已为您提交服务申请 %(number)s：%(service)s")
                % {
                    "system": system,
                    "number": req.number,
                    "service": localized(req.service_type, "name"),
                },
                body=gettext("您可以随时在巴州优才卡平台查看办理进度。"),
                link=talent_link(req),
            )
            return
        notification_create(
            recipient=req.talent,
            kind="request_filed_for_you",
            title=gettext("已为您代办服务申请 %(number)s：%(service)s")
            % {"number": req.number, "service": localized(req.service_type, "name")},
            body=gettext("服务专员%(name)s根据您反映的诉求代为提交，您可以随时查看办理进度。")
            % {"name": filed_by.real_name or filed_by.username},
            link=talent_link(req),
        )


def notify_department(req: ServiceRequest, kind: str, title: str, body: str = "") -> None:
    """Tell every active member of the request's current department (inbox rows).

    No dedupe key: each event (a second comment, a second transfer in) is news of its own,
    and it is written once, in the event's own transaction. Dedupe keys are for the
    periodic jobs that look at the same rows again and again."""
    members = User.objects.filter(
        department_id=req.department_id, role__in=(Role.STAFF, Role.LEAD), is_active=True
    )
    for member in members:
        notification_create(
            recipient=member,
            kind=kind,
            title=title,
            body=body,
            link=desk_link(req),
        )
