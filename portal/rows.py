"""Periodic jobs work row by row, and a bad row never stops them (DESIGN.md "Background
work"): each row runs in its own transaction; one that raises is rolled back, logged with its
label (a request or card number), counted, and left for the job's next run, and the job goes
on with the others. The supervision sweeps do the same per batch (portal.sweep)."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

logger = logging.getLogger("portal.rows")


@dataclass
class Tally:
    """What a run did: rows whose work returned something true, and the rows that failed."""

    job: str
    done: int = 0
    failed: list[str] = field(default_factory=list)
    failed_keys: set = field(default_factory=set)

    def log(self) -> None:
        if self.failed:
            logger.error(
                "%s: %d done, %d failed (%s); they are tried again at the next run",
                self.job,
                self.done,
                len(self.failed),
                "、".join(self.failed[:20]),
            )


def each_row(
    job: str,
    rows: Iterable,
    work: Callable,
    *,
    label: Callable = str,
    key: Callable = lambda row: getattr(row, "pk", row),
    tally: Tally | None = None,
) -> Tally:
    """``work(row)`` for every row, each in its own transaction (a savepoint when the caller
    already holds one); a row that raises is logged, counted and skipped."""
    tally = tally or Tally(job)
    for row in rows:
        try:
            with transaction.atomic():
                result = work(row)
        except Exception:
            name = _label(label, row)
            logger.exception("%s: %s failed; it is tried again at the next run", job, name)
            tally.failed.append(name)
            tally.failed_keys.add(key(row))
            continue
        tally.done += 1 if result is None else int(result)
    return tally


def _label(label: Callable, row) -> str:
    try:
        return str(label(row))
    except Exception:  # the label itself may be what is broken
        return repr(getattr(row, "pk", row))
