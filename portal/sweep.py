"""Supervision sweeps in bulk (DESIGN.md "Background work"): the engine under the requests'
sweep (services.supervision) and the card reviews' (cards.review_supervision).

A sweep reads the rows whose next look is due through a partial index, a bounded batch at a
time, and for each batch, in one transaction:

1. claims the batch with ``SELECT … FOR UPDATE SKIP LOCKED`` of the rows still due: a second
   sweep running at the same moment skips them, and once the first has committed they are no
   longer due, so it finds nothing to claim;
2. plans every row in Python (the levels it has reached, their recipients and texts), with the
   recipients loaded once for the whole batch;
3. writes the notice rows in one ``INSERT … ON CONFLICT DO NOTHING RETURNING``: the unique
   constraint (row, clock, level, deadline) decides what is new, whoever else writes, and only
   the new notices get inbox rows and deliveries, written in bulk (portal.notify), the
   deliveries enqueued after commit;
4. moves each row's next look on (one UPDATE).

The statements per batch do not depend on the batch's size. A bad row never stops the batch: a
row that fails to plan, or whose writes fail (the batch's writes are then done again row by
row, each in its own savepoint, to find it), is logged with its label, looked at again an hour
later, and counted.
"""

import dataclasses
import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from portal.bulk import insert_returning, update_column
from portal.notify import Message, notifications_create_bulk

# A row that failed is looked at again this much later (its next look, not the sweep's).
RETRY_AFTER = datetime.timedelta(hours=1)

# The sweeps of layers above services (subsidies …), run by the one supervision sweep
# (services.supervision.sla_sweep) after requests and card reviews; each registered from its
# AppConfig.ready(), so services never imports them. fn(now, batch_size) -> Tally.
_more_sweeps: dict = {}


def register(name: str, sweep) -> None:
    """Run ``sweep(now, batch_size)`` (returning a Tally) in every supervision sweep."""
    _more_sweeps[name] = sweep


def registered() -> dict:
    return dict(_more_sweeps)


@dataclass
class Reached:
    """One level a row has reached: the notice's fields (besides the row and ``created_at``)
    and the messages to send if the notice is new (their ``dedupe_key`` is filled in here)."""

    notice: dict
    messages: list[Message]


@dataclass
class Plan:
    reached: list[Reached] = field(default_factory=list)
    next_at: datetime.datetime | None = None


@dataclass
class Tally:
    """What a sweep did: rows claimed, notifications written, rows that failed."""

    rows: int = 0
    sent: int = 0
    failed: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.rows + other.rows, self.sent + other.sent, self.failed + other.failed)


class NoticeSweep:
    """Subclasses name their tables and say how to plan one row."""

    model = None  # the supervised rows (requests, card applications)
    notice_model = None  # one row per level notified (its unique constraint decides)
    owner = ""  # the notice's foreign key to the supervised row, as attname ("request_id")
    key: tuple[str, ...] = ()  # the notice's fields naming a level for one deadline
    next_field = ""  # the supervised row's "next look" column (partially indexed)
    dedupe_prefix = ""  # notifications are keyed "<prefix>:<notice id>:<recipient id>"
    logger = logging.getLogger("portal.sweep")

    def queryset(self):
        """The rows with what planning reads (select_related)."""
        return self.model.objects.all()

    def prepare(self, rows: list, now) -> object:
        """What every row of the batch shares (its recipients), loaded once per batch."""
        return None

    def plan(self, row, now, context) -> Plan:
        raise NotImplementedError

    def label(self, row) -> str:
        return str(row.pk)

    def claimed(self, rows: list) -> None:
        """Called with the batch just claimed, its locks held (tests force interleavings)."""

    # --- the engine -----------------------------------------------------------------------
    def run(self, now, batch_size: int) -> Tally:
        """Sweep every row due at ``now``, ``batch_size`` at a time."""
        tally, skip = Tally(), set()
        while True:
            ids = list(
                self.model.objects.filter(**{f"{self.next_field}__lte": now})
                .exclude(pk__in=skip)
                .order_by(self.next_field)
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            batch, done = self.batch(ids, now)
            tally += batch
            # Rows another sweep held (or still due, which planning never leaves them) are not
            # read again by this sweep: the next one takes them.
            skip.update(set(ids) - done)
            if len(ids) < batch_size:
                break
        return tally

    def supervise(self, pk: int, now) -> Tally:
        """Sweep one row (if it is due and nobody holds it)."""
        return self.batch([pk], now)[0]

    def batch(self, ids: list[int], now) -> tuple[Tally, set[int]]:
        """Claim, plan and write one batch; return the tally and the ids it moved on."""
        tally, failed = Tally(), []
        with transaction.atomic():
            rows = list(
                self.queryset()
                .select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=ids, **{f"{self.next_field}__lte": now})
                .order_by("pk")
            )
            if not rows:
                return tally, set()
            self.claimed(rows)
            tally.rows = len(rows)
            context = self.prepare(rows, now)
            planned = []
            for row in rows:
                try:
                    planned.append((row, self.plan(row, now, context)))
                except Exception:
                    self._failed(row, failed)
            try:
                with transaction.atomic():
                    tally.sent = self._write(planned)
            except Exception:
                self.logger.warning(
                    "writing a batch of %s failed; writing it row by row", len(planned)
                )
                tally.sent = 0
                for row, plan in planned:
                    try:
                        with transaction.atomic():
                            tally.sent += self._write([(row, plan)])
                    except Exception:
                        self._failed(row, failed)
            if failed:
                for row in failed:
                    setattr(row, self.next_field, now + RETRY_AFTER)
                update_column(self.model, self.next_field, failed)
            tally.failed = len(failed)
        done = {
            row.pk
            for row in rows
            if getattr(row, self.next_field) is None or getattr(row, self.next_field) > now
        }
        return tally, done

    def _failed(self, row, failed: list) -> None:
        self.logger.exception(
            "%s %s could not be supervised; looked at again in an hour",
            self.model._meta.verbose_name,
            self.label(row),
        )
        failed.append(row)

    def _write(self, planned: list[tuple[object, Plan]]) -> int:
        """Write the notices of ``planned``, the messages of those that are new, and each
        row's next look; return the notifications written."""
        stamp = timezone.now()
        notices = [
            {self.owner: row.pk, **reached.notice, "created_at": stamp}
            for row, plan in planned
            for reached in plan.reached
        ]
        new = {
            tuple(returned[1:]): returned[0]
            for returned in insert_returning(
                self.notice_model,
                notices,
                returning=("id", self.owner, *self.key),
                ignore_conflicts=True,
            )
        }
        messages = []
        for row, plan in planned:
            for reached in plan.reached:
                notice_id = new.get((row.pk, *(reached.notice[name] for name in self.key)))
                if notice_id is None:
                    continue  # already notified for this deadline
                messages += [
                    dataclasses.replace(
                        message,
                        dedupe_key=f"{self.dedupe_prefix}:{notice_id}:{message.recipient.pk}",
                    )
                    for message in reached.messages
                ]
        sent = notifications_create_bulk(messages)
        for row, plan in planned:
            setattr(row, self.next_field, plan.next_at)
        update_column(self.model, self.next_field, [row for row, _ in planned])
        return sent
