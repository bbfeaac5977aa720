"""CSV and XLSX exports of a period's requests and of the summary (identifiers masked), with
memory bounded whatever the period (issue 12 point 4).

- Rows come from one query with the related names and the rating joined in, read as tuples
  in chunks (``.iterator(chunk_size=CHUNK)``: a server-side cursor on PostgreSQL), never as
  one list; a row's cells are computed from the tuple alone (no query per row).
- CSV is written line by line: streamed to the browser by ``GET /api/v1/sla/export/``, or to a
  file by a background job.
- XLSX uses openpyxl's write-only mode, which writes each sheet's rows to a temporary file as
  they come (strings inline, no shared-string table held in memory) and zips them at the end.
  The direct endpoint writes it to an anonymous temporary file and streams that; the
  dashboard's buttons run it as a background job with a progress bar (``export_start``), which
  is what large periods should use.
"""

import csv
import tempfile
from datetime import date
from functools import lru_cache

from django.db import transaction
from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal import crypto
from portal.audit import audit_record
from portal.identity import mask_name, mask_phone
from portal.jobs import JobRun, Output, job_create, register_producer
from portal.models import Job, Role
from portal.streaming import csv_response, safe_cell
from services.actions import SlaAction
from services.dashboard import Period, summary
from services.models import RequestStatus, ServiceRequest
from services.workdays import SHANGHAI

# Rows fetched per round trip; also the server-side cursor's batch on PostgreSQL.
CHUNK = 2000
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The kinds a background export may be, with their Chinese names (API.md "Big exports").
KINDS = {"requests": "申请明细", "summary": "部门与事项汇总"}
FORMATS = ("csv", "xlsx")

_STATUS = dict(RequestStatus.choices)


def _yes_no(value):
    return {True: "是", False: "否"}.get(value, "")


def _when(value):
    # Beijing time to the minute. A fixed zone and isoformat, not timezone.localtime() and
    # strftime: five timestamps a row, a million rows, and this is a third of the time.
    if not value:
        return ""
    return value.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(" ", "minutes")


def _plain(value):
    return "" if value is None else value


@lru_cache(maxsize=4096)
def _sealed_phone_masked(token):
    # Phones are stored encrypted: decrypted here only to be masked. A talent's requests
    # repeat the same token, so a big export decrypts each talent's number about once; only
    # the masked value is kept.
    return mask_phone(crypto.unseal(token or ""))


# (header, field read from the database, how the value is shown). Identifiers are masked here,
# once, for every format and every way out.
REQUEST_COLUMNS = [
    ("编号", "number", _plain),
    ("服务事项", "service_type__name", _plain),
    ("承办部门", "department__name", _plain),
    ("状态", "status", lambda value: str(_STATUS.get(value, value))),
    ("人才层次", "tier", _plain),
    ("申请人", "talent__real_name", mask_name),
    ("手机号码", "talent__phone_encrypted", _sealed_phone_masked),
    ("提交时间", "submitted_at", _when),
    ("受理时间", "accepted_at", _when),
    ("办结时间", "resolved_at", _when),
    ("受理期限", "accept_due_at", _when),
    ("办结期限", "resolve_due_at", _when),
    ("按时受理", "accepted_on_time", _yes_no),
    ("按时办结", "resolved_on_time", _yes_no),
    ("办理用时（工作日）", "handling_working_days", _plain),
    # The rating is a LEFT JOIN of the one-to-one row, not a query per request.
    ("评分", "rating__score", _plain),
]
REQUEST_HEADER = [header for header, _, _ in REQUEST_COLUMNS]
SUMMARY_COLUMNS = [
    ("代码", "key"),
    ("名称", "name"),
    ("受理/提交件数", "total"),
    ("办结", "resolved"),
    ("按时办结", "resolved_on_time"),
    ("在办", "open"),
    ("在办超期", "open_overdue"),
    ("按时办结率", "on_time_rate"),
    ("平均受理用时（小时）", "avg_accept_hours"),
    ("平均办理用时（工作日）", "avg_resolve_working_days"),
    ("差评", "bad_ratings"),
    ("待回访", "followups_open"),
    ("回访超期", "followups_overdue"),
]
SUMMARY_HEADER = [header for header, _ in SUMMARY_COLUMNS]


def period_requests(period: Period, queryset):
    """The requests filed in the period, oldest first, as tuples of REQUEST_COLUMNS' fields:
    one query, the names and the rating joined in."""
    return (
        queryset.filter(period.q("submitted_at"))
        .order_by("submitted_at", "pk")
        .values_list(*[field for _, field, _ in REQUEST_COLUMNS])
    )


def request_rows(requests, run: JobRun | None = None):
    """The export's rows, read CHUNK at a time; each row counted on ``run`` when given."""
    shows = [show for _, _, show in REQUEST_COLUMNS]
    for values in requests.iterator(chunk_size=CHUNK):
        yield [show(value) for show, value in zip(shows, values, strict=True)]
        if run is not None:
            run.advance()


def summary_rows(period: Period, group_by: str):
    for row in summary(period, group_by):
        yield [_plain(row[field]) for _, field in SUMMARY_COLUMNS]


def export_name(period: Period) -> str:
    return f"bazhou-sla-{period.first:%Y%m%d}-{period.last:%Y%m%d}"


# --- writers --------------------------------------------------------------------------------
def write_csv(file, header: list[str], rows) -> None:
    """Write to an open text file (opened with encoding "utf-8-sig", so that Excel on Windows
    reads the Chinese), cells that would be formulas neutralised."""
    writer = csv.writer(file)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])


