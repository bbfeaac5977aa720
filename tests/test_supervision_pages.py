"""The supervision pages (issue 6, points 2–4): the dashboard, the 督办 list, the working-day
calendar and the calendar banner for admins.

The figures themselves are tested against hand-built data in test_supervision.py /
the dashboard tests; here they are checked to reach the page, link to the right lists, stay
within the viewer's department, and cost a constant number of queries.

The world: the 2026 calendar loaded, March 2026 (no holiday in it), "now" Monday 03-16 10:00.
A housing request's accept limit is 1 working day.
- A: filed Mon 03-02 → accept due end of 03-03; open: 9 working days overdue (03-04 … 03-16),
  escalated (2 working days past the deadline).
- B: filed Thu 03-12 → due end of 03-13; open: 1 working day overdue (03-16), not escalated.
- C: filed Mon 03-16 → due end of 03-17, not overdue.
- D: filed Mon 03-09, accepted and resolved on 03-10: resolved on time.
On-time rate for March 1–16 = 1 resolved on time ÷ (1 resolved + 2 open overdue) = 33.3 %.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit import AuditEvent
from services.calendar import calendar_set_day, calendar_sync
from services.charts import Series, bar_chart
from services.models import RequestComment, ServiceRequest
from services.seed import seed_service_types
from services.workflow import request_accept, request_assign, request_resolve, request_transfer
from tests.factories import TalentFactory
from tests.recompute_support import run_recomputes
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=SH)
PAGES = ["/manage/dashboard/", "/manage/supervision/", "/manage/calendar/"]


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)


def filed(talent, moment):
    with time_machine.travel(moment, tick=False):
        return file_housing(talent)


@pytest.fixture
def requests_(talent, handler):
    a = filed(talent, at(2026, 3, 2, 10, 0))
    b = filed(talent, at(2026, 3, 12, 10, 0))
    c = filed(talent, at(2026, 3, 16, 9, 0))
    d = filed(talent, at(2026, 3, 9, 10, 0))
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        d = request_accept(req=d, actor=handler)
        d = request_resolve(req=d, actor=handler, note="已配租")
    return {"A": a, "B": b, "C": c, "D": d}


def get(client, user, url, moment=NOW):
    with time_machine.travel(moment, tick=False):
        client.force_login(user)
        return client.get(url)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def numbers_on(html: str) -> list[str]:
    return re.findall(r'class="card-number">(FW-\d{8}-\d{4})<', html)


def text(html: str) -> str:
    """The page's visible text on one line (tags dropped), for figures next to their label."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- who may see what -----------------------------------------------------------------------
@pytest.mark.parametrize("url", PAGES)
def test_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("talent", set()),
        ("auditor", set()),
        ("verifier", set()),
        ("handler", {"/manage/calendar/"}),
        ("lead", set(PAGES)),
        ("admin_user", set(PAGES)),
    ],
)
def test_role_matrix(client, request, persona, allowed):
    client.force_login(request.getfixturevalue(persona))
    for url in PAGES:
        assert client.get(url).status_code == (200 if url in allowed else 404), url


@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "auditor"])
def test_only_admins_change_the_calendar_or_transfer(client, request, persona, requests_):
    client.force_login(request.getfixturevalue(persona))
    post = client.post("/manage/calendar/", {"date": "2026-03-03", "is_workday": "0"})
    assert post.status_code == 404
    number = requests_["A"].number
    transfer = client.post(
        f"/manage/supervision/{number}/transfer/",
        {"transfer-department": "JYJ", "transfer-reason": "应由教育局办理"},
    )
    # The list does not exist for the talent, staff and the auditor; a lead, who reads it, is
    # refused by the table (test_a_lead_is_refused_a_transfer_from_the_list_with_the_reason).
    assert transfer.status_code == (302 if persona == "lead" else 404)
    assert ServiceRequest.objects.get(number=number).department.code == "ZJJ"


