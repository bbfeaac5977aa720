"""Calendar upkeep on the calendar page (issue 11 item 8): the State Council's arrangement
uploaded as CSV (preview first, nothing saved; then apply, audited, open deadlines follow),
and a page per day reached from the month grids. Admins only.

The world: 2026 loaded from chinese-calendar, 2027 not loaded (Monday–Friday, unverified).
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import AuditEvent
from services.calendar import calendar_sync
from services.models import CalendarDay, DaySource, ServiceRequest
from services.seed import seed_service_types
from tests.recompute_support import run_recomputes
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
IMPORT = "/manage/calendar/import/"

# 2027 as the notice might have it: 元旦 Friday 01-01, 春节 with a make-up Saturday.
NOTICE_2027 = (
    "date,is_workday,note\n"
    "2027-01-01,0,元旦\n"
    "2027-01-02,0,\n"
    "2027-01-03,0,\n"
    "2027-01-04,1,\n"
    "2027-02-06,1,春节调休上班\n"
    "2027-02-08,否,春节\n"
    "2027-02-09,0,春节\n"
)


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)


def csv_file(text: str, encoding="utf-8", name="2027.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), "text/csv")


def preview(client, text, **kwargs):
    return client.post(IMPORT, {"step": "preview", "file": csv_file(text, **kwargs)})


def carried_text(html: str) -> str:
    """The file's text the preview carries to the apply step (a hidden field)."""
    import html as entities

    value = re.search(r'<input type="hidden" name="text" value="([^"]*)"', html).group(1)
    return entities.unescape(value)


def test_the_preview_shows_each_change_and_saves_nothing(client, admin_user):
    client.force_login(admin_user)
    response = preview(client, NOTICE_2027)
    assert response.status_code == 200
    html = response.content.decode()
    rows = dict(re.findall(r'<tr data-date="([\d-]+)" data-kind="(\w+)">', html))
    assert rows == {
        "2027-01-01": "changed",  # a Friday guessed to be a working day: 元旦
        "2027-01-02": "confirmed",  # the weekend, guessed right, now verified
        "2027-01-03": "confirmed",
        "2027-01-04": "confirmed",
        "2027-02-06": "changed",  # a Saturday that becomes a working day
        "2027-02-08": "changed",
        "2027-02-09": "changed",
    }
    saturday = html[html.index('data-date="2027-02-06"') :]
    saturday = saturday[: saturday.index("</tr>")]
    assert "2027-02-06</time> 星期六" in saturday
    assert "<td>6</td>" in saturday  # its line in the file (the header is line 1)
    assert '休息日 <small class="muted">未核实</small>' in saturday
    assert "<strong>工作日</strong>（春节调休上班）" in saturday
    assert '工作日/休息日改变 <strong data-kind="changed">4</strong> 天' in html
    assert '补录（与周一至周五推算一致） <strong data-kind="confirmed">3</strong> 天' in html
    assert ">确认导入 7 天</button>" in html
    # Nothing saved, nothing audited.
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not AuditEvent.objects.filter(action="calendar.import").exists()


def test_apply_imports_audits_and_moves_open_deadlines(client, admin_user, talent):
    # Filed Thursday 2026-12-31: one working day to accept → Friday 2027-01-01, a guess.
    with time_machine.travel(at(2026, 12, 31, 10, 0), tick=False):
        req = file_housing(talent)
    assert req.accept_due_at == at(2027, 1, 2, 0, 0) and not req.calendar_verified
    with time_machine.travel(at(2026, 12, 31, 11, 0), tick=False):
        client.force_login(admin_user)
        text = carried_text(preview(client, NOTICE_2027).content.decode())
        response = client.post(IMPORT, {"step": "apply", "text": text}, follow=True)
    assert response.redirect_chain == [("/manage/calendar/?year=2027#m1", 302)]
    page = response.content.decode()
    assert "已导入 7 天（2027-01-01 至 2027-02-09），未办结申请的期限正在按新日历重新计算" in page
    days = {d.date: d for d in CalendarDay.objects.filter(date__year=2027)}
    assert set(days) == {
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 1, 3),
        date(2027, 1, 4),
        date(2027, 2, 6),
        date(2027, 2, 8),
        date(2027, 2, 9),
    }
    assert days[date(2027, 2, 6)].is_workday and days[date(2027, 2, 6)].note == "春节调休上班"
    assert not days[date(2027, 2, 8)].is_workday
    assert {d.source for d in days.values()} == {DaySource.IMPORT}
    assert {d.updated_by_id for d in days.values()} == {admin_user.pk}
    (event,) = AuditEvent.objects.filter(action="calendar.import")
    assert event.actor_id == admin_user.pk
    # 元旦 is a holiday now: the next working day is Monday 01-04 (verified by the file), once
    # the background recomputation has run.
    run_recomputes()
    req.refresh_from_db()
    assert req.accept_due_at == at(2027, 1, 5, 0, 0)
    cell = re.search(r'<td class="([^"]+)" data-date="2027-02-06"', page).group(1)
    assert "makeup" in cell.split()


