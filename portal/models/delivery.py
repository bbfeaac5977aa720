from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal import crypto
from portal.identity import mask_email, mask_phone


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Delivery(models.Model):
    """One notification sent over one channel (e-mail or SMS).

    Written in the same transaction as its Notification, so nothing is lost when the broker is
    down: a task sends it after commit, and the periodic retry picks up whatever is still
    pending (``next_attempt_at`` indexed). The sending task locks the row and marks it sent in
    one transaction; a failure schedules the next attempt with backoff, and after
    ``MAX_ATTEMPTS`` the delivery is marked failed for the admins to see.

    The address (a mobile number or an e-mail address) is stored only encrypted
    (``address_encrypted``; ``delivery.address`` reads and sets it in plain, in memory), and
    erased ``DELIVERY_ADDRESS_RETENTION_DAYS`` after the delivery is over
    (``portal.delivery.addresses_erase``, daily): ``address_erased_at`` says when.
    """

    # Null for a direct message that belongs in no inbox (a verification code).
    notification = models.ForeignKey(
        "portal.Notification",
        verbose_name="站内消息",
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
    )
    # The text of a direct message, encrypted, and erased once it is sent: a verification
    # code must not sit readable in the database.
    text_encrypted = models.TextField("加密内容", blank=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    address_encrypted = models.TextField("地址（密文）", blank=True, editable=False)
    address_erased_at = models.DateTimeField("地址删除时间", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", default=timezone.now)
    last_error = models.TextField("最近错误", blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "消息投递"
        verbose_name_plural = "消息投递"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
        ]
        indexes = [
            # The retry job: pending deliveries whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due_idx",
            ),
            models.Index(fields=["status", "-created_at"], name="delivery_status_idx"),
            # The daily erasure: deliveries that still hold an address, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(address_erased_at__isnull=True),
                name="delivery_address_kept_idx",
            ),
        ]

    def __str__(self):
        # Shown in admin pages and logs: never the full address.
        return f"{self.get_channel_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def address(self) -> str:
        """The plain address, decrypted in memory for sending; "" once erased."""
        return crypto.unseal(self.address_encrypted)

    @address.setter
    def address(self, value: str) -> None:
        self.address_encrypted = crypto.seal(value or "")

    @property
    def address_masked(self) -> str:
        """``138****2688`` or ``li***@example.com``; "（已删除）" once erased."""
        address = self.address
        if not address:
            return "（已删除）" if self.address_erased_at else ""
        return mask_phone(address) if self.channel == Channel.SMS else mask_email(address)


class SmsOutboxQuerySet(models.QuerySet):
    def to_phone(self, number: str):
        """Messages sent to ``number`` (as stored: normalised), through the keyed hash."""
        return self.filter(phone_hash=crypto.phone_digest(number)) if number else self.none()


class SmsOutbox(models.Model):
    """Text messages the default SMS backend 'sent': kept for inspection until a real SMS
    gateway is plugged in (settings.SMS_BACKEND)."""

    delivery = models.OneToOneField(
        Delivery, verbose_name="消息投递", on_delete=models.CASCADE, related_name="sms"
    )
    # The number, encrypted and with the users' keyed hash (``manage.py sms_outbox --phone``);
    # erased with its delivery's address (``portal.delivery.addresses_erase``).
    phone_encrypted = models.TextField("手机号码（密文）", blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    text = models.TextField("内容")
    created_at = models.DateTimeField("发送时间", default=timezone.now)

    objects = SmsOutboxQuerySet.as_manager()

    class Meta:
        verbose_name = "短信发件箱"
        verbose_name_plural = "短信发件箱"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone_hash"], name="smsoutbox_phone_hash_idx")]

    def __str__(self):
        return f"{self.phone_masked}: {self.text[:20]}"

    @property
    def phone(self) -> str:
        return crypto.unseal(self.phone_encrypted)

    @phone.setter
    def phone(self, number: str) -> None:
        self.phone_encrypted = crypto.seal(number or "")
        self.phone_hash = crypto.phone_digest(number) if number else None

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)
