"""Celery tasks of the green-channel layer: thin wrappers that call domain functions."""

from celery import shared_task

from services.supervision import sla_sweep as run_sla_sweep


@shared_task
def sla_sweep() -> int:
    """One supervision sweep: due_soon, overdue and escalated notices (every 5 minutes)."""
    return run_sla_sweep()
