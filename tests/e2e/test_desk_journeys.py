"""Browser journeys of the handling side's lists, the calendar, the audit log and the privacy
texts (issue 11), each at phone (375 px) and desktop width, every page free of console errors
and no wider than the screen.

f. Search. A ZJJ handler searches 办件工作台 by request number and by the applicant's full
   name (another department's request is not found); the admin searches 全部申请 by name and
   by number, combined with the status and department filters; the 优才卡登记簿 is searched by
   card number and by holder name. Search and filters stay in the URL: a reload and the
   pagination links keep them.
g. Calendar upkeep. The admin uploads the State Council's 2027 arrangement as CSV (a file with
   a bad line first: refused line by line, nothing to apply), previews the changes, applies
   them and sees the holidays and the make-up working day on the calendar; then clicks days
   of the calendar to make one a holiday and another a working day, each with a note.
h. Audit. The auditor reads the log with Chinese labels and object numbers (FW-…, BZYC-…),
   filters it by actor, action group and date, and downloads the CSV export of the filter
   (Chinese header, the filtered rows); the export is itself in the log.
i. Privacy. A visitor follows the consent checkbox's link on the registration page to
   《个人信息处理规则》, registers (the consent's version is recorded), then on the form of a
   medical request follows the link to 《敏感个人信息处理告知》 and files with the separate
   consent (recorded with the request's number).

Setup that a journey is not about (seed data, accounts, cards, requests, old events) is made
with the domain functions and factories, as the other journeys do.
"""

import csv
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from cards.issuance import card_issue, card_suspend
from cards.models import Card
from portal.models import AuditEvent, ConsentRecord, Department, Role, User
from portal.privacy import PRIVACY_RULES, SENSITIVE_NOTICE, TEXTS
from portal.seed import seed_departments
from portal.views.audit import EXPORT_COLUMNS
from services.calendar import calendar_sync
from services.filing import CONSENT_MESSAGES, request_file
from services.models import CalendarDay, DaySource, Sensitivity, ServiceRequest
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve
from tests.e2e.support import fits, menu, message, press, snap
from tests.e2e.test_journeys import fill_registration, sign_in
from tests.factories import TalentFactory, UserFactory, resident_id
from tests.recompute_support import run_recomputes
from tests.requests_support import file_housing, give_card

# reset_sequences: the same ids in every run, so the screenshots do not drift.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=10_000)

NUMBER = re.compile(r"FW-\d{8}-\d{4}")
SPOUSE_JOB = {
    "spouse_name": "陈晓",
    "spouse_education": "本科",
    "was_civil_servant": False,
    "desired_fields": ["教育"],
}
# The State Council's 2027 arrangement as an admin would type it (date,is_workday,note):
# 元旦 on a Friday, 春节 with a make-up Saturday.
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


@pytest.fixture(autouse=True)
def _password_sign_in_only(settings):
    # Two-factor sign-in (required of admins and auditors when DEBUG is off) has tests of
    # its own; these journeys are about the pages behind it.
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture
def staff(db):
    """Departments, the catalogue, the 2026 calendar, and the people who work the lists."""
    seed_departments()
    seed_service_types()
    calendar_sync(year=2026)
    dept = {d.code: d for d in Department.objects.all()}
    return {
        "handler": UserFactory(
            username="zjj_handler", real_name="周经办", role=Role.STAFF, department=dept["ZJJ"]
        ),
        "admin": UserFactory(
            username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
        ),
        "auditor": UserFactory(username="audit_qian", real_name="钱审计", role=Role.AUDITOR),
    }


# --- helpers --------------------------------------------------------------------------------
def params(page) -> dict[str, str]:
    """The query of the page's URL, one value a key."""
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def rows(page):
    return page.locator("main table tbody tr")


def numbers_shown(page) -> list[str]:
    return rows(page).locator("a.card-number").all_inner_texts()


def pagination(page):
    return page.locator("nav.pagination")


def next_page(page):
    with page.expect_navigation():
        pagination(page).get_by_role("link", name="下一页").click()
    fits(page)


def reload(page):
    page.reload()
    fits(page)


