"""Page forms of the green-channel layer. They only collect and shape input: every rule
(required fields, datatypes, allowed values, consent, lengths, who may do what) is decided by
the domain functions in services.filing, workflow, feedback and conversation, whose
ValidationError messages are put back next to these fields."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.form_messages import PlainForm
from portal.localized import localized, localized_choices
from portal.models import Role
from services.feedback import SCORE_LABELS
from services.models import Datatype, RequestStatus, Sensitivity

CONSENT_LABELS = {
    Sensitivity.MEDICAL: (
        _(
            "本人已阅读《敏感个人信息处理告知》，单独同意承办部门为办理本事项处理本人的医疗健康信息。"
        )
    ),
    Sensitivity.MINOR: (
        _(
            "本人系该未成年人的监护人，已阅读《敏感个人信息处理告知》，"
            "同意承办部门为办理本事项处理其个人信息（监护人同意）。"
        )
    ),
}
CONSENT_HELP = {
    Sensitivity.MEDICAL: (
        _("依据《个人信息保护法》第二十九条，处理医疗健康等敏感个人信息须取得您的单独同意。")
    ),
    Sensitivity.MINOR: (
        _("依据《个人信息保护法》第三十一条，处理不满十四周岁未成年人的个人信息须取得监护人同意。")
    ),
}
BOOLEAN_CHOICES = [("true", _("是")), ("false", _("否"))]


class ListField(forms.Field):
    """Values of a group of checkboxes, passed to the domain as given (it checks them)."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value if str(v).strip()]


def _text(label, *, rows=None, help_text="", maxlength=None):
    attrs = {"maxlength": maxlength} if maxlength else {}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=widget, strip=False
    )


def _form_field(definition: dict) -> forms.Field:
    """The input for one field definition of a service type. Never required on the form:
    whether it must be filled in, and how, is services.filing.clean_fields' verdict."""
    # The English label and choice labels on an English page, where the type has them; the
    # values posted and stored stay the Chinese ones (portal.localized).
    label = localized(definition, "label")
    kind = definition["datatype"]
    values = localized_choices(definition)
    if kind == Datatype.TEXT:
        field = _text(label, rows=3, maxlength=2000)
    elif kind == Datatype.NUMBER:
        field = forms.CharField(
            label=label,
            required=False,
            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        )
    elif kind == Datatype.DATE:
        field = forms.CharField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    elif kind == Datatype.BOOLEAN:
        field = forms.CharField(
            label=label, required=False, widget=forms.RadioSelect(choices=BOOLEAN_CHOICES)
        )
    elif kind == Datatype.SINGLE:
        field = forms.CharField(
            label=label,
            required=False,
            widget=forms.Select(choices=[("", _("请选择")), *values]),
        )
    elif kind == Datatype.MULTI:
        field = ListField(
            label=label, required=False, widget=forms.CheckboxSelectMultiple(choices=values)
        )
    else:  # string, and anything the catalogue may add later
        field = _text(label, maxlength=200)
    # Shown as "*" next to the label (services/includes/field.html); not enforced here.
    field.marked_required = bool(definition.get("required"))
    field.datatype = kind
    return field


def field_name(code: str) -> str:
    """The form field holding the service type's field ``code`` (the domain's
    ``fields.<code>``); prefixed so that no code can clash with description or consent."""
    return f"field_{code}"


