"""Browser journeys of 人才信息库 and 一对一联系服务: a liaison assigned by the 人才办, a visit
recorded by the service officer with a request filed for the talent (代办), the talent's own
profile counted in 人才画像, and a sensitive concern that waits for the talent's consent.

n. The 人才办 admin (desktop) opens the card on 优才卡登记簿, sees the talent's profile section,
   assigns a liaison (leader 区委副书记 张某, a ZJJ staff member as officer, every 60 days):
   联系服务 lists it. The officer finds it on 联系服务 (desktop), then at 375 px records a visit
   with two concerns: 人才公寓 (its typed fields asked for in a second step) and a plain one.
   The request is filed, its number on the liaison page. The talent (320 px) finds the 代办
   notice in 消息, opens the request (代为提交), then on 人才信息 picks an industry chain, adds
   a specialty and a research output. The admin's 人才画像 counts that chain, its drill-down
   lists the card with the name masked, and 覆盖情况 shows the one holder with a liaison.
o. A medical concern recorded by the officer waits for the talent: the talent (375 px, in
   English through the language switch) follows the notice to My liaison service, ticks the
   consent and submits: the request is filed. No Chinese in <main> beyond data (names, the
   leader, the officer's summary and the concern's text).

The card approval is the domain function the 人才办's page calls (journey a of test_journeys.py
drives that page); the card application is filed through the API, as the card tests do.
Each page must fit its screen and pass axe-core (conftest's Screen); a console error fails the
journey too. Screenshots: SCREENSHOT_DIR/<width>/6x-…; the staff's pages at desktop.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from cards.applications import application_approve
from cards.models import Card, CardApplication
from portal.identity import mask_name
from portal.models import Role
from services.models import ServiceRequest
from talents.models import Concern, ConcernStatus, Liaison, ResearchOutput, TalentProfile
from talents.visits import visit_record
from tests.cards_support import submitted
from tests.e2e.support import fits, menu, message, open_menu, press, seed_world, snap
from tests.e2e.test_journeys import sign_in
from tests.e2e.test_talent_journeys import CJK, SizedScreen, english, findings, open_inbox
from tests.factories import TalentFactory, UserFactory
from tests.subsidies_support import PROFILE
from tests.talents_support import liaison_for

# reset_sequences: the same ids and numbers in every run, so the screenshots do not drift.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=15_000)

LEADER = "区委副书记 张某"
NUMBER = re.compile(r"FW-\d{8}-\d{4}")
HOUSING = "人才公寓"
MEDICAL = "医疗保健（体检/就医绿色通道/家庭医生）"
CHAIN = "生物医药"
SPECIALTY = "心血管介入治疗"
OUTPUT = "经桡动脉介入治疗的临床研究"
SUMMARY = "到医院走访，了解科研团队建设和生活情况。"
PLAIN = "希望园区增开早晚通勤班车。"
HOUSING_TEXT = "一家三口来巴，希望申请人才公寓。"
MEDICAL_TEXT = "希望安排年度健康体检。"
LIAISON_NOTICE_EN = "The Organization Department has assigned you a one-to-one liaison"


@pytest.fixture(autouse=True)
def _password_sign_in_only(settings):
    # Two-factor sign-in (required of admins when DEBUG is off) has tests of its own; these
    # journeys are about the pages behind it (as test_desk_journeys).
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture
def world(db):
    """Departments, criteria, the catalogue and the 2026 calendar; the 人才办 admin, a ZJJ
    staff member (the officer to be) and the talent 李明, whose card (C tier, 正高, 巴州区人民医院)
    the 人才办 approved."""
    dept = seed_world()
    admin = UserFactory(
        username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
    )
    officer = UserFactory(
        username="zjj_officer", real_name="周专员", role=Role.STAFF, department=dept["ZJJ"]
    )
    talent = TalentFactory(username="li_ming", real_name="李明", phone="13800002688")
    client = APIClient()
    client.force_authenticate(talent)
    app = submitted(client, ("D02", "C03"), **PROFILE)
    application_approve(application=CardApplication.objects.get(pk=app["id"]), actor=admin)
    card = Card.objects.get(holder=talent)
    assert card.tier == "C"
    return {"admin": admin, "officer": officer, "talent": talent, "card": card}


@pytest.fixture
def screens(browser, live_server):
    """``screens(size)`` opens a browser context at one of test_talent_journeys.SIZES
    (phone320, phone, desktop). Console errors, axe-core violations and Chinese on the English
    pages, in any of them, fail the test at its end."""
    made = []

    def make(name):
        screen = SizedScreen(browser, live_server.url, name)
        made.append(screen)
        return screen

    yield make
    for screen in made:
        screen.close()
    problems = []
    for screen in made:
        problems += [
            f"console error: {e}"
            for e in screen.errors
            if "Failed to load resource: the server responded with a status of 4" not in e
        ]
        problems += findings(screen)
        problems += [f"axe-core: {v}" for v in dict.fromkeys(screen.a11y)]
    assert problems == [], "\n".join(problems)


# --- helpers --------------------------------------------------------------------------------
def follow(page, locator):
    """Click a link (or a link styled as a button) and wait for the page it opens."""
    with page.expect_navigation():
        locator.click()
    fits(page)


def quiet(page):
    """On SQLite, a write right after a page's images load can meet "database table is
    locked": let the page's requests finish first."""
    page.wait_for_load_state("networkidle")


