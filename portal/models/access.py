from django.conf import settings
from django.db import models
from django.utils import timezone

# What a reveal may show, in display order, with the names the talent reads.
FIELD_LABELS = {
    "real_name": "姓名",
    "phone": "手机号码",
    "id_number": "证件号码",
    "bank_account": "银行账号",
}


class AccessLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A talent reads who read their details (PIPL art. 44–45: the right to know); the
        auditor reads the AuditEvent rows written alongside, not these."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(subject=user)


class AccessLog(models.Model):
    """One reveal of a person's full personal information by a staff member or an admin,
    with the purpose they stated. The talent sees these rows on their account page; the same
    reveal also writes an audit event. Append-only by convention: nothing edits or deletes
    them (the audit event is the tamper-proof copy).
    """

    at = models.DateTimeField("时间", default=timezone.now)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="信息主体",
        on_delete=models.CASCADE,
        related_name="access_log",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="查看人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Names as they were at the time: the talent's record reads the same after a transfer.
    actor_name = models.CharField("查看人姓名", max_length=50)
    department_name = models.CharField("查看人部门", max_length=100, blank=True)
    purpose = models.CharField("查看目的", max_length=200)
    fields = models.JSONField("查看内容", default=list)
    object_type = models.CharField("业务类型", max_length=64)
    object_label = models.CharField("业务编号", max_length=64)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-at", "-id"]
        indexes = [
            # The talent's list, newest first.
            models.Index(fields=["subject", "-at"], name="accesslog_subject_idx"),
            # The daily reveal limit per staff member.
            models.Index(fields=["actor", "at"], name="accesslog_actor_day_idx"),
            # The retention job (portal.retention): rows older than 3 years, oldest first.
            models.Index(fields=["at"], name="accesslog_at_idx"),
        ]

    def __str__(self):
        return f"{self.actor_name} {self.object_label}"

    @property
    def fields_label(self) -> str:
        """What was shown, as the talent reads it: ``"姓名、手机号码、证件号码"``."""
        return "、".join(FIELD_LABELS.get(code, code) for code in self.fields)
