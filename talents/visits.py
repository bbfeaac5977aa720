"""Visits (走访) and what the talent raised at them (POST /api/v1/visits/).

A concern tied to a service type becomes a green-channel request for the talent (代办), in
the visit's transaction: filed by the officer (services.filing.request_file with
``filed_by``), routed and clocked like any other, the talent told. A type that needs the
talent's own separate consent (medical, minors: PIPL art. 29, 31) is not filed by the officer:
the concern waits for the talent (``awaiting_consent``), who confirms it with the consent on
their 联系服务 page, or declines. Every concern is checked before anything is written: one that
cannot be filed refuses the whole visit with what to fix.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from cards.models import CardStatus
from portal.audit import audit_record
from portal.errors import NotAllowed
from portal.i18n import for_user
from portal.localized import localized
from portal.notify import notification_create
from services.filing import clean_fields, request_file
from services.models import RequestStatus, ServiceType
from talents.actions import LiaisonAction, LiaisonStep
from talents.clocks import liaison_derive
from talents.models import Concern, ConcernStatus, Liaison, LiaisonEvent, Visit, VisitMode
from talents.permissions import CONCERNS, LIAISONS

MAX_SUMMARY = 2000
MAX_CONCERN = 500
MAX_CONCERNS = 20
# A filed concern is resolved with its request.
REQUEST_DONE = (RequestStatus.RESOLVED, RequestStatus.CLOSED)
RESOLVED_Q = Q(status=ConcernStatus.RESOLVED) | Q(
    status=ConcernStatus.FILED, request__status__in=REQUEST_DONE
)


def concern_resolved(concern: Concern) -> bool:
    """Whether the concern is done: resolved by hand, or filed and its request resolved or
    closed (RESOLVED_Q is the same rule as a query)."""
    if concern.status == ConcernStatus.RESOLVED:
        return True
    return bool(
        concern.status == ConcernStatus.FILED
        and concern.request is not None
        and concern.request.status in REQUEST_DONE
    )


def _clean_visit(visited_on, mode, summary, today) -> tuple[datetime.date, str, str, dict]:
    errors = {}
    day = None
    if isinstance(visited_on, datetime.date):
        day = visited_on
    else:
        try:
            day = datetime.date.fromisoformat(str(visited_on or "").strip())
        except ValueError:
            errors["visited_on"] = [gettext("请填写走访日期，格式为 年-月-日（如 2026-12-01）。")]
    if day is not None and day > today:
        errors["visited_on"] = [gettext("走访日期不能晚于今天。")]
    elif day is not None and day.year < 2000:
        errors["visited_on"] = [gettext("走访日期不正确。")]
    if mode not in VisitMode.values:
        errors["mode"] = [gettext("请选择走访方式：上门走访、电话联系或线上联系。")]
    summary = summary.strip() if isinstance(summary, str) else ""
    if not summary:
        errors["summary"] = [gettext("请填写走访情况。")]
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = [gettext("走访情况不能超过%(n)s个字。") % {"n": MAX_SUMMARY}]
    return day, mode, summary, errors


def _clean_concerns(concerns, card) -> tuple[list[dict], dict]:
    """Each concern's text, service type and cleaned fields; errors keyed concerns.<i>.…"""
    if concerns in (None, ""):
        return [], {}
    if not isinstance(concerns, list):
        return [], {"concerns": [gettext("反映的诉求应为一组记录。")]}
    if len(concerns) > MAX_CONCERNS:
        return [], {"concerns": [gettext("一次走访最多记录%(n)s项诉求。") % {"n": MAX_CONCERNS}]}
    errors, cleaned = {}, []
    codes = {c.get("service_type") for c in concerns if isinstance(c, dict)} - {None, ""}
    types = {
        t.code: t
        for t in ServiceType.objects.active().select_related("department").filter(code__in=codes)
    }
    for i, item in enumerate(concerns):
        prefix = f"concerns.{i}"
        if not isinstance(item, dict):
            errors[prefix] = [gettext("诉求记录格式不正确。")]
            continue
        text = item.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            errors[f"{prefix}.text"] = [gettext("请填写诉求内容。")]
        elif len(text) > MAX_CONCERN:
            errors[f"{prefix}.text"] = [gettext("诉求内容不能超过%(n)s个字。") % {"n": MAX_CONCERN}]
        code = item.get("service_type") or None
        service, fields = None, {}
        if code is not None:
            service = types.get(code) if isinstance(code, str) else None
            if service is None:
                errors[f"{prefix}.service_type"] = [gettext("服务事项不存在或已停止受理。")]
            elif card.tier not in service.eligible_tiers:
                errors[f"{prefix}.service_type"] = [
                    gettext("“%(service)s”不面向%(tier)s类人才，不能代办。")
                    % {"service": localized(service, "name"), "tier": card.tier}
                ]
            else:
                try:
                    fields = clean_fields(service, item.get("fields") or {})
                except ValidationError as exc:
                    for key, messages in exc.message_dict.items():
                        errors[f"{prefix}.{key}"] = messages
        elif item.get("fields"):
            errors[f"{prefix}.fields"] = [gettext("未选择服务事项时不需要填写表单内容。")]
        cleaned.append({"text": text, "service": service, "fields": fields})
    return cleaned, errors