def liaison_row(page, number):
    return page.locator("main table tbody tr", has=page.get_by_role("link", name=number))


def open_notice(page, text):
    """消息: the notice containing ``text``, followed by its 查看详情 button."""
    notice = page.locator("main article", has_text=text)
    expect(notice).to_have_count(1)
    quiet(page)
    with page.expect_navigation():
        notice.locator("button[type=submit]").click()
    fits(page)


# --- n. assigned, visited, filed for the talent, counted --------------------------------------
def test_n_a_liaison_is_assigned_a_visit_files_a_request_and_the_profile_is_counted(screens, world):
    card, talent, officer = world["card"], world["talent"], world["officer"]
    masked = mask_name(talent.real_name)

    # The 人才办 (desktop): 优才卡登记簿 → the card → its talents section.
    admin_screen = screens("desktop")
    admin = sign_in(admin_screen, world["admin"])
    menu(admin, "优才卡登记簿")
    follow(admin, admin.locator("main").get_by_role("link", name=card.number))
    profile = admin.locator("section#talent-profile")
    expect(profile.locator("h2")).to_have_text("人才信息")
    expect(profile.locator("dl.facts")).to_contain_text("巴州区人民医院")
    expect(profile.locator("dl.facts")).to_contain_text("C类")
    expect(profile).to_contain_text("人才尚未填写科研成果。")
    section = admin.locator("section#liaison")
    expect(section).to_contain_text("尚未确定联系领导和服务专员。")
    snap(admin_screen, "60-card-talents")

    # 确定联系服务: leader, officer, every 60 days.
    follow(admin, section.get_by_role("button", name="确定联系服务"))
    expect(admin.locator("h1")).to_contain_text("确定联系服务")
    expect(admin.locator("main dl.facts")).to_contain_text(masked)
    admin.fill("#id_assign-leader", LEADER)
    admin.select_option("#id_assign-officer", officer.username)
    admin.fill("#id_assign-visit_every_days", "60")
    quiet(admin)
    press(admin, "确定联系服务")
    message(admin, "已确定联系领导和服务专员，并通知服务专员和人才本人。")
    facts = admin.locator("main dl.facts").first
    expect(facts).to_contain_text(LEADER)
    expect(facts).to_contain_text("周专员")
    expect(facts).to_contain_text("每 60 天")
    liaison = Liaison.objects.get(card=card)
    assert (liaison.officer, liaison.leader, liaison.visit_every_days) == (officer, LEADER, 60)

    # 联系服务 lists it, the name masked.
    menu(admin, "联系服务")
    row = liaison_row(admin, card.number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(masked)
    expect(row).to_contain_text(LEADER)
    expect(row).to_contain_text("尚未走访")
    expect(row).to_contain_text(f"{liaison.due_on:%Y-%m-%d}")
    assert talent.real_name not in admin.locator("main table").inner_text()
    snap(admin_screen, "61-liaisons")

    # The officer (desktop) finds the holder on 联系服务.
    desk_screen = screens("desktop")
    desk = sign_in(desk_screen, officer)
    menu(desk, "联系服务")
    expect(desk.locator("main table tbody tr")).to_have_count(1)
    follow(desk, liaison_row(desk, card.number).get_by_role("link", name=card.number))
    expect(desk.locator("h1")).to_contain_text(card.number)
    expect(desk.locator("#visits")).to_contain_text("还没有走访记录。")

    # Then on a phone (375 px): 联系服务 → the holder → 记录走访.
    phone_screen = screens("phone")
    phone = sign_in(phone_screen, officer)
    menu(phone, "联系服务")
    follow(phone, liaison_row(phone, card.number).get_by_role("link", name=card.number))
    follow(phone, phone.locator("main").get_by_role("button", name="记录走访"))
    expect(phone.locator("h1")).to_have_text("记录走访")
    phone.select_option("#id_visit-mode", label="上门走访")
    phone.fill("#id_visit-summary", SUMMARY)
    phone.fill("#id_concern-0-text", HOUSING_TEXT)
    phone.select_option("#id_concern-0-service_type", "HOUSING")
    phone.fill("#id_concern-1-text", PLAIN)
    quiet(phone)
    press(phone, "提交")
    # The second step: 人才公寓's own fields under its row; nothing recorded yet.
    expect(phone.locator("main p.notice").first).to_contain_text("请补充代办所需信息")
    typed = phone.locator("#concern-0 .typed-fields")
    expect(typed).to_contain_text("请补充代办所需信息（人才公寓）")
    expect(phone.locator("#id_concern-0-text")).to_have_value(HOUSING_TEXT)
    expect(phone.locator("#id_concern-1-text")).to_have_value(PLAIN)
    assert not ServiceRequest.objects.exists() and not Concern.objects.exists()
    phone.fill("#id_concern-0-field_family_size", "3")
    phone.select_option("#id_concern-0-field_room_type", "两室一厅")
    phone.fill("#id_concern-0-field_move_in_date", "2027-03-01")
    phone.select_option("#id_concern-0-field_current_housing", "租房")
    typed.locator("input[name='concern-0-field_no_own_house'][value='true']").check()
    snap(phone_screen, "62-visit-fields")
    quiet(phone)
    press(phone, "提交走访记录")
    message(phone, "走访已记录，下次走访日期已重新计算。已代人才提交 1 项服务申请，并通知人才。")
    req = ServiceRequest.objects.get()
    assert (req.talent, req.filed_by, req.service_type.code) == (talent, officer, "HOUSING")
    assert req.fields["family_size"] == 3 and req.fields["room_type"] == "两室一厅"
    concerns = Concern.objects.order_by("n")
    assert [(c.text, c.status, c.request_id) for c in concerns] == [
        (HOUSING_TEXT, ConcernStatus.FILED, req.pk),
        (PLAIN, ConcernStatus.NOTED, None),
    ]
    visit = phone.locator("#visits article.visit")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text(SUMMARY)
    expect(visit.locator("ol.concerns li").first).to_contain_text(f"代办申请：{req.number}")
    expect(visit.locator("ol.concerns li").nth(1)).to_contain_text(PLAIN)

    # Back on the desktop: the liaison page shows the visit and the request by number.
    desk_screen.go(f"/talents/liaisons/{card.number}/")
    items = desk.locator("#visits ol.concerns li")
    expect(items).to_have_count(2)
    expect(items.first.get_by_role("link", name=req.number)).to_be_visible()
    expect(items.first).to_contain_text("代办事项：人才公寓")
    expect(items.nth(1).locator("summary")).to_have_text("标记为已解决")
    expect(desk.locator("main dl.facts")).to_contain_text("最近走访")
    snap(desk_screen, "63-liaison-visited")

    # The talent (320 px): the 代办 notice in 消息 → the request, filed for them.
    talent_screen = screens("phone320")
    page = sign_in(talent_screen, talent, "/card/")
    open_inbox(page)
    expect(page.locator("main")).to_contain_text(f"已为您代办服务申请 {req.number}：{HOUSING}")
    open_notice(page, f"已为您代办服务申请 {req.number}")
    expect(page.locator("h1")).to_contain_text(req.number)
    expect(page.locator("main .filed-for")).to_contain_text("由服务专员 周专员 代为提交（代办）")
    snap(talent_screen, "64-request-filed-for")

    # 人才信息 (menu): the chain, a specialty and a research output.
    menu(page, "人才信息")
    expect(page.locator("h1")).to_have_text("人才信息")
    expect(page.locator("#my-liaison")).to_be_visible()
    expect(page.locator("#card-facts dl.facts")).to_contain_text("巴州区人民医院")
    page.locator("#kept").get_by_label(CHAIN, exact=True).check()
    page.fill("#id_specialties", SPECIALTY)
    page.select_option("#id_outputs-0-kind", label="论文")
    page.fill("#id_outputs-0-title", OUTPUT)
    page.fill("#id_outputs-0-year", "2024")
    page.fill("#id_outputs-0-ref", "中华心血管病杂志")
    quiet(page)
    press(page, "保存人才信息")
    message(page, "人才信息已保存")
    expect(page.locator("#kept").get_by_label(CHAIN, exact=True)).to_be_checked()
    expect(page.locator("#id_specialties")).to_have_value(SPECIALTY)
    expect(page.locator("#id_outputs-0-title")).to_have_value(OUTPUT)
    snap(talent_screen, "65-profile")
    saved = TalentProfile.objects.get(holder=talent)
    assert (saved.industry_chain, saved.specialties) == ("biomedicine", [SPECIALTY])
    assert list(ResearchOutput.objects.values_list("title", "year")) == [(OUTPUT, 2024)]

    # The 人才办's 人才画像: the chain counted; its number opens 人才名录 with the card.
    menu(admin, "人才画像")
    expect(admin.locator("h1")).to_have_text("人才画像")
    chains = admin.locator("section#by-industry-chain")
    expect(chains.locator("h2")).to_have_text("按产业链")
    chain_row = chains.locator("table tbody tr", has=admin.locator("th", has_text=CHAIN))
    expect(chain_row.locator("td").first).to_have_text("1")
    # The 产业链 tab: that dimension alone (the screenshot).
    follow(admin, admin.locator("main .tabs").get_by_role("link", name="产业链", exact=True))
    expect(admin.locator("main .tabs a[aria-current=page]")).to_have_text("产业链")
    expect(admin.locator("main section[id^=by-]")).to_have_count(1)
    chain_row = admin.locator("section#by-industry-chain table tbody tr", has_text=CHAIN)
    expect(chain_row.locator("td").first).to_have_text("1")
    snap(admin_screen, "66-portrait")
    follow(admin, chain_row.locator("td").first.get_by_role("link", name="1"))
    expect(admin.locator("h1")).to_have_text("人才名录")
    expect(admin.locator("main")).to_contain_text(CHAIN)
    listed = admin.locator("main table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.get_by_role("link", name=card.number)).to_be_visible()
    expect(listed).to_contain_text(masked)
    assert talent.real_name not in admin.locator("main").inner_text()
    snap(admin_screen, "67-registry")

    # 覆盖情况: one holder, one with a liaison; the officer's row.
    admin_screen.go("/talents/coverage/")
    expect(admin.locator("h1")).to_have_text("联系服务覆盖情况")
    expect(admin.locator("#holders")).to_have_text("1")
    expect(admin.locator("#with-liaison")).to_have_text("1")
    expect(admin.locator("#coverage-rate")).to_have_text("100.0%")
    expect(admin.locator("#visits")).to_have_text("1")
    expect(admin.locator("#concerns-raised")).to_have_text("2")
    expect(admin.locator("#concerns-filed")).to_have_text("1")
    officer_row = admin.locator("main table tbody tr", has_text="周专员")
    expect(officer_row.locator("td").nth(1)).to_have_text("1")
    snap(admin_screen, "68-coverage")


# --- o. a sensitive concern waits for the talent's own consent (English) ----------------------
def test_o_a_sensitive_concern_is_confirmed_by_the_talent_in_english(screens, world):
    card, talent, officer = world["card"], world["talent"], world["officer"]
    screen = screens("phone")
    page = sign_in(screen, talent, "/card/")

    # The switch (behind 菜单 on a phone); the account keeps the choice, so the notice that
    # follows is written in English.
    open_menu(page)
    with page.expect_navigation():
        page.locator("header.site-header .language-switch").get_by_role(
            "button", name="English", exact=True
        ).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    talent.refresh_from_db()
    assert talent.language == "en"

    # The 人才办 assigns the liaison and the officer records the visit (journey n drives
    # those pages): a medical concern, which only the talent may file.
    liaison = liaison_for(card, officer, world["admin"], days=60)
    visit_record(
        liaison=liaison,
        actor=officer,
        visited_on=timezone.localdate(),
        mode="in_person",
        summary=SUMMARY,
        concerns=[
            {
                "text": MEDICAL_TEXT,
                "service_type": "MEDICAL",
                "fields": {"service": "年度健康体检", "hospital": "巴州区人民医院"},
            }
        ],
    )
    concern = Concern.objects.get()
    assert concern.status == ConcernStatus.AWAITING_CONSENT and concern.request is None
    # Data without English: people's names, the leader and what the officer wrote.
    data = [talent.real_name, officer.real_name, LEADER, SUMMARY, MEDICAL_TEXT]

    # 消息: the notices written since the switch are English (the card's approval, before
    # it, stays as it was written).
    open_inbox(page)
    for text in ("Please confirm whether to file", LIAISON_NOTICE_EN):
        notice = page.locator("main article", has_text=text).inner_text()
        for word in data:
            notice = notice.replace(word, "…")
        assert not re.search(CJK, notice), notice
    open_notice(page, "Please confirm whether to file")
    expect(page).to_have_url(re.compile(r"/talents/liaison/$"))
    english(screen, "my liaison service", allow=data)
    expect(page.locator("h1")).to_have_text("My liaison service")
    awaiting = page.locator(f"#concern-{concern.pk}")
    expect(awaiting).to_contain_text(MEDICAL_TEXT)
    expect(awaiting.locator(".sensitive-notice")).to_be_visible()
    expect(page.locator("#visits")).to_contain_text(SUMMARY)

    # Without the box ticked: refused at the box, nothing filed.
    quiet(page)
    press(page, "Agree and submit", scope=f"#concern-{concern.pk} form")
    expect(page.locator(f"#concern-{concern.pk} fieldset.consent")).to_have_class(
        re.compile("consent-error")
    )
    english(screen, "my liaison service (consent missing)", allow=data)
    assert not ServiceRequest.objects.exists()

    page.locator(f"#id_concern-{concern.pk}-consent").check()
    snap(screen, "69-en-liaison-consent")
    quiet(page)
    press(page, "Agree and submit", scope=f"#concern-{concern.pk} form")
    req = ServiceRequest.objects.get()
    concern.refresh_from_db()
    assert concern.request == req and req.service_type.code == "MEDICAL"
    assert req.talent == talent
    expect(page.locator("h1")).to_contain_text(req.number)
    message(page, req.number)
    english(screen, "the request filed", allow=data)
    noted = findings(screen)
    assert noted == [], "\n".join(noted)
