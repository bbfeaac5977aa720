"""Transitions of a green-channel request.

Each one locks the request row (two handlers accepting at once: the second finds it accepted
and gets a 409), checks the actor's role against the request's *current* department (403),
refuses an illegal from-state (409 with the current status), updates the facts, re-derives
the deadlines, appends a RequestEvent and an AuditEvent, and notifies, in one transaction.

Roles (API.md): "handler" = staff or lead of the current department, or an admin.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from portal.localized import localized_lazy
from portal.models import Department, Role, User
from portal.notify import notification_create
from services.actions import RequestEventAction as Step
from services.actions import ServiceRequestAction as Act
from services.attachments import attachments_check, attachments_create, stored_attachments
from services.clocks import pause_shift, recompute
from services.filing import notify_department
from services.links import desk_link, talent_link
from services.models import (
    DepartmentStint,
    RequestAttachment,
    RequestEvent,
    RequestPause,
    RequestStatus,
    ServiceRequest,
)
from services.permissions import require, require_who
from services.workdays import local_date, working_days_between

S = RequestStatus


def handling_working_days(req: ServiceRequest, until) -> int:
    """Working days from acceptance to ``until``, less the working days it was paused."""
    worked, _ = working_days_between(local_date(req.accepted_at), local_date(until))
    return max(0, worked - pause_shift(req, since=req.accepted_at))


def _lock(req: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update()
        .select_related("service_type", "department")
        .get(pk=req.pk)
    )


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


def _save(req: ServiceRequest, *fields: str) -> None:
    req.save(update_fields=[*fields, *recompute(req)])


def _current_stint(req: ServiceRequest, **changes) -> None:
    """Change the stint of the department holding ``req`` now (saved, so the rollups follow:
    services.rollups)."""
    stint = DepartmentStint.objects.filter(request=req, left_at__isnull=True).first()
    if stint is None:
        return
    for name, value in changes.items():
        setattr(stint, name, value)
    stint.save(update_fields=list(changes))


def _event(req, actor, action, from_status, note="", items=()) -> None:
    RequestEvent.objects.create(
        request=req,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=req.status,
        note=note,
        items=list(items),
    )


def _audit(req, actor, action, ip, **detail) -> None:
    audit_record(
        action=action,
        actor=actor,
        obj=req,
        ip=ip,
        number=req.number,
        **detail,
    )


def _tell_talent(req: ServiceRequest, kind: str, title, body="") -> None:
    """Every step a talent waits for goes out by SMS as well (urgent). ``title`` and ``body``
    are lazy texts: portal.notify writes them in the talent's language."""
    notification_create(
        recipient=req.talent,
        kind=kind,
        title=format_lazy("{} {}", req.number, title),
        body=body,
        link=talent_link(req),
        urgent=True,
    )


def request_accept(*, req: ServiceRequest, actor, ip: str | None = None) -> ServiceRequest:
    """受理: staff or lead of the current department. The caller becomes the assignee unless
    one is set. Stops the accept clock (verdict frozen) and starts the resolve clock."""
    with transaction.atomic():
        req = _lock(req)
        require(actor, "accept", req)
        now = timezone.now()
        req.status = S.ACCEPTED
        req.accepted_at = now
        req.accepted_on_time = now < req.accept_due_at
        req.assignee = req.assignee or actor
        _save(req, "status", "accepted_at", "accepted_on_time", "assignee")
        _current_stint(req, accepted_on_time=req.accepted_on_time)
        _event(req, actor, Step.ACCEPTED, S.SUBMITTED)
        _audit(req, actor, Act.ACCEPT, ip, on_time=req.accepted_on_time)
        _tell_talent(
            req,
            "request_accepted",
            _("已受理"),
            format_lazy(
                _("承办部门：{department}"), department=localized_lazy(req.department, "name")
            ),
        )
    return req


def request_assign(
    *, req: ServiceRequest, actor, assignee: str, ip: str | None = None
) -> ServiceRequest:
    """指派经办人: the department's lead or an admin names a handler of that department."""
    with transaction.atomic():
        req = _lock(req)
        require(actor, "assign", req)
        person = User.objects.filter(
            username__iexact=(assignee or "").strip(),
            department_id=req.department_id,
            role__in=(Role.STAFF, Role.LEAD),
            is_active=True,
        ).first()
        if person is None:
            raise ValidationError({"assignee": [gettext("请指定承办部门的在职经办人或负责人。")]})
        req.assignee = person
        req.save(update_fields=["assignee"])
        _event(req, actor, Step.ASSIGNED, req.status, note=person.display_name)
        _audit(req, actor, Act.ASSIGN, ip, assignee=person.username)
        notification_create(
            recipient=person,
            kind="request_assigned",
            title=f"{req.number} 已指派给您办理",
            link=desk_link(req),
        )
    return req