def visit_record(
    *,
    liaison: Liaison,
    actor,
    visited_on,
    mode,
    summary,
    concerns=None,
    ip: str | None = None,
) -> Visit:
    """Record a visit, its concerns, and the requests filed for the talent."""
    LIAISONS.require_who(actor, "visit", liaison)
    now = timezone.now()
    card = liaison.card
    day, mode, summary, errors = _clean_visit(visited_on, mode, summary, timezone.localdate(now))
    cleaned, concern_errors = _clean_concerns(concerns, card)
    errors.update(concern_errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        liaison = (
            Liaison.objects.select_for_update().select_related("card__holder").get(pk=liaison.pk)
        )
        LIAISONS.require(actor, "visit", liaison)
        card = liaison.card
        if any(c["service"] for c in cleaned) and card.effective_status() != CardStatus.ACTIVE:
            raise NotAllowed(gettext("该人才的优才卡当前不是有效状态，不能代办服务申请。"))
        visit = Visit.objects.create(
            liaison=liaison,
            visited_on=day,
            mode=mode,
            summary=summary,
            recorded_by=actor,
            recorded_at=now,
        )
        filed = 0
        for n, item in enumerate(cleaned, start=1):
            service = item["service"]
            concern = Concern(visit=visit, n=n, text=item["text"], service_type=service)
            if service is not None and service.sensitivity:
                # Kept only until the talent answers: confirm files them, decline drops them.
                concern.fields = item["fields"]
                concern.status = ConcernStatus.AWAITING_CONSENT
                concern.save()
                _ask_talent(concern, card.holder, service)
            elif service is not None:
                try:
                    concern.request = request_file(
                        talent=card.holder,
                        service_type=service.code,
                        fields=item["fields"],
                        description=item["text"],
                        ip=ip,
                        filed_by=actor,
                        filed_via="liaison",
                    )
                except ValidationError as exc:
                    raise ValidationError(
                        {f"concerns.{n - 1}.{k}": v for k, v in exc.message_dict.items()}
                    ) from None
                concern.status = ConcernStatus.FILED
                concern.save()
                filed += 1
            else:
                concern.save()
        if liaison.last_visit_on is None or day > liaison.last_visit_on:
            liaison.last_visit_on = day
            fields = liaison_derive(liaison, now)
            liaison.save(update_fields=["last_visit_on", *fields])
        LiaisonEvent.objects.create(
            liaison=liaison,
            actor=actor,
            action=LiaisonStep.VISITED,
            note=f"{day:%Y-%m-%d} {VisitMode(mode).label}",
        )
        audit_record(
            action=LiaisonAction.VISIT,
            actor=actor,
            obj=liaison,
            ip=ip,
            visited_on=day.isoformat(),
            mode=mode,
            concerns=len(cleaned),
            filed=filed,
        )
    return visit


def _ask_talent(concern: Concern, talent, service) -> None:
    with for_user(talent):
        notification_create(
            recipient=talent,
            kind="concern_awaiting_consent",
            title=gettext("请确认是否代办“%(service)s”") % {"service": localized(service, "name")},
            body=gettext(
                "您在走访中反映的诉求涉及敏感个人信息，须由您本人阅读并同意《敏感个人信息处理告知》后提交。"
            ),
            link=reverse("talents:my-liaison"),
            urgent=True,
        )


def _step(concern: Concern, actor, action: str, number: str = "") -> None:
    """The concern's step on its liaison's timeline (the concern by number, never its text:
    the text is erased with the liaison's records, the timeline is not)."""
    note = f"走访诉求 #{concern.pk}" + (f"：{number}" if number else "")
    LiaisonEvent.objects.create(
        liaison_id=concern.visit.liaison_id, actor=actor, action=action, note=note
    )


def concern_confirm(*, concern: Concern, talent, consent: bool, ip: str | None = None) -> Concern:
    """The talent files what the officer noted, with their own separate consent."""
    # Who and state first: a concern not awaiting consent (noted without a type, filed) is a
    # 409 with its state, whatever the body says about consent.
    CONCERNS.require(talent, "confirm", concern)
    sensitivity = concern.service_type.sensitivity
    if sensitivity and not consent:
        from services.filing import CONSENT_MESSAGES

        raise ValidationError({"consent": [gettext(CONSENT_MESSAGES[sensitivity])]})
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update(of=("self",))
            .select_related("service_type", "visit__liaison")
            .get(pk=concern.pk)
        )
        CONCERNS.require(talent, "confirm", concern)
        concern.request = request_file(
            talent=talent,
            service_type=concern.service_type.code,
            fields=concern.fields,
            description=concern.text,
            consent=True,
            ip=ip,
        )
        concern.status = ConcernStatus.FILED
        # The request holds them now, under its own access rule (only the routed department
        # reads medical and minors' fields) and retention period (6 months for those).
        concern.fields = {}
        concern.save(update_fields=["request", "status", "fields"])
        _step(concern, talent, LiaisonStep.CONCERN_FILED, concern.request.number)
        audit_record(
            action=LiaisonAction.CONCERN_CONFIRM,
            actor=talent,
            obj=concern,
            ip=ip,
            number=concern.request.number,
        )
    return concern


