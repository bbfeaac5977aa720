"""CSV and XLSX exports of a period's requests and of the summary (identifiers masked)."""

import csv
import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.identity import mask_name, mask_phone
from services.dashboard import Period, summary

REQUEST_COLUMNS = [
    ("编号", lambda r: r.number),
    ("服务事项", lambda r: r.service_type.name),
    ("承办部门", lambda r: r.department.name),
    ("状态", lambda r: r.get_status_display()),
    ("人才层次", lambda r: r.tier),
    ("申请人", lambda r: mask_name(r.talent.real_name)),
    ("手机号码", lambda r: mask_phone(r.talent.phone)),
    ("提交时间", lambda r: r.submitted_at),
    ("受理时间", lambda r: r.accepted_at),
    ("办结时间", lambda r: r.resolved_at),
    ("受理期限", lambda r: r.accept_due_at),
    ("办结期限", lambda r: r.resolve_due_at),
    ("按时受理", lambda r: _yes_no(r.accepted_on_time)),
    ("按时办结", lambda r: _yes_no(r.resolved_on_time)),
    ("办理用时（工作日）", lambda r: r.handling_working_days),
    ("评分", lambda r: getattr(getattr(r, "rating", None), "score", None)),
]
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


def _yes_no(value):
    return {True: "是", False: "否"}.get(value, "")


def _cell(value):
    if hasattr(value, "tzinfo") and value is not None and value.tzinfo is not None:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else value


def period_requests(period: Period, queryset):
    """The requests filed in the period (one query, related rows joined)."""
    return (
        queryset.filter(period.q("submitted_at"))
        .select_related("service_type", "department", "talent", "rating")
        .order_by("submitted_at", "pk")
    )


def request_rows(requests):
    for req in requests.iterator(chunk_size=1000):
        yield [_cell(get(req)) for _, get in REQUEST_COLUMNS]


def summary_rows(period: Period, group_by: str):
    for row in summary(period, group_by):
        yield [_cell(row[field]) for _, field in SUMMARY_COLUMNS]


def to_csv(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    # A byte-order mark so that Excel on Windows opens the Chinese text correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(period: Period, requests) -> bytes:
    """Three sheets: the period's requests, the summary per department and per service type."""
    book = Workbook(write_only=False)
    sheets = [
        ("服务申请", [c for c, _ in REQUEST_COLUMNS], request_rows(requests)),
        ("按部门汇总", [c for c, _ in SUMMARY_COLUMNS], summary_rows(period, "department")),
        ("按事项汇总", [c for c, _ in SUMMARY_COLUMNS], summary_rows(period, "service_type")),
    ]
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
