import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.models.criteria import Tier
from portal.models import Role


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("已暂停")
    REVOKED = "revoked", _("已注销")
    EXPIRED = "expired", _("已过期")


# A holder has at most one card that is still alive (active or suspended).
LIVE_STATUSES = (CardStatus.ACTIVE, CardStatus.SUSPENDED)
TERMINAL_STATUSES = (CardStatus.REVOKED, CardStatus.EXPIRED)


class CardQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Holders see their own cards, the organization department all cards."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        if user.role == Role.TALENT:
            return self.filter(holder=user)
        return self.none()


def new_public_ref() -> str:
    """A card's public reference: 128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class Card(models.Model):
    """巴州优才卡: number ``BZYC-YYYY-NNNNNN``, valid 3 years, renewed in place."""

    number = models.CharField("卡号", max_length=20, unique=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="持卡人",
        on_delete=models.PROTECT,
        related_name="cards",
    )
    tier = models.CharField("层次", max_length=1, choices=Tier.choices)
    status = models.CharField(
        "状态", max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    # When the retention job (cards.retention) erased the card's and its applications'
    # personal details, 3 years after it expired or was revoked. The bare card stays.
    erased_at = models.DateTimeField("个人信息删除时间", null=True, blank=True)
    issued_at = models.DateTimeField("发卡时间", default=timezone.now)
    valid_until = models.DateField("有效期至")
    status_reason = models.TextField("状态说明", blank=True)
    # The holder's 证件照: the photo document of the application that issued, renewed or
    # changed the card last. Served only to the holder, the organization department and,
    # through a signed 120-second URL, a verifier who has just checked a valid QR token.
    photo = models.ForeignKey(
        "cards.ApplicationDocument",
        verbose_name="证件照",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The reference in the e-certificate's QR code: the public page /v/<ref>/ tells anyone
    # holding it whether the card is valid, its tier and end date, nothing else
    # (cards.keep). Random, so card numbers cannot be walked; kept for the card's whole life,
    # revocation included, so that a printed certificate of a revoked card reads 已注销
    # rather than looking like a forgery.
    public_ref = models.CharField(
        "公开核验码", max_length=32, unique=True, default=new_public_ref, editable=False
    )

    objects = CardQuerySet.as_manager()

    class Meta:
        verbose_name = "优才卡"
        verbose_name_plural = "优才卡"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder"],
                condition=Q(status__in=LIVE_STATUSES),
                name="card_one_live_per_holder",
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="card_tier_valid"),
            models.CheckConstraint(
                condition=Q(status__in=CardStatus.values), name="card_status_valid"
            ),
        ]
        indexes = [
            # Expiry reminders and expiry itself: active cards by end date.
            models.Index(
                fields=["valid_until"],
                condition=Q(status="active"),
                name="card_active_valid_until_idx",
            ),
            models.Index(fields=["status", "tier"], name="card_status_tier_idx"),
            # The retention job: ended cards not yet erased (cards.retention).
            models.Index(
                fields=["valid_until"],
                condition=Q(status__in=["expired", "revoked"], erased_at__isnull=True),
                name="card_retention_idx",
            ),
        ]

    def __str__(self):
        return self.number

    def effective_status(self, today: datetime.date | None = None) -> str:
        """The status as of ``today``: an active card past its end date is expired even
        before the nightly job has written so."""
        today = today or timezone.localdate()
        if self.status == CardStatus.ACTIVE and self.valid_until < today:
            return CardStatus.EXPIRED
        return self.status


class CardEvent(models.Model):
    """One change in a card's life: issued, renewed, changed, suspended, revoked, reinstated."""

    card = models.ForeignKey(
        Card, verbose_name="优才卡", on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("事项", max_length=20)
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "优才卡记录"
        verbose_name_plural = "优才卡记录"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.card_id} {self.action}"


class CardNumberSequence(models.Model):
    """The last card number issued in a year. Its row is locked by the approval transaction
    that takes the next number, so two approvals at once get two different numbers, and a
    number is never handed out again (the column only grows)."""

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    last = models.PositiveIntegerField("已发最大序号", default=0)

    class Meta:
        verbose_name = "卡号序列"
        verbose_name_plural = "卡号序列"

    def __str__(self):
        return f"{self.year}: {self.last}"


class QrToken(models.Model):
    """A short-lived, single-use verification token shown as a QR code.

    The token string carries only the random ``jti`` and a signature: no personal data.
    """

    jti = models.CharField("令牌标识", max_length=32, unique=True)
    card = models.ForeignKey(
        Card, verbose_name="优才卡", on_delete=models.CASCADE, related_name="qr_tokens"
    )
    issued_at = models.DateTimeField("生成时间", default=timezone.now)
    expires_at = models.DateTimeField("失效时间")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "核验二维码"
        verbose_name_plural = "核验二维码"
        indexes = [models.Index(fields=["expires_at"], name="qrtoken_expires_idx")]

    def __str__(self):
        return self.jti


class CardScan(models.Model):
    """One verification at a service point, whatever its outcome."""

    at = models.DateTimeField("核验时间", default=timezone.now)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核验员",
        on_delete=models.PROTECT,
        related_name="card_scans",
    )
    card = models.ForeignKey(
        Card,
        verbose_name="优才卡",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scans",
    )
    token = models.ForeignKey(
        QrToken, verbose_name="二维码", null=True, blank=True, on_delete=models.SET_NULL
    )
    valid = models.BooleanField("是否有效")
    # cards.qr's reason codes (API.md); cards.qr.REASON_LABELS says them in words.
    reason = models.CharField("无效原因", max_length=20, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "核验记录"
        verbose_name_plural = "核验记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["card", "-at"], name="cardscan_card_at_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.reason or '有效'}"


class CardPublicCheck(models.Model):
    """One lookup of the public verification page /v/<ref>/ (cards.keep): when, which card
    (none when the reference is unknown) and the status it showed. Nothing about who asked:
    no IP address, no account, not even the reference typed."""

    at = models.DateTimeField("查询时间", default=timezone.now)
    card = models.ForeignKey(
        Card,
        verbose_name="优才卡",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="public_checks",
    )
    # The card's effective status as the page showed it; blank for an unknown reference.
    status = models.CharField("显示状态", max_length=10, blank=True)

    class Meta:
        verbose_name = "公开核验记录"
        verbose_name_plural = "公开核验记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["card", "-at"], name="cardpubcheck_card_at_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.status or '未知'}"
