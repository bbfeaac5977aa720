"""Page forms. They only collect input: the rules live in portal.accounts and portal.signin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.form_messages import PlainForm
from portal.identity import IdType


class RegisterForm(PlainForm):
    username = forms.CharField(
        label=_("用户名"), max_length=150, help_text=_("3至30个字符，可用字母、数字和 @ . + - _。")
    )
    real_name = forms.CharField(label=_("真实姓名"), max_length=50)
    id_type = forms.ChoiceField(
        label=_("证件类型"),
        choices=IdType.choices,
        initial=IdType.RESIDENT,
        error_messages={"required": _("请选择证件类型。"), "invalid_choice": _("请选择证件类型。")},
    )
    # Not echoed back after an error: a page never shows an identity number in full.
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=40,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("居民身份证为18位，末位X不区分大小写。出于隐私保护，提交出错时需重新填写。"),
    )
    phone = forms.CharField(
        label=_("手机号码"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    email = forms.CharField(label=_("电子邮箱（选填）"), max_length=254, required=False)
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "至少8位，包含大写字母、小写字母、数字、特殊字符中的至少3种，不能与用户名相近。"
        ),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        max_length=128,
        strip=False,
        error_messages={"required": _("请再次输入密码。")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        label=_("我已阅读并同意《个人信息处理规则》，同意本平台为办理人才服务处理我的个人信息。"),
        error_messages={"required": _("请阅读并同意个人信息处理规则。")},
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class LoginForm(PlainForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OtpForm(PlainForm):
    code = forms.CharField(
        label=_("动态验证码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("身份验证器应用上的 6 位数字；手机不在身边时可输入一个恢复码。"),
    )


def _new_password_fields():
    return (
        forms.CharField(
            label=_("新密码"),
            max_length=128,
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=_("至少8位，包含大写字母、小写字母、数字、特殊字符中的至少3种。"),
        ),
        forms.CharField(
            label=_("确认新密码"),
            max_length=128,
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )


class _NewPasswordMixin:
    def clean(self):
        data = super().clean()
        first, second = data.get("new_password"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return data


class PasswordChangeForm(_NewPasswordMixin, PlainForm):
    old_password = forms.CharField(
        label=_("当前密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password, new_password2 = _new_password_fields()


class PasswordResetForm(PlainForm):
    account = forms.CharField(
        label=_("用户名或手机号码"),
        max_length=150,
        help_text=_("验证码将发送到账户绑定的手机。"),
    )


class PasswordResetConfirmForm(_NewPasswordMixin, PlainForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    new_password, new_password2 = _new_password_fields()


class EmailForm(PlainForm):
    email = forms.CharField(label=_("电子邮箱"), max_length=254, required=False)


def _current_password():
    return forms.CharField(
        label=_("当前密码"),
        max_length=128,
        strip=False,
        required=False,  # portal.signin.password_recheck answers, and counts wrong ones
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("为保护账户安全，请再次输入登录密码。"),
    )


class PhoneForm(PlainForm):
    phone = forms.CharField(
        label=_("新手机号码"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    password = _current_password()


class OtpBeginForm(PlainForm):
    password = _current_password()


class CodeForm(PlainForm):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
