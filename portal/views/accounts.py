"""Register, sign in, sign out and "my account" pages."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portal.accounts import account_register, registration_check
from portal.errors import BadCredentials, LoginLocked, RateLimited
from portal.forms import LoginForm, RegisterForm
from portal.signin import signin_attempt

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:account")


@sensitive_post_parameters("password", "password2", "id_number", "phone")
def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        form_ok = form.is_valid()
        fields = {
            name: form.cleaned_data.get(name, request.POST.get(name, ""))
            for name in ("username", "password", "real_name", "id_type", "id_number", "phone")
        }
        fields["email"] = form.cleaned_data.get("email", request.POST.get("email", ""))
        try:
            if form_ok:
                user = account_register(**fields, request=request)
            else:
                # Still run the domain checks, so that every error shows at once.
                registration_check(**fields, request=request)
        except RateLimited as exc:
            form.add_error(None, exc.detail)
            return render(request, "portal/register.html", {"form": form}, status=429)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            if form_ok:
                login(request, user, backend=BACKEND)
                messages.success(request, "注册成功，欢迎使用巴州优才卡服务平台。")
                return redirect("portal:account")
    # A form shown again with its errors answers 200, as Django's own views do (a 4xx
    # document makes browsers log a console error).
    return render(request, "portal/register.html", {"form": form})


@sensitive_post_parameters("password", "username")
def login_page(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = signin_attempt(request=request, **form.cleaned_data)
        except LoginLocked as exc:
            form.add_error(None, exc.detail)
            status = 429
        except BadCredentials as exc:
            form.add_error(None, exc.detail)
        else:
            login(request, user, backend=BACKEND)
            return redirect(_next_url(request))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "portal/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_page(request):
    logout(request)  # audited by portal.signals
    messages.info(request, "您已安全退出。")
    return redirect("portal:home")


@login_required
def account(request):
    return render(request, "portal/account.html", {"account": request.user})
