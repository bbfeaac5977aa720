from django.db import models


class Scope(models.TextChoices):
    USERNAME = "username", "用户名"
    IP = "ip", "IP 地址"


class LoginFailure(models.Model):
    """One failed sign-in, kept for the lockout window only (purged by a periodic task).

    ``username_key`` is ``user:<id>`` for an account, or for a name no account has
    ``name:`` and the keyed hash of the lower-cased name as typed (people type phone and ID
    numbers there), so that an unknown name and a wrong password are treated alike.
    """

    username_key = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            # "How many failures for this name / this address since T?"
            models.Index(fields=["username_key", "at"], name="loginfailure_user_at_idx"),
            models.Index(fields=["ip", "at"], name="loginfailure_ip_at_idx"),
        ]

    def __str__(self):
        return f"{self.username_key} @ {self.at:%Y-%m-%d %H:%M:%S}"


class LoginLockout(models.Model):
    """A username or an address that may not sign in until ``locked_until``."""

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=150)
    locked_until = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "key", "locked_until"], name="loginlockout_lookup_idx"),
        ]

    def __str__(self):
        return f"{self.scope}:{self.key} until {self.locked_until:%Y-%m-%d %H:%M:%S}"
