from django.conf import settings
from django.db import models


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
