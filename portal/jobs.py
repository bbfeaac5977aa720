"""Background jobs a user waits on (portal.models.Job): created, claimed, run with progress,
finished or failed, downloaded, and expired after 24 hours.

What a job does is a *producer*, registered per kind by the layer that owns the data
(``register_producer`` from its AppConfig.ready(); services registers its exports), so portal
runs jobs without importing the layers above it. A producer writes its result to the path it
is given, reports rows through ``JobRun.advance`` and returns the download's name and type.

How a job survives the real world:

- Created in the web request's transaction and sent to the broker after commit through
  ``portal.delivery.enqueue`` (a broker outage never fails the request); ``jobs_upkeep``
  (every minute) sends again whatever is still queued a while later.
- The task claims the row with one conditional UPDATE that bumps ``attempt``: two deliveries
  of the same task never both run it, a done job is never redone, and a run whose worker died
  (no heartbeat for ``STALE_AFTER``) is restarted from scratch into a new file. Every write a
  run makes is conditional on its own attempt, so a superseded run stops at its next report.
- The file lives in the private storage area of the uploads (``PRIVATE_UPLOAD_ROOT``, served
  only through permission-checked views) under a random name, and ``jobs_upkeep`` deletes it
  when its 24 hours are over.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from portal.delivery import enqueue
from portal.models import Job, JobStatus
from portal.uploads import private_storage, serve_upload

logger = logging.getLogger("portal.jobs")

FOLDER = "jobs"
# Rows between two progress reports (one UPDATE each): the bar moves every second or so on
# a big export, and a million rows cost two hundred small writes.
PROGRESS_EVERY = 5000
# A queued job nobody took for this long is sent to the broker again (it was down).
REQUEUE_AFTER = timedelta(minutes=2)
# A running job silent for this long lost its worker: it is queued again from scratch.
STALE_AFTER = timedelta(minutes=10)
# Runs a job may start before it is given up (each restart follows a dead worker).
MAX_ATTEMPTS = 3
UPKEEP_BATCH = 200

FAILED_TEXT = "任务未能完成，请稍后重新发起；如仍失败，请联系系统管理员。"
TIMEOUT_TEXT = "任务运行时间过长，已停止。请缩短统计期间后重新发起。"
GAVE_UP_TEXT = "任务多次中断，未能完成，请稍后重新发起。"
UNKNOWN_KIND_TEXT = "系统已不支持这类任务，请重新发起。"
GONE_TEXT = "导出文件已过期删除（文件保留24小时），请重新导出。"
NOT_READY_TEXT = "文件尚未生成，请等待任务完成。"


class JobError(Exception):
    """A failure the requester may read: the message is Chinese and names no internals."""


class Superseded(Exception):
    """Another run took the job over (or it was given up): this run stops writing."""


class JobFileGone(Exception):
    """The job's file has expired or was deleted."""


class JobNotReady(Exception):
    """The job has no file yet (queued, running or failed)."""


@dataclass(frozen=True)
class Output:
    """What a producer made: the name the download is saved under and its content type."""

    filename: str
    content_type: str


@dataclass(frozen=True)
class _Producer:
    produce: Callable[["JobRun"], Output]
    label: str


_PRODUCERS: dict[str, _Producer] = {}


def register_producer(kind: str, produce: Callable[["JobRun"], Output], *, label: str) -> None:
    """Make ``kind`` a job kind: ``produce(run)`` does the work (``label`` is its Chinese
    name). Called by the owning layer from its AppConfig.ready()."""
    known = _PRODUCERS.get(kind)
    if known and known.produce is not produce:
        raise ValueError(f"Job kind {kind!r} is already registered.")
    _PRODUCERS[kind] = _Producer(produce, label)


def job_kinds() -> list[str]:
    return list(_PRODUCERS)


def kind_label(kind: str) -> str:
    return _PRODUCERS[kind].label if kind in _PRODUCERS else kind


