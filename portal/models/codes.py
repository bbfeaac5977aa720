from django.conf import settings
from django.db import models
from django.utils import timezone


class CodePurpose(models.TextChoices):
    PASSWORD_RESET = "password_reset", "找回密码"
    PHONE_CHANGE = "phone_change", "更换手机号码"


class VerificationCode(models.Model):
    """A 6-digit code sent by SMS: to reset a forgotten password, or to confirm a new phone.

    Only a keyed hash of the code is stored (``code_hash``); the code itself exists in the SMS
    sent and nowhere else in the database. A code is good for ``VERIFICATION_CODE_MINUTES``
    and ``VERIFICATION_CODE_TRIES`` wrong guesses; a new code for the same purpose voids the
    old one (``used_at`` is set), so at most one code per account and purpose is live.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verification_codes"
    )
    purpose = models.CharField("用途", max_length=20, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    # The new phone of a phone change, encrypted like every stored phone number
    # (portal.crypto.seal; read by portal.codes.code_target).
    target_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用或作废时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [
            # The live code of an account and purpose, and the hourly sending limit.
            models.Index(fields=["user", "purpose", "-created_at"], name="code_user_purpose_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=CodePurpose.values), name="code_purpose_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} #{self.pk}"
