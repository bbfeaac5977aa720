"""好差评: the talent's rating of a resolved request, and the lead's follow-up of a bad one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from portal.audit import audit_record
from portal.errors import InvalidTransition
from portal.models import Role, User
from portal.notify import notification_create
from services.actions import RequestEventAction, ServiceRequestAction
from services.links import desk_link
from services.models import FollowUp, Rating, RequestEvent, RequestStatus, ServiceRequest
from services.permissions import followup_require, require
from services.workdays import deadline, deadline_text

# Chinese as stored in the rating's event note; pages show gettext(label).
SCORE_LABELS = {
    1: gettext_noop("非常不满意"),
    2: gettext_noop("不满意"),
    3: gettext_noop("基本满意"),
    4: gettext_noop("满意"),
    5: gettext_noop("非常满意"),
}
BAD_SCORE = 2


def request_rate(
    *, req: ServiceRequest, actor, score, comment: str = "", ip: str | None = None
) -> Rating:
    """Rate once, owner only, after ``resolved``; the request is then closed.

    A score of 2 or less opens a follow-up (回访整改) for the department's lead, due in
    FOLLOWUP_DAYS working days.
    """
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORE_LABELS:
        raise ValidationError(
            {"score": [gettext("请选择评价：从1星（非常不满意）到5星（非常满意）。")]}
        )
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError({"comment": [gettext("评价内容不能超过1000个字。")]})
    with transaction.atomic():
        req = ServiceRequest.objects.select_for_update().get(pk=req.pk)
        require(actor, "rate", req)
        now = timezone.now()
        try:
            with transaction.atomic():
                rating = Rating.objects.create(request=req, score=score, comment=comment)
        except IntegrityError:
            raise InvalidTransition(gettext("该申请已评价过。"), status=req.status) from None
        req.status = RequestStatus.CLOSED
        req.closed_at = now
        req.save(update_fields=["status", "closed_at"])
        RequestEvent.objects.create(
            request=req,
            actor=actor,
            action=RequestEventAction.RATED,
            from_status=RequestStatus.RESOLVED,
            to_status=req.status,
            note=f"{score}星 {SCORE_LABELS[score]}" + (f"：{comment}" if comment else ""),
        )
        audit_record(action=ServiceRequestAction.RATE, actor=actor, obj=req, ip=ip, score=score)
        if score <= BAD_SCORE:
            _open_followup(req, now)
    return rating


def followup_promise(followup: FollowUp) -> str:
    """What the talent is told while the follow-up of their bad rating is open: who will call
    back, and by when (the deadline written as every deadline of the portal)."""
    return gettext("部门负责人将在 %(deadline)s 前回访。") % {
        "deadline": deadline_text(followup.due_at)
    }


def pending_followup(req: ServiceRequest, user) -> FollowUp | None:
    """The follow-up of ``req`` still waiting for the lead, if ``user`` may know of it."""
    return FollowUp.objects.visible_to(user).open().filter(request=req).first()


def _open_followup(req: ServiceRequest, now) -> FollowUp:
    due, _ = deadline(now, settings.FOLLOWUP_DAYS)
    followup = FollowUp.objects.create(
        request=req, department_id=req.department_id, created_at=now, due_at=due
    )
    leads = User.objects.filter(department_id=req.department_id, role=Role.LEAD, is_active=True)
    for lead in leads:
        notification_create(
            recipient=lead,
            kind="followup_opened",
            title=f"{req.number} 收到差评，请回访整改",
            body=f"请于 {deadline_text(due)} 前完成回访并填写整改情况。",
            link=desk_link(req),
            dedupe_key=f"followup_opened:{followup.pk}:{lead.pk}",
        )
    return followup


def followup_close(*, followup: FollowUp, actor, note: str, ip: str | None = None) -> FollowUp:
    """Close a follow-up with what was done: the department's lead, or an admin."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [gettext("请填写回访及整改情况。")]})
    with transaction.atomic():
        followup = (
            FollowUp.objects.select_for_update().select_related("request").get(pk=followup.pk)
        )
        followup_require(actor, "close", followup)
        followup.closed_at = timezone.now()
        followup.closed_by = actor
        followup.note = note
        followup.save(update_fields=["closed_at", "closed_by", "note"])
        # The timeline (which the talent reads) says that the call-back happened; what the
        # department changed stays in the follow-up, for the handling side and the dashboard.
        RequestEvent.objects.create(
            request=followup.request,
            actor=actor,
            action=RequestEventAction.FOLLOWUP_CLOSED,
            from_status=followup.request.status,
            to_status=followup.request.status,
            note="部门负责人已完成回访整改。",
        )
        audit_record(
            action=ServiceRequestAction.FOLLOWUP_CLOSE,
            actor=actor,
            obj=followup.request,
            ip=ip,
        )
    return followup