def concern_decline(*, concern: Concern, talent, ip: str | None = None) -> Concern:
    """The talent refuses to have a sensitive concern filed for them; the officer is told and
    follows it up (then resolves it by hand)."""
    CONCERNS.require_who(talent, "decline", concern)
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update(of=("self",))
            .select_related("visit__liaison__officer", "visit__liaison__card")
            .get(pk=concern.pk)
        )
        CONCERNS.require(talent, "decline", concern)
        concern.status = ConcernStatus.DECLINED
        # The talent refused to have these details processed: none are kept.
        concern.fields = {}
        concern.save(update_fields=["status", "fields"])
        _step(concern, talent, LiaisonStep.CONCERN_DECLINED)
        audit_record(action=LiaisonAction.CONCERN_DECLINE, actor=talent, obj=concern, ip=ip)
        liaison = concern.visit.liaison
        notification_create(
            recipient=liaison.officer,
            kind="concern_declined",
            title=f"持卡人未同意代办走访诉求 #{concern.pk}",
            body="该诉求涉及敏感个人信息，人才本人未同意代为提交，请与人才沟通后标记处理结果。",
            link=reverse("talents:liaison", args=[liaison.card.number]),
        )
    return concern


def concern_resolve(*, concern: Concern, actor, resolution, ip: str | None = None) -> Concern:
    """The officer (or the 人才办) marks a concern without a request (noted, or declined by the
    talent) resolved, saying what was done."""
    CONCERNS.require_who(actor, "resolve", concern)
    resolution = resolution.strip() if isinstance(resolution, str) else ""
    if not resolution:
        raise ValidationError({"resolution": [gettext("请填写解决情况。")]})
    if len(resolution) > MAX_CONCERN:
        raise ValidationError(
            {"resolution": [gettext("解决情况不能超过%(n)s个字。") % {"n": MAX_CONCERN}]}
        )
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update(of=("self",))
            .select_related("visit__liaison")
            .get(pk=concern.pk)
        )
        CONCERNS.require(actor, "resolve", concern)
        concern.status = ConcernStatus.RESOLVED
        concern.resolved_at = timezone.now()
        concern.resolution = resolution
        concern.save(update_fields=["status", "resolved_at", "resolution"])
        _step(concern, actor, LiaisonStep.CONCERN_RESOLVED)
        audit_record(action=LiaisonAction.CONCERN_RESOLVE, actor=actor, obj=concern, ip=ip)
    return concern
