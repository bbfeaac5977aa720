"""Comments and attachments on a request."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from portal.notify import notification_create
from services import permissions
from services.actions import ServiceRequestAction
from services.attachments import attachments_check, attachments_create, stored_attachments
from services.filing import notify_department
from services.links import desk_link, talent_link
from services.models import (
    RequestAttachment,
    RequestComment,
    ServiceRequest,
)
from services.permissions import require, require_who

# Comments stay possible until the request is archived, so a talent can still ask about a
# resolved one; files only while it is being worked (services.permissions: comment, attach).


def request_comment(*, req, actor, body: str, internal: bool = False, ip: str | None = None):
    """A message from the talent or the handling side. ``internal`` notes are the handling
    side's only and never reach the talent (API, pages, notifications)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [gettext("请填写内容。")]})
    if len(body) > 2000:
        raise ValidationError({"body": [gettext("内容不能超过2000个字。")]})
    require_who(actor, "comment", req)
    owner = permissions.is_owner(actor, req)
    if internal and not permissions.is_handler(actor, req):
        raise ValidationError({"internal": [str(permissions.RULES["comment_internal"].denied)]})
    require(actor, "comment", req)
    with transaction.atomic():
        comment = RequestComment.objects.create(
            request=req, author=actor, body=body, internal=bool(internal)
        )
        audit_record(
            action=ServiceRequestAction.COMMENT,
            actor=actor,
            obj=req,
            ip=ip,
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
                title=format_lazy(_("{number} 承办部门回复"), number=req.number),
                body=body[:200],
                link=talent_link(req),
            )
    return comment


def request_attach(*, req, actor, upload, ip: str | None = None) -> RequestAttachment:
    """Attach a file (PDF, JPEG or PNG by content; size-limited) while the request is open."""
    require_who(actor, "attach", req)
    checked = attachments_check([upload], field="file")
    require(actor, "attach", req)
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
            ip=ip,
            size=attachment.size,
        )
    return attachment
