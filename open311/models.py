"""Partner systems of the Open311 GeoReport v2 interface (the province's 一体化政务服务平台,
the district's mini-program, other cities' talent apps): registered by the organization
department, each with an API key shown once and stored only as a SHA-256 digest (the key is
128 random bits: a fast digest is enough, and it is what a lookup by key needs)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role


class Scope(models.TextChoices):
    READ = "read", _("只读（查询服务事项和办理状态）")
    FILE = "file", _("查询和提交申请")


class PartnerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The organization department sees every partner system; nobody else any."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        return self.none()


class Partner(models.Model):
    name = models.CharField("系统名称", max_length=100, unique=True)
    contact = models.CharField("联系人和联系方式", max_length=200, blank=True)
    scope = models.CharField("权限", max_length=10, choices=Scope.choices, default=Scope.READ)
    rate_limit = models.PositiveIntegerField("每分钟调用上限", default=60)
    # The key's first characters (shown on the list, to tell keys apart) and its digest.
    key_prefix = models.CharField("密钥前缀", max_length=16, unique=True)
    key_digest = models.CharField("密钥摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = "合作系统"
        verbose_name_plural = "合作系统"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "file"]), name="partner_scope_valid"
            ),
            models.CheckConstraint(condition=Q(rate_limit__gte=1), name="partner_rate_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PartnerCall(models.Model):
    """One call of the Open311 interface with a key (the partner's audit trail): when, what
    (method and path, never the query string or the key), the answer's status."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="calls")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partner", "-at"], name="partnercall_partner_at_idx")]

    def __str__(self):
        return f"{self.partner_id} {self.method} {self.path} {self.status}"


class FiledRequest(models.Model):
    """A service request filed through a partner's key: the partner sees only these (GET
    requests), so which partner filed what is kept beside the request."""

    request = models.OneToOneField(
        "services.ServiceRequest", on_delete=models.CASCADE, related_name="open311_filing"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="filed")
    # The request's submitted_at, kept here so a partner's list is one index range.
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-at", "-id"], name="filedrequest_partner_at_idx")
        ]

    def __str__(self):
        return f"{self.partner_id} {self.request_id}"
