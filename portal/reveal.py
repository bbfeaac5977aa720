"""Revealing a person's full personal information, with a stated purpose.

Names, phones and ID numbers are shown masked everywhere (DESIGN.md "Personal information").
A handler who must phone a talent may see the full values once, for a purpose they state; the
reveal is rationed per person and day, written to the audit trail (without the values), and
to the talent's own access log, so the person may know who read their details, when and why
(PIPL art. 44–45). Who may reveal what is decided by the layer that owns the business object
(services.reveal, cards.reveal); this module only does the reveal itself.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import PersonalInfoAction, audit_record
from portal.errors import RateLimited
from portal.models import AccessLog, Role, User
from portal.models.access import FIELD_LABELS

SHANGHAI = ZoneInfo("Asia/Shanghai")
PURPOSE_MIN_LENGTH = 4
PURPOSE_MAX_LENGTH = AccessLog._meta.get_field("purpose").max_length
# How an admin without a department appears on the talent's list.
ADMIN_OFFICE = "组织部人才办"


def day_start(now: datetime.datetime | None = None) -> datetime.datetime:
    """Midnight of the current Asia/Shanghai calendar day: the daily limit resets there."""
    local = timezone.localtime(now or timezone.now(), SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def reveals_today(actor, now: datetime.datetime | None = None) -> int:
    """How many reveals ``actor`` made since local midnight (index accesslog_actor_day_idx)."""
    return AccessLog.objects.filter(actor=actor, at__gte=day_start(now)).count()


def clean_purpose(purpose) -> str:
    """The stated purpose, stripped; at least ``PURPOSE_MIN_LENGTH`` characters."""
    purpose = (purpose or "").strip()
    if len(purpose) < PURPOSE_MIN_LENGTH:
        raise ValidationError(
            {
                "purpose": [
                    f"请填写查看目的（至少 {PURPOSE_MIN_LENGTH} 个字），如“电话联系核实住房情况”。"
                ]
            }
        )
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise ValidationError({"purpose": [f"查看目的不能超过 {PURPOSE_MAX_LENGTH} 个字。"]})
    return purpose


def _department_name(actor) -> str:
    if actor.department_id:
        return actor.department.name
    return ADMIN_OFFICE if actor.role == Role.ADMIN else ""


def personal_info_reveal(
    *, actor, subject, purpose: str, obj, object_label: str, ip: str | None = None
) -> dict:
    """Show ``subject``'s full name, phone and ID number to ``actor`` for ``purpose``, in the
    context of the business object ``obj`` (a request, an application) labelled
    ``object_label`` for the talent (e.g. "服务申请 FW-20260301-0001").

    The caller has checked that ``actor`` may reveal it. Raises ValidationError on a missing
    or short purpose, RateLimited once ``actor`` has made ``REVEAL_DAILY_LIMIT`` reveals this
    Asia/Shanghai day. Writes one AccessLog row and one AuditEvent, neither carrying a value.
    The values are returned to be shown once; nobody stores them.
    """
    return values_reveal(
        actor=actor,
        subject=subject,
        purpose=purpose,
        obj=obj,
        object_label=object_label,
        values=lambda: {
            "real_name": subject.real_name,
            "phone": subject.phone,
            "id_number": subject.id_number,
        },
        action=PersonalInfoAction.REVEAL,
        ip=ip,
    )


def values_reveal(
    *, actor, subject, purpose: str, obj, object_label: str, values, action, ip=None
) -> dict:
    """The reveal itself, for whichever values (``values()``: ``{field code: value}``, codes
    of portal.models.access.FIELD_LABELS): the purpose checked, the daily limit counted, one
    AccessLog row for the talent and one audit event ``action`` for the auditor, neither
    carrying a value."""
    purpose = clean_purpose(purpose)
    limit = settings.REVEAL_DAILY_LIMIT
    with transaction.atomic():
        # Lock the actor's own row: two reveals by one person at once are counted one after
        # the other, so the limit holds under concurrency on PostgreSQL (SQLite has no row
        # locks: there two simultaneous reveals may both pass the count). Only the row, no
        # join: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk"))
        if reveals_today(actor) >= limit:
            raise RateLimited(
                f"您今天查看完整个人信息已达 {limit} 次上限，请明天再查看；"
                "确有紧急需要，请联系组织部人才办。"
            )
        values = values()
        shown = [code for code in FIELD_LABELS if values.get(code)]
        AccessLog.objects.create(
            subject=subject,
            actor=actor,
            actor_name=actor.display_name,
            department_name=_department_name(actor),
            purpose=purpose,
            fields=shown,
            object_type=obj._meta.label_lower,
            object_label=object_label,
        )
        audit_record(
            action=action,
            actor=actor,
            obj=obj,
            ip=ip,
            object_label=object_label,
            subject=subject.pk,
            purpose=purpose,
            fields=shown,
        )
    return values


def access_log_for(user):
    """The reveals of ``user``'s details, newest first (index accesslog_subject_idx)."""
    return AccessLog.objects.visible_to(user).order_by("-at", "-id")


def access_log_recent(user, count: int = 5) -> list[AccessLog]:
    """The latest ``count`` rows, for the account page's summary
    (templates/portal/includes/access_log_summary.html reads them as ``access_log_recent``)."""
    return list(access_log_for(user)[:count])