def test_bad_lines_are_named_by_number_and_nothing_is_applied(client, admin_user):
    client.force_login(admin_user)
    text = (
        "date,is_workday,note\n"
        "2027-01-01,0,元旦\n"
        "2027-13-01,1,\n"
        "2027-01-02,maybe,\n"
        "2027-01-01,1,重复\n"
        "1900-01-01,1,\n"
        "2027-01-04,1,\n"
    )
    response = preview(client, text)
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.findall(r"<li>(第\d+行：[^<]*)</li>", html)
    assert errors == [
        "第3行：日期“2027-13-01”格式应为 年-月-日（如 2027-01-01）。",
        "第4行：是否工作日应填 1/0、是/否 或 true/false。",
        "第5行：日期 2027-01-01 与第2行重复。",
        "第6行：日期 1900-01-01 不在 1949–2200 年之间。",
    ]
    assert "以下 4 行有误" in html and "确认导入" not in html
    # Even sent straight to apply, a file with errors loads nothing.
    response = client.post(IMPORT, {"step": "apply", "text": text})
    assert response.status_code == 200 and "以下 4 行有误" in response.content.decode()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not AuditEvent.objects.filter(action="calendar.import").exists()


def test_files_that_cannot_be_read_are_refused_with_a_reason(client, admin_user):
    client.force_login(admin_user)
    # As Excel saves it on Chinese Windows (GB 18030): read all the same.
    gbk = preview(client, NOTICE_2027, encoding="gb18030").content.decode()
    assert "<strong>工作日</strong>（春节调休上班）" in gbk
    cases = [
        ({"step": "preview"}, "请选择要上传的 CSV 文件。"),
        (
            {"step": "preview", "file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x81\x00")},
            "无法识别文件编码",
        ),
        (
            {"step": "preview", "file": SimpleUploadedFile("x.csv", b"2027-01-01,1,\n" * 50000)},
            "文件过大",
        ),
        ({"step": "preview", "file": csv_file("date,is_workday,note\n\n")}, "文件中没有日期数据。"),
        ({"step": "apply"}, "预览内容已失效，请重新上传文件。"),
    ]
    for data, message in cases:
        response = client.post(IMPORT, data)
        assert response.status_code == 200
        assert message in response.content.decode(), message
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_a_file_like_the_calendar_says_it_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    html = preview(client, "2026-02-14,1,春节调休上班\n2026-02-16,0,春节\n").content.decode()
    assert "文件与现有日历完全一致，导入后不会改变任何一天。" in html
    assert "<table" not in html.split("<main", 1)[1]  # no list of changes: there are none


@pytest.mark.parametrize("persona", ["handler", "lead", "talent", "auditor", "verifier"])
def test_only_admins_keep_the_calendar(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(IMPORT).status_code == 404
    assert (
        client.post(IMPORT, {"step": "preview", "file": csv_file(NOTICE_2027)}).status_code == 404
    )
    assert client.post(IMPORT, {"step": "apply", "text": NOTICE_2027}).status_code == 404
    assert client.get("/manage/calendar/days/2026-03-03/").status_code == 404
    day = client.post("/manage/calendar/days/2026-03-03/", {"is_workday": "0"})
    assert day.status_code == 404
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert CalendarDay.objects.get(date=date(2026, 3, 3)).is_workday


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(IMPORT)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_each_day_of_the_grid_links_to_its_page_for_admins_only(client, admin_user, handler):
    client.force_login(admin_user)
    html = client.get("/manage/calendar/?year=2026").content.decode()
    links = re.findall(r'<a class="day-link" href="/manage/calendar/days/([\d-]+)/"', html)
    assert len(links) == 365 and links[0] == "2026-01-01" and links[-1] == "2026-12-31"
    assert 'href="/manage/calendar/import/"' in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # links, not inline script
    client.force_login(handler)
    html = client.get("/manage/calendar/?year=2026").content.decode()
    assert "day-link" not in html and "/manage/calendar/import/" not in html


def test_a_day_page_shows_the_day_and_corrects_it(client, admin_user, talent):
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        req = file_housing(talent)
    assert req.accept_due_at == at(2026, 3, 4, 0, 0)  # end of Tuesday 03-03
    client.force_login(admin_user)
    html = client.get("/manage/calendar/days/2026-03-03/").content.decode()
    assert '2026年3月3日 <small class="muted">星期二</small>' in html
    assert "国务院放假安排（自动载入）" in html
    assert re.search(r'<input type="radio" name="is_workday" value="1"[^>]*checked', html)
    with time_machine.travel(at(2026, 3, 2, 11, 0), tick=False):
        client.force_login(admin_user)
        response = client.post(
            "/manage/calendar/days/2026-03-03/", {"is_workday": "0", "note": "临时休息"}
        )
    assert response.status_code == 302 and response.url == "/manage/calendar/?year=2026#m3"
    day = CalendarDay.objects.get(date=date(2026, 3, 3))
    assert (day.is_workday, day.note, day.source) == (False, "临时休息", DaySource.ADMIN)
    assert AuditEvent.objects.filter(action="calendar.change", actor=admin_user).exists()
    run_recomputes()
    assert ServiceRequest.objects.get(pk=req.pk).accept_due_at == at(2026, 3, 5, 0, 0)
    # A day without data says so; the form starts from the Monday–Friday guess.
    client.force_login(admin_user)
    html = client.get("/manage/calendar/days/2027-01-02/").content.decode()
    assert "未核实" in html and "星期六" in html
    assert re.search(r'<input type="radio" name="is_workday" value="0"[^>]*checked', html)


def test_a_day_page_refuses_what_is_not_a_day(client, admin_user):
    client.force_login(admin_user)
    for bad in ("2026-02-30", "tomorrow", "1900-01-01"):
        assert client.get(f"/manage/calendar/days/{bad}/").status_code == 404
    response = client.post("/manage/calendar/days/2026-03-03/", {"note": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请选择这一天是工作日还是休息日。" in html
    assert CalendarDay.objects.get(date=date(2026, 3, 3)).note == ""
