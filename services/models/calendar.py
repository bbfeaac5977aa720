from django.conf import settings
from django.db import models
from django.utils import timezone


class DaySource(models.TextChoices):
    OFFICIAL = "official", "国务院放假安排（自动载入）"
    IMPORT = "import", "管理员导入"
    ADMIN = "admin", "管理员修改"


class CalendarDay(models.Model):
    """Whether a date is a working day (行政许可法 art. 82 counts time limits in working days).

    One row per date that has been confirmed, from the State Council's annual notice (via the
    chinese-calendar package), an admin's CSV import, or an admin's edit. A date without a row
    falls back to Monday–Friday and is reported as unverified.
    """

    date = models.DateField("日期", primary_key=True)
    is_workday = models.BooleanField("工作日")
    note = models.CharField("说明", max_length=100, blank=True)
    source = models.CharField("来源", max_length=10, choices=DaySource.choices)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "工作日历"
        verbose_name_plural = "工作日历"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'工作日' if self.is_workday else '休息日'}"


class RecomputeStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class CalendarRecompute(models.Model):
    """One recomputation of open deadlines after a calendar change (a day corrected, a CSV
    imported, a year synced), run in the background (services.recompute) with its progress.

    Written in the transaction of the change, so it is never lost: the task enqueued after
    commit runs it, and a periodic job runs whatever is still pending (a broker that was
    down, a worker that died). It works in slices of a minute and remembers where it is
    (``stage`` and ``cursor``: the last request or application done), so a long one resumes
    where the last slice stopped; rerunning one that is done does nothing.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField("原因", max_length=200)
    first_day = models.DateField("变更起始日", null=True, blank=True)
    last_day = models.DateField("变更截止日", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=RecomputeStatus.choices, default=RecomputeStatus.QUEUED
    )
    total = models.PositiveIntegerField("待计算件数", default=0)
    done = models.PositiveIntegerField("已计算件数", default=0)
    moved = models.PositiveIntegerField("期限变动件数", default=0)
    failed_rows = models.PositiveIntegerField("未能计算件数", default=0)
    stage = models.CharField("阶段", max_length=20, blank=True)
    cursor = models.BigIntegerField("进度位置", default=0)
    attempts = models.PositiveSmallIntegerField("失败次数", default=0)
    lease_until = models.DateTimeField("占用至", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    touched_at = models.DateTimeField("最近进展", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "期限重新计算"
        verbose_name_plural = "期限重新计算"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The retry job and the calendar page: the few that are not finished.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["queued", "running", "failed"]),
                name="calrecompute_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reason}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        if self.status == RecomputeStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)
