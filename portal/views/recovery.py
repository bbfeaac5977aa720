"""找回密码: a code by SMS to the account's phone, then a new password."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal.audit import client_ip
from portal.credentials import password_reset_confirm, password_reset_request
from portal.forms import PasswordResetConfirmForm, PasswordResetForm
from portal.identity import normalize_mobile
from portal.views.profile import add_errors

SENT = _(
    "如果该账户存在并绑定了手机，验证码已发送至该手机，10 分钟内有效。"
    "没有收到？请核对输入后一分钟再试，或联系区委组织部（人才办）。"
)


def _looks_like_phone(value: str) -> bool:
    try:
        normalize_mobile(value)
    except ValidationError:
        return False
    return True


@never_cache
@sensitive_post_parameters("account")
def password_reset(request):
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        value = form.cleaned_data["account"].strip()
        by_phone = _looks_like_phone(value)
        password_reset_request(
            username="" if by_phone else value,
            phone=value if by_phone else "",
            ip=client_ip(request),
        )
        # The same answer whether or not the account exists.
        messages.info(request, SENT)
        url = reverse("portal:password-reset-confirm")
        return redirect(url if by_phone else f"{url}?{urlencode({'username': value})}")
    return render(request, "portal/password_reset.html", {"form": form})


@never_cache
@sensitive_post_parameters("code", "new_password", "new_password2")
def password_reset_confirm_page(request):
    initial = {"username": request.GET.get("username", "")[:150]}
    form = PasswordResetConfirmForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_confirm(
                username=form.cleaned_data["username"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("密码已重置，请使用新密码登录。其他设备上的登录已全部退出。")
            )
            return redirect("portal:login")
    return render(request, "portal/password_reset_confirm.html", {"form": form})