def test_the_pages_keep_their_addresses_and_names_after_the_split():
    """services/views/supervision.py held four concerns; each has its module now (dashboard,
    the 督办 list, the calendar, the calendar banner), under the same URLs and names."""
    from django.urls import resolve, reverse

    from portal import banners
    from services.views import calendar, calendar_banner, dashboard, supervision

    for name, args, path, view in [
        ("services:dashboard", [], "/manage/dashboard/", dashboard.dashboard_page),
        ("services:supervision", [], "/manage/supervision/", supervision.supervision_list),
        (
            "services:supervision-action",
            ["FW-20260302-0001", "transfer"],
            "/manage/supervision/FW-20260302-0001/transfer/",
            supervision.supervision_action,
        ),
        ("services:calendar", [], "/manage/calendar/", calendar.calendar_view),
    ]:
        assert reverse(name, args=args) == path
        assert resolve(path).func is view
    assert calendar_banner.calendar_banner in banners._providers


@pytest.mark.parametrize(
    ("persona", "labels"),
    [
        ("talent", []),
        ("handler", ["工作日历"]),
        ("lead", ["督查看板", "督办清单"]),
        ("admin_user", ["督查看板", "督办清单", "工作日历"]),
        ("auditor", []),
    ],
)
def test_navigation_shows_the_supervision_pages_by_role(client, request, persona, labels):
    client.force_login(request.getfixturevalue(persona))
    header = client.get("/").content.decode().split("<main", 1)[0]
    shown = re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', header)
    assert [label for label in shown if label in {"督查看板", "督办清单", "工作日历"}] == labels


# --- the dashboard --------------------------------------------------------------------------
def test_the_dashboard_shows_the_period_figures(client, admin_user, requests_):
    html = html_of(get(client, admin_user, "/manage/dashboard/?from=2026-03-01&to=2026-03-16"))
    page = text(html)
    assert "统计期间 2026-03-01 至 2026-03-16" in page
    for label, value in [
        ("未办结", "3"),
        ("已超期", "2"),
        ("已督办", "1"),
        ("按时办结率", "33.3%"),
        ("本期提交", "4"),
        ("本期办结", "1"),
        ("差评", "0"),
    ]:
        assert f" {label} {value} " in page, label
    # The housing department's row: 4 received, 1 resolved on time, 3 open, 2 of them
    # overdue; D waited 23 hours to be accepted (filed 03-09 10:00, accepted 03-10 09:00).
    row = re.search(r"区住房和城乡建设局 (.*?) 区卫生健康局", page).group(1).split()
    assert row[:8] == ["4", "1", "1", "3", "2", "33.3%", "23", "小时"]
    assert "人才公寓 4 1 1 3 2 33.3%" in page
    # A department with nothing to show has no rate, not 0 %.
    assert re.search(r"区教育科技局 0 0 0 0 0 — ", page)


def test_an_empty_period_shows_a_dash_for_the_rate(client, admin_user, requests_):
    html = html_of(get(client, admin_user, "/manage/dashboard/?from=2026-01-05&to=2026-01-09"))
    page = text(html)
    # Nothing filed, resolved or open by the end of that week (the backlog counts requests
    # filed by the end of the period, as the tables do): nothing to divide by.
    assert " 本期提交 0 " in page and " 本期办结 0 " in page
    assert " 按时办结率 — " in page
    with time_machine.travel(at(2026, 1, 9, 12, 0), tick=False):
        empty = text(html_of(client.get("/manage/dashboard/")))
    assert " 按时办结率 — " in empty


@pytest.mark.parametrize(
    "query",
    ["?from=2026-13-01", "?from=yesterday&to=2026-03-01", "?from=2026-03-10&to=2026-03-01"],
)
def test_a_bad_period_is_explained_in_chinese(client, admin_user, query):
    html = html_of(get(client, admin_user, f"/manage/dashboard/{query}"))
    assert "日期格式应为" in html and "已显示本月的数据" in html
    assert "统计期间 2026-03-01 至 2026-03-16" in text(html)


def test_quick_periods(client, admin_user):
    html = html_of(get(client, admin_user, "/manage/dashboard/"))
    assert '<a href="?from=2026-03-01&amp;to=2026-03-16">本月</a>' in html
    assert '<a href="?from=2026-02-15&amp;to=2026-03-16">近30天</a>' in html
    assert '<a href="?from=2026-01-01&amp;to=2026-03-16">本年</a>' in html