class JobRun:
    """One run of a claimed job, as its producer sees it: where to write, and how to say
    how far it got."""

    def __init__(self, job: Job, path: Path):
        self.job = job
        self.path = path
        self.params = job.params
        self.rows = 0
        self.total: int | None = None
        self._reported = 0

    def set_total(self, total: int) -> None:
        """The number of rows the run expects (a count at the start): the bar's 100 %."""
        self.total = total
        self.report()

    def advance(self, rows: int = 1) -> None:
        """``rows`` more rows are written; report every PROGRESS_EVERY rows."""
        self.rows += rows
        if self.rows - self._reported >= PROGRESS_EVERY:
            self.report()

    def report(self) -> None:
        job_progress(self.job, rows=self.rows, total=self.total)
        self._reported = self.rows


# --- the life of a job ----------------------------------------------------------------------
def job_create(*, kind: str, user, params: dict) -> Job:
    """Queue a job of a registered ``kind`` for ``user``; the task is sent after commit (a
    broker outage leaves it queued for jobs_upkeep to send again)."""
    if kind not in _PRODUCERS:
        raise ValueError(f"Unknown job kind {kind!r}.")
    job = Job.objects.create(kind=kind, requested_by=user, params=params)
    enqueue(run_job, job.pk)
    return job


def job_start(job_id: int) -> Job | None:
    """Claim the job for this run, or None when there is nothing to do: it is done, failed,
    unknown, or running elsewhere with a recent heartbeat. A running job without one lost its
    worker (a redelivered task after a crash): it restarts from zero, as a new attempt."""
    now = timezone.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(
        status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    claimed = (
        Job.objects.filter(claimable, pk=job_id)
        .filter(attempt__lt=MAX_ATTEMPTS)
        .update(
            status=JobStatus.RUNNING,
            attempt=F("attempt") + 1,
            started_at=now,
            heartbeat_at=now,
            progress=0,
            rows=0,
            total=None,
            error="",
        )
    )
    return Job.objects.get(pk=job_id) if claimed else None


def _mine(job: Job):
    """The job's row as long as this run still holds it."""
    return Job.objects.filter(pk=job.pk, attempt=job.attempt, status=JobStatus.RUNNING)


def job_progress(job: Job, *, rows: int, total: int | None) -> None:
    """Record how far the run got (and that it is alive). The bar stays below 100 until the
    file is complete. Raises Superseded when another run holds the job now."""
    progress = min(99, rows * 100 // total) if total else 0
    updated = _mine(job).update(
        rows=rows, total=total, progress=progress, heartbeat_at=timezone.now()
    )
    if not updated:
        raise Superseded


def job_finish(job: Job, *, storage_name: str, output: Output, rows: int) -> None:
    """Mark the job done with its file, kept JOB_FILE_HOURS (24) hours."""
    now = timezone.now()
    updated = _mine(job).update(
        status=JobStatus.DONE,
        progress=100,
        rows=rows,
        file=storage_name,
        filename=output.filename,
        content_type=output.content_type,
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + timedelta(hours=settings.JOB_FILE_HOURS),
    )
    if not updated:
        raise Superseded


def job_fail(job: Job, *, error: str) -> bool:
    """Mark the job failed with a Chinese ``error`` the requester reads; False when this run
    no longer holds it."""
    now = timezone.now()
    updated = _mine(job).update(
        status=JobStatus.FAILED, error=error[:300], finished_at=now, heartbeat_at=now
    )
    return bool(updated)


def _discard(storage_name: str) -> None:
    try:
        private_storage().delete(storage_name)
    except OSError:
        logger.warning("job file %s could not be deleted", storage_name, exc_info=True)


def job_run(job_id: int) -> str:
    """Do the job (the Celery task's body): claim it, run its producer into a new file,
    finish or fail it. Idempotent: a done job is skipped, a restarted one starts over."""
    job = job_start(job_id)
    if job is None:
        return "skipped"
    producer = _PRODUCERS.get(job.kind)
    if producer is None:
        job_fail(job, error=UNKNOWN_KIND_TEXT)
        return "failed"
    stamp = timezone.localdate().strftime("%Y/%m")
    storage_name = f"{FOLDER}/{stamp}/{secrets.token_hex(16)}"
    path = Path(private_storage().path(storage_name))
    path.parent.mkdir(parents=True, exist_ok=True)
    run = JobRun(job, path)
    try:
        output = producer.produce(run)
        job_finish(job, storage_name=storage_name, output=output, rows=run.rows)
    except Superseded:
        _discard(storage_name)
        return "superseded"
    except SoftTimeLimitExceeded:
        _discard(storage_name)
        job_fail(job, error=TIMEOUT_TEXT)
        return "failed"
    except JobError as error:
        _discard(storage_name)
        job_fail(job, error=str(error))
        return "failed"
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _discard(storage_name)
        job_fail(job, error=FAILED_TEXT)
        return "failed"
    return "done"


def job_download(job: Job):
    """The job's file, streamed from disk. Call only on a job from ``visible_to(user)``.
    Raises JobNotReady before it is done, JobFileGone after its 24 hours."""
    if job.status != JobStatus.DONE:
        raise JobNotReady(NOT_READY_TEXT)
    if job.file_expired or not Path(private_storage().path(job.file)).is_file():
        raise JobFileGone(GONE_TEXT)
    return serve_upload(
        job.file, content_type=job.content_type, filename=job.filename, inline=False
    )


# --- upkeep (every minute, portal.tasks.upkeep_jobs) ----------------------------------------
def _each(queryset, step) -> int:
    """Apply ``step`` to each row of ``queryset`` in bounded batches (by id, so a row that
    fails is passed over instead of being picked again); a failing row is logged and the
    others still get their turn. Returns the number of rows handled."""
    done, last = 0, 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:UPKEEP_BATCH])
        for job in batch:
            try:
                done += bool(step(job))
            except Exception:
                logger.exception("job upkeep failed for job %s", job.pk)
        if len(batch) < UPKEEP_BATCH:
            return done
        last = batch[-1].pk


