"""The dashboard's export buttons (issue 12 point 4): a background export with a progress bar.

With JavaScript (static/js/export-jobs.js) the buttons call POST /api/v1/exports/ and poll the
job on the dashboard itself. Without it, the same forms post here: the job is started and its
own page shows the progress (with a link to look again) and the download when it is done.
Both go through services.exports.export_start, and the download is the API's (requester only).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from portal.audit import client_ip
from portal.jobs import GONE_TEXT
from portal.models import JobStatus, Role
from portal.pages import role_page
from services import dashboard, exports

admin_page = role_page(Role.ADMIN)
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel"}
BAD_EXPORT = (
    "导出参数有误：请选择导出内容和文件格式；日期格式应为 年-月-日，截止日期不能早于起始日期，"
    "期间不超过十年。"
)


def export_buttons() -> list[dict]:
    """The dashboard's export buttons: (kind, format) and what the button says."""
    return [
        {"kind": "requests", "format": "xlsx", "label": "导出 Excel"},
        {"kind": "requests", "format": "csv", "label": "导出申请明细 CSV"},
        {"kind": "summary", "format": "csv", "label": "导出部门汇总 CSV"},
    ]


def status_text(job) -> str:
    """What the progress line says (the same words as export-jobs.js)."""
    if job.status == JobStatus.QUEUED:
        return "排队中"
    if job.status == JobStatus.RUNNING:
        return f"导出中 {job.progress}%"
    if job.status == JobStatus.DONE:
        return GONE_TEXT if job.file_expired else "已完成，"
    return f"导出失败：{job.error}"


@admin_page
@require_POST
def export_start_page(request):
    """Start an export from the dashboard's form, then show its page."""
    kind, fmt = request.POST.get("kind"), request.POST.get("format")
    try:
        period = dashboard.Period.parse(
            request.POST.get("from") or None, request.POST.get("to") or None
        )
    except ValueError:
        period = None
    if kind not in exports.KINDS or fmt not in exports.FORMATS or period is None:
        messages.error(request, BAD_EXPORT)
        return redirect("services:dashboard")
    job = exports.export_start(
        user=request.user, kind=kind, fmt=fmt, period=period, ip=client_ip(request)
    )
    return redirect("services:export-job", pk=job.pk)


@admin_page
@require_safe
def export_job_page(request, pk: int):
    """One export's progress and, when done, its download (the requester's own job only)."""
    job = get_object_or_404(exports.export_jobs(request.user), pk=pk)
    finished = job.status in (JobStatus.DONE, JobStatus.FAILED)
    ready = job.status == JobStatus.DONE and not job.file_expired
    period = {"from": job.params.get("from", ""), "to": job.params.get("to", "")}
    return render(
        request,
        "services/supervision/export_job.html",
        {
            "job": job,
            "kind_label": exports.KINDS.get(job.kind, job.kind),
            "format_label": FORMAT_LABELS.get(job.params.get("format"), ""),
            "period": period,
            "status_text": status_text(job),
            "finished": finished,
            "download_url": reverse("api-export-download", args=[job.pk]) if ready else "",
            "dashboard_url": f"{reverse('services:dashboard')}?{urlencode(period)}",
        },
    )