def test_the_admin_figures_link_to_the_filtered_request_lists(client, admin_user, requests_):
    html = html_of(get(client, admin_user, "/manage/dashboard/?from=2026-03-01&to=2026-03-16"))
    # The backlog figures are bounded like the tables: filed by the end of the period.
    assert 'href="/manage/requests/?overdue=1&amp;filed_to=2026-03-16"' in html
    assert 'href="/manage/requests/?escalated=1&amp;filed_to=2026-03-16"' in html
    assert 'href="/manage/requests/?department=ZJJ&amp;overdue=1&amp;filed_to=2026-03-16"' in html
    assert (
        'href="/manage/requests/?service_type=HOUSING&amp;overdue=1&amp;filed_to=2026-03-16"'
        in html
    )
    # Following the links lands on exactly the requests that were counted.
    with time_machine.travel(NOW, tick=False):
        overdue = numbers_on(
            html_of(client.get("/manage/requests/?department=ZJJ&overdue=1&filed_to=2026-03-16"))
        )
        escalated = numbers_on(
            html_of(client.get("/manage/requests/?escalated=1&filed_to=2026-03-16"))
        )
    assert overdue == [requests_["A"].number, requests_["B"].number]
    assert escalated == [requests_["A"].number]


def test_exports_are_offered_to_admins_and_work_with_the_session(client, admin_user, requests_):
    html = html_of(get(client, admin_user, "/manage/dashboard/?from=2026-03-01&to=2026-03-16"))
    xlsx = "/api/v1/sla/export/?from=2026-03-01&amp;to=2026-03-16&amp;format=xlsx"
    csv = "/api/v1/sla/export/?from=2026-03-01&amp;to=2026-03-16&amp;format=csv&amp;kind=requests"
    assert xlsx in html and csv in html
    with time_machine.travel(NOW, tick=False):
        response = client.get(csv.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert requests_["A"].number in b"".join(response.streaming_content).decode("utf-8-sig")


def test_a_lead_sees_only_their_department(client, lead, admin_user, requests_):
    with time_machine.travel(at(2026, 3, 13, 9, 0), tick=False):
        request_transfer(
            req=requests_["B"], actor=admin_user, department="JYJ", reason="应由教育局办理"
        )
    html = html_of(get(client, lead, "/manage/dashboard/?from=2026-03-01&to=2026-03-16"))
    page = text(html)
    assert "督查看板 区住房和城乡建设局" in page
    assert " 未办结 2 " in page and " 已超期 1 " in page  # B is the education bureau's now
    assert "区教育科技局" not in page
    assert "/api/v1/sla/export/" not in html
    # The figures link to the request list, which a lead reads for their department only.
    assert 'href="/manage/requests/?overdue=1&amp;filed_to=2026-03-16"' in html
    listed = numbers_on(html_of(get(client, lead, "/manage/supervision/")))
    assert listed == [requests_["A"].number]


def test_the_charts_are_inline_svg_without_script(client, admin_user, requests_):
    html = html_of(get(client, admin_user, "/manage/dashboard/?from=2026-03-01&to=2026-03-16"))
    charts = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(charts) == 2
    for svg in charts:
        assert 'viewBox="0 0 ' in svg and 'role="img"' in svg
        assert "<script" not in svg.lower() and "onload" not in svg.lower()
    trend, distribution = charts
    assert trend.count('<rect class="bar-filed"') == 13  # 12 weeks and the legend
    assert '<circle class="line-rate"' in trend  # the week of 03-09: 1 of 1 on time
    assert distribution.count('<rect class="bar-resolved"') == 8  # 7 buckets and the legend
    assert "0–1 办结件数：1</title>" in distribution
    assert trend.endswith('text-anchor="middle">3/16</text></svg>')  # this week last, shown
    # The charts need no script: the page's only ones are the site-wide submit-once helper and
    # phone menu, and the export buttons' progress bar (tests/test_export_jobs.py).
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script src="/static/js/submit-once.js" defer>',
        '<script src="/static/js/site-menu.js" defer>',
        '<script src="/static/js/export-jobs.js">',
    ]
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host
    # The tables behind the charts, for screen readers: this week C was filed; the week of
    # 03-09 B and D, and D was resolved in time; D took 1 working day.
    assert '<th scope="row">2026-03-16</th><td>1</td><td>0</td><td>—</td>' in html
    assert '<th scope="row">2026-03-09</th><td>2</td><td>1</td><td>100%</td>' in html
    assert '<th scope="row">0–1 个工作日</th><td>1</td>' in html


