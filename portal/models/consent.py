from django.conf import settings
from django.db import models
from django.utils import timezone


class ConsentRecord(models.Model):
    """One consent a person gave: which text (``document``, e.g. "privacy_rules" for
    《个人信息处理规则》 or "sensitive_notice" for 《敏感个人信息处理告知》), which version of it,
    when, and for what (the object it came with, e.g. a service request). Append-only: a
    withdrawn consent is a new row, never an edit (PIPL art. 14–15, 29, 31)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consents"
    )
    document = models.CharField("文本", max_length=40)
    version = models.CharField("版本", max_length=20)
    given_at = models.DateTimeField("同意时间", default=timezone.now)
    object_type = models.CharField("业务类型", max_length=64, blank=True)
    object_id = models.CharField("业务标识", max_length=64, blank=True)
    # Who gave it when not the person themself (a guardian for a minor: PIPL art. 31).
    given_by = models.CharField("同意人", max_length=50, blank=True)

    class Meta:
        verbose_name = "个人信息处理同意记录"
        verbose_name_plural = "个人信息处理同意记录"
        ordering = ["-given_at", "-id"]
        indexes = [
            models.Index(fields=["user", "document", "-given_at"], name="consent_user_doc_idx"),
        ]

    def __str__(self):
        return f"{self.document} v{self.version}"
