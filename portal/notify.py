"""The in-app inbox: writing and reading notifications.

The inbox row is written first, always, in the caller's transaction; e-mail (and, for urgent
messages, SMS) deliveries are written with it and sent after commit (portal.delivery).
``notifications_create_bulk`` does the same for many messages in a few statements (the
supervision sweeps).

Titles and bodies are written in the recipient's language (``User.language``): callers pass
lazy texts (``gettext_lazy``, ``format_lazy``, ``portal.localized.localized_lazy``), and they
are rendered here under ``portal.i18n.for_user(recipient)``, whatever the language of the
request that caused the message. A staff member who never chose English reads Chinese.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise

from portal.bulk import insert_returning
from portal.delivery import deliveries_create, deliveries_create_bulk
from portal.i18n import for_user
from portal.models import Notification


def in_language_of(recipient, text) -> str:
    """``text`` (a string or a lazy text) rendered in ``recipient``'s language; anything else
    (a plain string, or None, which the database then refuses) is passed on as it is."""
    if not isinstance(text, Promise):
        return text
    with for_user(recipient):
        return str(text)


@dataclass(frozen=True)
class Message:
    """One inbox message to write in bulk (the arguments of ``notification_create``)."""

    recipient: object  # a User
    kind: str
    title: str  # or a lazy text, rendered in the recipient's language
    body: str = ""
    link: str = ""
    dedupe_key: str = ""
    urgent: bool = False


def notification_create(
    *,
    recipient,
    kind: str,
    title,
    body="",
    link: str = "",
    dedupe_key=None,
    urgent: bool = False,
) -> Notification | None:
    """Put a message in ``recipient``'s inbox and schedule its e-mail (and SMS if ``urgent``).
    ``title`` and ``body`` are rendered in the recipient's language (lazy texts translate).

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
                title=in_language_of(recipient, title),
                body=in_language_of(recipient, body),
                link=link,
                dedupe_key=dedupe_key,
            )
            deliveries_create(notification, urgent=urgent)
            return notification
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def notifications_create_bulk(messages: list[Message]) -> int:
    """``notification_create`` for many messages at once, in the caller's transaction: one
    INSERT for the inbox rows (in chunks of a thousand), one for their deliveries, and the
    deliveries enqueued after commit a chunk per task. Return how many messages were written.

    Every message needs a ``dedupe_key``: a key that already exists (whoever wrote it, even a
    transaction committing meanwhile) is skipped by the database, and its message gets no
    delivery. Inactive accounts get nothing.
    """
    wanted = {}
    for message in messages:
        if not message.dedupe_key:
            raise ValueError("notifications_create_bulk needs a dedupe_key for every message")
        if message.recipient.is_active:
            wanted.setdefault(message.dedupe_key, message)
    if not wanted:
        return 0
    now = timezone.now()
    rows = [
        {
            "recipient_id": m.recipient.pk,
            "kind": m.kind,
            "title": in_language_of(m.recipient, m.title),
            "body": in_language_of(m.recipient, m.body),
            "link": m.link,
            "dedupe_key": m.dedupe_key,
            "created_at": now,
        }
        for m in wanted.values()
    ]
    written = insert_returning(
        Notification, rows, returning=("id", "dedupe_key"), ignore_conflicts=True
    )
    deliveries_create_bulk([(pk, wanted[key].recipient, wanted[key].urgent) for pk, key in written])
    return len(written)


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
