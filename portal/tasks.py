"""Periodic housekeeping of the portal layer."""

from celery import shared_task

from portal.signin import purge_expired


@shared_task
def purge_login_throttle() -> int:
    """Delete sign-in failures older than the lockout window and lockouts that have ended."""
    return purge_expired()
