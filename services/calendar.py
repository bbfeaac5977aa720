"""Loading and editing the working-day calendar.

Three sources, in the order they usually arrive: the chinese-calendar package (the State
Council's notices it knows), an admin's CSV when a new notice is published before the package
is updated (each November for the next year), and single-day edits by an admin. An admin's
edit is never overwritten by a later sync unless asked to.
"""

import csv
import datetime
import io
from dataclasses import dataclass

import chinese_calendar
import filetype
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit import audit_record
from services.actions import CalendarAction
from services.models import CalendarDay, DaySource
from services.recompute import recompute_schedule
from services.workdays import Calendar

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
# An uploaded arrangement: one year is ~15 KB; a file far larger is not one.
MAX_CSV_BYTES = 512 * 1024
FIRST_YEAR, LAST_YEAR = 1949, 2200
WEEKDAY_NAMES = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
TRUE_WORDS = {"1", "true", "yes", "y", "是", "工作日", "上班"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "休息日", "休息", "放假"}


def official_years() -> range:
    """Years the installed chinese-calendar package has the State Council's notice for."""
    known = sorted({day.year for day in chinese_calendar.constants.holidays})
    return range(known[0], known[-1] + 1)


def _year_dates(year: int):
    day = datetime.date(year, 1, 1)
    while day.year == year:
        yield day
        day += datetime.timedelta(days=1)


def _official_day(day: datetime.date) -> tuple[bool, str]:
    is_workday = chinese_calendar.is_workday(day)
    _, holiday = chinese_calendar.get_holiday_detail(day)
    name = HOLIDAY_NAMES.get(holiday, holiday or "")
    if is_workday and day.weekday() >= 5:
        return True, f"{name}调休上班" if name else "调休上班"
    if not is_workday and day.weekday() < 5:
        return False, name or "法定休息日"
    return is_workday, name if not is_workday and name else ""


def calendar_sync(*, year: int, actor=None, overwrite_admin: bool = False) -> int:
    """Load ``year`` from chinese-calendar; return the number of days written.

    Raises ValidationError for a year the package does not know (load a CSV instead).
    """
    if year not in official_years():
        raise ValidationError(
            f"系统内置的国务院放假安排暂无 {year} 年的数据，请在工作日历页面上传该年的放假安排。"
        )
    keep = set()
    if not overwrite_admin:
        keep = set(
            CalendarDay.objects.filter(date__year=year, source=DaySource.ADMIN).values_list(
                "date", flat=True
            )
        )
    rows = []
    for day in _year_dates(year):
        if day in keep:
            continue
        is_workday, note = _official_day(day)
        rows.append(
            CalendarDay(date=day, is_workday=is_workday, note=note, source=DaySource.OFFICIAL)
        )
    with transaction.atomic():
        CalendarDay.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["date"],
            update_fields=["is_workday", "note", "source"],
        )
        audit_record(action=CalendarAction.SYNC, actor=actor, year=year, days=len(rows))
        # Deadlines are derived from the calendar: those of open requests and undecided card
        # applications follow it, recomputed in the background after commit.
        recompute_schedule(
            reason=f"载入 {year} 年国务院放假安排",
            first_day=datetime.date(year, 1, 1),
            last_day=datetime.date(year, 12, 31),
            actor=actor,
        )
    return len(rows)


@dataclass(frozen=True)
class CsvRow:
    """One day of an uploaded arrangement, with the line it came from."""

    line: int
    date: datetime.date
    is_workday: bool
    note: str


