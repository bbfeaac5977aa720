"""The working-day calendar and deadline arithmetic, with the State Council's arrangements."""

import datetime
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from portal.models import AuditEvent
from services.calendar import calendar_sync, parse_calendar_csv, unverified_dates, year_days
from services.models import CalendarDay, DaySource
from services.workdays import SHANGHAI, add_working_days, deadline, working_days_between

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(db):
    for year in (2024, 2025, 2026):
        calendar_sync(year=year)


def at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_the_design_example_counts_the_make_up_saturday(official):
    # Friday 2026-02-13 + 5: 02-14 (make-up Saturday), 02-24, 02-25, 02-26, 02-27.
    assert add_working_days(date(2026, 2, 13), 5) == (date(2026, 2, 27), True)
    due, verified = deadline(at(2026, 2, 13, 16, 45), 5)
    assert due == at(2026, 2, 28, 0, 0) and verified
    assert due.isoformat() == "2026-02-28T00:00:00+08:00"


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # a make-up Saturday is a working day
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # the Spring Festival holiday is skipped
        (date(2026, 2, 27), 1, date(2026, 2, 28)),  # 02-28 is a make-up Saturday too
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # National Day holiday 10-01 to 10-07
        (date(2026, 5, 29), 1, date(2026, 6, 1)),  # an ordinary weekend
        (date(2026, 1, 1), 0, date(2026, 1, 1)),  # zero days: the start day itself
        (
            date(2025, 12, 31),
            1,
            date(2026, 1, 4),
        ),  # New Year's Day 2026, then Jan 4 (make-up Sunday)
    ],
)
def test_holidays_and_make_up_days(official, start, n, expected):
    assert add_working_days(start, n) == (expected, True)


def test_a_year_without_data_falls_back_to_monday_to_friday_unverified(official):
    # 2027's notice is not in the package: Friday 2027-01-01 + 5 → Fri 01-08, unverified.
    assert add_working_days(date(2027, 1, 1), 5) == (date(2027, 1, 8), False)
    due, verified = deadline(at(2026, 12, 30, 10, 0), 5)
    assert not verified and due.date() > date(2027, 1, 1)
    assert add_working_days(date(2031, 6, 1), 20)[1] is False  # nothing crashes years later
    days = year_days(2027)
    assert len(days) == 365 and not any(d["verified"] for d in days)
    assert days[0] == {"date": date(2027, 1, 1), "is_workday": True, "note": "", "verified": False}


def test_working_days_between_counts_after_through(official):
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == (2, True)
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 24)) == (0, True)
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 20)) == (0, True)


def test_sync_marks_holidays_and_make_up_days_in_chinese(official):
    days = {d.date: d for d in CalendarDay.objects.filter(date__month=2, date__year=2026)}
    assert days[date(2026, 2, 14)].is_workday and days[date(2026, 2, 14)].note == "春节调休上班"
    assert not days[date(2026, 2, 16)].is_workday and days[date(2026, 2, 16)].note == "春节"
    assert CalendarDay.objects.filter(date__year=2024).count() == 366


def test_sync_refuses_a_year_the_package_does_not_know(official):
    with pytest.raises(ValidationError, match="2027"):
        calendar_sync(year=2027)
    with pytest.raises(CommandError, match="请在工作日历页面上传"):
        call_command("sync_calendar", "--year", "2027")


def test_sync_keeps_an_admins_edit(official, admin_user):
    from services.calendar import calendar_set_day

    calendar_set_day(day=date(2026, 3, 2), is_workday=False, note="区内停工", actor=admin_user)
    calendar_sync(year=2026)
    assert not CalendarDay.objects.get(date=date(2026, 3, 2)).is_workday
    calendar_sync(year=2026, overwrite_admin=True)
    assert CalendarDay.objects.get(date=date(2026, 3, 2)).is_workday


def test_import_calendar_from_csv(tmp_path, official):
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,is_workday,note\n2027-01-01,0,元旦\n2027-01-02,否,\n2027-01-03,0,\n"
        "2027-01-04,是,\n2027-02-06,1,春节调休上班\n",
        encoding="utf-8",
    )
    call_command("import_calendar", str(path))
    rows = {d.date: d for d in CalendarDay.objects.filter(date__year=2027)}
    assert not rows[date(2027, 1, 1)].is_workday and rows[date(2027, 1, 1)].note == "元旦"
    assert rows[date(2027, 2, 6)].is_workday and rows[date(2027, 2, 6)].source == DaySource.IMPORT
    # Imported days count as verified; the rest of 2027 still does not.
    assert add_working_days(date(2026, 12, 31), 1) == (date(2027, 1, 4), True)
    assert AuditEvent.objects.filter(action="calendar.import").exists()


def test_a_bad_csv_reports_every_bad_line():
    with pytest.raises(ValidationError) as info:
        parse_calendar_csv("date,is_workday\n2027-13-01,1\n2027-01-02,maybe\n2027-01-03,0\n")
    assert info.value.messages == [
        "第2行：日期“2027-13-01”格式应为 年-月-日（如 2027-01-01）。",
        "第3行：是否工作日应填 1/0、是/否 或 true/false。",
    ]


def test_unverified_dates(official):
    assert unverified_dates(date(2026, 12, 30), date(2027, 1, 2)) == [
        date(2027, 1, 1),
        date(2027, 1, 2),
    ]


# --- API --------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["admin_user", "lead", "handler"])
def test_the_calendar_api_lists_every_day_of_the_year(client_for, request, official, persona):
    body = client_for(request.getfixturevalue(persona)).get("/api/v1/calendar/?year=2026").json()
    assert len(body) == 365
    assert body[44] == {
        "date": "2026-02-14",
        "is_workday": True,
        "note": "春节调休上班",
        "verified": True,
    }


@pytest.mark.parametrize("persona", ["talent", "auditor", "verifier"])
def test_other_roles_cannot_read_the_calendar(client_for, request, persona):
    assert client_for(request.getfixturevalue(persona)).get("/api/v1/calendar/").status_code == 403


def test_only_admins_change_a_day_and_it_is_audited(client_for, admin_user, lead, official):
    body = {"is_workday": False, "note": "防汛停工"}
    assert client_for(lead).put("/api/v1/calendar/2026-07-01/", body).status_code == 403
    response = client_for(admin_user).put("/api/v1/calendar/2026-07-01/", body)
    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-07-01",
        "is_workday": False,
        "note": "防汛停工",
        "verified": True,
    }
    assert add_working_days(date(2026, 6, 30), 1) == (date(2026, 7, 2), True)
    event = AuditEvent.objects.get(action="calendar.change")
    assert event.object_id == "2026-07-01" and event.detail["before"] is True


def test_bad_dates_and_years_are_400(client_for, admin_user):
    client = client_for(admin_user)
    assert client.put("/api/v1/calendar/2026-02-30/", {"is_workday": True}).status_code == 400
    assert client.get("/api/v1/calendar/?year=abc").status_code == 400


def test_the_admin_page_edits_a_day_like_the_api(client, admin_user, official):
    client.force_login(admin_user)
    response = client.post(
        "/admin/services/calendarday/2026-07-01/change/",
        {"is_workday": "", "note": "防汛停工"},
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=date(2026, 7, 1))
    assert not day.is_workday and day.source == DaySource.ADMIN and day.updated_by == admin_user
    assert AuditEvent.objects.filter(action="calendar.change", object_id="2026-07-01").exists()
