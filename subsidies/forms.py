"""Page forms of the talent's 我的待遇. They only collect input: what an account must be
(the bank named, 10–30 digits, the talent's own name) is decided by
subsidies.entitlements.clean_account, whose ValidationError messages are put back next to
these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.form_messages import PlainForm


class UnechoedInput(forms.TextInput):
    """A text input that never writes its value back into the page: a form sent again with
    an error does not carry the full bank account number in its HTML (accounts are shown
    masked everywhere); the talent types it again."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def _text(label, *, max_length, help_text="", **attrs):
    return forms.CharField(
        label=label,
        required=False,  # the domain says what is missing, in its words
        strip=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"maxlength": max_length, **attrs}),
    )


class AccountForm(PlainForm):
    """确认收款账户 (or 更正收款账户 while being paid)."""

    bank_name = _text(
        _("开户银行"),
        max_length=60,
        help_text=_("请写到支行，如“中国工商银行巴中分行”。"),
        autocomplete="off",
    )
    account_number = forms.CharField(
        label=_("银行账号"),
        required=False,
        strip=False,
        help_text=_("本人名下的借记卡账号，10 至 30 位数字，可含空格。"),
        widget=UnechoedInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 40}
        ),
    )
    account_name = _text(
        _("户名"),
        max_length=50,
        help_text=_("须为本人姓名：待遇只发放到本人账户。"),
        autocomplete="name",
    )


class DeclineForm(PlainForm):
    """放弃待遇, with an optional reason."""

    reason = forms.CharField(
        label=_("放弃原因（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )
