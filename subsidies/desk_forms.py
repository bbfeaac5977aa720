"""The forms of the subsidies staff pages (Chinese only, as every staff page). They carry
what a person types; whether it is acceptable is the domain's to say (subsidies.entitlements,
subsidies.payments), so the fields are not required here and the domain's own messages land
next to them."""

from django import forms

from portal.form_messages import PlainForm
from subsidies.models import EntitlementStatus, Instalment

VOUCHER_MAX = Instalment._meta.get_field("voucher").max_length


def _text(label, *, rows=None, help_text="", max_length=None):
    attrs = {"maxlength": max_length} if max_length else {}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


class ApproveForm(PlainForm):
    note = _text("审核意见（选填）", rows=2, max_length=500)


class ReturnForm(PlainForm):
    items = _text(
        "需修改事项（每行一项，一次列全）",
        rows=4,
        help_text="请一次性列出人才需要修改的全部事项（一次告知），每行一项。人才修改并重新确认后重新计算审核时限。",
    )
    note = _text("退回说明（选填）", rows=2, max_length=500)

    def items_list(self) -> list[str]:
        return (self.cleaned_data.get("items") or "").splitlines()


class PayForm(PlainForm):
    voucher = _text("支付凭证号", max_length=VOUCHER_MAX, help_text="财政或银行支付凭证上的编号。")


class FailForm(PlainForm):
    reason = _text(
        "失败原因", rows=2, help_text="如：户名与账号不符、账户已注销。将告知人才更正收款账户。"
    )


class SuspendForm(PlainForm):
    reason = _text(
        "中止原因",
        rows=2,
        help_text="如：人才已离开本区。中止后尚未兑现的分期全部停发，将告知人才。",
    )


def _policy_choices(policies) -> list[tuple[str, str]]:
    return [("", "全部"), *[(p.code, f"{p.code} {p.name}") for p in policies]]


class DeskFilterForm(PlainForm):
    """The desk's 全部 tab: by status, policy, or a holder's card number."""

    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *EntitlementStatus.choices]
    )
    policy = forms.ChoiceField(label="政策", required=False)
    q = forms.CharField(
        label="优才卡号",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "BZYC-2026-000001"}),
        help_text="须输入完整卡号。",
    )

    def __init__(self, *args, policies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = _policy_choices(policies)

    def clean_q(self) -> str:
        return (self.cleaned_data.get("q") or "").strip().upper()


OVERDUE_CHOICES = [("", "全部"), ("review", "审核已超期"), ("payment", "兑现已超期")]


class ManageFilterForm(PlainForm):
    """The organization department's list: status, policy, paying department, overdue."""

    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *EntitlementStatus.choices]
    )
    policy = forms.ChoiceField(label="政策", required=False)
    department = forms.ChoiceField(label="兑现部门", required=False)
    overdue = forms.ChoiceField(label="是否超期", required=False, choices=OVERDUE_CHOICES)

    def __init__(self, *args, policies=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = _policy_choices(policies)
        self.fields["department"].choices = [
            ("", "全部"),
            *[(d.code, d.name) for d in departments],
        ]
