"""Domain errors. Views translate them to HTTP statuses; domain code never builds responses.

A message is a text the person reads, in the language of the request that caused it: domain
code passes ``gettext(...)`` (or a lazy text, made a string here, at raise time)."""

from django.utils.translation import gettext


class DomainError(Exception):
    """Base class: a business rule refused the action."""

    status_code = 400
    code = "invalid"

    def __init__(self, detail: str):
        detail = str(detail)  # a lazy text is rendered now, in the request's language
        super().__init__(detail)
        self.detail = detail


class NotAllowed(DomainError):
    """The caller's role may not do this (403)."""

    status_code = 403
    code = "permission_denied"


class InvalidTransition(DomainError):
    """The object's current state forbids the action (409, carries the current status)."""

    status_code = 409
    code = "invalid_transition"

    def __init__(self, detail: str, *, status: str, code: str | None = None, **extra):
        super().__init__(detail)
        self.status = status
        if code:
            self.code = code
        # Extra fields for the 409 body, e.g. the id of the application that is in the way.
        self.extra = extra


class NotFound(DomainError):
    """The object does not exist or is not visible to the caller (404)."""

    status_code = 404
    code = "not_found"


class RateLimited(DomainError):
    """Too many attempts of an action from one address (429)."""

    status_code = 429
    code = "rate_limited"


class BadCredentials(DomainError):
    """Unknown user or wrong password: one message for both, on purpose."""

    code = "bad_credentials"

    def __init__(self):
        super().__init__(gettext("用户名或密码错误。"))


class LoginLocked(DomainError):
    """Too many failures: sign-in refused until ``retry_after`` seconds have passed (429)."""

    status_code = 429
    code = "locked_out"

    def __init__(self, retry_after: int, minutes: int):
        super().__init__(
            gettext("登录失败次数过多，已暂停登录，请 %(minutes)s 分钟后再试。")
            % {"minutes": minutes}
        )
        self.retry_after = retry_after


class OtpRequired(DomainError):
    """The account signs in with a second factor and none (or a wrong one) was given (400)."""

    code = "otp_required"
    field = "otp"
    include_code = True

    def __init__(self, detail: str = ""):
        super().__init__(detail or gettext("请输入身份验证器上的 6 位动态验证码。"))


class OtpSetupRequired(DomainError):
    """An account of a role that must use a second factor has none enrolled yet."""

    status_code = 403
    code = "otp_setup_required"
