from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

# How long audit events are kept (《个人信息处理规则》 part 四). The PostgreSQL trigger (portal
# migration 0015_retention) holds the same period: change both together.
AUDIT_RETENTION_YEARS = 3


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only auditors read the audit log (等保 三权分立: not even admins)."""
        from portal.models.users import Role

        if user.is_authenticated and user.is_active and user.role == Role.AUDITOR:
            return self.all()
        return self.none()

    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    def retention_delete(self, cutoff) -> int:
        """Delete the events of this queryset older than ``cutoff``: the retention job's path
        only (portal.retention), never anyone else's. ``cutoff`` must be at least
        AUDIT_RETENTION_YEARS ago; on PostgreSQL the trigger checks each row's age again and
        lets a DELETE through only while ``portal.retention_delete`` is set in the transaction."""
        from portal.retention import Period

        if cutoff > Period(years=AUDIT_RETENTION_YEARS).before(timezone.localtime()):
            raise AppendOnlyError("审计日志只能在保存期满后删除。")
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL portal.retention_delete = 'on'")
            deleted = self.filter(at__lt=cutoff)._raw_delete(self.db)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL portal.retention_delete = 'off'")
        return deleted


class AuditEvent(models.Model):
    """One security-relevant event: a login, a failure, a lockout, a transition, an export,
    a reveal, a configuration change.

    Append-only. The ORM refuses updates and deletes, and on PostgreSQL a trigger refuses them
    too (migration 0002), so not even a raw query can rewrite history.
    """

    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The username at the time, so the trail reads the same after an account is renamed.
    actor_username = models.CharField("操作人用户名", max_length=150, blank=True)
    action = models.CharField("事件", max_length=64)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象标识", max_length=64, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-at", "-id"]
        indexes = [
            # The auditor's list: newest first, optionally narrowed by action or actor.
            models.Index(fields=["-at", "-id"], name="audit_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除。")
