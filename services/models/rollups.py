"""Daily rollups of the supervision figures (issue 12): per day (Asia/Shanghai) × department ×
service type, counts and sums that the dashboard adds up instead of rescanning a million
requests. Maintained by ``services.rollups`` in the same transaction as every change of the
rows they count (deltas, so concurrent transitions never overwrite each other), and rebuilt
from the raw rows by ``manage.py rebuild_rollups``.

Which department a cell belongs to follows the raw figures' definitions
(``services.dashboard``): a request's ``filed``, ``accepted`` and ``resolved`` cells are keyed
by its *current* department (a transfer moves them), a department stint's cells by the
department that held it.
"""

from django.db import models

# Buckets of the resolve time in working days (services.dashboard.BUCKETS): column per bucket.
BUCKET_FIELDS = ("b0", "b2", "b4", "b6", "b11", "b16", "b21")


class RequestDay(models.Model):
    """What happened to requests on one day, for one department and one service type."""

    day = models.DateField("日期")
    department = models.ForeignKey("portal.Department", on_delete=models.CASCADE, related_name="+")
    service_type = models.ForeignKey(
        "services.ServiceType", on_delete=models.CASCADE, related_name="+"
    )
    # Filed that day (by submitted_at), keyed by the request's current department: the sum
    # over all days is the number of requests a department holds, for the lists' counts.
    filed = models.IntegerField(default=0)
    # Accepted that day, and the microseconds their accept clocks ran (accepted_at minus
    # accept_started_at), for the average accept time.
    accepted = models.IntegerField(default=0)
    accept_wait_us = models.BigIntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    # Working days from acceptance to resolution (pauses excluded), where known.
    resolve_days_sum = models.IntegerField(default=0)
    resolve_days_n = models.IntegerField(default=0)
    b0 = models.IntegerField(default=0)
    b2 = models.IntegerField(default=0)
    b4 = models.IntegerField(default=0)
    b6 = models.IntegerField(default=0)
    b11 = models.IntegerField(default=0)
    b16 = models.IntegerField(default=0)
    b21 = models.IntegerField(default=0)
    # Ratings of 2 stars or less given that day.
    bad_ratings = models.IntegerField(default=0)

    class Meta:
        verbose_name = "申请日汇总"
        verbose_name_plural = "申请日汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "department", "service_type"], name="requestday_cell_unique"
            ),
        ]
        indexes = [models.Index(fields=["department", "day"], name="requestday_dept_day_idx")]

    def __str__(self):
        return f"{self.day} {self.department_id} {self.service_type_id}"


class StintDay(models.Model):
    """Department stints that began on one day, for one department: transfers received, how
    long the department held them (those it has left), passed on, handled in time."""

    day = models.DateField("日期")
    department = models.ForeignKey("portal.Department", on_delete=models.CASCADE, related_name="+")
    received = models.IntegerField(default=0)
    left = models.IntegerField(default=0)
    held_us = models.BigIntegerField(default=0)
    transferred_out = models.IntegerField(default=0)
    handled_on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = "承办日汇总"
        verbose_name_plural = "承办日汇总"
        constraints = [
            models.UniqueConstraint(fields=["day", "department"], name="stintday_cell_unique"),
        ]

    def __str__(self):
        return f"{self.day} {self.department_id}"