def _expire(now):
    def step(job: Job) -> bool:
        private_storage().delete(job.file)  # a file already gone is no error
        return bool(
            Job.objects.filter(pk=job.pk, file=job.file).update(file="", file_deleted_at=now)
        )

    return step


def _requeue(now):
    def step(job: Job) -> bool:
        if job.status == JobStatus.RUNNING and job.attempt >= MAX_ATTEMPTS:
            return job_fail(job, error=GAVE_UP_TEXT)
        # Conditional on what was read: a run that just started or reported keeps the job.
        moved = Job.objects.filter(
            pk=job.pk, status=job.status, attempt=job.attempt, heartbeat_at=job.heartbeat_at
        ).update(status=JobStatus.QUEUED, heartbeat_at=now)
        if moved:
            enqueue(run_job, job.pk)
        return bool(moved)

    return step


def jobs_upkeep(now=None) -> dict[str, int]:
    """Delete the files whose 24 hours are over (the row stays, marked), send queued jobs
    nobody took to the broker again, and queue again the running jobs whose worker died (up
    to MAX_ATTEMPTS runs, then the job fails). Idempotent; a bad row never stops the rest."""
    now = now or timezone.now()
    expired = _each(
        Job.objects.filter(expires_at__lte=now).exclude(file="").only("pk", "file"),
        _expire(now),
    )
    lost = Q(status=JobStatus.QUEUED, heartbeat_at__lt=now - REQUEUE_AFTER) | Q(
        status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    requeued = _each(Job.objects.filter(lost), _requeue(now))
    return {"expired": expired, "requeued": requeued}


# --- Celery tasks ---------------------------------------------------------------------------
# They live with the job machinery (portal.jobs is imported by every process that registers a
# producer, the worker included). A big export runs for minutes, not the default two: its own
# limits, the soft one failing the job with a message the requester reads; both stay below the
# broker's visibility timeout.
@shared_task(soft_time_limit=settings.JOB_SOFT_TIME_LIMIT, time_limit=settings.JOB_TIME_LIMIT)
def run_job(job_id: int) -> str:
    """Run one background job (job_run): a done job is skipped, a job whose worker died
    restarts cleanly."""
    return job_run(job_id)


@shared_task
def upkeep_jobs() -> dict:
    """Delete job files older than 24 hours; send lost jobs to the broker again."""
    return jobs_upkeep()