def request_ask_info(*, req: ServiceRequest, actor, items, note: str = "", ip: str | None = None):
    """要求补正: list every item at once; the resolve clock pauses until the talent answers."""
    items = [" ".join(str(i).split()) for i in (items or []) if str(i).strip()]
    if not items:
        raise ValidationError({"items": [gettext("请逐条列出需要补充的全部材料或信息。")]})
    with transaction.atomic():
        req = _lock(req)
        require(actor, "request_info", req)
        now = timezone.now()
        note = (note or "").strip()
        # The pause first: the deadlines derived next depend on it (an overdue request stays
        # overdue while paused).
        RequestPause.objects.create(
            request=req, started_at=now, reason="\n".join([*items, note]).strip()
        )
        req.status = S.AWAITING_TALENT
        _save(req, "status")
        _event(req, actor, Step.INFO_REQUESTED, S.ACCEPTED, note=note, items=items)
        _audit(req, actor, Act.REQUEST_INFO, ip, items=len(items))
        _tell_talent(
            req,
            "request_info_requested",
            _("需要您补充材料"),
            "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1)),
        )
    return req


def asked_items(req: ServiceRequest) -> list[str]:
    """The items of the last request for information (一次告知): what a 补正 answers."""
    event = req.events.filter(action=Step.INFO_REQUESTED).order_by("-at", "-id").first()
    return list(event.items) if event else []


