"""End-to-end journeys in a real browser (issue 7), each at phone (375 px) and desktop width.

a. A new talent registers (after a first try with errors shown next to their fields), applies
   for the card with documents, is returned for one item, fixes it and resubmits; the admin
   approves; the card page shows the live QR code; a verifier checks its token: valid.
b. A card holder files a 人才公寓 request (after a field error); the ZJJ handler accepts it and
   asks for information; the talent supplies it; the handler resolves it; the talent rates it
   2 stars; the ZJJ lead finds the follow-up from the dashboard and closes it with a note.
c. An admin finds the requests counted on the dashboard, transfers a mis-routed overdue request
   from the 督办 list, and exports the XLSX with a progress bar, then downloads it (request
   numbers in, phones masked).

Every person signs in through the real login page in their own browser context; only the
talent of journey a also registers through the UI. Setup that is not what a journey is about
(seed data, staff accounts, a card for the talent of b, old requests for c) is made with the
domain functions and factories, as the rest of the suite does.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import openpyxl
import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from portal.identity import mask_name
from portal.jobs import job_run
from portal.models import Job, Role, User
from tests.e2e.support import evidence_file, menu, message, press, seed_world, snap
from tests.factories import PASSWORD, TalentFactory, UserFactory, resident_id
from tests.requests_support import file_housing, give_card

# reset_sequences: the same ids (申请 #1) in every run, so the screenshots do not drift.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=10_000)

NUMBER = re.compile(r"FW-\d{8}-\d{4}")


# --- setup ----------------------------------------------------------------------------------
@pytest.fixture
def world(db):
    """Departments, criteria, the catalogue, the 2026 working-day calendar, and the staff."""
    dept = seed_world()
    return {
        "handler": UserFactory(
            username="zjj_handler", real_name="周经办", role=Role.STAFF, department=dept["ZJJ"]
        ),
        "lead": UserFactory(
            username="zjj_lead", real_name="吴科长", role=Role.LEAD, department=dept["ZJJ"]
        ),
        "admin": UserFactory(
            username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
        ),
        "verifier": UserFactory(username="desk_verifier", real_name="王核验", role=Role.VERIFIER),
    }


@pytest.fixture
def files(tmp_path):
    """Small evidence files: a PNG and real one-page PDFs, named as a talent would."""
    folder = tmp_path / "files"
    folder.mkdir()

    def image(name, color, kind, size=(120, 80)):
        return evidence_file(folder, name, color, kind, size)

    return {
        # The holder's 证件照: a JPEG at least 200×250 (cards.photos).
        "photo": image("证件照.jpg", "#438edb", "JPEG", size=(300, 400)),
        "id_card": image("身份证.png", "#90caf9", "PNG"),
        "degree": image("博士学位证书.pdf", "#a5d6a7", "PDF"),
        "degree_clear": image("博士学位证书（清晰版）.pdf", "#66bb6a", "PDF"),
        "contract": image("劳动合同.pdf", "#ffcc80", "PDF"),
        "pledge": image("无自有住房承诺书.pdf", "#ce93d8", "PDF"),
    }


# --- helpers --------------------------------------------------------------------------------
def sign_in(screen, user, path="/accounts/me/"):
    """Sign ``user`` in through the login page and land on ``path``."""
    page = screen.page
    screen.go(f"/accounts/login/?next={quote(path)}")
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    press(page, "登录")
    expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
    expect(page.locator("header.site-header")).to_contain_text(f"退出（{user.display_name}）")
    return page


def fill_registration(page, *, username, real_name, id_number, phone, password2=PASSWORD):
    page.fill("#id_username", username)
    page.fill("#id_real_name", real_name)
    page.select_option("#id_id_type", "resident")
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", phone)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", password2)
    page.check("#id_consent")


def register(screen, **fields):
    """Register a talent through the form (valid data) and return the new account."""
    page = screen.page
    screen.go("/accounts/register/")
    fill_registration(page, **fields)
    press(page, "注册")
    message(page, "注册成功")
    return User.objects.get(username=fields["username"])


def figure(page, label):
    """A headline figure of the dashboard (the link or box holding ``label``)."""
    return page.locator(".figures .figure").filter(
        has=page.locator(".figure-label", has_text=re.compile(f"^{label}$"))
    )


def table_row(page, section, name):
    return page.locator(f"{section} table tbody tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{name}"))
    )


# --- a. the card ----------------------------------------------------------------------------
def test_a_talent_gets_the_card_and_a_verifier_checks_its_qr_code(screen_factory, world, files):
    talent_screen = screen_factory()
    page = talent_screen.page

    # The home page, then 注册 from the menu.
    talent_screen.go("/")
    expect(page.locator("h1")).to_have_text("巴州优才卡")
    snap(talent_screen, "01-home")
    menu(page, "注册")
    expect(page.locator("h1")).to_have_text("注册人才账户")

    # First try: a wrong check character and a mistyped confirmation. Both errors show at
    # once, in Chinese, right under their own fields.
    good_id = resident_id(701, birth="19900512")
    bad_id = good_id[:-1] + ("1" if good_id[-1] != "1" else "2")
    fill_registration(
        page,
        username="zhao_xincai",
        real_name="赵新才",
        id_number=bad_id,
        phone="13912345678",
        password2="Wrong@Pass2026",
    )
    press(page, "注册")
    expect(page.locator(".form-errors")).to_contain_text("提交的信息有误")
    id_error = page.locator("#id_id_number + small.field-error#id_id_number_error")
    expect(id_error).to_have_text("居民身份证号码校验位不正确，请核对。")
    mismatch = page.locator("#id_password2 + small.field-error#id_password2_error")
    expect(mismatch).to_have_text("两次输入的密码不一致。")
    # The ID number is never echoed back, the other fields are kept.
    expect(page.locator("#id_id_number")).to_have_value("")
    expect(page.locator("#id_real_name")).to_have_value("赵新才")
    snap(talent_screen, "02-register-errors")
    assert not User.objects.filter(username="zhao_xincai").exists()

    # Second try, corrected: signed in on 我的账户.
    page.fill("#id_id_number", good_id)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_consent")
    press(page, "注册")
    message(page, "注册成功，欢迎使用巴州优才卡服务平台。")
    expect(page.locator("header.site-header")).to_contain_text("退出（赵新才）")

    # Apply: D02 全日制博士研究生 needs 身份证件, 学历学位证书 and 劳动合同或聘用证明, and
    # every application a 证件照.
    menu(page, "我的优才卡")
    expect(page.locator("main")).to_contain_text("您还没有巴州优才卡")
    page.locator("main a", has_text="申请优才卡").click()
    expect(page.locator("h1")).to_have_text("申请优才卡")
    page.check("#criterion-D02")
    page.fill("#id_employer", "巴州区人民医院")
    page.fill("#id_position", "主治医师")
    page.fill("#id_education", "博士研究生")
    press(page, "保存申请（草稿）")
    message(page, "申请已保存为草稿")
    expect(page).to_have_url(re.compile(r"/card/applications/\d+/$"))
    app_url = page.url
    expect(page.locator(".checklist .missing")).to_have_count(4)

    # Two documents, then an early submit: refused, naming both missing documents.
    page.select_option("#id_kind", "photo")
    page.set_input_files("#id_file", files["photo"])
    press(page, "上传材料")
    message(page, "（证件照）")
    page.select_option("#id_kind", "id_card")
    page.set_input_files("#id_file", files["id_card"])
    press(page, "上传材料")
    message(page, "已上传：身份证.png（身份证件）")
    press(page, "提交申请")
    errors = page.locator("#submit-errors")
    expect(errors).to_contain_text("暂不能提交")
    expect(errors.locator("li")).to_have_text(
        [
            "缺少证明材料：学历学位证书",
            "缺少证明材料：劳动合同或聘用证明",
        ]
    )
    expect(page.locator(".status")).to_have_text("草稿")
    snap(talent_screen, "03-card-application")

    # Complete and submit.
    page.select_option("#id_kind", "degree")
    page.set_input_files("#id_file", files["degree"])
    press(page, "上传材料")
    message(page, "已上传：博士学位证书.pdf（学历学位证书）")
    page.select_option("#id_kind", "contract")
    page.set_input_files("#id_file", files["contract"])
    press(page, "上传材料")
    expect(page.locator(".checklist .present")).to_have_count(4)
    press(page, "提交申请")
    message(page, "申请已提交，请等待区委组织部（人才办）审核。")
    expect(page.locator(".status").first).to_have_text("待审核")
    app_id = re.search(r"/card/applications/(\d+)/", app_url).group(1)

    # The admin, in their own browser, returns it for one item.
    admin_screen = screen_factory()
    admin = sign_in(admin_screen, world["admin"])
    menu(admin, "优才卡审核")
    expect(admin.locator("h1")).to_have_text("优才卡审核")
    row = admin.locator("table tbody tr", has_text=f"#{app_id}")
    expect(row).to_contain_text("赵**")
    expect(row).to_contain_text("D02")
    row.get_by_role("link", name=f"#{app_id}").click()
    expect(admin.locator("h1")).to_have_text(f"优才卡申请 #{app_id}")
    expect(admin.locator(".document-preview")).to_have_count(4)
    admin.fill("#id_return-items", "学历学位证书扫描件不清晰，请上传清晰的彩色扫描件。")
    admin.fill("#id_return-note", "其他材料齐全。")
    press(admin, "退回补正")
    message(admin, "已退回补正，并已一次性告知申请人。")
    expect(admin.locator(".status").first).to_have_text("退回补正")

    # The talent sees the returned item as a checklist in the resubmit form. The degree the
    # reviewer saw can be replaced, not deleted; an empty resubmission is refused; the new
    # degree goes in the same form, and the old one stays on record as 已替换.
    page.reload()
    returned = page.locator("article.returned")
    expect(returned).to_contain_text("需补正事项（一次性告知，共 1 项）")
    expect(returned.locator("ol.returned-items li")).to_have_text(
        ["学历学位证书扫描件不清晰，请上传清晰的彩色扫描件。"]
    )
    snap(talent_screen, "04-card-returned")
    degree_row = page.locator("ul.documents li", has_text="博士学位证书.pdf")
    expect(degree_row).to_contain_text("已审核，如需更正请上传同类材料替换")
    expect(degree_row.get_by_role("button", name="删除")).to_have_count(0)
    press(page, "补正后重新提交")
    expect(page.locator("#id_resubmit-note_error")).to_have_text(
        "请上传补正材料或填写补正说明后再重新提交；不能提交空白的补正。"
    )
    expect(page.locator(".status").first).to_have_text("退回补正")
    page.locator("article.returned").get_by_label(
        "学历学位证书扫描件不清晰，请上传清晰的彩色扫描件。"
    ).check()
    page.set_input_files("#id_resubmit-file_degree", files["degree_clear"])
    press(page, "补正后重新提交")
    message(page, "申请已提交")
    expect(page.locator(".status").first).to_have_text("待审核")
    expect(page.locator("#replaced-documents summary")).to_have_text("已替换的材料（1 份）")
    expect(page.locator("ul.documents").first).to_contain_text("博士学位证书（清晰版）.pdf")

    # The admin approves it: tier D (the highest accepted criterion), a card number. The
    # review shows the current documents, the new degree marked, the old one as history.
    admin.reload()
    expect(admin.locator(".status").first).to_have_text("待审核")
    expect(admin.locator(".document-preview")).to_have_count(4)
    expect(
        admin.locator(".document-preview", has_text="博士学位证书（清晰版）.pdf")
    ).to_contain_text("补正后上传，替换了 博士学位证书.pdf")
    expect(admin.locator("#replaced-documents")).to_contain_text("博士学位证书.pdf")
    expect(admin.locator("#id_approve-tier")).to_have_value("D")
    # The previews load from the server (through the permission check) in parallel; on the
    # in-memory SQLite of the test server a write while one of them still reads the
    # applications table fails with "database table is locked": approve once they are in.
    admin.wait_for_load_state("networkidle")
    press(admin, "认定通过")
    message(admin, "已认定通过并发卡。")
    card_link = admin.locator("main a", has_text=re.compile(r"^BZYC-\d{4}-\d{6}$"))
    card_number = card_link.inner_text()

    # 我的优才卡: the card and its live QR code, whose token the page fetched.
    with page.expect_response(lambda r: r.url.endswith("/card/qr/")) as qr:
        menu(page, "我的优才卡")
    token = qr.value.json()["token"]
    expect(page.locator(".talent-card .card-number")).to_have_text(card_number)
    expect(page.locator(".talent-card")).to_contain_text("赵**")
    # The application's 证件照, loaded (a 300×400 upload stays that size once re-encoded).
    expect(page.locator("img.holder-photo")).to_have_js_property("naturalWidth", 300)
    image = page.locator("#card-qr-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    expect(page.locator("#card-qr-status")).to_contain_text("秒后失效")
    snap(talent_screen, "05-my-card-qr")

    # The verifier, at a service point, checks the token: valid, masked name, tier D.
    verifier_screen = screen_factory()
    desk = sign_in(verifier_screen, world["verifier"])
    menu(desk, "优才卡核验")
    desk.fill("#id_token", token)
    press(desk, "核验")
    result = desk.locator("#verify-result")
    expect(result.locator(".verdict")).to_have_text("✓ 有效")
    expect(result.locator(".card-number")).to_have_text(card_number)
    expect(result.locator("img.holder-photo")).to_have_js_property("naturalWidth", 300)
    expect(result).to_contain_text(mask_name("赵新才"))
    expect(result).not_to_contain_text("赵新才")
    expect(result.locator(".tier")).to_contain_text("D")
    expect(result.locator("ul.services")).to_contain_text("人才公寓")
    snap(verifier_screen, "06-verify-valid")

    # A token is single-use: the same one again is refused.
    desk.fill("#id_token", token)
    press(desk, "核验")
    expect(result.locator(".verdict")).to_have_text("✗ 无效")


# --- b. a housing request -------------------------------------------------------------------
def test_b_a_housing_request_from_filing_to_the_closed_follow_up(screen_factory, world, files):
    talent_screen = screen_factory()
    page = talent_screen.page
    talent = register(
        talent_screen,
        username="sun_boshi",
        real_name="孙博士",
        id_number=resident_id(702, birth="19870903"),
        phone="13700001234",
    )
    give_card(talent, tier="C")  # journey a covers how a card is obtained

    # The catalogue → 人才公寓 → the form. A first try without 入住人数.
    menu(page, "服务事项")
    housing = page.locator("article.service", has_text="人才公寓")
    expect(housing).to_contain_text("区住房和城乡建设局")
    housing.get_by_role("link", name="我要申请").click()
    expect(page.locator("h1")).to_have_text("申请：人才公寓")
    page.select_option("#id_field_room_type", "两室一厅")
    page.fill("#id_field_move_in_date", "2026-12-15")
    page.select_option("#id_field_current_housing", "租房")
    page.check("#id_field_no_own_house_0")
    page.fill("#id_description", "携配偶和一名子女来巴工作，希望就近安排。")
    press(page, "提交申请")
    expect(page.locator("#id_field_family_size + small.field-error")).to_have_text(
        "请填写入住人数。"
    )
    expect(page.locator("#id_field_room_type")).to_have_value("两室一厅")
    snap(talent_screen, "07-service-apply")
    page.fill("#id_field_family_size", "3")
    press(page, "提交申请")
    message(page, "申请已提交，编号 FW-")
    message(page, "区住房和城乡建设局将在1个工作日内受理")
    number = page.locator("h1").inner_text()
    assert NUMBER.fullmatch(number)
    expect(page.locator(".status").first).to_have_text("待受理")

    # The ZJJ handler finds it on the desk, accepts it and asks for one item.
    handler_screen = screen_factory()
    desk = sign_in(handler_screen, world["handler"])
    menu(desk, "办件工作台")
    expect(desk.locator("a.tab-submitted .count")).to_have_text("1")
    row = desk.locator("table tbody tr", has_text=number)
    expect(row).to_contain_text("人才公寓")
    expect(row).to_contain_text("孙**")
    expect(row).to_contain_text("未指派")
    snap(handler_screen, "08-desk")
    row.get_by_role("link", name=number).click()
    expect(desk.locator("h1")).to_have_text(number)
    expect(desk.locator("main")).to_contain_text("137****1234")
    press(desk, "受理")
    message(desk, "已受理。")
    expect(desk.locator(".status").first).to_have_text("办理中")
    desk.fill("#id_ask-items", "本人及配偶在巴州区无自有住房的承诺书（签字）")
    desk.fill("#id_ask-note", "请上传签字后的扫描件。")
    press(desk, "要求补正")
    message(desk, "已一次性告知申请人需补正的事项")
    expect(desk.locator(".status").first).to_have_text("待补正")

    # The talent sees what is asked as a checklist in the supply form; an empty 补正 is
    # refused; the pledge is uploaded in the same form, ticked, and supplied.
    page.reload()
    asked = page.locator("#asked")
    expect(asked.locator("ol.returned-items li")).to_have_text(
        ["本人及配偶在巴州区无自有住房的承诺书（签字）"]
    )
    expect(asked).to_contain_text("请上传签字后的扫描件。")
    press(page, "提交补正")
    expect(page.locator("#id_supply-note_error")).to_have_text(
        "请填写补正说明或上传补正材料后再提交；不能提交空白的补正。"
    )
    expect(page.locator(".status").first).to_have_text("待补正")
    page.locator("#asked").get_by_label("本人及配偶在巴州区无自有住房的承诺书（签字）").check()
    page.set_input_files("#id_supply-files", files["pledge"])
    page.fill("#id_supply-note", "已上传签字的承诺书。")
    press(page, "提交补正")
    message(page, "补正已提交，办理时限恢复计算。")
    expect(page.locator(".status").first).to_have_text("办理中")
    expect(page.locator("#attachments")).to_contain_text("无自有住房承诺书.pdf")

    # The handler resolves it.
    desk.reload()
    expect(desk.locator(".status").first).to_have_text("办理中")
    expect(desk.locator("#attachments")).to_contain_text("无自有住房承诺书.pdf")
    desk.fill("#id_resolve-note", "已配租人才公寓3栋402室（两室一厅），请于12月15日前办理入住。")
    press(desk, "办结")
    message(desk, "已办结，申请人将收到评价邀请。")

    # The talent rates it 2 stars: the request is archived with the rating.
    page.reload()
    expect(page.locator("article.approved")).to_contain_text("已配租人才公寓3栋402室")
    page.locator("#rate").get_by_label("2星 不满意").check()
    page.fill("#id_rate-comment", "等待时间较长，入住日期不够灵活。")
    press(page, "提交评价")
    message(page, "感谢您的评价！")
    expect(page.locator("main")).to_contain_text("2星 不满意")
    expect(page.locator(".status").first).to_have_text("已归档")
    snap(talent_screen, "09-request-detail")

    # The ZJJ lead: the dashboard shows one open follow-up; it leads to the request.
    lead_screen = screen_factory()
    lead = sign_in(lead_screen, world["lead"])
    menu(lead, "督查看板")
    expect(lead.locator("h1")).to_contain_text("区住房和城乡建设局")
    followups = figure(lead, "差评回访未结")
    expect(followups.locator(".figure-value")).to_have_text("1")
    expect(figure(lead, "差评").locator(".figure-value")).to_have_text("1")
    followups.click()
    expect(lead.locator(".figure-filters")).to_contain_text("待回访")
    lead.locator("table tbody").get_by_role("link", name=number).click()
    rating = lead.locator("#rating")
    expect(rating).to_contain_text("2星 不满意")
    expect(rating).to_contain_text("等待时间较长")
    expect(rating.locator(".late")).to_have_text("待回访")
    lead.fill("#id_followup-note", "已电话回访，协调提前至12月10日入住，申请人表示认可。")
    press(lead, "办结回访")
    message(lead, "差评回访已办结。")
    expect(rating.locator(".ok")).to_have_text("已办结")
    expect(rating).to_contain_text("协调提前至12月10日入住")
    snap(lead_screen, "12-followup-closed")
    menu(lead, "督查看板")
    expect(figure(lead, "差评回访未结").locator(".figure-value")).to_have_text("0")


# --- c. the organization department ---------------------------------------------------------
def test_c_an_admin_supervises_transfers_and_exports(screen_factory, world, tmp_path):
    talent = TalentFactory(username="li_ming", real_name="李明", phone="13800002688")
    give_card(talent, tier="C")
    # Three weeks ago a question about a child's school was filed as a housing request and
    # nobody at ZJJ accepted it: overdue and escalated (督办). Another arrived today.
    three_weeks_ago = timezone.localtime() - timedelta(days=21)
    with time_machine.travel(three_weeks_ago, tick=False):
        misrouted = file_housing(
            talent, description="孩子明年转学到巴州区，想了解入学安排（实为子女入学事项）。"
        )
    fresh = file_housing(talent)
    period_start = (three_weeks_ago - timedelta(days=1)).date()

    screen = screen_factory()
    page = sign_in(screen, world["admin"])

    # 督查看板 for a period holding both requests.
    menu(page, "督查看板")
    expect(page.locator("h1")).to_have_text("督查看板")
    page.fill("input[name=from]", period_start.isoformat())
    press(page, "查询")
    expect(page.locator("main > p.muted").first).to_contain_text(
        f"统计期间 {period_start:%Y-%m-%d} 至"
    )
    expect(figure(page, "本期提交").locator(".figure-value")).to_have_text("2")
    expect(figure(page, "未办结").locator(".figure-value")).to_have_text("2")
    expect(figure(page, "已超期").locator(".figure-value")).to_have_text("1")
    expect(figure(page, "已督办").locator(".figure-value")).to_have_text("1")
    expect(figure(page, "按时办结率").locator(".figure-value")).to_have_text("0%")
    zjj = table_row(page, "#by-department", "区住房和城乡建设局")
    cells = zjj.locator("td")
    expect(cells.nth(0)).to_have_text("2")  # 收件
    expect(cells.nth(3)).to_have_text("2")  # 未办结
    expect(cells.nth(4)).to_have_text("1")  # 超期未办结
    snap(screen, "10-dashboard")
    dashboard_url = page.url

    # The 已超期 and 已督办 figures each list exactly the overdue one.
    for label in ("已超期", "已督办"):
        with page.expect_navigation():
            figure(page, label).click()
        expect(page.locator("table tbody a.card-number")).to_have_text([misrouted.number])
        page.go_back()

    # 督办清单: the request, escalated; transferred to 教育科技局 from its row.
    with page.expect_navigation():
        page.get_by_role("button", name="督办清单（超期未办结）").click()
    expect(page.locator("h1")).to_have_text("督办清单")
    row = page.locator(f"tr#r-{misrouted.number}")
    expect(row.locator("[data-working-days-overdue]")).to_contain_text("个工作日")
    expect(row.locator(".badge-flag.escalated")).to_have_text("督办")
    expect(row).to_contain_text("区住房和城乡建设局")
    expect(row).to_contain_text("李*")
    expect(page.locator(f"tr#r-{fresh.number}")).to_have_count(0)
    snap(screen, "11-supervision-list")
    row.locator("summary", has_text="转办").click()
    row.locator("select[name=transfer-department]").select_option("JYJ")
    row.locator("textarea[name=transfer-reason]").fill("属子女入学事项，应由区教育科技局承办。")
    with page.expect_navigation():
        row.get_by_role("button", name="确认转办").click()
    message(page, "已转至区教育科技局办理。")
    expect(page).to_have_url(re.compile(r"/manage/supervision/$"))
    expect(page.locator(f"tr#r-{misrouted.number}")).to_have_count(0)

    # The request's page: at JYJ now, waiting to be accepted there; ZJJ's stint is closed.
    menu(page, "全部申请")
    page.locator("table tbody").get_by_role("link", name=misrouted.number).click()
    expect(page.locator("h1")).to_have_text(misrouted.number)
    expect(page.locator(".status").first).to_have_text("待受理")
    facts = page.locator("section", has=page.locator("h2", has_text="基本情况"))
    expect(facts).to_contain_text("区教育科技局")
    stints = page.locator("section", has=page.locator("h2", has_text="承办部门及时长"))
    expect(stints.locator("tbody tr")).to_have_count(2)
    expect(stints.locator("tbody tr").nth(1)).to_contain_text("（当前）")
    expect(page.locator("main")).to_contain_text("属子女入学事项，应由区教育科技局承办。")

    # The XLSX export of the period, as a background job: the button starts it and a progress
    # bar follows it on the page; the worker's step runs here; then the file is offered.
    page.goto(dashboard_url)
    started = "/api/v1/exports/"
    with page.expect_response(lambda r: r.url.endswith(started) and r.status == 202):
        page.get_by_role("button", name="导出 Excel").click()
    progress = page.locator("#export-progress")
    expect(progress.get_by_role("status")).to_have_text("排队中")
    expect(progress.locator("progress")).to_be_visible()
    job = Job.objects.get(requested_by__username="zzb_admin")
    assert job_run(job.pk) == "done"
    expect(progress.get_by_role("status")).to_have_text("已完成，")
    with page.expect_download() as download_info:
        progress.get_by_role("link", name="下载").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    text = "\n".join(cells)
    assert misrouted.number in cells and fresh.number in cells
    assert "138****2688" in text
    assert "13800002688" not in text
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text), "an unmasked phone number"
    assert "李明" not in text
