"""Celery tasks of the talents layer (idempotent; scheduled in settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

logger = logging.getLogger("talents.tasks")


@shared_task(name="talents.rollup_reconcile")
def rollup_reconcile() -> int:
    """Nightly: recount 人才画像's rollup when it differs from the profiles (a listener that
    failed, a bulk load); returns the cells that differed."""
    from talents.rollups import differences, rebuild

    wrong = differences()
    if wrong:
        logger.warning("talent rollup differed in %s cells; rebuilt", len(wrong))
        rebuild()
    return len(wrong)
