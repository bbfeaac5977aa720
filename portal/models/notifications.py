from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A notification is seen by its recipient only."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in a user's in-app inbox.

    The inbox row is written first, always; delivery by e-mail and SMS is a later step that
    reads it. ``dedupe_key`` lets a sender say "this message once": a second insert with the
    same key is refused by the database, whichever process tries.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类型", max_length=40)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key_unique"),
        ]
        indexes = [
            # The inbox list, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # The unread count shown in the navigation on every page.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The retention job: the messages about one request (by its page's link), erased
            # with it (services.retention).
            models.Index(fields=["link"], name="notification_link_idx"),
        ]

    def __str__(self):
        return self.title
