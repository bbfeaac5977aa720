"""Calendar upkeep on the calendar page (工作日历), for the organization department's admins:

- the State Council's arrangement (each November for the next year) uploaded as CSV in the
  format ``manage.py import_calendar`` takes (``date,is_workday,note``): first a preview of
  what would change, every bad line named by its number, nothing saved; then apply, which is
  one audited domain call (services.calendar.calendar_import) that schedules the
  recomputation of open deadlines, as a single-day edit does (its progress is shown on the
  calendar page, services.views.calendar_recompute);
- a page per day, reached from the month grids, to correct that day
  (services.calendar.calendar_set_day).

Everyone else gets a 404: to them these pages do not exist. The preview carries the file's
text to the apply step in the form itself (no server-side state), and apply reads it again:
what is applied is what the preview showed, checked once more.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.audit import client_ip
from portal.form_messages import PlainForm
from portal.models import Role
from portal.pages import role_page
from services.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_CSV_BYTES,
    WEEKDAY_NAMES,
    calendar_import,
    calendar_import_preview,
    calendar_set_day,
    decode_calendar_csv,
    read_calendar_csv,
)
from services.models import CalendarDay, DaySource
from services.views.calendar import CalendarDayForm
from services.views.calendar_banner import forget_banner
from services.views.calendar_recompute import RECOMPUTING

admin_only = role_page(Role.ADMIN)

CSV_HELP = (
    "每行一天：日期,是否工作日,备注，例如“2027-02-06,1,春节调休上班”“2027-02-08,0,春节”。"
    "是否工作日填 1/0、是/否 或 true/false；首行可为表头。只需列出与周一至周五不同的日期，"
    "但建议整年上传，未列出的日期仍按周一至周五推算并标为未核实。"
)
KIND_LABELS = {
    "changed": "工作日/休息日改变",
    "note": "仅备注改变",
    "confirmed": "补录（与周一至周五推算一致）",
    "same": "无变化",
}


class CalendarUploadForm(PlainForm):
    file = forms.FileField(
        label="放假安排（CSV 文件）",
        required=False,
        allow_empty_file=True,  # decode_calendar_csv refuses it with its own message
        help_text=CSV_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def text(self) -> str:
        """The uploaded file's text; ValidationError when there is none or it cannot be read."""
        upload = self.cleaned_data.get("file")
        if not upload:
            raise ValidationError("请选择要上传的 CSV 文件。")
        # Read at most one byte more than allowed: enough to refuse a file that is too big.
        return decode_calendar_csv(upload.read(MAX_CSV_BYTES + 1))


class CalendarApplyForm(PlainForm):
    """The previewed file's text, carried to the apply step."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=MAX_CSV_BYTES)


class DayForm(CalendarDayForm):
    """The form of the calendar page without its date: the day is the page's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["date"]


def _calendar_url(day: datetime.date) -> str:
    return f"{reverse('services:calendar')}?year={day.year}#m{day.month}"


def _summary(preview: list[dict]) -> list[dict]:
    counts = dict.fromkeys(KIND_LABELS, 0)
    for row in preview:
        counts[row["kind"]] += 1
    return [{"kind": k, "label": KIND_LABELS[k], "count": n} for k, n in counts.items() if n]


@admin_only
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_upload(request):
    """上传放假安排: GET shows the form; POST ``step=preview`` reads the file and shows what
    would change (nothing saved); POST ``step=apply`` imports the previewed text."""
    upload_form = CalendarUploadForm()
    context = {"upload_form": upload_form, "kind_labels": KIND_LABELS, "csv_help": CSV_HELP}
    if request.method != "POST":
        return render(request, "services/supervision/calendar_import.html", context)
    applying = request.POST.get("step") == "apply"
    try:
        if applying:
            apply_form = CalendarApplyForm(request.POST)
            if not apply_form.is_valid():
                raise ValidationError("预览内容已失效，请重新上传文件。")
            text = apply_form.cleaned_data["text"]
        else:
            upload_form = CalendarUploadForm(request.POST, request.FILES)
            upload_form.is_valid()
            text = upload_form.text()
    except ValidationError as exc:
        if applying:
            context.update(file_errors=exc.messages)
        elif not upload_form.has_error("file"):
            upload_form.add_error("file", exc)  # next to the field, as every form shows them
        context.update(upload_form=upload_form)
        # Shown again with its errors: 200, as the portal's other forms.
        return render(request, "services/supervision/calendar_import.html", context)
    rows, errors = read_calendar_csv(text)
    if applying and not errors:
        count = calendar_import(
            rows=[(row.date, row.is_workday, row.note) for row in rows],
            actor=request.user,
            ip=client_ip(request),
        )
        forget_banner(timezone.localdate())
        first, last = min(r.date for r in rows), max(r.date for r in rows)
        messages.success(
            request, f"已导入 {count} 天（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}），{RECOMPUTING}"
        )
        return redirect(_calendar_url(first))
    preview = calendar_import_preview(rows)
    context.update(
        errors=errors,
        preview=[row for row in preview if row["kind"] != "same"],
        unchanged=sum(row["kind"] == "same" for row in preview),
        total=len(preview),
        summary=_summary(preview),
        # Only a file without errors may be applied: nothing is half-loaded.
        apply_form=None if errors else CalendarApplyForm(initial={"text": text}),
    )
    return render(request, "services/supervision/calendar_import.html", context)


def _day(value: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Http404
    return day


@admin_only
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_day(request, day: str):
    """One day of the calendar, as it is and where that comes from, with the form to correct
    it (reached by clicking the day in the month grids)."""
    date = _day(day)
    entry = CalendarDay.objects.select_related("updated_by").filter(date=date).first()
    is_workday = entry.is_workday if entry else date.weekday() < 5
    initial = {"is_workday": "1" if is_workday else "0", "note": entry.note if entry else ""}
    form = DayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = calendar_set_day(
            day=date,
            is_workday=form.cleaned_data["is_workday"],
            note=form.cleaned_data["note"],
            actor=request.user,
            ip=client_ip(request),
        )
        forget_banner(timezone.localdate())
        kind = "工作日" if saved.is_workday else "休息日"
        note = f"（{saved.note}）" if saved.note else ""
        messages.success(
            request,
            f"已将 {date:%Y-%m-%d} 设为{kind}{note}，{RECOMPUTING}",
        )
        return redirect(_calendar_url(date))
    return render(
        request,
        "services/supervision/calendar_day.html",
        {
            "day": date,
            "weekday": WEEKDAY_NAMES[date.weekday()],
            "entry": entry,
            "is_workday": is_workday,
            "source": DaySource(entry.source).label if entry else "",
            "form": form,
            "back": _calendar_url(date),
        },
    )