class RequestForm(PlainForm):
    """申请表: the type's own fields, a description, and for medical or minors' matters the
    separate consent checkbox (PIPL art. 29 / 31)."""

    description = _text(
        _("诉求说明"),
        rows=4,
        maxlength=2000,
        help_text=_("选填。请简要说明您的需求和需要协调的事项。"),
    )

    def __init__(self, *args, service_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_type = service_type
        described = {}
        for definition in service_type.fields:
            described[field_name(definition["code"])] = _form_field(definition)
        # The type's fields first, then the description, then the consent.
        self.fields = {**described, "description": self.fields["description"]}
        if service_type.sensitivity:
            self.fields["consent"] = forms.BooleanField(
                label=CONSENT_LABELS[service_type.sensitivity],
                required=False,
                help_text=CONSENT_HELP[service_type.sensitivity],
            )
            self.fields["consent"].marked_required = True

    def type_fields(self):
        return [self[field_name(d["code"])] for d in self.service_type.fields]

    def values(self) -> dict:
        """The type's fields as the domain takes them, keyed by code."""
        return {
            d["code"]: self.cleaned_data.get(field_name(d["code"]))
            for d in self.service_type.fields
        }

    def error_field(self, key: str) -> str | None:
        """The form field for a key of the domain's ValidationError (``fields.<code>``)."""
        if key.startswith("fields."):
            name = field_name(key.removeprefix("fields."))
            return name if name in self.fields else None
        return key if key in self.fields else None


class CommentForm(PlainForm):
    body = _text(_("留言内容"), rows=3, maxlength=2000)


class StaffCommentForm(CommentForm):
    body = _text(_("留言或备注"), rows=3, maxlength=2000)
    internal = forms.BooleanField(
        label=_("内部备注（仅承办部门和组织部人才办可见，申请人看不到）"), required=False
    )


class AttachmentForm(PlainForm):
    file = forms.FileField(
        label=_("附件"),
        required=False,
        allow_empty_file=True,  # portal.uploads refuses it, in the API's words
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by the domain (portal.uploads)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(one, initial) for one in data if one]
        return [single(data, initial)] if data else []


class SupplyInfoForm(PlainForm):
    """补正: the asked items as a checklist, the files and a note, in one form. Whether it
    says enough is services.workflow.request_supply_info's verdict (a note or a file)."""

    items = ListField(label=_("需补正的事项（已补正的请勾选）"), required=False)
    files = MultipleFileField(
        label=_("补正材料（可一次选择多个文件）"),
        required=False,
        allow_empty_file=True,  # portal.uploads refuses it, in the API's words
        widget=MultipleFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )
    note = _text(
        _("补正说明"), rows=3, help_text=_("请说明已补充的内容；上传了材料的，可简要说明。")
    )

    def __init__(self, *args, asked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].widget = forms.CheckboxSelectMultiple(
            choices=[(item, item) for item in asked]
        )


class WithdrawForm(PlainForm):
    reason = _text(_("撤回原因（选填）"), rows=2)


class RateForm(PlainForm):
    score = forms.CharField(
        label=pgettext_lazy("rating form", "评价"),
        required=False,
        widget=forms.RadioSelect(
            choices=[
                (str(n), format_lazy(_("{score}星 {label}"), score=n, label=_(label)))
                for n, label in SCORE_LABELS.items()
            ]
        ),
    )
    comment = _text(_("评价内容（选填）"), rows=3, maxlength=1000)

    def score_value(self):
        """The score as a number when it is one; anything else goes to the domain as given,
        which refuses it with its own message."""
        raw = (self.cleaned_data.get("score") or "").strip()
        return int(raw) if raw.isdigit() else raw or None


class AssignForm(PlainForm):
    assignee = forms.CharField(label="经办人", required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].widget = forms.Select(
            choices=[
                ("", "请选择"),
                *[(p.username, f"{p.display_name}（{Role(p.role).label}）") for p in people],
            ]
        )


class AskInfoForm(PlainForm):
    items = _text(
        "需补正事项（每行一项，一次列全）",
        rows=4,
        help_text="请一次性列出需要申请人补充的全部材料或信息（一次告知），每行一项。办理时限暂停计算，补正后恢复。",
    )
    note = _text("补正说明（选填）", rows=2)

    def items_list(self) -> list[str]:
        return (self.cleaned_data.get("items") or "").splitlines()


class ResolveForm(PlainForm):
    note = _text("办理结果", rows=3, help_text="将告知申请人。")


class RejectForm(PlainForm):
    reason = _text("不予办理理由", rows=3, help_text="不予办理为最终决定，理由将告知申请人。")


class TransferForm(PlainForm):
    department = forms.CharField(label="转至部门", required=False)
    reason = _text("转办理由", rows=2, help_text="转办理由将告知申请人。")

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].widget = forms.Select(
            choices=[("", "请选择"), *[(d.code, d.name) for d in departments]]
        )


class FollowUpForm(PlainForm):
    note = _text("回访及整改情况", rows=3)


# What the request search boxes take (services.search.request_search).
SEARCH_HELP = "申请编号可只输入开头部分；优才卡号须完整；申请人姓名须完整。"


class ManageFilterForm(PlainForm):
    """Filters of the organization department's list of all requests."""

    q = forms.CharField(
        label="编号、卡号或姓名",
        required=False,
        max_length=50,
        help_text=SEARCH_HELP,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "申请编号、卡号或完整姓名"}),
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *RequestStatus.choices]
    )
    service_type = forms.ChoiceField(label="服务事项", required=False)
    department = forms.ChoiceField(label="承办部门", required=False)
    overdue = forms.ChoiceField(
        label="是否超期", required=False, choices=[("", "全部"), ("1", "已超期")]
    )
    # Filters the dashboard's figures link with (carried as hidden fields): each selects
    # exactly the requests a figure counted. services.dashboard has the definitions.
    open = forms.BooleanField(required=False, widget=forms.HiddenInput)
    escalated = forms.BooleanField(required=False, widget=forms.HiddenInput)
    on_time = forms.BooleanField(required=False, widget=forms.HiddenInput)
    bad_rating = forms.BooleanField(required=False, widget=forms.HiddenInput)
    followup = forms.ChoiceField(
        required=False,
        choices=[("", ""), ("open", "open"), ("overdue", "overdue")],
        widget=forms.HiddenInput,
    )
    held_by = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)
    filed_from = forms.DateField(required=False, widget=forms.HiddenInput)
    filed_to = forms.DateField(required=False, widget=forms.HiddenInput)
    received_from = forms.DateField(required=False, widget=forms.HiddenInput)
    received_to = forms.DateField(required=False, widget=forms.HiddenInput)
    resolved_from = forms.DateField(required=False, widget=forms.HiddenInput)
    resolved_to = forms.DateField(required=False, widget=forms.HiddenInput)
    rated_from = forms.DateField(required=False, widget=forms.HiddenInput)
    rated_to = forms.DateField(required=False, widget=forms.HiddenInput)

    def describe(self) -> list[str]:
        """The figure filters in force, as people read them."""
        if not self.is_valid():
            return []
        data, parts = self.cleaned_data, []
        for field, label in (("filed", "提交"), ("received", "转入或提交"), ("resolved", "办结"),
                             ("rated", "评价")):  # fmt: skip
            first, last = data.get(f"{field}_from"), data.get(f"{field}_to")
            if first or last:
                parts.append(f"{label}于 {first or '…'} 至 {last or '…'}")
        if data.get("held_by"):
            parts.append(f"曾由 {data['held_by']} 承办")
        for field, label in (("open", "在办"), ("escalated", "督办中"), ("on_time", "按时办结"),
                             ("bad_rating", "差评（2星及以下）")):  # fmt: skip
            if data.get(field):
                parts.append(label)
        if data.get("followup"):
            parts.append({"open": "待回访", "overdue": "回访超期"}[data["followup"]])
        return parts

    def __init__(self, *args, service_types=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = [
            ("", "全部"),
            *[(t.code, t.name) for t in service_types],
        ]
        self.fields["department"].choices = [
            ("", "全部"),
            *[(d.code, d.name) for d in departments],
        ]