def test_chart_labels_are_escaped():
    svg = bar_chart(
        ["<script>alert(1)</script>", "a&b"],
        [Series('x"><script>', [1, 2], "bar-filed")],
        title="<b>标题</b>",
        line=Series("率", [0.5, None], "line-rate"),
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "a&amp;b" in svg and "&lt;b&gt;标题&lt;/b&gt;" in svg
    assert "x&quot;&gt;" in svg


def test_no_unmasked_personal_data_on_the_pages(client, admin_user, talent, requests_):
    for url in ("/manage/dashboard/", "/manage/supervision/"):
        html = html_of(get(client, admin_user, url))
        assert talent.real_name not in html and talent.phone not in html
    assert "李*" in html


# --- the 督办 list --------------------------------------------------------------------------
def test_the_list_orders_by_working_days_overdue(client, admin_user, requests_):
    html = html_of(get(client, admin_user, "/manage/supervision/"))
    assert numbers_on(html) == [requests_["A"].number, requests_["B"].number]
    assert re.findall(r'data-working-days-overdue="(\d+)"', html) == ["9", "1"]
    first, second = html.split(f'id="r-{requests_["B"].number}"')
    assert "督办</span>" in first and "督办</span>" not in second
    assert "2026-03-03 24:00" in first and "2026-03-13 24:00" in second
    assert "区住房和城乡建设局" in first and "未指派" in first
    # Next Monday B has run 6 working days (03-16 … 03-20, 03-23) and is escalated too.
    later = html_of(get(client, admin_user, "/manage/supervision/", at(2026, 3, 23, 9, 0)))
    assert re.findall(r'data-working-days-overdue="(\d+)"', later) == ["14", "6", "4"]


def test_the_admin_transfers_from_the_list_and_the_request_leaves(
    client, admin_user, lead, requests_
):
    number = requests_["A"].number
    html = html_of(get(client, admin_user, "/manage/supervision/"))
    assert 'name="transfer-department"' in html and 'name="comment-body"' in html
    assert f'action="/manage/supervision/{number}/transfer/"' in html
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/manage/supervision/{number}/transfer/?page=1",
            {"transfer-department": "JYJ", "transfer-reason": "属教育局职责"},
        )
        assert response.status_code == 302 and response.url == "/manage/supervision/?page=1"
        back = client.get(response.url).content.decode()
    assert "已转至区教育科技局办理" in back
    req = ServiceRequest.objects.get(number=number)
    assert req.department.code == "JYJ" and req.status == "submitted"
    assert number not in numbers_on(html_of(get(client, lead, "/manage/supervision/")))


def test_a_transfer_without_reason_is_refused_with_the_message(client, admin_user, requests_):
    number = requests_["A"].number
    with time_machine.travel(NOW, tick=False):
        client.force_login(admin_user)
        response = client.post(
            f"/manage/supervision/{number}/transfer/", {"transfer-department": "JYJ"}
        )
    # The request's page again, with the message next to the field (not back to the list).
    assert response.status_code != 302 and "请填写转办理由" in response.content.decode()
    assert ServiceRequest.objects.get(number=number).department.code == "ZJJ"


def test_a_lead_comments_from_the_list_but_cannot_transfer(client, lead, requests_):
    number = requests_["A"].number
    html = html_of(get(client, lead, "/manage/supervision/"))
    assert 'name="transfer-department"' not in html and 'name="comment-body"' in html
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/manage/supervision/{number}/comment/",
            {"comment-body": "请今日内受理", "comment-internal": "on"},
        )
    assert response.status_code == 302 and response.url == "/manage/supervision/"
    note = RequestComment.objects.get(request__number=number)
    assert note.body == "请今日内受理" and note.internal and note.author == lead


