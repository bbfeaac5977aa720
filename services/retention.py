"""The retention periods of green-channel requests (registered with portal.retention).

《个人信息处理规则》 part 四: a request's content, attachments, handling record and rating are
kept 3 years from the day it ended (办结、不予办理、撤回或归档, ``ENDED_AT``); medical-health and
minors' details (a type with a sensitivity, or a request filed with the separate consent) 6
months (《敏感个人信息处理告知》). Then the request's *content* is erased, not the row: the
description, the typed fields, the attachments (rows and stored files), the comments, the
notes of its timeline, pauses and bad-rating follow-up and the rating's text are erased, the
inbox messages about it (and their e-mail and SMS deliveries) deleted, and ``erased_at`` is
set. The bare row stays: number, applicant account, card, service type, department, status,
dates, on-time verdicts, handling days, the rating's score (it is anonymous once the account is
closed and anonymized, which the account's own rule will do). Those are the columns the
supervision rollups count (services.rollups): deleting the row would make its post_delete
signals subtract it from the dashboard's history (and ``rebuild_rollups`` would too), so the
figures stay as they were only because the row does. ``erased_at`` changes no counted
column, and the erase writes with ``QuerySet.update`` and deletes only rows the rollups do
not count.

Files are deleted inside the row's transaction, before it commits: if the transaction then
rolls back, the rows still name files that are gone (served as 404) and the next night's run
erases them again (deleting a missing file is no error); the other order could leave files no
row knows about. An open request, or one whose bad-rating follow-up is still open, is never
touched.
"""

from django.db.models import Q

from portal.models import Notification
from portal.retention import ERASED_TEXT, Period, Rule, register
from portal.uploads import delete_upload
from services.links import desk_link, talent_link
from services.models import (
    FollowUp,
    Rating,
    RequestAttachment,
    RequestComment,
    RequestEvent,
    RequestPause,
    ServiceRequest,
)
from services.models.catalogue import Sensitivity
from services.models.requests import ENDED_AT, OPEN_STATUSES

SENSITIVE = Q(service_type__sensitivity__in=[Sensitivity.MEDICAL, Sensitivity.MINOR]) | Q(
    consent_at__isnull=False
)


def due_requests(cutoff):
    """Requests that ended before ``cutoff`` and are not erased yet, oldest end first."""
    return (
        ServiceRequest.objects.alias(ended=ENDED_AT)
        .filter(erased_at__isnull=True, ended__lt=cutoff)
        .exclude(status__in=OPEN_STATUSES)
        .exclude(followup__isnull=False, followup__closed_at__isnull=True)
        .order_by("ended", "id")
        .only("pk", "number")
    )


def due_sensitive(cutoff):
    return due_requests(cutoff).filter(SENSITIVE)


def request_erase(row, now) -> int:
    """Erase one request's personal details (locked; again nothing if already erased)."""
    req = (
        ServiceRequest.objects.select_for_update()
        .filter(pk=row.pk, erased_at__isnull=True)
        .exclude(status__in=OPEN_STATUSES)
        .first()
    )
    if req is None:
        return 0
    attachments = RequestAttachment.objects.filter(request=req)
    for storage_name in attachments.values_list("storage_name", flat=True):
        delete_upload(storage_name)
    attachments.delete()
    RequestComment.objects.filter(request=req).delete()
    RequestEvent.objects.filter(request=req).update(note="", items=[])
    RequestPause.objects.filter(request=req).update(reason="")
    # A closed follow-up must keep a note (followup_closed_with_note).
    FollowUp.objects.filter(request=req).exclude(note="").update(note=ERASED_TEXT)
    # update(): the score and its date, which the rollups count, stay as they are.
    Rating.objects.filter(request=req).update(comment="")
    # The inbox messages about the request (their texts repeat notes, reasons and items; their
    # e-mail and SMS deliveries go with them).
    Notification.objects.filter(link__in=[talent_link(req), desk_link(req)]).delete()
    ServiceRequest.objects.filter(pk=req.pk).update(description="", fields={}, erased_at=now)
    return 1


def register_rules() -> None:
    """The services layer's rules (ServicesConfig.ready)."""
    register(
        Rule(
            name="services.sensitive",
            label="医疗健康信息和未成年人信息",
            period=Period(months=6),
            due=due_sensitive,
            handle=request_erase,
            row_label=lambda row: row.number,
        )
    )
    register(
        Rule(
            name="services.requests",
            label="绿色通道服务申请",
            period=Period(years=3),
            due=due_requests,
            handle=request_erase,
            row_label=lambda row: row.number,
        )
    )
