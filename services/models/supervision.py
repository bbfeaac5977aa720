from django.db import models
from django.utils import timezone


class Clock(models.TextChoices):
    ACCEPT = "accept", "受理时限"
    RESOLVE = "resolve", "办结时限"


class Level(models.TextChoices):
    DUE_SOON = "due_soon", "即将超期"
    OVERDUE = "overdue", "已超期"
    ESCALATED = "escalated", "督办"


class SlaNotice(models.Model):
    """A supervision level reached by one clock of one request, for one deadline.

    The unique constraint is the guarantee that each (request, clock, level, deadline) is
    notified at most once, whichever sweep, worker or retry gets there: the notifications are
    written in the transaction that inserts this row. A deadline that moves (a pause, a
    calendar correction) is a new deadline and is supervised again.
    """

    request = models.ForeignKey(
        "services.ServiceRequest", on_delete=models.CASCADE, related_name="sla_notices"
    )
    clock = models.CharField(max_length=10, choices=Clock.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clock", "level", "deadline"], name="slanotice_once"
            ),
        ]

    def __str__(self):
        return f"{self.request_id} {self.clock} {self.level}"