def watch_popups(screen):
    """Pages a link opens in a new window report their console errors like the others."""

    def hook(popup):
        popup.on("console", lambda m: screen.errors.append(m.text) if m.type == "error" else None)
        popup.on("pageerror", lambda e: screen.errors.append(str(e)))

    screen.context.on("page", hook)


def follow_to_new_window(screen, link):
    """Click a link that opens beside the form; the new window, loaded and fitting."""
    with screen.context.expect_page() as opened:
        link.click()
    popup = opened.value
    popup.wait_for_load_state()
    fits(popup)
    return popup


# --- f. search ------------------------------------------------------------------------------
@pytest.fixture
def filed(staff):
    """李明 filed 24 housing requests (three accepted); 王芳 one housing request and one for
    her spouse's job (RSJ); 张伟 holds a card and filed nothing."""
    li = TalentFactory(username="li_ming", real_name="李明", phone="13800002688")
    wang = TalentFactory(username="wang_fang", real_name="王芳", phone="13800003399")
    zhang = TalentFactory(username="zhang_wei", real_name="张伟", phone="13800004411")
    valid_until = timezone.localdate() + timedelta(days=3 * 365)
    for holder, number, tier in (
        (li, "BZYC-2026-000101", "C"),
        (wang, "BZYC-2026-000102", "B"),
        (zhang, "BZYC-2026-000103", "D"),
    ):
        Card.objects.create(number=number, holder=holder, tier=tier, valid_until=valid_until)
    li_requests = [file_housing(li) for _ in range(24)]
    for req in li_requests[:3]:
        request_accept(req=req, actor=staff["handler"])
    wang_housing = file_housing(wang, description="希望安排离单位近的房源。")
    wang_spouse = request_file(talent=wang, service_type="SPOUSE_JOB", fields=dict(SPOUSE_JOB))
    return {
        "li_accepted": sorted(r.number for r in li_requests[:3]),
        "wang_housing": wang_housing.number,
        "wang_spouse": wang_spouse.number,
    }