def test_a_lead_is_refused_a_transfer_from_the_list_with_the_reason(client, lead, requests_):
    """The list's transfer is services.permissions' ``supervise_transfer`` (the organization
    department): the lead may transfer the request from the desk (``transfer``), not here,
    and is told so."""
    from services import permissions

    req = requests_["A"]
    assert permissions.allowed(lead, "transfer", req)
    assert not permissions.allowed(lead, "supervise_transfer", req)
    with time_machine.travel(NOW, tick=False):
        client.force_login(lead)
        response = client.post(
            f"/manage/supervision/{req.number}/transfer/?page=1",
            {"transfer-department": "JYJ", "transfer-reason": "应由教育局办理"},
        )
        assert response.status_code == 302 and response.url == "/manage/supervision/?page=1"
        back = client.get(response.url).content.decode()
    assert "只有组织部人才办可以在督办清单中转办；部门负责人请在办件工作台转办。" in back
    req.refresh_from_db()
    assert req.department.code == "ZJJ"
    assert not req.events.filter(action="transferred").exists()


def test_the_admins_transfer_from_the_list_follows_the_tables_states(
    client, admin_user, handler, requests_
):
    """The list's transfer asks the table for the state too: a request waiting for the
    talent's 补正 cannot be transferred, and the refusal says why."""
    from services import permissions
    from services.workflow import request_ask_info

    a, b = requests_["A"], requests_["B"]
    with time_machine.travel(NOW, tick=False):
        request_ask_info(
            req=request_accept(req=a, actor=handler), actor=handler, items=["补充劳动合同"]
        )
    a.refresh_from_db()
    assert not permissions.allowed(admin_user, "supervise_transfer", a)
    assert permissions.allowed(admin_user, "supervise_transfer", b)
    html = html_of(get(client, admin_user, "/manage/supervision/"))
    assert f'action="/manage/supervision/{b.number}/transfer/"' in html
    assert f'action="/manage/supervision/{a.number}/transfer/"' not in html
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/manage/supervision/{a.number}/transfer/",
            {"transfer-department": "JYJ", "transfer-reason": "属教育局职责"},
        )
        back = client.get(response.url).content.decode()
    assert response.url == "/manage/supervision/"
    assert "申请当前为“待补正”状态，不能转办。" in back
    assert ServiceRequest.objects.get(pk=a.pk).department.code == "ZJJ"


def test_a_lead_cannot_act_on_another_departments_request(client, other_handler, departments):
    from tests.factories import UserFactory

    other_lead = UserFactory(username="jyj_lead", role="lead", department=departments["JYJ"])
    someone = TalentFactory()
    give_card(someone)
    req = filed(someone, at(2026, 3, 2, 10, 0))
    client.force_login(other_lead)
    response = client.post(f"/manage/supervision/{req.number}/comment/", {"comment-body": "x"})
    assert response.status_code == 404
    assert not RequestComment.objects.exists()


# --- the calendar ---------------------------------------------------------------------------
def test_the_calendar_shows_make_up_days_and_holidays(client, handler):
    html = html_of(get(client, handler, "/manage/calendar/?year=2026"))
    cell = re.search(r'<td class="([^"]+)" data-date="2026-02-14"', html).group(1)
    assert "makeup" in cell and "unverified" not in cell
    assert "2月14日</time> 春节调休上班" in html
    assert "2月15日</time>–2月23日 春节" in html
    assert "holiday" in re.search(r'<td class="([^"]+)" data-date="2026-02-16"', html).group(1)
    assert "本年每一天均已按国务院放假安排核实" in html
    assert 'name="is_workday"' not in html  # only admins change a day


def test_the_calendar_marks_an_unloaded_year_as_unverified(client, admin_user):
    html = html_of(get(client, admin_user, "/manage/calendar/?year=2027"))
    assert "本年有 365 天未核实" in html and "2027-01-01 至 2027-12-31" in html
    cell = re.search(r'<td class="([^"]+)" data-date="2027-01-04"', html).group(1)
    assert cell.split() == ["day", "workday", "unverified"]
    assert "未核实（按周一至周五推算）" in html


def test_a_bad_year_falls_back_to_this_year(client, admin_user):
    html = html_of(get(client, admin_user, "/manage/calendar/?year=abc"))
    assert "年份应为" in html and '工作日历 <small class="muted">2026 年' in html


