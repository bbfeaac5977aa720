"""人才画像 exports (GET /talents/portrait/export/): the counts of one dimension, or of every
dimension, as a CSV (a 维度 column) or an XLSX (one sheet per dimension). Counts only, never a
person: the rows are talents.stats.talent_stats's, read from the rollup (one query per
dimension whatever the number of talents), each dimension closed by its 合计 row.

- Who: the organization department (the view is an admin page; asked again here, so that no
  other caller of this function hands the counts out).
- CSV streamed through portal.streaming (formula-looking cells defused, BOM for Excel); XLSX
  through services.exports.xlsx_response (openpyxl's write-only mode, a temporary file).
- Each export writes an audit event (ProfileAction.EXPORT with group_by and format).
"""

import datetime

from django.utils import timezone

from portal.audit import audit_record
from portal.streaming import csv_response
from services.exports import xlsx_response
from talents.actions import ProfileAction
from talents.models import Dimension
from talents.permissions import PROFILES
from talents.stats import OTHERS_KEY, talent_stats

FORMATS = ("csv", "xlsx")
ALL = "all"
# (header, the talent_stats row's field).
COLUMNS = [
    ("代码", "key"),
    ("名称", "name"),
    ("人才数", "talents"),
    ("持有效卡", "active_cards"),
    ("本年来巴", "arrived_this_year"),
    ("已离开", "departed"),
]
HEADER = [header for header, _ in COLUMNS]
CSV_HEADER = ["维度", *HEADER]


def dimensions_of(group_by: str | None) -> list[Dimension]:
    """The dimensions an export covers: one (``group_by`` a Dimension value), or all of them
    (``group_by`` empty or "all"). ValueError for anything else."""
    if not group_by or group_by == ALL:
        return list(Dimension)
    return [Dimension(group_by)]


def _rows(stats: dict) -> list[list]:
    """One dimension's rows and its 合计 (the employers' folded rest has no single code)."""
    rows = [
        ["" if row["key"] == OTHERS_KEY else row["key"], *(row[f] for _, f in COLUMNS[1:])]
        for row in stats["rows"]
    ]
    total = stats["total"]
    rows.append(["", "合计", *(total[f] for _, f in COLUMNS[2:])])
    return rows


def export_name(group_by: str | None, today: datetime.date) -> str:
    return f"bazhou-talents-{group_by or ALL}-{today:%Y%m%d}"


def portrait_export(*, user, group_by: str | None, fmt: str, ip: str | None = None):
    """The counts as a file, and its audit event. NotAllowed unless ``user`` is an admin;
    ValueError for an unknown dimension or format."""
    PROFILES.require_who(user, "export_counts", None)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}.")
    dimensions = dimensions_of(group_by)
    today = timezone.localdate()
    # A few rows per dimension, computed now (the counts of this moment), before anything is
    # streamed.
    sheets = [(d, _rows(talent_stats(d, today=today))) for d in dimensions]
    name = export_name(group_by if group_by and group_by != ALL else None, today)
    if fmt == "csv":
        lines = [[str(d.label), *row] for d, rows in sheets for row in rows]
        response = csv_response(f"{name}.csv", CSV_HEADER, lines)
    else:
        response = xlsx_response(
            f"{name}.xlsx", [(str(d.label), HEADER, rows) for d, rows in sheets]
        )
    audit_record(
        action=ProfileAction.EXPORT,
        actor=user,
        ip=ip,
        group_by=group_by if group_by else ALL,
        format=fmt,
    )
    return response
