"""Retention: the periods the privacy texts promise (《个人信息处理规则》 part 四, 《敏感个人信息
处理告知》), enforced every night.

Each app registers its rules from ``AppConfig.ready()`` (``register``); portal knows none of
the higher layers' models. A rule names what it keeps, for how long (a calendar period: "3 years
from the day it ended" is the same date three years later), which rows are due on a given
cutoff (by an indexed date; a row already handled is never due again) and what to do with one
row (``handle``, each row in its own transaction through portal.rows.each_row, so a bad row is
logged, counted and left for the next night) or with a batch of keys (``handle_batch``, for
plain log rows deleted by one statement). ``run`` walks every rule in bounded batches; the
Celery task ``portal.tasks.retention`` runs it at 03:10 Beijing time and ``manage.py retention
[--dry-run]`` by hand. Each run (not a dry run) writes one audit event with the counts, never
a personal detail.

What is deleted, and what only loses its content:
- the audit log and the personal-information access log (查看记录) are deleted row by row
  after 3 years (the audit log only through ``AuditEvent.objects.retention_delete``, which
  the PostgreSQL trigger lets through only for rows older than 3 years, see portal migration
  0015_retention);
- a green-channel request, a card and a card application keep their bare row and lose their
  content: their description, typed fields, attachments (the files too), comments, notes,
  rating text, inbox messages, documents and photos are erased, and the bare row (number,
  service type, department, status, dates, the on-time verdicts) stays. The supervision
  figures are daily rollups of exactly those columns (services.rollups) whose signals
  subtract a deleted request's contribution: deleting the row would change the dashboard's
  history, and ``rebuild_rollups`` would lose it again even if the signals were bypassed. The
  privacy texts say so (期满删除……只保留不含这些内容的……记录). The row still names the
  applicant's account until the account itself is closed.
Consent records (3 years after the account is closed) have no rule yet: accounts are not
closed anywhere today. Bank accounts register their own rule (subsidies.retention).
"""

import calendar
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.rows import Tally, each_row

logger = logging.getLogger("portal.retention")

# What an erased text that must not be empty (a rejection's reason, a closed follow-up's note)
# reads afterwards.
ERASED_TEXT = "（已按保存期限删除）"


@dataclass(frozen=True)
class Period:
    """A calendar period: ``Period(years=3)``, ``Period(months=6)``."""

    years: int = 0
    months: int = 0

    def before(self, moment: datetime.datetime) -> datetime.datetime:
        """``moment`` minus the period, on the calendar of ``moment``'s time zone (29 February
        falls back to the 28th; 31 August minus 6 months is 28 or 29 February)."""
        months = moment.year * 12 + moment.month - 1 - self.years * 12 - self.months
        year, month = divmod(months, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)

    @property
    def label(self) -> str:
        parts = [
            f"{self.years} 年" if self.years else "",
            f"{self.months} 个月" if self.months else "",
        ]
        # A zero period follows another rule's (talents: once the card's details are erased).
        return "".join(parts) or "随优才卡信息"


@dataclass(frozen=True)
class Rule:
    """One promise of the privacy texts.

    ``due(cutoff)``: the rows whose period ended at or before ``cutoff`` and that have not
    been handled yet, ordered (a queryset; ``pk`` is the key). ``handle(row, now)``: erase or
    delete one row (returns nothing or how many rows it handled), inside its own transaction.
    ``handle_batch(keys, now)``: instead of ``handle``, one statement for a batch of keys.
    """

    name: str
    label: str
    period: Period
    due: Callable
    handle: Callable | None = None
    handle_batch: Callable | None = None
    row_label: Callable = str
    batch_size: int = 200

    def cutoff(self, now: datetime.datetime) -> datetime.datetime:
        return self.period.before(timezone.localtime(now))


@dataclass
class Outcome:
    rule: Rule
    due: int = 0
    handled: int = 0
    failed: list[str] = field(default_factory=list)


_RULES: dict[str, Rule] = {}


def register(rule: Rule) -> None:
    """Add a rule (AppConfig.ready); registering one name twice keeps the first."""
    if (rule.handle is None) == (rule.handle_batch is None):
        raise ValueError(f"{rule.name}: give exactly one of handle and handle_batch.")
    _RULES.setdefault(rule.name, rule)


def rules() -> list[Rule]:
    return list(_RULES.values())


