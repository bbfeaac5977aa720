"""Delivering notifications by e-mail and SMS, after the inbox row is written.

Web requests never talk to the broker inside their transaction: ``enqueue`` schedules the
task for after commit and swallows a broker failure (logged), because the Delivery row is
already safe in the database and ``deliveries_retry`` (every minute) sends whatever is still
pending. Sending locks the row and marks it sent in one transaction, so two workers, or a task
and the retry job, never send the same delivery twice.

Addresses are stored encrypted (``Delivery.address``) and erased once a delivery has been over
for ``DELIVERY_ADDRESS_RETENTION_DAYS`` (``addresses_erase``, a daily task).
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal import crypto
from portal.i18n import normalize
from portal.models import Channel, Delivery, DeliveryStatus, Notification, SmsOutbox, User
from portal.sms import get_backend

logger = logging.getLogger("portal.delivery")


# Circuit breaker: after a failed publish this process leaves the broker alone for a while, so
# a request that enqueues several tasks during an outage pays for one timeout, not one each.
BREAKER_SECONDS = 30
_breaker = {"until": 0.0}  # process-wide; a float swap needs no lock


def _broker_open() -> bool:
    return time.monotonic() >= _breaker["until"]


def enqueue(task, *args) -> None:
    """Send ``task.apply_async(args)`` once the current transaction commits; never raise.

    With the broker down, the publish fails fast (one connection attempt, short timeout) and
    the periodic job picks the work up later: the row it works on is already committed.
    """

    def publish():
        if not _broker_open():
            return
        try:
            task.apply_async(args=args, retry=False)
        except Exception:
            _breaker["until"] = time.monotonic() + BREAKER_SECONDS
            logger.warning("broker unavailable; %s%s left for the retry job", task.name, args)

    transaction.on_commit(publish)


def deliveries_create(notification: Notification, *, urgent: bool) -> list[Delivery]:
    """The rows for a new notification: e-mail when the recipient has an address, SMS too
    for urgent messages when they have a mobile number. Enqueued after commit."""
    from portal.tasks import send_delivery

    recipient = notification.recipient
    # The task sent after commit normally delivers at once; the retry job waits a minute
    # before it takes a new row, so it only handles what the task did not.
    later = timezone.now() + timedelta(minutes=1)
    rows = []
    if recipient.email:
        rows.append(Delivery(notification=notification, channel=Channel.EMAIL,
                             address=recipient.email, next_attempt_at=later))  # fmt: skip
    if urgent and recipient.phone:
        rows.append(Delivery(notification=notification, channel=Channel.SMS,
                             address=recipient.phone, next_attempt_at=later))  # fmt: skip
    for row in rows:
        row.save()
        enqueue(send_delivery, row.pk)
    return rows


# Deliveries sent by one task when written in bulk: each send may take a second (an SMTP or
# SMS gateway round trip), and a task must end well within CELERY_TASK_SOFT_TIME_LIMIT.
DELIVERIES_PER_TASK = 50


def deliveries_create_bulk(notifications: list[tuple[int, object, bool]]) -> list[int]:
    """``deliveries_create`` for many new notifications at once, given as
    ``(notification id, recipient, urgent)``: one INSERT, then after commit one task per
    ``DELIVERIES_PER_TASK`` deliveries (what a lost publish leaves, the retry job sends).
    Return the new deliveries' ids."""
    from portal.bulk import insert_returning
    from portal.tasks import send_deliveries

    now = timezone.now()
    later = now + timedelta(minutes=1)
    rows = []
    for notification_id, recipient, urgent in notifications:
        channels = [(Channel.EMAIL, recipient.email)]
        if urgent:
            channels.append((Channel.SMS, recipient.phone))
        rows += [
            {
                "notification_id": notification_id,
                "channel": channel,
                "address_encrypted": crypto.seal(address),
                "next_attempt_at": later,
                "created_at": now,
            }
            for channel, address in channels
            if address
        ]
    ids = [pk for (pk,) in insert_returning(Delivery, rows, returning=("id",))]
    for start in range(0, len(ids), DELIVERIES_PER_TASK):
        enqueue(send_deliveries, ids[start : start + DELIVERIES_PER_TASK])
    return ids


def sms_direct(*, phone: str, text: str) -> Delivery:
    """Send ``text`` by SMS to ``phone`` outside any inbox (a verification code).

    Written as a Delivery row in the caller's transaction and sent after commit like every
    other message, so a broker outage delays it by at most the retry interval and never fails
    the web request. The text is stored encrypted and erased once sent.
    """
    from portal.tasks import send_delivery

    delivery = Delivery.objects.create(
        notification=None,
        channel=Channel.SMS,
        address=phone,
        text_encrypted=crypto.encrypt(text),
        # A code is worth nothing late: the retry job takes it after 20 seconds, not a minute.
        next_attempt_at=timezone.now() + timedelta(seconds=20),
    )
    enqueue(send_delivery, delivery.pk)
    return delivery