def _xlsx_cell(sheet, value):
    # openpyxl would store text beginning with "=" as a formula (CSV injection, OWASP):
    # such a cell is written as plain text.
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(target, sheets) -> None:
    """``sheets``: ``[(title, header, rows)]``. openpyxl's write-only mode: each row goes to
    the sheet's temporary file as it comes, so memory does not grow with the rows."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"  # before the first row: the view is written with it
        bold = Font(bold=True)
        titles = []
        for text in header:
            cell = WriteOnlyCell(sheet, text)
            cell.font = bold
            titles.append(cell)
        sheet.append(titles)
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    book.save(target)


def _request_sheets(period: Period, requests, run: JobRun | None = None):
    """The three sheets of the XLSX export: the period's requests, the summary per department
    and per service type."""
    return [
        ("服务申请", REQUEST_HEADER, request_rows(requests, run)),
        ("按部门汇总", SUMMARY_HEADER, summary_rows(period, "department")),
        ("按事项汇总", SUMMARY_HEADER, summary_rows(period, "service_type")),
    ]


# --- GET /api/v1/sla/export/ ----------------------------------------------------------------
def csv_download(period: Period, queryset, kind: str):
    """A streamed CSV: the period's requests, or the summary per department."""
    if kind == "requests":
        header, rows = REQUEST_HEADER, request_rows(period_requests(period, queryset))
    else:
        # A few rows, computed now: the figures are those of the moment of the request.
        header, rows = SUMMARY_HEADER, list(summary_rows(period, "department"))
    return csv_response(f"{export_name(period)}-{kind}.csv", header, rows)


def xlsx_response(filename: str, sheets) -> FileResponse:
    """``sheets`` (as write_xlsx takes them) written to an anonymous temporary file (deleted
    when the response closes it) and sent from there as the download ``filename``: bounded in
    memory whatever the rows (the subsidies' and the talents' exports too)."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    try:
        write_xlsx(file, sheets)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


def xlsx_download(period: Period, queryset):
    """The XLSX export of the period's requests. For long periods the dashboard runs it as a
    background job instead, which shows its progress."""
    sheets = _request_sheets(period, period_requests(period, queryset))
    return xlsx_response(f"{export_name(period)}.xlsx", sheets)


# --- background exports (POST /api/v1/exports/) ----------------------------------------------
def _job_period(run: JobRun) -> Period:
    return Period(date.fromisoformat(run.params["from"]), date.fromisoformat(run.params["to"]))


def produce_requests(run: JobRun) -> Output:
    """Job kind "requests": the period's requests (XLSX: with both summaries), every request
    whatever its department (only admins start exports)."""
    period = _job_period(run)
    requests = period_requests(period, ServiceRequest.objects.all())
    run.set_total(requests.count())
    if run.params["format"] == "xlsx":
        with run.path.open("wb") as file:
            write_xlsx(file, _request_sheets(period, requests, run))
        return Output(f"{export_name(period)}.xlsx", XLSX_TYPE)
    with run.path.open("w", encoding="utf-8-sig", newline="") as file:
        write_csv(file, REQUEST_HEADER, request_rows(requests, run))
    return Output(f"{export_name(period)}-requests.csv", CSV_TYPE)


def _counted(rows, run: JobRun):
    for row in rows:
        yield row
        run.advance()


def produce_summary(run: JobRun) -> Output:
    """Job kind "summary": the figures per department (XLSX: and per service type)."""
    period = _job_period(run)
    if run.params["format"] == "xlsx":
        sheets = [
            ("按部门汇总", SUMMARY_HEADER, _counted(summary_rows(period, "department"), run)),
            ("按事项汇总", SUMMARY_HEADER, _counted(summary_rows(period, "service_type"), run)),
        ]
        with run.path.open("wb") as file:
            write_xlsx(file, sheets)
        return Output(f"{export_name(period)}-summary.xlsx", XLSX_TYPE)
    with run.path.open("w", encoding="utf-8-sig", newline="") as file:
        write_csv(file, SUMMARY_HEADER, _counted(summary_rows(period, "department"), run))
    return Output(f"{export_name(period)}-summary.csv", CSV_TYPE)


def register() -> None:
    """Hand the export kinds to portal's job runner (ServicesConfig.ready)."""
    register_producer("requests", produce_requests, label=KINDS["requests"])
    register_producer("summary", produce_summary, label=KINDS["summary"])


def export_jobs(user):
    """The export jobs ``user`` may see: their own, and only while they are an admin (an
    account moved out of the 人才办 takes no more data out)."""
    if getattr(user, "role", None) != Role.ADMIN:
        return Job.objects.none()
    return Job.objects.visible_to(user).filter(kind__in=KINDS)


def export_start(*, user, kind: str, fmt: str, period: Period, ip: str | None = None) -> Job:
    """Queue a background export for an admin and write its audit event, in one
    transaction; the worker is told after commit."""
    if kind not in KINDS or fmt not in FORMATS:
        raise ValueError(f"Unknown export {kind!r} / {fmt!r}.")
    params = {"from": period.first.isoformat(), "to": period.last.isoformat(), "format": fmt}
    with transaction.atomic():
        job = job_create(kind=kind, user=user, params=params)
        audit_record(
            action=SlaAction.EXPORT_START,
            actor=user,
            obj=job,
            ip=ip,
            format=fmt,
            kind=kind,
            period=f"{period.first}..{period.last}",
        )
    return job


def export_downloaded(*, user, job: Job, ip: str | None = None) -> None:
    """The audit event of a background export's file leaving the portal."""
    audit_record(
        action=SlaAction.EXPORT_DOWNLOAD,
        actor=user,
        obj=job,
        ip=ip,
        format=job.params.get("format", ""),
        kind=job.kind,
        period=f"{job.params.get('from')}..{job.params.get('to')}",
    )
