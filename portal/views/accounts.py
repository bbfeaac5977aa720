"""Register, sign in (with the second factor where it is on), sign out."""

import logging
import time

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from portal.accounts import account_register, registration_check
from portal.audit import client_ip
from portal.errors import BadCredentials, LoginLocked, OtpRequired, RateLimited
from portal.forms import LoginForm, OtpForm, RegisterForm
from portal.i18n import keep_users_language
from portal.idempotency import FORM_KEY_FIELD
from portal.models import User
from portal.navigation import home_url
from portal.signin import signin_attempt, signin_second_factor

BACKEND = "django.contrib.auth.backends.ModelBackend"
logger = logging.getLogger(__name__)
# The password step is good for this long while the page waits for the second factor.
PENDING_SECONDS = 300
PENDING_KEY = "otp_pending"


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _landing(request, user, target: str = "") -> str:
    """Where to go after signing in: the page that sent the user to sign in, else the home of
    their role (talent → 我的优才卡, staff and lead → 办件工作台, admin → 督查看板, auditor →
    审计日志, verifier → 优才卡核验)."""
    return _safe_next(request, target) or home_url(user)


def _remember_registration(key: str) -> None:
    # The visitor has no account yet, so the key cannot live in IdempotencyKey (it belongs to
    # a user): the cache remembers it for a day. Failing open is fine: the second request is
    # then refused as a duplicate, and nothing is created twice.
    try:
        cache.set(f"register-form:{key}", 1, timeout=24 * 3600)
    except Exception:  # an unreachable cache must not fail the registration
        logger.warning("cache unavailable; registration form key not remembered")


def _registered_already(request):
    messages.info(
        request, _("注册已完成（表单被重复提交，只注册了一次）。请使用刚才设置的用户名和密码登录。")
    )
    return redirect("portal:login")


@sensitive_post_parameters("password", "password2", "id_number", "phone")
def register(request):
    # An empty POST is still a POST: bound, so that every required field reports itself.
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        form_ok = form.is_valid()
        fields = {
            name: form.cleaned_data.get(name, request.POST.get(name, ""))
            for name in ("username", "password", "real_name", "id_type", "id_number", "phone")
        }
        fields["email"] = form.cleaned_data.get("email", request.POST.get("email", ""))
        fields["consent"] = form.cleaned_data.get("consent", False)
        key = (request.POST.get(FORM_KEY_FIELD) or "")[:100]
        if key and cache.get(f"register-form:{key}"):
            return _registered_already(request)
        try:
            if form_ok:
                user = account_register(**fields, ip=client_ip(request))
            else:
                # Still run the domain checks, so that every error shows at once.
                registration_check(**fields, ip=client_ip(request))
        except RateLimited as exc:
            form.add_error(None, exc.detail)
            return render(request, "portal/register.html", {"form": form}, status=429)
        except ValidationError as exc:
            if key and cache.get(f"register-form:{key}"):
                # A double tap: the first request made the account while this one ran.
                return _registered_already(request)
            for field, errors in exc.message_dict.items():
                name = field if field in form.fields else None
                if name in form.errors:
                    # One message per field: the domain's ("请填写用户名。") says more than the
                    # form's generic one ("该字段是必填项。") about the same problem.
                    del form.errors[name]
                for error in errors[:1] if name else errors:
                    form.add_error(name, error)
        else:
            if form_ok:
                if key:
                    _remember_registration(key)
                login(request, user, backend=BACKEND)
                messages.success(request, _("注册成功，欢迎使用巴州优才卡服务平台。"))
                return redirect(home_url(user))
    # A form shown again with its errors answers 200, as Django's own views do (a 4xx
    # document makes browsers log a console error).
    return render(request, "portal/register.html", {"form": form})


@never_cache
@sensitive_post_parameters("password", "username")
def login_page(request):
    form = LoginForm(request.POST or None)
    status = 200
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = signin_attempt(ip=client_ip(request), **form.cleaned_data)
        except LoginLocked as exc:
            form.add_error(None, exc.detail)
            status = 429
        except BadCredentials as exc:
            form.add_error(None, exc.detail)
        except OtpRequired:
            # The password was right; the second factor comes on its own page. Only the
            # account's id and the time are kept, never the password.
            account = User.objects.get_by_natural_key(
                User.normalize_username(form.cleaned_data["username"].strip())
            )
            request.session[PENDING_KEY] = {
                "user": account.pk,
                "at": time.time(),
                "next": _safe_next(request, next_url),
            }
            return redirect("portal:login-otp")
        else:
            login(request, user, backend=BACKEND)
            return keep_users_language(request, redirect(_landing(request, user, next_url)), user)
    return render(request, "portal/login.html", {"form": form, "next": next_url}, status=status)


def _pending_user(request):
    """The account waiting for its second factor: one whose password was just accepted on
    this browser, or a signed-in session that has not passed the second factor yet."""
    if request.user.is_authenticated:
        return request.user, ""
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending.get("next", "")


@never_cache
@sensitive_post_parameters("code")
def login_otp(request):
    """Sign-in, step 2: the code from the authenticator app (or a recovery code)."""
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("登录已超时，请重新输入用户名和密码。"))
        return redirect("portal:login")
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = signin_second_factor(
                ip=client_ip(request), user=user, code=form.cleaned_data["code"]
            )
        except LoginLocked as exc:
            request.session.pop(PENDING_KEY, None)
            form.add_error(None, exc.detail)
            status = 429
        except OtpRequired as exc:
            form.add_error("code", exc.detail)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend=BACKEND)
            otp_login(request, device)
            request.session.pop(PENDING_KEY, None)
            if device.__class__.__name__ == "StaticDevice":
                messages.warning(
                    request,
                    _("您使用了一个恢复码登录，该恢复码已失效。如手机丢失，请尽快重新绑定。"),
                )
            return keep_users_language(request, redirect(_landing(request, user, next_url)), user)
    return render(request, "portal/login_otp.html", {"form": form}, status=status)


@require_POST
def logout_page(request):
    logout(request)  # audited by portal.signals
    messages.info(request, _("您已安全退出。"))
    return redirect("portal:home")