def test_f_staff_and_admins_search_requests_and_cards(screen_factory, staff, filed):
    # The ZJJ handler's desk: 22 waiting to be accepted (21 of 李明, 1 of 王芳).
    handler_screen = screen_factory()
    desk = sign_in(handler_screen, staff["handler"], "/desk/")
    expect(desk.locator("h1")).to_contain_text("办件工作台")
    expect(desk.locator("a.tab-submitted .count")).to_have_text("22")
    expect(desk.locator("#desk-q-help")).to_contain_text("申请人姓名须完整")

    # By request number: exactly 王芳's housing request, kept in the URL and by a reload.
    desk.fill("#desk-q", filed["wang_housing"])
    press(desk, "搜索")
    assert params(desk) == {"tab": "submitted", "q": filed["wang_housing"]}
    expect(desk.locator("p.search-note")).to_contain_text(f"搜索“{filed['wang_housing']}”的结果")
    expect(rows(desk)).to_have_count(1)
    expect(rows(desk).first).to_contain_text("王*")
    expect(rows(desk).first).to_contain_text("人才公寓")
    reload(desk)
    expect(desk.locator("#desk-q")).to_have_value(filed["wang_housing"])
    assert numbers_shown(desk) == [filed["wang_housing"]]

    # Typed without its letters, the number still finds it.
    desk.fill("#desk-q", filed["wang_housing"].removeprefix("FW-"))
    press(desk, "搜索")
    assert numbers_shown(desk) == [filed["wang_housing"]]

    # 王芳's spouse-job request is at RSJ: not on ZJJ's desk, whatever its number.
    desk.fill("#desk-q", filed["wang_spouse"])
    press(desk, "搜索")
    expect(desk.locator("a.tab-all .count")).to_have_text("0")
    expect(rows(desk)).to_have_count(1)
    expect(rows(desk).first).to_have_text("没有符合条件的申请。")

    # By full name: 李明's 21 waiting requests over two pages; the tabs count his only.
    desk.fill("#desk-q", "李明")
    press(desk, "搜索")
    assert params(desk) == {"tab": "submitted", "q": "李明"}
    expect(desk.locator("a.tab-submitted .count")).to_have_text("21")
    expect(desk.locator("a.tab-accepted .count")).to_have_text("3")
    expect(desk.locator("a.tab-all .count")).to_have_text("24")
    expect(rows(desk)).to_have_count(20)
    for row in rows(desk).all():
        expect(row).to_contain_text("李*")
    expect(pagination(desk)).to_contain_text("第 1 / 2 页，共 21 条")
    snap(handler_screen, "19-desk-search")
    next_page(desk)
    assert params(desk) == {"tab": "submitted", "q": "李明", "page": "2"}
    expect(rows(desk)).to_have_count(1)
    expect(pagination(desk)).to_contain_text("第 2 / 2 页，共 21 条")
    reload(desk)
    expect(desk.locator("#desk-q")).to_have_value("李明")
    expect(rows(desk)).to_have_count(1)

    # Another tab keeps the search: 办理中 holds the three accepted ones.
    with desk.expect_navigation():
        desk.locator("a.tab-accepted").click()
    assert params(desk) == {"tab": "accepted", "q": "李明"}
    assert sorted(numbers_shown(desk)) == filed["li_accepted"]
    # 清除搜索: the tab stays, the search goes.
    with desk.expect_navigation():
        desk.get_by_role("link", name="清除搜索").click()
    assert params(desk) == {"tab": "accepted"}
    expect(desk.locator("#desk-q")).to_have_value("")
    expect(desk.locator("a.tab-submitted .count")).to_have_text("22")

    # The admin's 全部申请: name, status and department together.
    admin_screen = screen_factory()
    admin = sign_in(admin_screen, staff["admin"], "/manage/requests/")
    expect(admin.locator("h1")).to_have_text("全部申请")
    expect(pagination(admin)).to_contain_text("共 26 条")
    admin.fill("#id_q", "李明")
    admin.select_option("#id_status", "submitted")
    admin.select_option("#id_department", "ZJJ")
    press(admin, "筛选")
    assert {k: v for k, v in params(admin).items() if v} == {
        "q": "李明",
        "status": "submitted",
        "department": "ZJJ",
    }
    expect(rows(admin)).to_have_count(20)
    for row in rows(admin).all():
        expect(row).to_contain_text("李*")
        expect(row).to_contain_text("待受理")
    expect(pagination(admin)).to_contain_text("第 1 / 2 页，共 21 条")
    snap(admin_screen, "20-manage-requests-search")
    reload(admin)
    expect(admin.locator("#id_q")).to_have_value("李明")
    expect(admin.locator("#id_status")).to_have_value("submitted")
    expect(admin.locator("#id_department")).to_have_value("ZJJ")
    expect(pagination(admin)).to_contain_text("共 21 条")
    next_page(admin)
    query = params(admin)
    assert (query["q"], query["status"], query["department"], query["page"]) == (
        "李明",
        "submitted",
        "ZJJ",
        "2",
    )
    expect(rows(admin)).to_have_count(1)
    expect(admin.locator("#id_status")).to_have_value("submitted")

    # The same name, 办理中: the three accepted; a new filter starts again at page 1.
    admin.select_option("#id_status", "accepted")
    press(admin, "筛选")
    assert "page" not in params(admin)
    assert sorted(numbers_shown(admin)) == filed["li_accepted"]
    for row in rows(admin).all():
        expect(row).to_contain_text("办理中")
        expect(row).to_contain_text("周经办")

    # 王芳, by department: RSJ holds her spouse's job, ZJJ her housing request.
    admin.fill("#id_q", "王芳")
    admin.select_option("#id_status", "")
    admin.select_option("#id_department", "RSJ")
    press(admin, "筛选")
    assert numbers_shown(admin) == [filed["wang_spouse"]]
    expect(rows(admin).first).to_contain_text("配偶就业")
    expect(rows(admin).first).to_contain_text("区人力资源和社会保障局")
    admin.select_option("#id_department", "ZJJ")
    press(admin, "筛选")
    assert numbers_shown(admin) == [filed["wang_housing"]]

    # By number, with a status: found while it matches, not once it does not.
    admin.fill("#id_q", filed["wang_spouse"])
    admin.select_option("#id_department", "")
    admin.select_option("#id_status", "submitted")
    press(admin, "筛选")
    assert params(admin)["q"] == filed["wang_spouse"]
    assert numbers_shown(admin) == [filed["wang_spouse"]]
    admin.select_option("#id_status", "accepted")
    press(admin, "筛选")
    expect(rows(admin)).to_have_count(1)
    expect(rows(admin).first).to_have_text("没有符合条件的申请。")

    # 优才卡登记簿: by card number, by a number's beginning, by the holder's full name.
    menu(admin, "优才卡登记簿")
    expect(admin.locator("h1")).to_have_text("优才卡登记簿")
    expect(rows(admin)).to_have_count(3)
    admin.fill("#id_q", "BZYC-2026-000102")
    press(admin, "查询")
    assert params(admin)["q"] == "BZYC-2026-000102"
    expect(rows(admin)).to_have_count(1)
    expect(rows(admin).first).to_contain_text("王*")
    expect(rows(admin).first).to_contain_text("B类")
    expect(rows(admin).first).not_to_contain_text("王芳")
    reload(admin)
    expect(admin.locator("#id_q")).to_have_value("BZYC-2026-000102")
    expect(rows(admin)).to_have_count(1)
    admin.fill("#id_q", "2026-00010")
    press(admin, "查询")
    expect(rows(admin)).to_have_count(3)
    admin.fill("#id_q", "张伟")
    press(admin, "查询")
    assert params(admin)["q"] == "张伟"
    expect(rows(admin)).to_have_count(1)
    expect(rows(admin).first).to_contain_text("BZYC-2026-000103")
    expect(rows(admin).first).to_contain_text("张*")
    snap(admin_screen, "21-card-registry-search")
    # A name is found only whole; with a tier it does not hold, not at all.
    admin.fill("#id_q", "张")
    press(admin, "查询")
    expect(rows(admin).first).to_have_text("没有符合条件的优才卡。")
    admin.fill("#id_q", "张伟")
    admin.select_option("#id_tier", "A")
    press(admin, "查询")
    assert (params(admin)["q"], params(admin)["tier"]) == ("张伟", "A")
    expect(rows(admin).first).to_have_text("没有符合条件的优才卡。")