def run_rule(rule: Rule, *, now=None, dry_run: bool = False, limit: int | None = None) -> Outcome:
    """Handle the due rows of ``rule`` in batches (at most ``limit`` rows, the rest the next
    night); a dry run only counts them."""
    now = now or timezone.now()
    limit = limit or settings.RETENTION_MAX_ROWS
    due = rule.due(rule.cutoff(now))
    outcome = Outcome(rule)
    if dry_run:
        outcome.due = due.count()
        return outcome
    tally = Tally(f"retention {rule.name}")
    while outcome.due < limit:
        size = min(rule.batch_size, limit - outcome.due)
        batch = due.exclude(pk__in=tally.failed_keys) if tally.failed_keys else due
        rows = list(batch[:size])
        if not rows:
            break
        outcome.due += len(rows)
        if rule.handle_batch is not None:
            try:
                with transaction.atomic():
                    tally.done += rule.handle_batch([row.pk for row in rows], now)
            except Exception:
                logger.exception("retention %s: a batch failed; tried again next night", rule.name)
                tally.failed.extend(_safe_label(rule, row) for row in rows)
                break  # one statement: the next batch would fail the same way
        else:
            before = (tally.done, len(tally.failed))
            each_row(
                f"retention {rule.name}",
                rows,
                lambda row: rule.handle(row, now),
                label=rule.row_label,
                tally=tally,
            )
            if (tally.done, len(tally.failed)) == before:
                break  # rows still due that their handler leaves alone: nothing more to do
        if len(rows) < size:
            break
    tally.log()
    outcome.handled = tally.done
    outcome.failed = tally.failed
    return outcome


def _safe_label(rule: Rule, row) -> str:
    try:
        return str(rule.row_label(row))
    except Exception:
        return repr(row.pk)


def run(*, now=None, dry_run: bool = False, names: list[str] | None = None) -> list[Outcome]:
    """Every registered rule (or those named); a rule that fails as a whole is logged and the
    others still run. A real run writes one audit event with the counts."""
    now = now or timezone.now()
    outcomes = []
    for rule in rules():
        if names and rule.name not in names:
            continue
        try:
            outcomes.append(run_rule(rule, now=now, dry_run=dry_run))
        except Exception:
            logger.exception("retention %s failed as a whole; tried again next night", rule.name)
            outcomes.append(Outcome(rule, failed=["*"]))
    if not dry_run:
        _audit(outcomes)
    return outcomes


def summary(outcomes: list[Outcome]) -> str:
    """``绿色通道服务申请 2/2；审计日志 0/0`` (handled/due, and failures): no personal data."""
    parts = []
    for one in outcomes:
        text = f"{one.rule.label} {one.handled}/{one.due}"
        if one.failed:
            text += f"（失败 {len(one.failed)}）"
        parts.append(text)
    return "；".join(parts)


def _audit(outcomes: list[Outcome]) -> None:
    from portal.audit import RetentionAction, audit_record

    audit_record(
        action=RetentionAction.RUN,
        object_type="portal.retention",
        retention_counts=summary(outcomes),
        retention_handled=sum(one.handled for one in outcomes),
        retention_failed=sum(len(one.failed) for one in outcomes),
    )


# --- Portal's own rules: the audit log and the access log ----------------------------------


def _audit_due(cutoff):
    from portal.models import AuditEvent

    return AuditEvent.objects.filter(at__lt=cutoff).order_by("at", "id").only("pk")


def _audit_delete(keys: list, now) -> int:
    from portal.models import AuditEvent
    from portal.models.audit import AUDIT_RETENTION_YEARS

    cutoff = Period(years=AUDIT_RETENTION_YEARS).before(timezone.localtime(now))
    return AuditEvent.objects.filter(pk__in=keys).retention_delete(cutoff)


def _access_due(cutoff):
    from portal.models import AccessLog

    return AccessLog.objects.filter(at__lt=cutoff).order_by("at", "id").only("pk")


def _access_delete(keys: list, now) -> int:
    from portal.models import AccessLog

    deleted, _ = AccessLog.objects.filter(pk__in=keys).delete()
    return deleted


def register_portal() -> None:
    """Portal's rules (PortalConfig.ready)."""
    from portal.models.audit import AUDIT_RETENTION_YEARS

    register(
        Rule(
            name="portal.audit",
            label="审计日志",
            period=Period(years=AUDIT_RETENTION_YEARS),
            due=_audit_due,
            handle_batch=_audit_delete,
            batch_size=2000,
        )
    )
    register(
        Rule(
            name="portal.access_log",
            label="个人信息查看记录",
            period=Period(years=3),
            due=_access_due,
            handle_batch=_access_delete,
            batch_size=2000,
        )
    )