def test_an_admin_changes_a_day_and_open_deadlines_move(client, admin_user, talent):
    req = filed(talent, at(2026, 3, 2, 10, 0))
    assert req.accept_due_at == at(2026, 3, 4, 0, 0)  # end of Tuesday 03-03
    html = html_of(get(client, admin_user, "/manage/calendar/"))
    assert 'name="is_workday"' in html and "csrfmiddlewaretoken" in html
    with time_machine.travel(at(2026, 3, 2, 11, 0), tick=False):
        response = client.post(
            "/manage/calendar/?year=2026",
            {"date": "2026-03-03", "is_workday": "0", "note": "临时休息"},
            follow=True,
        )
    page = response.content.decode()
    assert "已将 2026-03-03 设为休息日（临时休息），未办结申请的期限正在按新日历重新计算" in page
    run_recomputes()
    req.refresh_from_db()
    assert req.accept_due_at == at(2026, 3, 5, 0, 0)  # one working day later
    cell = re.search(r'<td class="([^"]+)" data-date="2026-03-03"', page).group(1)
    assert "holiday" in cell  # a weekday off
    assert "3月3日</time> 临时休息" in page
    assert AuditEvent.objects.filter(action="calendar.change", actor=admin_user).exists()


def test_a_bad_calendar_form_is_shown_again(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/manage/calendar/?year=2026", {"is_workday": "0", "note": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请选择日期。" in html and '<details class="calendar-edit" open>' in html
    assert "该字段是必填项" not in html


# --- the banner -----------------------------------------------------------------------------
def test_the_banner_warns_admins_while_the_next_90_days_are_not_all_verified(
    client, admin_user, talent, handler
):
    quiet = html_of(get(client, admin_user, "/", at(2026, 6, 1, 9, 0)))
    assert "工作日历待核实" not in quiet
    # From 2026-10-04 on, the next 90 days reach 2027, which is not loaded.
    loud = html_of(get(client, admin_user, "/", at(2026, 11, 1, 9, 0)))
    assert 'class="banner banner-warning"' in loud
    assert "未来90天内有 29 天（自 2027-01-01 起）" in loud  # 11-01 … 2027-01-29
    assert 'href="/manage/calendar/?year=2027"' in loud
    for user in (talent, handler):
        assert "工作日历待核实" not in html_of(get(client, user, "/", at(2026, 11, 1, 9, 0)))


def test_loading_the_days_clears_the_banner(client, admin_user):
    moment = at(2026, 10, 10, 9, 0)  # the next 90 days end on 2027-01-07
    assert "未来90天内有 7 天" in html_of(get(client, admin_user, "/", moment))
    with time_machine.travel(moment, tick=False):
        for day in range(1, 7):
            calendar_set_day(day=date(2027, 1, day), is_workday=day > 3, note="", actor=admin_user)
        # Cached for a few minutes; a correction on the calendar page clears it at once.
        assert "未来90天内有 7 天" in html_of(client.get("/"))
        client.post("/manage/calendar/", {"date": "2027-01-07", "is_workday": "1"})
        assert "工作日历待核实" not in html_of(client.get("/"))


def test_the_banner_costs_one_query_and_then_none(client, admin_user):
    with time_machine.travel(at(2026, 11, 1, 9, 0), tick=False):
        client.force_login(admin_user)
        with CaptureQueriesContext(connection) as first:
            client.get("/")
        with CaptureQueriesContext(connection) as second:
            client.get("/")
    calendar = [q for q in first.captured_queries if "calendarday" in q["sql"]]
    assert len(calendar) == 1
    assert not [q for q in second.captured_queries if "calendarday" in q["sql"]]


# --- query counts ---------------------------------------------------------------------------
def _more_requests(n, handler, admin_user):
    """``n`` more requests of March: a quarter resolved, a quarter accepted in time, a quarter
    transferred to the human-resources bureau and left there, a quarter assigned and left
    unaccepted (the last two are overdue on 03-16)."""
    for i in range(n):
        someone = TalentFactory()
        give_card(someone)
        req = filed(someone, at(2026, 3, 2 + i % 5, 10, 0))
        with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):
            if i % 4 in (0, 1):
                req = request_accept(req=req, actor=handler)
            elif i % 4 == 2:
                request_transfer(req=req, actor=admin_user, department="RSJ", reason="转人社局")
            else:
                request_assign(req=req, actor=admin_user, assignee="handler")
        if i % 4 == 0:
            with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
                request_resolve(req=req, actor=handler, note="已办结")


