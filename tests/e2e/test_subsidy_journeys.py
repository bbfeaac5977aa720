"""Browser journeys of 政策直达快享 (issue 15): a benefit offered to a new card holder,
confirmed, approved and paid, and what each person sees of it.

l. A talent whose card the 人才办 approves (正高 title, a 巴州 employer, arrived within three
   years: SETTLE-ZG and RENT-36 are offered) signs in (a 320 px or 375 px phone, a desktop),
   finds the offers in 消息, follows 我的待遇 to 正高级职称人才安家补助和工作补贴, is refused
   an account in another person's name, then confirms the own one: 待审核, the number only
   masked (never in the page). The RSJ
   handler (desktop) finds it on 待遇兑现's 待审核 tab, reveals the account once with a
   purpose, approves it (the schedule appears) and registers the first instalment paid with a
   voucher. The admin (desktop) sees the paid amount on the 督查看板's 政策兑现 section and the
   entitlement 兑现中 on 政策兑现. The talent's 我的待遇 then shows it paid and what comes next.
m. The same talent in English on a phone (the language switch, behind 菜单): 我的待遇 and both
   benefits' pages (one paid in part, one still offered with its account form) have no Chinese
   in <main> beyond the brand and data that has no English (the policy documents' titles, the
   bank's name, the rules' keywords, people's names and notes).

The card approval is the domain function the 人才办's page calls (journey a of test_journeys.py
drives that page); the card application is filed through the API, as the card tests do.
Each page must fit its screen and pass axe-core (conftest's Screen); a console error fails
the journey too. Screenshots: SCREENSHOT_DIR/<width>/5x-…; the staff's pages at desktop.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from cards.applications import application_approve
from cards.models import CardApplication
from portal.models import Role
from subsidies.entitlements import entitlement_approve, entitlement_confirm
from subsidies.models import Entitlement, EntitlementStatus, InstalmentStatus
from subsidies.payments import instalment_pay
from subsidies.seed import seed_policies
from tests.cards_support import submitted
from tests.e2e.conftest import SCREENSHOT_DIR
from tests.e2e.support import fits, menu, message, open_menu, press, seed_world, snap
from tests.e2e.test_journeys import sign_in
from tests.e2e.test_talent_journeys import SizedScreen, english, findings, open_inbox
from tests.factories import TalentFactory, UserFactory
from tests.subsidies_support import ACCOUNT, PROFILE

# reset_sequences: the same ids (待遇 #1) in every run, so the screenshots do not drift.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=15_000)

SETTLE = "正高级职称人才安家补助和工作补贴"
SETTLE_EN = "Settlement and work allowance for senior (full) professional titles"
RENT = "人才租房补贴"
# SETTLE-ZG's 322,000 in three yearly instalments, the cents left over on the first.
FIRST, LATER = "107,334.00", "107,333.00"
NUMBER = re.sub(r"\s", "", ACCOUNT["account_number"])
MASKED = f"{NUMBER[:4]} **** **** {NUMBER[-4:]}"
VOUCHER = "CZZF-2026-0001"


@pytest.fixture(autouse=True)
def _password_sign_in_only(settings):
    # Two-factor sign-in (required of admins when DEBUG is off) has tests of its own; these
    # journeys are about the pages behind it (as test_desk_journeys).
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture
def world(db):
    """Departments, criteria, the catalogue, the 2026 calendar, the demo policies, the 人才办
    admin, an RSJ handler (who pays SETTLE-ZG) and the talent 李明 (no card yet)."""
    dept = seed_world()
    seed_policies()
    return {
        "admin": UserFactory(
            username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
        ),
        "rsj": UserFactory(
            username="rsj_handler", real_name="孙经办", role=Role.STAFF, department=dept["RSJ"]
        ),
        "talent": TalentFactory(username="li_ming", real_name="李明", phone="13800002688"),
    }


@pytest.fixture
def card_holder(world):
    """李明's card application (正高 title, a 巴州 employer, arrived 2024) filed through the API
    and approved by the 人才办: the approval offers SETTLE-ZG and RENT-36."""
    client = APIClient()
    client.force_authenticate(world["talent"])
    app = submitted(client, ("D02", "C03"), **PROFILE)
    application_approve(application=CardApplication.objects.get(pk=app["id"]), actor=world["admin"])
    offered = Entitlement.objects.filter(talent=world["talent"]).order_by("policy__code")
    assert [e.policy.code for e in offered] == ["RENT-36", "SETTLE-ZG"]
    return world["talent"]


@pytest.fixture(params=["phone320", "phone", "desktop"])
def screens(request, browser, live_server):
    """``screens()`` opens a browser context at this test's size (the talent's: a small phone,
    a phone or a desktop, test_talent_journeys.SIZES), ``screens("desktop")`` one at desktop
    size (the staff's). Console errors, axe-core violations and Chinese on the English pages,
    in any of them, fail the test at its end."""
    made = []

    def make(name=request.param):
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
def benefit_row(page, name):
    """我的待遇's row of the policy ``name``."""
    return page.locator("main table.benefits tbody tr", has=page.get_by_role("link", name=name))


def schedule_rows(page):
    """The rows of a benefit's schedule (the desk's forms rows left out)."""
    return page.locator("#schedule table tbody tr:not(.instalment-forms)")


def open_link(page, locator):
    with page.expect_navigation():
        locator.click()
    fits(page)


def section_shot(screen, locator, name):
    """A screenshot of one section of a long page (the 督查看板's 政策兑现), which must fit
    the screen's width like a whole page."""
    fits(screen.page, name)
    folder = SCREENSHOT_DIR / screen.width_name
    folder.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(folder / f"{name}.png"), animations="disabled")


