"""The in-app inbox: writing and reading notifications.

Delivery by e-mail and SMS reads these rows; it is added with the Celery work (issue 5).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import Notification


def notification_create(
    *, recipient, kind: str, title: str, body: str = "", link: str = "", dedupe_key=None
) -> Notification | None:
    """Put a message in ``recipient``'s inbox. With a ``dedupe_key`` the message is written at
    most once, whoever calls and however often: returns None when it already exists."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title,
                body=body,
                link=link,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def notification_mark_read(*, notification: Notification) -> None:
    """Mark as read once; reading again keeps the first time."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def unread_count(user) -> int:
    return Notification.objects.visible_to(user).unread().count()
