"""The forms of the 联系服务 staff pages (Chinese only, as every staff page). They carry what an
officer or the organization department types; whether it is acceptable is the domain's to say
(talents.liaisons.liaison_assign, talents.visits.visit_record, concern_resolve), so nothing is
required here and the domain's own messages land next to the inputs."""

from django import forms

from portal.form_messages import PlainForm
from portal.localized import localized
from services.forms import RequestForm
from talents.liaisons import MAX_DAYS, MIN_DAYS
from talents.models import VisitMode
from talents.visits import MAX_CONCERN, MAX_SUMMARY

# The visit form offers this many concern rows (the domain takes up to 20; the API more).
CONCERN_ROWS = 5

SHOW_CHOICES = [("", "全部"), ("overdue", "已超期"), ("soon", "即将到期")]


def _text(label, *, rows=None, help_text="", max_length=None, attrs=None):
    attrs = {**(attrs or {}), **({"maxlength": max_length} if max_length else {})}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


class LiaisonFilterForm(PlainForm):
    """The list: 全部 / 已超期 / 即将到期, and for the organization department by officer."""

    show = forms.ChoiceField(label="走访情况", required=False, choices=SHOW_CHOICES)
    officer = forms.ChoiceField(label="服务专员", required=False)

    def __init__(self, *args, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if officers is None:
            del self.fields["officer"]
        else:
            self.fields["officer"].choices = [
                ("", "全部"),
                *[(str(o.pk), officer_label(o)) for o in officers],
            ]


def officer_label(user) -> str:
    """An account as the officer select shows it: name, office and username."""
    office = user.department.name if user.department_id else user.get_role_display()
    return f"{user.display_name}（{office}，{user.username}）"


class AssignForm(PlainForm):
    """确定 / 调整联系服务: the leader (post and name), the officer (an eligible account), the
    visit interval in days."""

    leader = _text(
        "联系领导",
        max_length=60,
        help_text="职务和姓名，如“区委副书记 张某”。",
    )
    # A select of the eligible accounts; the username posted is the domain's to check.
    officer = forms.CharField(
        label="服务专员",
        required=False,
        widget=forms.Select(),
        help_text="在岗的部门经办人、负责人或组织部人才办账号。",
    )
    visit_every_days = forms.CharField(
        label="走访周期（天）",
        required=False,
        widget=forms.NumberInput(attrs={"min": MIN_DAYS, "max": MAX_DAYS, "inputmode": "numeric"}),
        help_text=f"{MIN_DAYS}至{MAX_DAYS}天；下次走访从最近一次走访（或确定之日）起算。",
    )

    def __init__(self, *args, officers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].widget.choices = [
            ("", "请选择"),
            *[(o.username, officer_label(o)) for o in officers],
        ]


class VisitForm(PlainForm):
    """记录走访: the day, the way, what was seen and said."""

    visited_on = forms.CharField(
        label="走访日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    mode = forms.CharField(
        label="走访方式",
        required=False,
        widget=forms.Select(choices=[("", "请选择"), *VisitMode.choices]),
    )
    summary = _text(
        "走访情况",
        rows=4,
        max_length=MAX_SUMMARY,
        help_text="了解到的工作、生活情况和人才的意见建议。",
    )


def type_label(service) -> str:
    """A service type as the concern rows offer it; a sensitive one says it waits for the
    talent (talents.visits: it is not filed by the officer)."""
    name = localized(service, "name")
    return f"{name}（需本人确认后提交）" if service.sensitivity else name


class ConcernForm(PlainForm):
    """One concern row: what the talent raised and, to file it for them (代办), the service
    type. The type's own fields are a RequestForm with the same prefix (``typed``), shown
    once a type with fields is chosen."""

    text = _text("诉求内容", rows=2, max_length=MAX_CONCERN)
    service_type = forms.CharField(label="代办服务事项（选填）", required=False)

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.types = {t.code: t for t in types}
        self.fields["service_type"].widget = forms.Select(
            choices=[("", "不代办，仅记录"), *[(t.code, type_label(t)) for t in types]]
        )
        # The RequestForm holding the chosen type's fields, once shown (set by the view).
        self.typed = None
        self.shown = ""

    def chosen(self):
        """The service type chosen in this row (None: none, or not one offered)."""
        code = (self.cleaned_data.get("service_type") or "").strip()
        return self.types.get(code)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("text") or "").strip() and not data.get("service_type")

    def show_fields(self, service, data=None) -> None:
        """Show ``service``'s fields under the row (bound to ``data`` when given)."""
        self.typed = RequestForm(data, prefix=self.prefix, service_type=service)
        self.shown = service.code

    def concern(self) -> dict:
        """The row as talents.visits.visit_record takes it."""
        item = {"text": self.cleaned_data.get("text") or ""}
        service = self.chosen()
        code = (self.cleaned_data.get("service_type") or "").strip()
        if code:
            item["service_type"] = code
        if service is not None and self.typed is not None and self.typed.is_valid():
            item["fields"] = self.typed.values()
        return item

    def error_field(self, key: str) -> tuple[object, str | None]:
        """Where the domain's ``concerns.<i>.<key>`` goes: (form, field name or None)."""
        if key.startswith("fields.") and self.typed is not None:
            name = self.typed.error_field(key)
            if name is not None:
                return self.typed, name
        if key in ("text", "service_type"):
            return self, key
        return self, None


class ResolveForm(PlainForm):
    resolution = _text(
        "解决情况",
        rows=2,
        max_length=MAX_CONCERN,
        help_text="如：已协调园区增开通勤班车，人才表示满意。",
    )
