"""Comments and attachments on a request."""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit import audit_record
from portal.errors import InvalidTransition, NotAllowed
from portal.notify import notification_create
from services.actions import ServiceRequestAction
from services.attachments import attachments_check, attachments_create, stored_attachments
from services.filing import notify_department
from services.links import desk_link, talent_link
from services.models import (
    OPEN_STATUSES,
    RequestAttachment,
    RequestComment,
    RequestStatus,
    ServiceRequest,
)
from services.workflow import is_handler, is_owner

# Comments stay possible until the request is archived, so a talent can still ask about a
# resolved one; files only while it is being worked.
COMMENTABLE = (*OPEN_STATUSES, RequestStatus.RESOLVED)


def request_comment(*, req, actor, body: str, internal: bool = False, request=None):
    """A message from the talent or the handling side. ``internal`` notes are the handling
    side's only and never reach the talent (API, pages, notifications)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["请填写内容。"]})
    if len(body) > 2000:
        raise ValidationError({"body": ["内容不能超过2000个字。"]})
    owner, handler = is_owner(actor, req), is_handler(actor, req)
    if not (owner or handler):
        raise NotAllowed("只有申请人和承办部门可以留言。")
    if internal and not handler:
        raise ValidationError({"internal": ["只有工作人员可以添加内部备注。"]})
    if req.status not in COMMENTABLE:
        raise InvalidTransition(
            f"申请当前为“{req.get_status_display()}”状态，不能再留言。", status=req.status
        )
    with transaction.atomic():
        comment = RequestComment.objects.create(
            request=req, author=actor, body=body, internal=bool(internal)
        )
        audit_record(
            action=ServiceRequestAction.COMMENT,
            actor=actor,
            obj=req,
            request=request,
            internal=comment.internal,
        )
        if comment.internal:
            pass  # nobody outside the department is told
        elif owner:
            if req.assignee_id:
                notification_create(
                    recipient=req.assignee,
                    kind="request_comment",
                    title=f"{req.number} 申请人留言",
                    link=desk_link(req),
                )
            else:
                notify_department(req, "request_comment", f"{req.number} 申请人留言")
        else:
            notification_create(
                recipient=req.talent,
                kind="request_comment",
                title=f"{req.number} 承办部门回复",
                body=body[:200],
                link=talent_link(req),
            )
    return comment


def request_attach(*, req, actor, upload, request=None) -> RequestAttachment:
    """Attach a file (PDF, JPEG or PNG by content; size-limited) while the request is open."""
    if not (is_owner(actor, req) or is_handler(actor, req)):
        raise NotAllowed("只有申请人和承办部门可以上传附件。")
    checked = attachments_check([upload], field="file")
    if req.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"申请当前为“{req.get_status_display()}”状态，不能再上传附件。", status=req.status
        )
    with stored_attachments([upload], checked) as names, transaction.atomic():
        # The request's row lock makes the attachment limit hold for uploads at the same time.
        req = ServiceRequest.objects.select_for_update().get(pk=req.pk)
        (attachment,) = attachments_create(
            req=req, actor=actor, checked=checked, storage_names=names, field="file"
        )
        audit_record(
            action=ServiceRequestAction.ATTACH,
            actor=actor,
            obj=req,
            request=request,
            size=attachment.size,
        )
    return attachment
