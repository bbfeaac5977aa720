"""Page forms of the talent's 人才信息 and 我的联系服务. They only collect and shape input: what a
profile may hold (the five chains, up to 10 specialties, an output's kind, title, year and
reference) is decided by talents.profiles.profile_update, and whether a concern may be filed
by talents.visits.concern_confirm; their ValidationError messages are put back next to these
fields."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.form_messages import PlainForm
from services.forms import CONSENT_HELP, CONSENT_LABELS
from talents.models import IndustryChain, OutputKind
from talents.profiles import MAX_OUTPUTS

# Empty rows offered under the outputs on file, to add new ones.
EXTRA_OUTPUT_ROWS = 3


def _text(label, *, max_length, **attrs):
    return forms.CharField(
        label=label,
        required=False,  # the domain says what is missing, in its words
        widget=forms.TextInput(attrs={"maxlength": max_length, **attrs}),
    )


class ProfileForm(PlainForm):
    """What the talent keeps: the industry chain and the specialties (one per line)."""

    industry_chain = forms.ChoiceField(
        label=_("所属产业链"),
        required=False,
        choices=[("", _("暂不填写")), *IndustryChain.choices],
        widget=forms.RadioSelect,
    )
    specialties = forms.CharField(
        label=_("专业特长"),
        required=False,
        help_text=_("每行填写一项，最多 10 项，每项不超过 30 个字。"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def specialties_list(self) -> list[str]:
        """The textarea's lines, blank ones left out (the domain checks the rest)."""
        text = self.cleaned_data.get("specialties") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class OutputForm(PlainForm):
    """One research output: an existing one (with 删除) or an empty row to add one."""

    kind = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("请选择")), *OutputKind.choices],
    )
    title = _text(_("名称"), max_length=200)
    year = _text(_("年份"), max_length=4, inputmode="numeric")
    ref = _text(_("出处/编号"), max_length=200)
    remove = forms.BooleanField(label=pgettext_lazy("action", "删除"), required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any((data.get(name) or "").strip() for name in ("kind", "title", "year", "ref"))

    def value(self) -> dict:
        """The row as the domain takes it (the year as typed: the domain says what is wrong)."""
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "title": data.get("title") or "",
            "year": (data.get("year") or "").strip(),
            "ref": data.get("ref") or "",
        }


OutputFormSet = formset_factory(
    OutputForm,
    extra=EXTRA_OUTPUT_ROWS,
    max_num=MAX_OUTPUTS + EXTRA_OUTPUT_ROWS,
    absolute_max=MAX_OUTPUTS + EXTRA_OUTPUT_ROWS,
)


class ConsentForm(PlainForm):
    """同意并提交 a concern the officer could not file (medical, minors): the separate consent
    of PIPL art. 29 / 31, worded as on the request form."""

    def __init__(self, *args, sensitivity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"] = forms.BooleanField(
            label=CONSENT_LABELS[sensitivity],
            required=False,  # concern_confirm says what is missing
            help_text=CONSENT_HELP[sensitivity],
        )
        self.fields["consent"].marked_required = True