@pytest.mark.parametrize("persona", ["admin_user", "lead"])
@pytest.mark.parametrize("url", ["/manage/dashboard/?from=2026-03-01&to=2026-03-16", PAGES[1]])
def test_pages_run_a_constant_number_of_queries(
    client, request, persona, url, requests_, handler, admin_user, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    html_of(get(client, user, url))  # warm the banner's cache, as any earlier page would
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(40) as few:
        html_of(client.get(url))
    _more_requests(40, handler, admin_user)
    with (
        time_machine.travel(NOW, tick=False),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        html = html_of(client.get(url))
    if url == PAGES[1] and persona == "admin_user":
        assert len(numbers_on(html)) == 20 and "第 1 / 2 页，共 22 条" in html
    elif url == PAGES[1]:
        assert len(numbers_on(html)) == 12  # A, B and the ten assigned ones


def test_every_figure_links_to_the_requests_it_counted(
    client, admin_user, lead, handler, talent, departments
):
    """Follow each headline link of the dashboard: the list shows as many requests as the
    figure says (and the lead's list only their department's)."""
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from services.calendar import calendar_sync
    from services.feedback import request_rate
    from services.workflow import request_accept, request_resolve
    from tests.requests_support import file_housing

    calendar_sync(year=2026)
    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=sh), tick=False) as clock:
        done = file_housing(talent)
        file_housing(talent), file_housing(talent)  # both still open, and overdue later
        request_accept(req=done, actor=handler)
        clock.move_to(datetime(2026, 3, 3, 9, 0, tzinfo=sh))
        request_resolve(req=done, actor=handler, note="已配租")
        request_rate(req=done, actor=talent, score=1)
        clock.move_to(datetime(2026, 3, 20, 9, 0, tzinfo=sh))  # late and waiting are overdue
        for user in (admin_user, lead):
            client.force_login(user)
            page = client.get("/manage/dashboard/?from=2026-03-01&to=2026-03-31").content.decode()
            links = dict(
                re.findall(
                    r'<a class="figure[^"]*" href="([^"]+)">.*?'
                    r'<strong class="figure-value">([^<]+)</strong>',
                    page,
                    re.S,
                )
            )
            assert links, "the headline figures are links"
            for url, value in links.items():
                if not value.strip().isdigit():
                    continue
                listing = client.get(url.replace("&amp;", "&"))
                assert listing.status_code == 200, url
                numbers = re.findall(
                    r'href="/(?:manage|desk)/requests/(FW-[^/"]+)/"', listing.content.decode()
                )
                count = len(set(numbers))
                assert count == int(value), (user.username, url, value, count)


# --- card reviews in 督办 (issue 11 point 5) ----------------------------------------------------
# New applications get 10 working days (cards.review_clock). Submitted Fri 02-13 → due end of
# Thu 03-05, 督办 from 03-10 00:00: at NOW 7 working days overdue (03-06, 09 … 13, 16),
# escalated. Submitted Fri 02-27 → 02-28 (make-up Saturday), 03-02 … 03-12 → due end of 03-12:
# 2 working days overdue (03-13, 03-16), not escalated. Submitted Mon 03-09: due end of 03-23.
def card_review_at(client_for, moment) -> int:
    from tests.cards_support import submitted

    with time_machine.travel(moment, tick=False):
        return submitted(client_for(TalentFactory()))["id"]


@pytest.fixture
def reviews(criteria, client_for):
    return {
        "late": card_review_at(client_for, at(2026, 2, 13, 10, 0)),
        "later": card_review_at(client_for, at(2026, 2, 27, 10, 0)),
        "in_time": card_review_at(client_for, at(2026, 3, 9, 10, 0)),
    }


def review_rows(html: str) -> list[tuple[int, int]]:
    """(application id, working days overdue) of the card review rows, in page order."""
    return [
        (int(pk), int(days))
        for pk, days in re.findall(
            r'<tr id="a-(\d+)">.*?data-working-days-overdue="(\d+)"', html, re.S
        )
    ]


