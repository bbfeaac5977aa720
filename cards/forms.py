"""Page forms of the card layer. They only collect and shape input; every rule (which kind a
talent may apply for, lengths, dates, evidence, tiers, reasons) is decided by the domain
functions, whose ValidationError messages are put back next to these fields."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.models import ApplicationKind, ApplicationStatus, CardStatus, DocumentKind, Tier
from portal.form_messages import PlainForm


class CodeListField(forms.Field):
    """A list of codes from checkboxes, passed to the domain as given (it checks them)."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(v).strip() for v in value if str(v).strip()]


def _text(label: str, maxlength: int, help_text: str = "") -> forms.CharField:
    # maxlength only helps the browser; the domain reports an overlong value.
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"maxlength": maxlength}),
    )


class ProfileForm(PlainForm):
    """Criteria and profile fields of an application (create and edit)."""

    criteria = CodeListField(label=_("申报的认定条件"), required=False)
    employer = _text(_("工作单位"), 100, _("提交前须填写。"))
    position = _text(_("职务/岗位"), 60, _("提交前须填写。"))
    industry = _text(_("所属行业"), 60)
    education = _text(_("最高学历"), 30)
    professional_title = _text(_("专业技术职称/职业技能等级"), 60)
    arrival_date = forms.DateField(
        label=_("来巴工作时间"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 年-月-日（如 2024-03-01）。")},
    )

    PROFILE_FIELDS = (
        "employer",
        "position",
        "industry",
        "education",
        "professional_title",
        "arrival_date",
    )

    @classmethod
    def data_of(cls, application) -> dict:
        """An application's current values, in the shape the form posts."""
        data = {name: getattr(application, name) or "" for name in cls.PROFILE_FIELDS}
        if application.arrival_date:
            data["arrival_date"] = application.arrival_date.isoformat()
        data["criteria"] = [c.code for c in application.criteria.all()]
        return data


class ApplyForm(ProfileForm):
    kind = forms.ChoiceField(
        label=_("申请类型"),
        choices=ApplicationKind.choices,
        initial=ApplicationKind.NEW,
        help_text=_("首次申请；持卡人到期前90天起可申请续期；更换工作单位请选择信息变更。"),
    )

    field_order = ["kind"]


class DocumentForm(PlainForm):
    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("文件"),
        required=False,
        allow_empty_file=True,  # portal.uploads refuses it, in the API's words
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


class ResubmitForm(PlainForm):
    """补正后重新提交: the returned items as a checklist, a new file for each kind of
    evidence (it replaces what the reviewer saw of that kind), and a note, in one form.
    Whether it says enough is cards.applications.application_submit's verdict."""

    items = CodeListField(label=_("需补正的事项（已补正的请勾选）"), required=False)
    note = forms.CharField(
        label=_("补正说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("请说明已补正的内容；只修改了申请信息的，请在此写明。"),
    )

    def __init__(self, *args, returned=(), kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = list(kinds)
        self.fields["items"].widget = forms.CheckboxSelectMultiple(
            choices=[(item, item) for item in returned]
        )
        labels = dict(DocumentKind.choices)
        files = {}
        for kind in self.kinds:
            accept = (
                ".jpg,.jpeg,.png,image/jpeg,image/png"
                if kind == DocumentKind.PHOTO
                else ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
            )
            files[f"file_{kind}"] = forms.FileField(
                label=gettext("重新上传：%(document)s") % {"document": labels.get(kind, kind)},
                required=False,
                allow_empty_file=True,  # portal.uploads refuses it, in the API's words
                widget=forms.ClearableFileInput(attrs={"accept": accept}),
            )
        # The checklist, then the files, then the note.
        self.fields = {"items": self.fields["items"], **files, "note": self.fields["note"]}

    def uploads(self) -> list[tuple[str, object]]:
        """``(kind, file)`` for each file chosen, as the domain takes them."""
        return [
            (kind, self.cleaned_data[f"file_{kind}"])
            for kind in self.kinds
            if self.cleaned_data.get(f"file_{kind}")
        ]

    def error_field(self, key: str) -> str | None:
        """The form field for a key of the domain's ValidationError (``files.<kind>``)."""
        if key.startswith("files."):
            name = f"file_{key.removeprefix('files.')}"
            return name if name in self.fields else None
        return key if key in self.fields else None


class ApproveForm(PlainForm):
    tier = forms.ChoiceField(label="认定层次", choices=Tier.choices)
    accepted = CodeListField(label="接受的认定条件", required=False)
    note = forms.CharField(
        label="审核意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="选填；认定为其他层次时必填。",
    )


class ReturnForm(PlainForm):
    items = forms.CharField(
        label="需补正事项（每行一项，一次列全）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="请一次性列出全部需要补正的事项（一次告知），每行一项。",
    )
    note = forms.CharField(
        label="退回说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def items_list(self) -> list[str]:
        return (self.cleaned_data.get("items") or "").splitlines()


class RejectForm(PlainForm):
    reason = forms.CharField(
        label="不予认定理由", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(PlainForm):
    reason = forms.CharField(label="原因", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(PlainForm):
    note = forms.CharField(
        label="说明（选填）", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class QueueFilterForm(PlainForm):
    # "open": not yet decided (submitted or returned), what the dashboard's 未办结 counts.
    OPEN = "open"
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), (OPEN, "未办结（待审核、退回补正）"), *ApplicationStatus.choices],
    )
    overdue = forms.BooleanField(label="只看已超期", required=False)


class CardFilterForm(PlainForm):
    q = forms.CharField(
        label="卡号或持卡人姓名",
        required=False,
        max_length=50,
        help_text="卡号可只输入开头部分；姓名须完整。",
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *CardStatus.choices]
    )
    tier = forms.ChoiceField(label="层次", required=False, choices=[("", "全部"), *Tier.choices])


class VerifyForm(PlainForm):
    token = forms.CharField(
        label=_("二维码内容"),
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false", "autofocus": True}
        ),
        help_text=_("扫描持卡人出示的二维码，或将扫码枪读出的内容粘贴到此处。"),
        error_messages={"required": _("请扫描或粘贴二维码内容。")},
    )