# --- l. offered, confirmed, approved, paid ------------------------------------------------------
def test_l_a_benefit_is_offered_confirmed_approved_paid_and_supervised(screens, world, card_holder):
    talent = card_holder
    settle = Entitlement.objects.get(talent=talent, policy__code="SETTLE-ZG")
    screen = screens()
    page = sign_in(screen, talent, "/card/")

    # 消息: the offers, no application needed.
    open_inbox(page)
    expect(page.locator("main")).to_contain_text(f"您可享受“{SETTLE}”，请确认收款账户")
    expect(page.locator("main")).to_contain_text(f"您可享受“{RENT}”，请确认收款账户")

    # 我的待遇: both benefits, each asking for the account.
    menu(page, "我的待遇")
    expect(page.locator("h1")).to_have_text("我的待遇")
    expect(page.locator("main table.benefits tbody tr")).to_have_count(2)
    row = benefit_row(page, SETTLE)
    expect(row).to_contain_text("322,000.00 元")
    expect(row.locator(".status")).to_have_text("待确认")
    expect(row).to_contain_text("审核通过后按计划发放")
    expect(row.get_by_role("button", name="确认收款账户")).to_be_visible()
    expect(benefit_row(page, RENT)).to_contain_text("36,000.00 元")
    snap(screen, "50-benefits")

    # The benefit's page: the offer, the plan before approval, the account form.
    open_link(page, row.get_by_role("link", name=SETTLE))
    expect(page.locator("h1")).to_have_text(SETTLE)
    expect(page.locator("#offer")).to_contain_text("无需申请，确认收款账户即可")
    expect(schedule_rows(page)).to_have_count(3)
    expect(schedule_rows(page).first).to_contain_text("审核通过后第 1 个月")
    expect(schedule_rows(page).first).to_contain_text(f"{FIRST} 元")
    form = page.locator("#account form")
    expect(form.locator("#id_account-account_name")).to_have_value("李明")

    # An account in another person's name is refused next to its field; the number typed is
    # not written back into the page.
    form.locator("#id_account-bank_name").fill(ACCOUNT["bank_name"])
    form.locator("#id_account-account_number").fill(ACCOUNT["account_number"])
    form.locator("#id_account-account_name").fill("李明的妻子")
    press(page, "确认收款账户", scope="#account form")
    expect(page.locator("#id_account-account_name_error")).to_have_text(
        "户名须为本人姓名，待遇只能发放到本人账户。"
    )
    expect(page.locator("#id_account-account_number")).to_have_value("")
    assert NUMBER not in page.content() and ACCOUNT["account_number"] not in page.content()
    settle.refresh_from_db()
    assert settle.status == EntitlementStatus.OFFERED

    # The own name: confirmed, waiting for RSJ's review; the account shown masked only.
    form.locator("#id_account-account_number").fill(ACCOUNT["account_number"])
    form.locator("#id_account-account_name").fill("李明")
    snap(screen, "51-benefit-account")
    press(page, "确认收款账户", scope="#account form")
    message(page, "收款账户已确认，兑现部门审核通过后按计划发放。")
    expect(page.locator("main .status").first).to_have_text("待审核")
    expect(page.locator("main")).to_contain_text("兑现部门将在 10 个工作日内审核")
    expect(page.locator("#account dl.facts")).to_contain_text(MASKED)
    expect(page.locator("#account dl.facts")).to_contain_text(ACCOUNT["bank_name"])
    expect(page.locator("#account form")).to_have_count(0)
    assert NUMBER not in page.content() and ACCOUNT["account_number"] not in page.content()
    snap(screen, "52-benefit-confirmed")

    # RSJ's handler: 待遇兑现 → 待审核 lists it.
    desk_screen = screens("desktop")
    desk = sign_in(desk_screen, world["rsj"])
    menu(desk, "待遇兑现")
    expect(desk.locator("h1")).to_contain_text("待遇兑现")
    expect(desk.locator("a.tab-review")).to_have_attribute("aria-current", "page")
    expect(desk.locator("a.tab-review .count")).to_have_text("1")
    rows = desk.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(SETTLE)
    expect(rows.first).to_contain_text("李*")
    expect(rows.first).to_contain_text("322000.00")
    open_link(desk, rows.first.get_by_role("link", name=f"待遇 #{settle.pk}"))
    expect(desk.locator("h1")).to_have_text(f"待遇 #{settle.pk}")
    expect(desk.locator("main .status").first).to_have_text("待审核")
    expect(desk.locator("main dl.facts")).to_contain_text(MASKED)
    assert NUMBER not in desk.content()

    # The full account, once, for a stated purpose.
    reveal = desk.locator("#reveal")
    reveal.locator("summary").click()
    reveal.locator("#id_reveal-purpose").fill("核对收款账户后审核发放安家补助")
    press(desk, "查看完整信息", scope="#reveal form")
    expect(desk.locator("#reveal .revealed")).to_contain_text(NUMBER)
    # Not kept: the page opened again (a GET) shows the account masked.
    desk_screen.go(f"/subsidies/desk/{settle.pk}/")
    expect(desk.locator("#reveal .revealed")).to_have_count(0)
    assert NUMBER not in desk.content()

    # 审核通过: the schedule of three yearly instalments appears, the first form unfolded.
    desk.locator("#id_approve-note").fill("户名与人才本人一致，账户核对无误。")
    press(desk, "审核通过", scope="#review")
    message(desk, "已审核通过，已按政策生成兑现计划，并通知人才。")
    expect(desk.locator("main .status").first).to_have_text("兑现中")
    expect(schedule_rows(desk)).to_have_count(3)
    expect(schedule_rows(desk).first).to_contain_text("107334.00")
    first = settle.instalments.get(n=1)
    pay = desk.locator("#schedule article", has_text="登记兑现：第1期")
    expect(pay).to_be_visible()
    pay.locator(f"#id_pay-{first.pk}-voucher").fill(VOUCHER)
    press(desk, "登记兑现", scope="#schedule article:has-text('登记兑现：第1期')")
    message(desk, "第1期已登记兑现，并通知人才。")
    expect(schedule_rows(desk).first.locator(".status")).to_have_text("已兑现")
    expect(schedule_rows(desk).first).to_contain_text(f"凭证号 {VOUCHER}")
    expect(schedule_rows(desk).nth(1).locator(".status")).to_have_text("待兑现")
    snap(desk_screen, "53-desk-entitlement-paid")
    first.refresh_from_db()
    assert first.status == InstalmentStatus.PAID and first.amount == Decimal("107334")

    # The admin: 督查看板's 政策兑现 counts the payment; 政策兑现 lists it 兑现中.
    admin_screen = screens("desktop")
    admin = sign_in(admin_screen, world["admin"])
    menu(admin, "督查看板")
    section = admin.locator("section#subsidies")
    expect(section.locator("h2")).to_contain_text("政策兑现")
    by_policy = section.locator("table.summary-table").first
    policy_row = by_policy.locator("tbody tr").filter(
        has=admin.locator("th", has_text=re.compile(f"^{SETTLE}"))
    )
    cells = policy_row.locator("td")
    expect(cells.nth(0)).to_have_text("区人力资源和社会保障局")
    expect(cells.nth(1)).to_have_text("322,000.00")  # 承诺金额
    expect(cells.nth(2)).to_have_text(FIRST)  # 本期兑现
    expect(cells.nth(3)).to_have_text(FIRST)  # 累计兑现
    expect(cells.nth(4)).to_have_text("0.00")  # 超期未兑现
    expect(cells.nth(5)).to_have_text("100%")  # 按时兑现率
    section_shot(admin_screen, section, "54-dashboard-subsidies")
    menu(admin, "政策兑现")
    expect(admin.locator("h1")).to_have_text("政策兑现")
    listed = admin.locator("main table tbody tr", has_text=SETTLE)
    expect(listed).to_have_count(1)
    expect(listed.locator(".status")).to_have_text("兑现中")
    expect(listed).to_contain_text("区人力资源和社会保障局")
    rent = admin.locator("main table tbody tr", has_text=RENT)
    expect(rent.locator(".status")).to_have_text("待确认")

    # The talent: the first instalment paid, the next one's date and amount.
    menu(page, "我的待遇")
    row = benefit_row(page, SETTLE)
    expect(row.locator(".status")).to_have_text("兑现中")
    expect(row).to_contain_text(f"{FIRST} 元")
    second = settle.instalments.get(n=2)
    expect(row).to_contain_text(f"{second.due_on:%Y-%m-%d} 前发放 {LATER} 元")
    expect(row).to_contain_text("无")  # nothing to do
    open_link(page, row.get_by_role("link", name=SETTLE))
    expect(page.locator("main .status").first).to_have_text("兑现中")
    paid = schedule_rows(page).first
    expect(paid.locator(".status")).to_have_text("已兑现")
    expect(paid).to_contain_text(f"已发放（{timezone.localdate(first.paid_at):%Y-%m-%d}）")
    expect(paid).to_contain_text(f"凭证号 {VOUCHER}")
    expect(schedule_rows(page).nth(1)).to_contain_text(f"{second.due_on:%Y-%m-%d}")
    expect(schedule_rows(page).nth(1)).to_contain_text(f"{LATER} 元")
    expect(schedule_rows(page).nth(1)).to_contain_text("未到期")
    expect(page.locator("main")).to_contain_text(f"{second.due_on:%Y-%m-%d} 前发放 {LATER} 元")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("审核通过")
    expect(timeline).to_contain_text(f"凭证号 {VOUCHER}")
    assert NUMBER not in page.content()
    snap(screen, "55-benefit-paid")


