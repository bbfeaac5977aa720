"""我的账户: the profile, e-mail and phone, password change, two-factor sign-in, and (for a
talent) who read their personal details."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from portal.audit import client_ip
from portal.codes import code_pending
from portal.credentials import (
    email_update,
    password_change,
    phone_change_confirm,
    phone_change_request,
)
from portal.errors import LoginLocked, NotAllowed, OtpRequired
from portal.forms import (
    CodeForm,
    EmailForm,
    OtpBeginForm,
    OtpForm,
    PasswordChangeForm,
    PhoneForm,
)
from portal.gate import otp_required_for
from portal.models import CodePurpose, Role
from portal.navigation import home_url
from portal.otp import otp_begin, otp_confirm, otp_disable, otp_enabled, pending_enrolment
from portal.reveal import access_log_for


def add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@never_cache
@login_required
def account(request):
    """The profile page. Each form posts an ``action``; every change is audited by the domain."""
    user = request.user
    ip = client_ip(request)
    action = request.POST.get("action") if request.method == "POST" else None
    email_form = EmailForm(
        request.POST if action == "email" else None, initial={"email": user.email}
    )
    phone_form = PhoneForm(request.POST if action == "phone" else None)
    code_form = CodeForm(request.POST if action == "phone_confirm" else None)
    otp_off_form = OtpForm(request.POST if action == "otp_disable" else None)
    try:
        if action == "email" and email_form.is_valid():
            email_update(user=user, email=email_form.cleaned_data["email"], ip=ip)
            messages.success(request, _("电子邮箱已更新。"))
            return redirect("portal:account")
        if action == "phone" and phone_form.is_valid():
            phone_change_request(
                user=user,
                phone=phone_form.cleaned_data["phone"],
                password=phone_form.cleaned_data["password"],
                ip=ip,
            )
            messages.info(request, _("验证码已发送到新手机号码，10 分钟内有效。"))
            return redirect("portal:account")
        if action == "phone_confirm" and code_form.is_valid():
            phone_change_confirm(user=user, code=code_form.cleaned_data["code"], ip=ip)
            messages.success(
                request, _("手机号码已更换为 %(phone)s。") % {"phone": user.phone_masked}
            )
            return redirect("portal:account")
        if action == "otp_disable" and otp_off_form.is_valid():
            otp_disable(user=user, code=otp_off_form.cleaned_data["code"], ip=ip)
            messages.success(request, _("已关闭双因素认证。"))
            return redirect("portal:account")
    except ValidationError as exc:
        add_errors({"email": email_form, "phone": phone_form}.get(action, code_form), exc)
    except (OtpRequired, NotAllowed) as exc:
        otp_off_form.add_error("code", exc.detail)
    except LoginLocked as exc:
        {"phone": phone_form}.get(action, otp_off_form).add_error(None, exc.detail)
    context = {
        "account": user,
        "email_form": email_form,
        "phone_form": phone_form,
        "code_form": code_form,
        "phone_code_pending": code_pending(user=user, purpose=CodePurpose.PHONE_CHANGE),
        "otp_enabled": otp_enabled(user),
        "otp_required": otp_required_for(user),
        "otp_off_form": otp_off_form,
        "home_url": home_url(user),
    }
    if user.role == Role.TALENT:
        context["access_log_recent"] = list(access_log_for(user)[:5])
    return render(request, "portal/account.html", context)


@never_cache
@login_required
@sensitive_post_parameters("old_password", "new_password", "new_password2")
def password_change_page(request):
    user = request.user
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except LoginLocked as exc:
            form.add_error(None, exc.detail)
        else:
            # This browser stays signed in; every other session and token has ended.
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改，其他设备上的登录已全部退出。"))
            return redirect(home_url(user))
    return render(
        request,
        "portal/password_change.html",
        {"form": form, "forced": user.must_change_password},
    )


@never_cache
@login_required
@sensitive_post_parameters("code")
def otp_setup(request):
    """Enrol an authenticator: start (QR code, secret, recovery codes), then confirm with the
    first code. Accounts of a role that requires it are kept here until they have (gate)."""
    user = request.user
    form = OtpForm(request.POST if request.POST.get("action") == "confirm" else None)
    form.fields["code"].help_text = _("身份验证器应用上显示的 6 位数字。")
    if otp_enabled(user):
        return render(request, "portal/otp_setup.html", {"enabled": True})
    begin_form = OtpBeginForm(request.POST if request.POST.get("action") == "begin" else None)
    if request.method == "POST" and begin_form.is_valid():
        try:
            otp_begin(
                user=user, password=begin_form.cleaned_data["password"], ip=client_ip(request)
            )
        except ValidationError as exc:
            add_errors(begin_form, exc)
        except LoginLocked as exc:
            begin_form.add_error(None, exc.detail)
        else:
            return redirect("portal:otp-setup")
    if request.method == "POST" and form.is_valid():
        try:
            device = otp_confirm(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
        except (OtpRequired, NotAllowed) as exc:
            form.add_error("code", exc.detail)
        else:
            # Every other session has ended; this one is re-keyed, and has just proven the
            # second factor.
            update_session_auth_hash(request, user)
            otp_login(request, device)
            messages.success(request, _("双因素认证已开启，今后登录需输入动态验证码。"))
            return redirect(home_url(user))
    return render(
        request,
        "portal/otp_setup.html",
        {
            "enabled": False,
            "enrolment": pending_enrolment(user),
            "form": form,
            "begin_form": begin_form,
            "required": otp_required_for(user),
        },
    )
