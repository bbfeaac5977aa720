from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A creating request seen once (API ``Idempotency-Key`` header, or a page's one-time form
    key): the same key from the same user within 24 hours answers the first response again and
    creates nothing (API.md "Submitting once").

    The row is written in the transaction that creates the object, so a double tap that races
    the first submission hits the unique constraint instead of filing twice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    # What the key was used for (e.g. "POST /api/v1/service-requests/"), so one key cannot
    # answer a different operation.
    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=100)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    # Where a page sends the user again (the object's page), for form keys.
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "提交幂等键"
        verbose_name_plural = "提交幂等键"
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_unique"),
        ]
        indexes = [
            # The purge of keys older than 24 hours.
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self):
        return f"{self.scope} {self.key}"
