"""The in-app inbox: writing and reading notifications.

The inbox row is written first, always, in the caller's transaction; e-mail (and, for urgent
messages, SMS) deliveries are written with it and sent after commit (portal.delivery).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.delivery import deliveries_create
from portal.models import Notification


def notification_create(
    *,
    recipient,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key=None,
    urgent: bool = False,
) -> Notification | None:
    """Put a message in ``recipient``'s inbox and schedule its e-mail (and SMS if ``urgent``).

    With a ``dedupe_key`` the message is written at most once, whoever calls and however
    often: returns None when it already exists. Inactive accounts get nothing.
    """
    if not recipient.is_active:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title,
                body=body,
                link=link,
                dedupe_key=dedupe_key,
            )
            deliveries_create(notification, urgent=urgent)
            return notification
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def notification_mark_read(*, notification: Notification) -> None:
    """Mark as read once; reading again keeps the first time."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user) -> int:
    """全部已读: mark every unread message of ``user``'s inbox read in one statement (the
    partial unread index finds them); return how many. Those already read keep their time."""
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.visible_to(user).unread().count()
