"""Liveness of the two things the portal cannot work without: the database and the broker."""

from celery import current_app
from django.db import connection


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:
        return False


def broker_ok() -> bool:
    """Can a message be handed to the broker right now? Answers within about a second."""
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        return True
    except Exception:
        return False
