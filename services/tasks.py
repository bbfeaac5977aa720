"""Celery tasks of the green-channel layer: thin wrappers that call domain functions."""

from celery import shared_task

from services import periodic, recompute
from services.supervision import sla_sweep as run_sla_sweep


@shared_task
def sla_sweep() -> int:
    """One supervision sweep: due_soon, overdue and escalated notices (every 5 minutes)."""
    return run_sla_sweep()


@shared_task
def rating_invitations() -> int:
    """Invite talents to rate requests resolved 3 days ago (once each)."""
    return periodic.rating_invitations()


@shared_task
def auto_close() -> int:
    """Archive requests resolved 15 days ago and never rated."""
    return periodic.auto_close()


@shared_task
def followups_overdue() -> int:
    """Escalate overdue bad-rating follow-ups to the organization department."""
    return periodic.followups_overdue()


@shared_task
def department_digest() -> int:
    """The 08:30 digest for each department (working days)."""
    return periodic.department_digest()


@shared_task
def calendar_recompute(recompute_id: int) -> str:
    """Recompute open deadlines after a calendar change (a slice; it enqueues the next)."""
    return recompute.recompute_run(recompute_id)


@shared_task
def calendar_recomputes_retry() -> int:
    """Run calendar recomputations still pending (a lost publish, a dead worker, a failure)."""
    return recompute.recomputes_retry()