# --- g. calendar upkeep ---------------------------------------------------------------------
def day_cell(page, day):
    return page.locator(f'td.day[data-date="{day}"]')


def test_g_the_admin_uploads_the_holiday_arrangement_and_edits_days(
    screen_factory, staff, tmp_path
):
    bad = tmp_path / "2027放假安排（有误）.csv"
    bad.write_text(NOTICE_2027.replace("2027-02-09,0,春节", "2027-02-30,0,春节"), "utf-8")
    good = tmp_path / "2027放假安排.csv"
    good.write_text(NOTICE_2027, "utf-8")

    screen = screen_factory()
    page = sign_in(screen, staff["admin"], "/manage/calendar/")
    expect(page.locator("h1")).to_contain_text("工作日历")
    expect(page.locator("h1")).to_contain_text("2026 年")
    expect(page.locator("main p.notice")).to_have_text("本年每一天均已按国务院放假安排核实。")

    # 2027 is not loaded yet: every day a Monday–Friday guess.
    with page.expect_navigation():
        page.locator("nav.year-nav").get_by_role("link", name="2027 年 ›").click()
    expect(page.locator(".calendar-warning")).to_contain_text("本年有 365 天未核实")
    expect(day_cell(page, "2027-01-01")).to_have_class(re.compile(r"\bworkday\b.*\bunverified\b"))
    with page.expect_navigation():
        # A link drawn as a button.
        page.locator("main").get_by_role("button", name="上传国务院放假安排（CSV）").click()
    expect(page.locator("h1")).to_have_text("上传国务院放假安排")

    # A file with an impossible date: its line named, nothing offered to apply.
    page.set_input_files("#id_file", str(bad))
    press(page, "预览变化")
    expect(page.locator("#preview-title")).to_have_text("预览：文件有误，尚未导入")
    expect(page.locator("ul.csv-errors li")).to_have_text(
        ["第8行：日期“2027-02-30”格式应为 年-月-日（如 2027-01-01）。"]
    )
    expect(page.get_by_role("button", name=re.compile("^确认导入"))).to_have_count(0)

    # The corrected file: what changes, line by line; nothing saved yet.
    page.set_input_files("#id_file", str(good))
    press(page, "预览变化")
    expect(page.locator("#preview-title")).to_have_text("预览：尚未导入")
    preview = page.locator("table.calendar-changes tbody tr")
    expect(preview).to_have_count(7)
    saturday = page.locator('tr[data-date="2027-02-06"]')
    expect(saturday).to_have_attribute("data-kind", "changed")
    expect(saturday).to_contain_text("星期六")
    expect(saturday.locator("td").nth(3)).to_have_text("工作日（春节调休上班）")
    expect(page.locator('tr[data-date="2027-01-01"] td').nth(4)).to_have_text("工作日/休息日改变")
    expect(page.locator('tr[data-date="2027-01-02"] td').nth(4)).to_have_text(
        "补录（与周一至周五推算一致）"
    )
    expect(page.locator('strong[data-kind="changed"]')).to_have_text("4")
    expect(page.locator('strong[data-kind="confirmed"]')).to_have_text("3")
    snap(screen, "22-calendar-import-preview")
    assert not CalendarDay.objects.filter(date__year=2027).exists()

    # Applied: back on 2027's calendar, 元旦 and 春节 are holidays, the Saturday a working day.
    press(page, "确认导入 7 天")
    message(
        page,
        "已导入 7 天（2027-01-01 至 2027-02-09），"
        "未办结申请的期限正在按新日历重新计算，进度见工作日历页面。",
    )
    assert params(page) == {"year": "2027"}
    # The deadlines follow in the background: a bar on the page follows the recomputation
    # (static/js/calendar-recompute.js) until it is done.
    recomputing = page.locator(".recompute-progress").first
    expect(recomputing).to_contain_text("已排队，即将重新计算在办申请的期限…")
    expect(recomputing).to_contain_text("导入放假安排 2027-01-01 至 2027-02-09（7 天）")
    run_recomputes()  # what the worker does
    expect(recomputing).to_contain_text("期限已按新日历重新计算（")
    expect(recomputing.locator("progress")).to_have_attribute("value", "100")
    expect(page.locator(".calendar-warning")).to_contain_text("本年有 358 天未核实")
    new_year = day_cell(page, "2027-01-01")
    expect(new_year).to_have_class(re.compile(r"\bholiday\b"))
    expect(new_year).not_to_have_class(re.compile(r"\bunverified\b"))
    expect(new_year).to_contain_text("休")
    expect(day_cell(page, "2027-02-06")).to_have_class(re.compile(r"\bmakeup\b"))
    expect(day_cell(page, "2027-02-06")).to_contain_text("班")
    expect(day_cell(page, "2027-02-08")).to_have_class(re.compile(r"\bholiday\b"))
    expect(page.locator("#m1 ul.day-notes")).to_contain_text("1月1日 元旦")
    february = page.locator("#m2 ul.day-notes li")
    expect(february).to_have_text(["2月6日 春节调休上班", "2月8日–2月9日 春节"])
    assert CalendarDay.objects.filter(date__year=2027, source=DaySource.IMPORT).count() == 7

    # Click a day: 2027-04-05, a Monday still guessed, becomes 清明节.
    with page.expect_navigation():
        page.get_by_role("link", name="修改 2027-04-05").click()
    fits(page)
    expect(page.locator("h1")).to_have_text("2027年4月5日 星期一")
    facts = page.locator("main dl.facts")
    expect(facts).to_contain_text("工作日")
    expect(facts).to_contain_text("未核实")
    expect(page.locator("input[name=is_workday][value='1']")).to_be_checked()
    page.get_by_label("休息日").check()
    page.fill("#id_note", "清明节")
    snap(screen, "23-calendar-day")
    press(page, "保存")
    message(
        page,
        "已将 2027-04-05 设为休息日（清明节），"
        "未办结申请的期限正在按新日历重新计算，进度见工作日历页面。",
    )
    assert params(page) == {"year": "2027"}
    expect(day_cell(page, "2027-04-05")).to_have_class(re.compile(r"\bholiday\b"))
    expect(page.locator("#m4 ul.day-notes")).to_contain_text("4月5日 清明节")

    # And Saturday 2027-04-10 a working day.
    with page.expect_navigation():
        page.get_by_role("link", name="修改 2027-04-10").click()
    expect(page.locator("h1")).to_have_text("2027年4月10日 星期六")
    expect(page.locator("input[name=is_workday][value='0']")).to_be_checked()
    page.get_by_label("工作日").check()
    page.fill("#id_note", "清明节调休上班")
    press(page, "保存")
    message(page, "已将 2027-04-10 设为工作日（清明节调休上班）")
    expect(day_cell(page, "2027-04-10")).to_have_class(re.compile(r"\bmakeup\b"))
    expect(day_cell(page, "2027-04-10")).to_contain_text("班")
    expect(page.locator(".calendar-warning")).to_contain_text("本年有 356 天未核实")

    # The day's page now says where it comes from and who set it.
    with page.expect_navigation():
        page.get_by_role("link", name="修改 2027-04-05").click()
    expect(facts).to_contain_text("休息日（清明节）")
    expect(facts).to_contain_text("管理员修改（郑人才办）")
    day = CalendarDay.objects.get(date="2027-04-05")
    assert (day.is_workday, day.note, day.source) == (False, "清明节", DaySource.ADMIN)


