"""Files on a request: each checked by content (portal.uploads.check_upload), stored privately
under a random name, one RequestAttachment row each. Shared by the attach action
(services.conversation) and the talent's 补正 (services.workflow), which takes its files in
the same form."""

from contextlib import ExitStack, contextmanager

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from portal.uploads import CheckedUpload, check_upload, stored_upload
from services.models import RequestAttachment, ServiceRequest

MAX_ATTACHMENTS = 30


def attachments_check(uploads, *, field: str) -> list[CheckedUpload]:
    """Check every file before any is stored; a refusal names each bad file (when there are
    several) under ``field``."""
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            name = getattr(upload, "name", "") or ""
            prefix = f"{name}：" if len(uploads) > 1 and name else ""
            errors.extend(f"{prefix}{message}" for message in exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return checked


@contextmanager
def stored_attachments(uploads, checked: list[CheckedUpload]):
    """Store the checked files and yield their storage names; if the block fails (the rows
    are not written, or their transaction does not commit) every file is deleted again, so
    none is left without a row. Open the transaction inside this block."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(stored_upload(upload, one, folder="requests"))
            for upload, one in zip(uploads, checked, strict=True)
        ]


def attachments_create(
    *, req: ServiceRequest, actor, checked: list[CheckedUpload], storage_names, field: str
) -> list[RequestAttachment]:
    """The rows of stored files (inside the transaction that locked the request, so that
    two uploads at once cannot pass the limit together)."""
    if req.attachments.count() + len(checked) > MAX_ATTACHMENTS:
        raise ValidationError(
            {field: [gettext("每件申请最多上传%(n)s个附件。") % {"n": MAX_ATTACHMENTS}]}
        )
    return [
        RequestAttachment.objects.create(
            request=req,
            uploaded_by=actor,
            name=one.name,
            size=one.size,
            content_type=one.content_type,
            sha256=one.sha256,
            storage_name=storage_name,
        )
        for one, storage_name in zip(checked, storage_names, strict=True)
    ]
