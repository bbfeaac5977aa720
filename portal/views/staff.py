"""账户管理: the talent office opens and keeps the accounts of handlers, leads and verifiers.

Who may is ``portal.staff.allowed`` (asked here and in the templates); everybody else gets a
404, as for every page of another role.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.audit import client_ip
from portal.form_messages import PlainForm
from portal.idempotency import answers_repeats, form_once
from portal.models import Department
from portal.staff import (
    MANAGED_ROLES,
    accounts_filtered,
    allowed,
    managed_accounts,
    staff_account_create,
    staff_account_reset_password,
    staff_account_update,
)
from portal.views.profile import add_errors

ROLE_CHOICES = [(role.value, role.label) for role in MANAGED_ROLES]


def _departments():
    return [("", "（无，核验员可不选）")] + [
        (d.code, f"{d.code} {d.name}") for d in Department.objects.active().order_by("code")
    ]


class AccountForm(PlainForm):
    # Not required here: portal.staff checks every field at once, with its own messages.
    username = forms.CharField(
        label="用户名", max_length=150, required=False, help_text="登录用，3至30个字符。"
    )
    real_name = forms.CharField(
        label="真实姓名", max_length=50, required=False, help_text="人才和同事看到的名字。"
    )
    role = forms.ChoiceField(label="角色", choices=ROLE_CHOICES)
    department = forms.ChoiceField(label="所属部门", required=False)
    phone = forms.CharField(
        label="手机号码（选填）",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text="用于接收督办短信和找回密码。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _departments()


class AccountEditForm(PlainForm):
    real_name = forms.CharField(label="真实姓名", max_length=50, required=False)
    role = forms.ChoiceField(label="角色", choices=ROLE_CHOICES)
    department = forms.ChoiceField(label="所属部门", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _departments()


def _gate(request, verb="list"):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not allowed(request.user, verb):
        raise Http404
    return None


@never_cache
def account_list(request):
    if response := _gate(request):
        return response
    accounts = accounts_filtered(request.user, request.GET)
    page = Paginator(accounts, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/staff/list.html",
        {
            "page": page,
            "filters": request.GET,
            "query": query.urlencode(),
            "roles": ROLE_CHOICES,
            "departments": _departments()[1:],
        },
    )


@never_cache
@answers_repeats
def account_create(request):
    if response := _gate(request, "create"):
        return response
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # A double tap opens one account; the repeat lands on its page (the initial
            # password was on the first answer: if it was never seen, reset it there).
            with form_once(request) as claim:
                user, password = staff_account_create(
                    actor=request.user, **form.cleaned_data, ip=client_ip(request)
                )
                claim.location = reverse("portal:staff-account", args=[user.pk])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            # Shown once, on this answer only (never stored in a message or the session).
            return render(
                request,
                "portal/staff/password_shown.html",
                {"account": user, "password": password, "created": True},
            )
    return render(request, "portal/staff/form.html", {"form": form})


@never_cache
def account_detail(request, pk):
    if response := _gate(request):
        return response
    account = get_object_or_404(managed_accounts(request.user), pk=pk)
    form = AccountEditForm(
        request.POST or None,
        initial={
            "real_name": account.real_name,
            "role": account.role,
            "department": account.department.code if account.department else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            staff_account_update(
                actor=request.user, account=account, **form.cleaned_data, ip=client_ip(request)
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "账户信息已保存。")
            return redirect("portal:staff-account", pk=account.pk)
    return render(
        request,
        "portal/staff/detail.html",
        {
            "account": account,
            "form": form,
            "may_update": allowed(request.user, "update", account),
            "may_reset": allowed(request.user, "reset_password", account),
        },
    )


@require_POST
def account_active(request, pk):
    if response := _gate(request, "update"):
        return response
    account = get_object_or_404(managed_accounts(request.user), pk=pk)
    active = request.POST.get("is_active") == "true"
    staff_account_update(
        actor=request.user, account=account, is_active=active, ip=client_ip(request)
    )
    messages.success(
        request,
        "账户已启用。" if active else "账户已停用，该账户的所有登录已立即失效。",
    )
    return redirect("portal:staff-account", pk=account.pk)


@never_cache
@require_POST
def account_reset_password(request, pk):
    if response := _gate(request, "reset_password"):
        return response
    account = get_object_or_404(managed_accounts(request.user), pk=pk)
    password = staff_account_reset_password(
        actor=request.user, account=account, ip=client_ip(request)
    )
    return render(
        request,
        "portal/staff/password_shown.html",
        {"account": account, "password": password, "created": False},
    )