# --- h. the audit log -----------------------------------------------------------------------
@pytest.fixture
def history(staff):
    """Three days ago: the admin issued 李明's card, 李明 filed a housing request and the ZJJ
    handler accepted it. Today: the handler resolved it and the admin suspended the card."""
    talent = TalentFactory(username="li_ming", real_name="李明", phone="13800002688")
    three_days_ago = timezone.localtime() - timedelta(days=3)
    with time_machine.travel(three_days_ago, tick=False):
        card = card_issue(holder=talent, tier="C", actor=staff["admin"])
        req = file_housing(talent)
        request_accept(req=req, actor=staff["handler"])
    request_resolve(req=req, actor=staff["handler"], note="已配租人才公寓3栋402室。")
    card_suspend(card=card, actor=staff["admin"], reason="持卡人已调离巴州区，暂停使用。")
    return {"then": three_days_ago.date(), "card": card.number, "request": req.number}


def audit_row(page, action_label):
    return rows(page).filter(has=page.locator("td", has_text=re.compile(f"^{action_label}")))


def test_h_the_auditor_filters_the_log_and_exports_it(screen_factory, staff, history, tmp_path):
    then, today = history["then"].isoformat(), timezone.localdate().isoformat()
    screen = screen_factory()
    page = sign_in(screen, staff["auditor"], "/audit/")
    expect(page.locator("h1")).to_have_text("审计日志")

    # Chinese labels, and objects by their numbers rather than model names.
    table = page.locator("main table")
    expect(audit_row(page, "提交服务申请").first).to_contain_text(history["request"])
    expect(audit_row(page, "受理")).to_contain_text(history["request"])
    expect(audit_row(page, "受理")).to_contain_text("zjj_handler")
    expect(audit_row(page, "发放优才卡")).to_contain_text(history["card"])
    suspended = audit_row(page, "暂停优才卡")
    expect(suspended).to_contain_text(history["card"])
    expect(suspended).to_contain_text("持卡人已调离巴州区，暂停使用。")
    expect(audit_row(page, "登录成功").first).to_contain_text("audit_qian（钱审计）")
    for raw in ("services.servicerequest", "cards.card", "服务申请 #", "优才卡 #", "李明"):
        expect(table).not_to_contain_text(raw)
    snap(screen, "24-audit-log")

    # By actor: only the handler's events (accepted three days ago, resolved today).
    page.fill("input[name=actor]", "zjj_handler")
    press(page, "筛选")
    assert params(page) == {"actor": "zjj_handler"}
    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(0)).to_contain_text("办结")
    expect(rows(page).nth(1)).to_contain_text("受理")

    # By action group: the admin's card events, not their request-free sign-ins.
    page.fill("input[name=actor]", "zzb_admin")
    page.select_option("select[name=action]", "card.")
    press(page, "筛选")
    assert params(page) == {"actor": "zzb_admin", "action": "card."}
    expect(rows(page)).to_have_count(2)
    for row in rows(page).all():
        expect(row).to_contain_text(history["card"])
    expect(page.locator("select[name=action]")).to_have_value("card.")

    # By group and date: the service requests' events of three days ago.
    page.fill("input[name=actor]", "")
    page.select_option("select[name=action]", "service_request.")
    page.fill("input[name=from]", then)
    page.fill("input[name=to]", then)
    press(page, "筛选")
    assert params(page) == {"action": "service_request.", "from": then, "to": then}
    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(0)).to_contain_text("受理")
    expect(rows(page).nth(1)).to_contain_text("提交服务申请")
    reload(page)
    expect(page.locator("input[name=from]")).to_have_value(then)
    expect(rows(page)).to_have_count(2)

    # The export of this filter: a CSV with a Chinese header and exactly these two rows.
    link = page.get_by_role("link", name="导出 CSV（按当前筛选条件）")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"audit-\d{8}-\d{6}\.csv", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())  # for Excel
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == EXPORT_COLUMNS
    body = [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    assert [(r["事件"], r["事件代码"], r["对象"]) for r in body] == [
        ("受理", "service_request.accept", history["request"]),
        ("提交服务申请", "service_request.file", history["request"]),
    ]
    assert [r["操作人"] for r in body] == ["zjj_handler", "li_ming"]
    assert all(r["时间"].startswith(then) for r in body)
    assert "13800002688" not in raw.decode("utf-8-sig")

    # The export is itself on record, with the filter it was made with.
    page.fill("input[name=from]", today)
    page.fill("input[name=to]", today)
    page.select_option("select[name=action]", "audit.")
    press(page, "筛选")
    exported = audit_row(page, "导出审计日志")
    expect(exported).to_have_count(1)
    expect(exported).to_contain_text("audit_qian")
    expect(exported).to_contain_text(f"起始日期 {then}")
    event = AuditEvent.objects.get(action="audit.export")
    assert event.detail["filters"] == {"action": "service_request.", "from": then, "to": then}


# --- i. the privacy texts -------------------------------------------------------------------
def test_i_consent_links_lead_to_the_privacy_texts_and_consents_are_recorded(screen_factory, staff):
    rules, notice = TEXTS[PRIVACY_RULES], TEXTS[SENSITIVE_NOTICE]
    screen = screen_factory()
    watch_popups(screen)
    page = screen.page

    # 注册: the consent checkbox links to 《个人信息处理规则》, opened beside the form.
    screen.go("/accounts/register/")
    expect(page.locator("h1")).to_have_text("注册人才账户")
    link = page.locator("#consent_text").get_by_role("link", name=f"《{rules.title}》")
    expect(link).to_have_attribute("href", "/privacy/")
    expect(link).to_have_attribute("target", "_blank")
    expect(page.locator("#consent_text")).to_contain_text(f"（第 {rules.version} 版")
    text = follow_to_new_window(screen, link)
    expect(text.locator("h1")).to_have_text("巴州优才卡服务平台个人信息处理规则")
    expect(text.locator("article header")).to_contain_text(f"版本：第 {rules.version} 版")
    expect(text.locator("article header")).to_contain_text(f"生效日期：{rules.effective_text}")
    for anchor, heading in (
        ("collect", "我们收集哪些个人信息，为什么收集"),
        ("who", "谁能看到您的个人信息"),
        ("keep", "我们保存多久"),
        ("rights", "您的权利以及如何行使"),
        ("contact", "联系我们"),
    ):
        expect(text.locator(f"h2#{anchor}")).to_contain_text(heading)
    expect(text.locator("#collect + p + .table-wrap thead")).to_contain_text("用途")
    snap(screen, "25-privacy-rules", text)
    text.close()

    # Registered, with the consent given to this version of the rules.
    good_id = resident_id(731, birth="19910204")
    fill_registration(
        page, username="he_yisheng", real_name="何医生", id_number=good_id, phone="13911117777"
    )
    press(page, "注册")
    message(page, "注册成功")
    talent = User.objects.get(username="he_yisheng")
    consent = ConsentRecord.objects.get(user=talent)
    assert (consent.document, consent.version, consent.object_id) == (
        PRIVACY_RULES,
        rules.version,
        "",
    )
    menu(page, "我的账户")
    expect(page.locator("#consents li")).to_have_text(
        [re.compile(rf"同意《{rules.title}》（第 {re.escape(rules.version)} 版）$")]
    )

    # A medical request: its separate consent links to 《敏感个人信息处理告知》.
    give_card(talent, tier="C")  # journey a covers how a card is obtained
    menu(page, "服务事项")
    medical = page.locator("article.service", has_text="医疗保健")
    with page.expect_navigation():
        medical.get_by_role("link", name="我要申请").click()
    expect(page.locator("h1")).to_contain_text("申请：医疗保健")
    consent_box = page.locator("fieldset.consent")
    expect(consent_box.locator("legend")).to_have_text("本人单独同意")
    link = consent_box.get_by_role("link", name=f"《{notice.title}》")
    expect(link).to_have_attribute("href", "/privacy/sensitive/")
    text = follow_to_new_window(screen, link)
    expect(text.locator("h1")).to_have_text(str(notice.title))  # a lazy translation
    expect(text.locator("article header")).to_contain_text(f"版本：第 {notice.version} 版")
    article = text.locator("article")
    # What is collected and why, who sees it, how long it is kept, the rights, the contact.
    expect(text.locator("h2#which + .table-wrap thead")).to_have_text(
        re.compile("处理的敏感个人信息.*为什么必需")
    )
    expect(article).to_contain_text("医疗健康信息")
    expect(text.locator("h2#how + ul")).to_contain_text("只有承办部门可见")
    expect(text.locator("h2#how + ul")).to_contain_text("6 个月后删除")
    expect(text.locator("h2#consent + ul")).to_contain_text("撤回")
    expect(text.locator("h2#consent + ul")).to_contain_text("查阅、复制、更正或删除")
    expect(text.locator("h2#contact")).to_have_text("四、联系我们")
    expect(text.locator("h2#contact + dl")).to_contain_text("个人信息处理者")
    snap(screen, "26-privacy-sensitive", text)
    # It links on to the rules' section on rights, in the same window.
    with text.expect_navigation():
        text.locator("h2#consent + ul").get_by_role("link").click()
    assert text.url.endswith("/privacy/#rights")
    expect(text.locator("h2#rights")).to_be_visible()
    text.close()

    # Without the separate consent the request is refused next to the checkbox.
    page.select_option("#id_field_service", "年度健康体检")
    page.select_option("#id_field_hospital", "巴州区人民医院")
    press(page, "提交申请")
    expect(page.locator("#id_consent_error")).to_have_text(CONSENT_MESSAGES[Sensitivity.MEDICAL])
    assert not ServiceRequest.objects.exists()

    # With it, filed: the consent is recorded with the request and this notice's version.
    page.check("#id_consent")
    press(page, "提交申请")
    message(page, "申请已提交，编号 FW-")
    number = page.locator("h1").inner_text()
    assert NUMBER.fullmatch(number)
    req = ServiceRequest.objects.get(number=number)
    consent = ConsentRecord.objects.get(user=talent, document=SENSITIVE_NOTICE)
    assert (consent.version, consent.object_type, consent.object_id) == (
        notice.version,
        "services.servicerequest",
        str(req.pk),
    )
    menu(page, "我的账户")
    expect(page.locator("#consents li").first).to_contain_text(
        f"同意《{notice.title}》（第 {notice.version} 版），用于申请 {number}"
    )