def test_overdue_card_reviews_are_listed_longest_overdue_first_with_their_link(
    client, admin_user, reviews, requests_
):
    from cards.models import CardApplication

    html = html_of(get(client, admin_user, "/manage/supervision/"))
    assert "优才卡审核超期" in html
    assert review_rows(html) == [(reviews["late"], 7), (reviews["later"], 2)]
    for pk in (reviews["late"], reviews["later"]):
        assert f'href="/manage/applications/{pk}/"' in html
    assert f'href="/manage/applications/{reviews["in_time"]}/"' not in html
    late_row = re.search(rf'<tr id="a-{reviews["late"]}">.*?</tr>', html, re.S).group(0)
    later_row = re.search(rf'<tr id="a-{reviews["later"]}">.*?</tr>', html, re.S).group(0)
    assert "督办" in late_row and "督办" not in later_row
    # The requests are still listed above them, and no applicant's name is shown unmasked.
    assert numbers_on(html) == [requests_["A"].number, requests_["B"].number]
    for app in CardApplication.objects.select_related("talent"):
        assert app.talent.real_name not in html
    # Only the escalated ones with 只看已督办.
    escalated = html_of(get(client, admin_user, "/manage/supervision/?escalated=1"))
    assert review_rows(escalated) == [(reviews["late"], 7)]
    # A week later the third is overdue too (end of 03-23 passed: 03-24 … 03-26 → 3 days).
    later = html_of(get(client, admin_user, "/manage/supervision/", at(2026, 3, 26, 9, 0)))
    assert [pk for pk, _ in review_rows(later)] == [
        reviews["late"],
        reviews["later"],
        reviews["in_time"],
    ]
    assert review_rows(later)[-1] == (reviews["in_time"], 3)


def test_a_review_returned_after_its_deadline_stays_on_the_list(
    client, admin_user, client_for, reviews
):
    with time_machine.travel(NOW, tick=False):
        response = client_for(admin_user).post(
            f"/api/v1/card-applications/{reviews['later']}/return/",
            {"items": ["劳动合同缺少签字页"], "note": ""},
        )
    assert response.status_code == 200, response.content
    html = html_of(get(client, admin_user, "/manage/supervision/"))
    assert review_rows(html) == [(reviews["late"], 7), (reviews["later"], 2)]
    row = re.search(rf'<tr id="a-{reviews["later"]}">.*?</tr>', html, re.S).group(0)
    assert "退回补正" in row


def test_only_reviewers_see_card_reviews_on_the_list(client, lead, reviews):
    """Card applications are the organization department's (cards.permissions): a lead's
    督办 list has no card review section."""
    html = html_of(get(client, lead, "/manage/supervision/"))
    assert "优才卡审核超期" not in html and review_rows(html) == []
    assert "/manage/applications/" not in html


def test_the_list_with_card_reviews_runs_a_constant_number_of_queries(
    client, admin_user, client_for, reviews, requests_
):
    def count() -> int:
        with time_machine.travel(NOW, tick=False):
            client.force_login(admin_user)
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/manage/supervision/")
        assert response.status_code == 200
        return len(queries)

    count()  # the first page view of a session caches what later ones read
    before = count()
    card_review_at(client_for, at(2026, 2, 16, 10, 0))
    card_review_at(client_for, at(2026, 2, 24, 10, 0))
    after = count()
    html = html_of(get(client, admin_user, "/manage/supervision/"))
    assert len(review_rows(html)) == 4
    assert after == before


def test_the_admins_morning_digest_counts_the_card_reviews(admin_user, handler, reviews):
    from portal.models import Notification
    from services.periodic import department_digest

    department_digest(at(2026, 3, 16, 8, 30))
    digest = Notification.objects.get(kind="review_digest", recipient=admin_user)
    assert digest.title == "【每日审核提醒】优才卡待审核 3 件，今日到期 0 件，已超期 2 件"
    assert "（其中督办 1 件）" in digest.body
    assert digest.link == "/manage/supervision/#card-reviews"
    assert not Notification.objects.filter(kind="review_digest", recipient=handler).exists()
    # Once a day; none on a weekend.
    department_digest(at(2026, 3, 16, 8, 35))
    department_digest(at(2026, 3, 21, 8, 30))
    assert Notification.objects.filter(kind="review_digest").count() == 1
