"""Comments and attachments on a request."""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit import audit_record
from portal.errors import InvalidTransition, NotAllowed
from portal.notify import notification_create
from portal.uploads import check_upload, stored_upload
from services.filing import notify_department
from services.links import desk_link, talent_link
from services.models import OPEN_STATUSES, RequestAttachment, RequestComment, RequestStatus
from services.workflow import is_handler, is_owner

MAX_ATTACHMENTS = 30
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
            action="service_request.comment",
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
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    if req.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"申请当前为“{req.get_status_display()}”状态，不能再上传附件。", status=req.status
        )
    if req.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": [f"每件申请最多上传{MAX_ATTACHMENTS}个附件。"]})
    with stored_upload(upload, checked, folder="requests") as storage_name, transaction.atomic():
        attachment = RequestAttachment.objects.create(
            request=req,
            uploaded_by=actor,
            name=checked.name,
            size=checked.size,
            content_type=checked.content_type,
            sha256=checked.sha256,
            storage_name=storage_name,
        )
        audit_record(
            action="service_request.attach",
            actor=actor,
            obj=req,
            request=request,
            size=checked.size,
        )
    return attachment
