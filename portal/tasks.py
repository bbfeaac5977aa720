"""Celery tasks of the portal layer: they take IDs and call domain functions."""

from celery import shared_task

from portal.credentials import tokens_purge_expired
from portal.delivery import addresses_erase, deliveries_retry, deliveries_send, delivery_send
from portal.idempotency import keys_purge
from portal.retention import run as retention_run
from portal.retention import summary as retention_summary
from portal.signin import purge_expired


@shared_task
def send_delivery(delivery_id: int) -> str:
    """Send one e-mail or SMS delivery (idempotent: a sent one is skipped)."""
    return delivery_send(delivery_id)


@shared_task
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Send a chunk of deliveries written in bulk (each idempotent, as send_delivery)."""
    return deliveries_send(delivery_ids)


@shared_task
def retry_deliveries() -> int:
    """Send pending deliveries whose next attempt is due (broker outages, dead workers)."""
    return deliveries_retry()


@shared_task
def erase_delivery_addresses() -> int:
    """Erase the phone numbers and e-mail addresses of deliveries over for longer than
    DELIVERY_ADDRESS_RETENTION_DAYS (idempotent, in batches)."""
    return addresses_erase()


@shared_task
def retention() -> str:
    """Erase what the privacy texts' retention periods say is over (portal.retention; each
    rule in bounded batches, idempotent, a bad row skipped and tried again the next night)."""
    return retention_summary(retention_run())


@shared_task
def purge_login_throttle() -> int:
    """Delete sign-in failures older than the lockout window and lockouts that have ended."""
    return purge_expired()


@shared_task
def purge_expired_tokens() -> int:
    """Delete API tokens past their expiry (idempotent)."""
    return tokens_purge_expired()


@shared_task
def purge_idempotency_keys() -> int:
    """Delete submit-once keys older than 24 hours (they answer nothing any more)."""
    return keys_purge()
