from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import crypto
from portal.identity import IdType, mask_id_number, mask_name, mask_phone


class Role(models.TextChoices):
    TALENT = "talent", _("人才")
    STAFF = "staff", _("经办人")
    LEAD = "lead", _("部门负责人")
    ADMIN = "admin", _("组织部人才办")
    AUDITOR = "auditor", _("审计员")
    VERIFIER = "verifier", _("服务网点核验员")


# Roles that work inside one department and must belong to one.
DEPARTMENT_ROLES = (Role.STAFF, Role.LEAD)
# Apps whose Django-admin pages the organization department (role admin) manages. The audit
# log is deliberately absent: under 等保 separation of duties only the auditor reads it.
# subsidies: the policies (amounts, schedules, rules) are data the organization department edits.
ADMIN_MANAGED_APPS = {"portal", "cards", "services", "subsidies"}


class UserQuerySet(models.QuerySet):
    def with_phone(self, number: str):
        """Accounts whose phone is ``number`` (already normalised), found through the keyed
        hash (index user_phone_hash_idx): the number itself is not in the database."""
        if not number:
            return self.none()
        return self.filter(phone_hash=User.phone_digest(number))

    def visible_to(self, user):
        """Accounts a user may look at: admins all of them, everybody else only themselves."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()
        return self.filter(pk=user.pk)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Usernames are unique regardless of case (constraint user_username_ci_unique).
        return self.get(username__iexact=username)

    def create_user(self, username, password=None, **extra):
        user = self.model(username=self.model.normalize_username(username), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra["is_superuser"] = True
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a talent, a department handler or lead, an admin of the
    organization department, an auditor, or a verifier at a partner service point.

    The identity document number is stored only encrypted (``id_number_encrypted``) plus a
    keyed hash (``id_number_hash``) that carries the one-account-per-person constraint. The
    mobile number likewise (``phone_encrypted``, ``phone_hash`` for password reset by phone);
    ``user.phone`` reads and sets it in plain, in memory only. Not unique: one phone may serve
    a family's accounts.
    """

    username = models.CharField(
        "用户名", max_length=150, unique=True, validators=[UnicodeUsernameValidator()]
    )
    real_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.TALENT)
    department = models.ForeignKey(
        "portal.Department",
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    id_type = models.CharField("证件类型", max_length=16, choices=IdType.choices, blank=True)
    id_number_encrypted = models.TextField("证件号码（密文）", blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    phone_encrypted = models.TextField("手机号码（密文）", blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    email = models.EmailField("电子邮箱", blank=True)
    is_active = models.BooleanField("有效", default=True)
    # Set on an account made or reset by the talent office: the initial password was shown to
    # another person, so nothing but changing it is allowed until the holder has.
    must_change_password = models.BooleanField("须修改密码", default=False)
    # Part of every page session's hash (``get_session_auth_hash``): raising it ends every
    # session of the account at its next request, which Django's own hash (of the password)
    # does only when the password changes (deactivation, a new authenticator, a lost phone).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # The language of the pages, e-mails, SMS and inbox texts sent to this person: set at
    # registration from the page's language and by the language switch (portal.i18n).
    language = models.CharField(
        "界面语言",
        max_length=8,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    date_joined = models.DateTimeField("注册时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(fields=["id_number_hash"], name="user_id_number_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=DEPARTMENT_ROLES) | models.Q(department__isnull=False),
                name="user_department_role_has_department",
            ),
        ]
        indexes = [
            models.Index(fields=["role", "department"], name="user_role_dept_idx"),
            # Search by a person's exact full name (portal.search.people_named): the request
            # and card lists find an applicant's or holder's rows through this index.
            models.Index(fields=["real_name"], name="user_real_name_idx"),
            # Password reset by phone (UserQuerySet.with_phone).
            models.Index(fields=["phone_hash"], name="user_phone_hash_idx"),
        ]

    # What ``save(update_fields=...)`` names when the phone changed.
    PHONE_FIELDS = ("phone_encrypted", "phone_hash")

    def __str__(self):
        return self.username

    # --- identity document ------------------------------------------------------------------
    @staticmethod
    def id_number_digest(id_type: str, number: str) -> str:
        return crypto.keyed_hash("id_number", f"{id_type}:{number}")

    def set_id_number(self, id_type: str, number: str) -> None:
        """Store an already normalised document number: encrypted, plus its keyed hash."""
        self.id_type = id_type
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_number_hash = self.id_number_digest(id_type, number)

    @property
    def id_number(self) -> str:
        """The plain number. Only for an audited reveal; never render it."""
        return crypto.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    # --- mobile number ----------------------------------------------------------------------
    @staticmethod
    def phone_digest(number: str) -> str:
        return crypto.phone_digest(number)

    def set_phone(self, number: str) -> None:
        """Store an already normalised mobile number ("" for none): encrypted, plus its keyed
        hash. Save ``PHONE_FIELDS``."""
        self.phone_encrypted = crypto.seal(number)
        self.phone_hash = crypto.phone_digest(number) if number else None

    @property
    def phone(self) -> str:
        """The plain number, decrypted in memory: for sending SMS and for an audited reveal;
        pages, exports and the API show ``phone_masked``."""
        return crypto.unseal(self.phone_encrypted)

    @phone.setter
    def phone(self, number: str) -> None:
        self.set_phone(number or "")

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def real_name_masked(self) -> str:
        return mask_name(self.real_name)

    # --- roles ------------------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        """Django admin access: the organization department (and a bootstrap superuser)."""
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    def has_perm(self, perm, obj=None):
        if self.is_active and self.role == Role.ADMIN:
            return perm.split(".", 1)[0] in ADMIN_MANAGED_APPS
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        if self.is_active and self.role == Role.ADMIN:
            return app_label in ADMIN_MANAGED_APPS
        return super().has_module_perms(app_label)

    # --- sessions ---------------------------------------------------------------------------
    def _get_session_auth_hash(self, secret=None):
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "portal.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def sessions_end(self) -> None:
        """End every page session of this account (they fail their hash check next time)."""
        type(self).objects.filter(pk=self.pk).update(session_epoch=models.F("session_epoch") + 1)
        self.refresh_from_db(fields=["session_epoch"])

    @property
    def display_name(self) -> str:
        return self.real_name or self.username