def _recipient_language(notification: Notification):
    """The recipient's language, for the words a delivery adds around the inbox text (which
    was written in it): one small query rather than the whole account with its sealed
    columns."""
    return translation.override(
        normalize(
            User.objects.filter(pk=notification.recipient_id)
            .values_list("language", flat=True)
            .first()
        )
    )


def _email(delivery: Delivery) -> None:
    notification = delivery.notification
    link = f"{settings.SITE_URL.rstrip('/')}{notification.link}" if notification.link else ""
    with _recipient_language(notification):
        more = gettext("查看详情：%(link)s") % {"link": link} if link else ""
        subject = gettext("【巴州优才卡】%(title)s") % {"title": notification.title}
    body = "\n\n".join(part for part in (notification.body, more) if part)
    message = EmailMessage(
        subject=subject,
        body=body or notification.title,
        to=[delivery.address],
        # A stable Message-ID lets a mail server drop a resend after a crash mid-delivery.
        headers={"Message-ID": f"<delivery-{delivery.pk}@bazhou-youcai>"},
    )
    message.send(fail_silently=False)


def _sms(delivery: Delivery) -> None:
    if delivery.notification is None:
        text = crypto.decrypt(delivery.text_encrypted)
    else:
        # Short and free of personal data: the details are behind the login.
        with _recipient_language(delivery.notification):
            text = gettext("【巴州优才卡】%(title)s。详情请登录平台查看。") % {
                "title": delivery.notification.title
            }
    get_backend().send(delivery, text)


SENDERS = {Channel.EMAIL: _email, Channel.SMS: _sms}


def delivery_send(delivery_id: int) -> str:
    """Send one delivery if it is still pending; return what happened.

    Idempotent: a delivery already sent (or being sent by another worker, whose lock this
    call skips) is left alone.
    """
    try:
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("notification")
                .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
                .first()
            )
            if delivery is None:
                return "skipped"
            SENDERS[delivery.channel](delivery)
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.attempts += 1
            delivery.text_encrypted = ""  # a direct message (a code) is not kept once sent
            delivery.save(update_fields=["status", "sent_at", "attempts", "text_encrypted"])
            return "sent"
    except Exception as exc:
        _schedule_retry(delivery_id, exc)
        return "retry"


def _error_text(delivery: Delivery | None, exc: Exception) -> str:
    """The error as kept and logged, the address masked: a mail server's refusal names the
    recipient (``SMTPRecipientsRefused``), a gateway's may name the number."""
    text = f"{type(exc).__name__}: {exc}"
    try:
        address = delivery.address if delivery is not None else ""
    except crypto.DecryptionError:  # the very failure being recorded, perhaps
        return text
    return text.replace(address, delivery.address_masked) if address else text


def _schedule_retry(delivery_id: int, exc: Exception) -> None:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        error = _error_text(delivery, exc)
        logger.warning("delivery %s failed: %s", delivery_id, error)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return
        delivery.attempts += 1
        delivery.last_error = error[:1000]
        if delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.text_encrypted = ""
        else:
            backoff = settings.DELIVERY_BACKOFF_MINUTES
            minutes = backoff[min(delivery.attempts - 1, len(backoff) - 1)]
            delivery.next_attempt_at = timezone.now() + timedelta(minutes=minutes)
        delivery.save(
            update_fields=["attempts", "last_error", "status", "next_attempt_at", "text_encrypted"]
        )


def deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """``delivery_send`` for each id (a task per bulk-written chunk); return the outcomes
    counted. Each delivery is claimed and sent on its own, as by ``send_delivery``."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = delivery_send(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def deliveries_retry(limit: int = 500) -> int:
    """Send pending deliveries whose next attempt is due (read through the partial index);
    return how many were tried. Covers a broker that was down and a worker that died."""
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        delivery_send(delivery_id)
    return len(due)


# Deliveries whose address is erased by one UPDATE: short statements, short row locks.
ERASE_BATCH = 1000


def addresses_erase(now=None, *, batch: int = ERASE_BATCH) -> int:
    """Erase the address (and its outbox copy) of every delivery that has been over (sent or
    failed) for ``DELIVERY_ADDRESS_RETENTION_DAYS``, recording when; return how many.

    Idempotent and bounded: each batch is one UPDATE of constants by id in its own transaction
    (no row can fail it), through the partial index ``delivery_address_kept_idx``; an erased
    row is never picked again. Pending deliveries keep their address until they are over.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DELIVERY_ADDRESS_RETENTION_DAYS)
    due = (
        Delivery.objects.filter(address_erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .exclude(sent_at__gte=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    erased = 0
    while True:
        with transaction.atomic():
            ids = list(due[:batch])
            if not ids:
                break
            erased += Delivery.objects.filter(pk__in=ids, address_erased_at__isnull=True).update(
                address_encrypted="", address_erased_at=now
            )
            SmsOutbox.objects.filter(delivery_id__in=ids).update(
                phone_encrypted="", phone_hash=None
            )
        if len(ids) < batch:
            break
    if erased:
        logger.info("erased the addresses of %d deliveries older than %s", erased, cutoff)
    return erased