def decode_calendar_csv(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without BOM), or GB 18030 as Excel saves
    it on Chinese Windows. ValidationError for anything else, or a file too big to be one."""
    if not data:
        raise ValidationError("文件为空，请重新选择。")
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(f"文件过大：一份放假安排不超过 {MAX_CSV_BYTES // 1024} KB。")
    kind = filetype.guess(data[:8192])  # by its bytes: an image, a PDF, an Excel workbook…
    if kind is not None:
        raise ValidationError(
            f"所选文件是 {kind.extension.upper()} 文件，不是 CSV 文件。请在 Excel 中"
            "“另存为”CSV（逗号分隔）格式后上传。"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # NUL: UTF-16 or a binary file (and no database stores it)
            return text
        break
    raise ValidationError("无法识别文件编码，请另存为 UTF-8 编码的 CSV 后重试。")


def read_calendar_csv(text: str) -> tuple[list[CsvRow], list[str]]:
    """The rows of a ``date,is_workday,note`` CSV (header optional) and a message for every
    bad line, named by its line number; nothing is refused here (the preview shows both)."""
    rows: list[CsvRow] = []
    errors: list[str] = []
    seen: dict[datetime.date, int] = {}
    for number, line in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if not line or not "".join(line).strip():
            continue
        if number == 1 and line[0].strip().lower() in {"date", "日期"}:
            continue
        try:
            day = datetime.date.fromisoformat(line[0].strip())
        except ValueError:
            errors.append(
                f"第{number}行：日期“{line[0].strip()}”格式应为 年-月-日（如 2027-01-01）。"
            )
            continue
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors.append(f"第{number}行：日期 {day} 不在 {FIRST_YEAR}–{LAST_YEAR} 年之间。")
            continue
        if day in seen:
            errors.append(f"第{number}行：日期 {day} 与第{seen[day]}行重复。")
            continue
        flag = line[1].strip().lower() if len(line) > 1 else ""
        if flag not in TRUE_WORDS | FALSE_WORDS:
            errors.append(f"第{number}行：是否工作日应填 1/0、是/否 或 true/false。")
            continue
        seen[day] = number
        note = line[2].strip()[:100] if len(line) > 2 else ""
        rows.append(CsvRow(number, day, flag in TRUE_WORDS, note))
    if not rows and not errors:
        errors.append("文件中没有日期数据。")
    return rows, errors


def parse_calendar_csv(text: str) -> list[tuple[datetime.date, bool, str]]:
    """Rows of a ``date,is_workday,note`` CSV for calendar_import; ValidationError listing
    every bad line when there is one (nothing half-loaded)."""
    rows, errors = read_calendar_csv(text)
    if errors:
        raise ValidationError(errors)
    return [(row.date, row.is_workday, row.note) for row in rows]


def calendar_import_preview(rows: list[CsvRow]) -> list[dict]:
    """What importing ``rows`` would change, day by day, against the calendar as it is (one
    query); nothing is written. ``kind``: ``changed`` (working day ↔ rest day), ``note``
    (only the note), ``confirmed`` (a day without data, Monday–Friday guessed right) or
    ``same``."""
    current = {
        day.date: day for day in CalendarDay.objects.filter(date__in=[row.date for row in rows])
    }
    preview = []
    for row in sorted(rows, key=lambda r: r.date):
        known = current.get(row.date)
        before = known.is_workday if known else row.date.weekday() < 5
        before_note = known.note if known else ""
        if before != row.is_workday:
            kind = "changed"
        elif known is None:
            kind = "confirmed"
        elif before_note != row.note:
            kind = "note"
        else:
            kind = "same"
        preview.append(
            {
                "line": row.line,
                "date": row.date,
                "weekday": WEEKDAY_NAMES[row.date.weekday()],
                "before_workday": before,
                "before_note": before_note,
                "before_verified": known is not None,
                "after_workday": row.is_workday,
                "after_note": row.note,
                "kind": kind,
            }
        )
    return preview


def calendar_import(*, rows, actor=None, ip: str | None = None) -> int:
    """Write the given days (from parse_calendar_csv) as admin-imported; return how many."""
    objects = [
        CalendarDay(
            date=day, is_workday=workday, note=note, source=DaySource.IMPORT, updated_by=actor
        )
        for day, workday, note in rows
    ]
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    with transaction.atomic():
        CalendarDay.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["date"],
            update_fields=["is_workday", "note", "source", "updated_by"],
        )
        audit_record(
            action=CalendarAction.IMPORT,
            actor=actor,
            ip=ip,
            days=len(objects),
            first=str(first),
            last=str(last),
        )
        recompute_schedule(
            reason=f"导入放假安排 {first} 至 {last}（{len(objects)} 天）",
            first_day=first,
            last_day=last,
            actor=actor,
        )
    return len(objects)


def calendar_set_day(
    *, day: datetime.date, is_workday: bool, note: str, actor, ip: str | None = None
):
    """An admin's correction of one day."""
    with transaction.atomic():
        previous = CalendarDay.objects.filter(date=day).first()
        entry, _ = CalendarDay.objects.update_or_create(
            date=day,
            defaults={
                "is_workday": is_workday,
                "note": (note or "").strip()[:100],
                "source": DaySource.ADMIN,
                "updated_by": actor,
            },
        )
        audit_record(
            action=CalendarAction.CHANGE,
            actor=actor,
            ip=ip,
            object_type="services.calendarday",
            object_id=str(day),
            before=previous.is_workday if previous else None,
            after=is_workday,
            note=entry.note,
        )
        # Open deadlines follow the corrected calendar (deadlines are derived, see clocks):
        # recomputed in the background after commit, batch by batch under row locks.
        recompute_schedule(
            reason=f"将 {day} 设为{'工作日' if is_workday else '休息日'}",
            first_day=day,
            actor=actor,
        )
    return entry


def year_days(year: int) -> list[dict]:
    """Every day of ``year`` with ``is_workday``, ``note`` and ``verified`` (one query)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    calendar = Calendar.load(first, last)
    notes = dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "note"))
    result = []
    for day in _year_dates(year):
        workday, verified = calendar.is_workday(day)
        result.append(
            {"date": day, "is_workday": workday, "note": notes.get(day, ""), "verified": verified}
        )
    return result


def unverified_dates(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Dates in [first, last] without a calendar row (they fall back to Monday–Friday)."""
    known = set(
        CalendarDay.objects.filter(date__range=(first, last)).values_list("date", flat=True)
    )
    span = (last - first).days + 1
    return [d for d in (first + datetime.timedelta(days=i) for i in range(span)) if d not in known]
