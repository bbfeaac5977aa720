"""Celery tasks of the card layer."""

from celery import shared_task

from cards.expiry import card_expire_due, card_expiry_reminders


@shared_task
def card_expiry() -> dict:
    """Nightly: expire cards past their end date, then remind at 90, 30 and 7 days."""
    return {"expired": card_expire_due(), "reminded": card_expiry_reminders()}