# --- m. the same talent in English ------------------------------------------------------------
@pytest.mark.parametrize("screens", ["phone"], indirect=True)
def test_m_the_benefits_in_english(screens, world, card_holder):
    talent = card_holder
    # SETTLE-ZG confirmed, approved and its first instalment paid (journey l drives those
    # pages); RENT-36 still offered.
    settle = Entitlement.objects.get(talent=talent, policy__code="SETTLE-ZG")
    entitlement_confirm(entitlement=settle, actor=talent, **ACCOUNT)
    note = "户名与人才本人一致。"
    entitlement_approve(entitlement=settle, actor=world["rsj"], note=note)
    instalment_pay(instalment=settle.instalments.get(n=1), actor=world["rsj"], voucher=VOUCHER)
    # Data without English: the policy documents' titles, the rules' keywords (the titles and
    # employers the organization department typed), the bank's name, people's names and the
    # handler's note.
    data = [
        *{e.policy.policy_ref for e in talent.entitlements.select_related("policy")},
        "正高",
        "巴州, 巴中",
        ACCOUNT["bank_name"],
        talent.real_name,
        world["rsj"].real_name,
        note,
    ]
    screen = screens()
    page = sign_in(screen, talent, "/card/")

    # The switch (behind 菜单 on a phone).
    open_menu(page)
    with page.expect_navigation():
        page.locator("header.site-header .language-switch").get_by_role(
            "button", name="English", exact=True
        ).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    menu(page, "My benefits")
    english(screen, "my benefits", allow=data)
    expect(page.locator("h1")).to_have_text("My benefits")
    row = benefit_row(page, SETTLE_EN)
    expect(row.locator(".status")).to_have_text("Being paid")
    expect(row).to_contain_text(f"CNY {FIRST}")
    rent = benefit_row(page, "Rent subsidy for talents")
    expect(rent.get_by_role("button", name="Confirm bank account")).to_be_visible()
    snap(screen, "56-en-benefits")

    open_link(page, row.get_by_role("link", name=SETTLE_EN))
    english(screen, "benefit (paid in part)", allow=data)
    expect(page.locator("h1")).to_have_text(SETTLE_EN)
    expect(schedule_rows(page).first.locator(".status")).to_have_text("Paid")
    expect(page.locator("#account dl.facts")).to_contain_text(MASKED)
    assert NUMBER not in page.content()
    snap(screen, "57-en-benefit-paid")

    menu(page, "My benefits")
    open_link(page, rent.get_by_role("link", name="Rent subsidy for talents"))
    english(screen, "benefit (offered)", allow=data)
    expect(page.locator("#account form")).to_be_visible()
    expect(page.locator("#account form button[type=submit]")).to_have_text("Confirm bank account")
    # The rent subsidy's 36 months: settled, the next three, the rest folded.
    expect(page.locator("#schedule details.schedule-rest summary")).to_be_visible()
    snap(screen, "58-en-benefit-offered")
    noted = findings(screen)
    assert noted == [], "\n".join(noted)
