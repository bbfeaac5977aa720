from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


# Nothing happens to a job in these states any more (its file may still expire).
TERMINAL_JOB_STATUSES = (JobStatus.DONE, JobStatus.FAILED)


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one access path: a job and its file are seen by the user who asked for it,
        nobody else (an admin sees their own jobs, not another admin's)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(requested_by=user)


class Job(models.Model):
    """A piece of background work a user asked for and waits on, with a progress bar: today
    the big exports (API.md "Big exports, with progress").

    portal.jobs runs it: the Celery task claims the row (``attempt`` is the claim's token,
    so a superseded run stops writing), reports progress and ``heartbeat_at`` every few
    thousand rows, and writes the result to a file in the private storage area, kept until
    ``expires_at``. What a job does is a *producer* registered for its ``kind`` by the layer
    that owns the data; portal knows only the kinds' names.
    """

    kind = models.CharField("类型", max_length=40)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    total = models.PositiveIntegerField("总行数", null=True, blank=True)
    rows = models.PositiveIntegerField("已处理行数", default=0)
    # The result under settings.PRIVATE_UPLOAD_ROOT; emptied when the file is deleted.
    file = models.CharField("文件", max_length=300, blank=True)
    filename = models.CharField("下载文件名", max_length=200, blank=True)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    # What the requester reads when the job failed: Chinese, never a traceback.
    error = models.CharField("失败原因", max_length=300, blank=True)
    attempt = models.PositiveSmallIntegerField("执行次数", default=0)
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # Queued: when it was last sent to the broker; running: the last sign of life.
    heartbeat_at = models.DateTimeField("最近活动时间", default=timezone.now)
    expires_at = models.DateTimeField("文件过期时间", null=True, blank=True)
    file_deleted_at = models.DateTimeField("文件删除时间", null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="job_progress_0_100"
            ),
        ]
        indexes = [
            # A user's own jobs, newest first.
            models.Index(fields=["requested_by", "-created_at"], name="job_requester_idx"),
            # The upkeep job: queued or running jobs that show no sign of life.
            models.Index(
                fields=["heartbeat_at"],
                condition=Q(status__in=["queued", "running"]),
                name="job_unfinished_idx",
            ),
            # The upkeep job: files whose 24 hours are over.
            models.Index(fields=["expires_at"], condition=~Q(file=""), name="job_file_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def file_expired(self) -> bool:
        """Done, but the file is gone (deleted by the upkeep job) or past its 24 hours."""
        return self.status == JobStatus.DONE and (
            not self.file or (self.expires_at is not None and self.expires_at <= timezone.now())
        )