def request_supply_info(
    *, req: ServiceRequest, actor, note: str = "", items=(), uploads=(), ip: str | None = None
):
    """补正: the talent answers what was asked — a note, files, or both — and the clock
    resumes: every open deadline moves later by the working days the pause lasted.

    An empty answer is refused (it would end 待补正 and restart the clock with nothing
    supplied): it needs a note, or at least one file the talent attached since the request
    for information, here (``uploads``, each checked like every attachment and stored in
    this transaction) or before through the attachments. ``items`` are the asked items the
    talent ticks as supplied; they are kept on the event for the handler.
    """
    require_who(actor, "supply_info", req)
    note = (note or "").strip()
    uploads = [upload for upload in uploads or () if upload]
    checked = attachments_check(uploads, field="files")
    with stored_attachments(uploads, checked) as names, transaction.atomic():
        req = _lock(req)
        require(actor, "supply_info", req)
        asked = asked_items(req)
        ticked = [" ".join(str(item).split()) for item in (items or []) if str(item).strip()]
        unknown = [item for item in ticked if item not in asked]
        if unknown:
            raise ValidationError(
                {
                    "items": [
                        gettext("以下事项不在要求补正的事项中：%(items)s。")
                        % {"items": "、".join(unknown)}
                    ]
                }
            )
        pause = RequestPause.objects.filter(request=req, ended_at__isnull=True).first()
        attached_since = (
            RequestAttachment.objects.filter(
                request=req, uploaded_by_id=req.talent_id, uploaded_at__gte=pause.started_at
            ).exists()
            if pause
            else False
        )
        if not (note or uploads or attached_since):
            raise ValidationError(
                {"note": [gettext("请填写补正说明或上传补正材料后再提交；不能提交空白的补正。")]}
            )
        added = attachments_create(
            req=req, actor=actor, checked=checked, storage_names=names, field="files"
        )
        RequestPause.objects.filter(request=req, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
        req.status = S.ACCEPTED
        _save(req, "status")
        # The ticked items in the order they were asked.
        supplied = [item for item in asked if item in ticked]
        _event(req, actor, Step.INFO_SUPPLIED, S.AWAITING_TALENT, note=note, items=supplied)
        _audit(req, actor, Act.SUPPLY_INFO, ip, files=len(added), items=len(supplied))
        recipient = req.assignee
        if recipient is not None:
            notification_create(
                recipient=recipient,
                kind="request_info_supplied",
                title=f"{req.number} 申请人已补正",
                link=desk_link(req),
            )
        else:
            notify_department(req, "request_info_supplied", f"{req.number} 申请人已补正")
    return req


def request_resolve(
    *, req: ServiceRequest, actor, note: str, ip: str | None = None
) -> ServiceRequest:
    """办结, with a note telling the talent the outcome. The resolve verdict is frozen."""
    note = _text(note, "note", gettext("请填写办理结果。"))
    with transaction.atomic():
        req = _lock(req)
        require(actor, "resolve", req)
        now = timezone.now()
        req.status = S.RESOLVED
        req.resolved_at = now
        req.resolved_on_time = now < req.resolve_due_at
        req.handling_working_days = handling_working_days(req, now)
        _save(req, "status", "resolved_at", "resolved_on_time", "handling_working_days")
        _current_stint(req, left_at=now)
        _event(req, actor, Step.RESOLVED, S.ACCEPTED, note=note)
        _audit(req, actor, Act.RESOLVE, ip, on_time=req.resolved_on_time)
        _tell_talent(req, "request_resolved", _("已办结，欢迎评价"), note)
    return req


def request_reject(
    *, req: ServiceRequest, actor, reason: str, ip: str | None = None
) -> ServiceRequest:
    """不予办理 (final), with the reason. Stops whichever clock runs and freezes its verdict."""
    reason = _text(reason, "reason", gettext("请填写不予办理的理由。"))
    with transaction.atomic():
        req = _lock(req)
        require(actor, "reject", req)
        now = timezone.now()
        previous = req.status
        if previous == S.SUBMITTED:
            req.accepted_on_time = now < req.accept_due_at
            _current_stint(req, accepted_on_time=req.accepted_on_time)
        elif previous == S.ACCEPTED:
            req.resolved_on_time = now < req.resolve_due_at
        RequestPause.objects.filter(request=req, ended_at__isnull=True).update(ended_at=now)
        req.status = S.REJECTED
        req.rejected_at = now
        _save(req, "status", "rejected_at", "accepted_on_time", "resolved_on_time")
        _current_stint(req, left_at=now)
        _event(req, actor, Step.REJECTED, previous, note=reason)
        _audit(req, actor, Act.REJECT, ip)
        _tell_talent(
            req, "request_rejected", _("不予办理"), format_lazy(_("理由：{reason}"), reason=reason)
        )
    return req


def request_transfer(
    *, req: ServiceRequest, actor, department: str, reason: str, ip: str | None = None
) -> ServiceRequest:
    """转办 a mis-routed request: it becomes ``submitted`` in the other department with no
    assignee, that department's accept clock starts now, the talent-facing promise keeps
    running from the original filing, and the stint of the department it leaves is closed."""
    reason = _text(reason, "reason", gettext("请填写转办理由。"))
    target = Department.objects.active().filter(code=(department or "").strip().upper()).first()
    if target is None:
        raise ValidationError({"department": [gettext("请选择启用中的承办部门。")]})
    with transaction.atomic():
        req = _lock(req)
        require(actor, "transfer", req)
        if target.pk == req.department_id:
            raise ValidationError({"department": [gettext("不能转办给当前承办部门。")]})
        now = timezone.now()
        previous, source = req.status, req.department
        stint_update = {"left_at": now, "transferred_out": True}
        if previous == S.SUBMITTED:
            # Passing a request on in time counts as handling it in time.
            stint_update["accepted_on_time"] = now < req.accept_due_at
        _current_stint(req, **stint_update)
        DepartmentStint.objects.create(request=req, department=target, entered_at=now)
        req.department = target
        req.status = S.SUBMITTED
        req.assignee = None
        req.accept_started_at = now
        req.accepted_at = None
        req.accepted_on_time = None
        _save(
            req,
            "department",
            "status",
            "assignee",
            "accept_started_at",
            "accepted_at",
            "accepted_on_time",
        )
        note = f"由{source.name}转至{target.name}：{reason}"
        _event(req, actor, Step.TRANSFERRED, previous, note=note)
        _audit(req, actor, Act.TRANSFER, ip, source=source.code, target=target.code)
        _tell_talent(
            req,
            "request_transferred",
            format_lazy(_("已转至{department}办理"), department=localized_lazy(target, "name")),
            format_lazy(_("转办理由：{reason}"), reason=reason),
        )
        notify_department(req, "request_transferred_in", f"转办来的服务申请 {req.number}")
    return req


def request_withdraw(*, req: ServiceRequest, actor, reason: str = "", ip: str | None = None):
    """撤回 by the talent, at any time before the request is resolved."""
    with transaction.atomic():
        req = _lock(req)
        require(actor, "withdraw", req)
        now = timezone.now()
        previous = req.status
        RequestPause.objects.filter(request=req, ended_at__isnull=True).update(ended_at=now)
        _current_stint(req, left_at=now)
        req.status = S.WITHDRAWN
        req.withdrawn_at = now
        _save(req, "status", "withdrawn_at")
        _event(req, actor, Step.WITHDRAWN, previous, note=(reason or "").strip())
        _audit(req, actor, Act.WITHDRAW, ip)
        if req.assignee_id:
            notification_create(
                recipient=req.assignee,
                kind="request_withdrawn",
                title=f"{req.number} 申请人已撤回",
                link=desk_link(req),
            )
    return req
