"""Lists and the card page on phones (issue 14 point 1), at 320×568 and 375×667, and the lists
at 1280 px as tables still.

A talent with a card and requests, a ZJJ handler, the ZJJ lead, a verifier and an admin each
sign in through the login page and visit every list they use, and the talent the card page.
On a phone, on every page:

(a) nothing scrolls sideways: ``document.scrollingElement.scrollWidth <= innerWidth``;
(b) 我的申请: the first row's 承诺办结日期 is inside the viewport, with its label beside it;
(c) 我的优才卡: the whole QR code is on the first screen (its box's bottom <= the viewport's
    height), after the page's script fetched it;
(d) touch targets: every visible control in <main> (a link, button, input, select, textarea,
    summary, element with role="button") is at least 44 px tall. A checkbox or radio inside
    a <label> is measured by its label (the label is what a finger taps). The one exception
    is a link inside a sentence: an <a> (not role="button") whose closest <p>, <li>, <td>,
    <dd> or <small> holds text outside the link, e.g. “搜索“…”的结果　清除搜索”. A link
    alone in its <p>, <li>, <td>, <dd> or <small> (a tab, 查看可申请的服务事项, a request's
    number on its card, a figure of the dashboard) is a control and is measured.

Every list is a stack of cards on a phone (the rows' cells are blocks, the column headers
visually hidden) and keeps its table semantics in Chromium's accessibility tree, where each
column's name is heard once (from the header), not again from the cards' visual labels.

Setup that is not what these tests are about (accounts, the card, requests in each status, an
overdue request, a bad rating, a verification token) is made with the domain functions.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from cards.qr import qr_issue
from portal.models import Department, Role
from portal.seed import seed_departments
from services.calendar import calendar_sync
from services.feedback import request_rate
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve
from tests.e2e.conftest import Screen
from tests.e2e.test_journeys import sign_in
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import file_housing, give_card, request_in

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=10_000)

PHONES = {320: 568, 375: 667}
TOUCH = 44

# Controls of <main> shorter than 44 px, with the exception described in the module's doc.
SMALL_CONTROLS = """
(minimum) => {
  const main = document.querySelector("main");
  const selector = "a[href], button, input, select, textarea, summary, [role=button]";
  function textOutside(container, el) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    let text = "";
    while (walker.nextNode()) {
      if (!el.contains(walker.currentNode)) { text += walker.currentNode.nodeValue; }
    }
    return text.trim();
  }
  const small = [];
  for (const el of main.querySelectorAll(selector)) {
    if (el.type === "hidden") { continue; }
    let box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if ((box.width === 0 && box.height === 0) || style.visibility === "hidden") { continue; }
    if (el.closest(".visually-hidden")) { continue; }
    if (el.tagName === "A" && el.getAttribute("role") !== "button") {
      const sentence = el.closest("p, li, td, dd, small");
      if (sentence && main.contains(sentence) && textOutside(sentence, el)) { continue; }
    }
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label");
      if (label) { box = label.getBoundingClientRect(); }
    }
    if (box.height < minimum - 0.5) {
      const name = (el.innerText || el.value || el.name || el.type || "").trim().slice(0, 30);
      small.push(`<${el.tagName.toLowerCase()}> ${name}: ${Math.round(box.height)}px`);
    }
  }
  return small;
}
"""


@pytest.fixture(autouse=True)
def _password_sign_in_only(settings):
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture
def people(db):
    """The staff, and 李明 with a card and requests in every stage; one of them three weeks
    overdue (督办 list), one rated 2 stars (the lead's 差评回访)."""
    seed_departments()
    seed_service_types()
    calendar_sync(year=2026)
    dept = {d.code: d for d in Department.objects.all()}
    handler = UserFactory(
        username="zjj_handler", real_name="周经办", role=Role.STAFF, department=dept["ZJJ"]
    )
    lead = UserFactory(
        username="zjj_lead", real_name="吴科长", role=Role.LEAD, department=dept["ZJJ"]
    )
    admin = UserFactory(
        username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
    )
    verifier = UserFactory(username="desk_verifier", real_name="王核验", role=Role.VERIFIER)
    talent = TalentFactory(username="li_ming", real_name="李明", phone="13800002688")
    give_card(talent, tier="C")
    with time_machine.travel(timezone.localtime() - timedelta(days=21), tick=False):
        file_housing(talent, description="三周前提交、一直无人受理的申请。")
    rated = request_resolve(
        req=request_accept(req=file_housing(talent), actor=handler), actor=handler, note="已配租"
    )
    request_rate(req=rated, actor=talent, score=2, comment="等待太久。")
    # The newest last: 我的申请 shows the accepted one first, with its promised date.
    for status in ("closed", "awaiting_talent", "submitted", "accepted"):
        newest = request_in(status, talent, handler)
    return {
        "accepted": newest.number,
        "talent": talent,
        "handler": handler,
        "lead": lead,
        "admin": admin,
        "verifier": verifier,
    }


# Each person's lists (path, screenshot name). The talent's card page is checked on its own.
LISTS = {
    "talent": [
        ("/requests/", "my-requests"),
        ("/services/", "catalogue"),
        ("/inbox/", "inbox"),
        ("/accounts/me/access-log/", "access-log"),
        ("/privacy/", "privacy"),
        ("/privacy/sensitive/", "privacy-sensitive"),
    ],
    "handler": [
        ("/desk/", "desk"),
        ("/desk/?tab=accepted", "desk-accepted"),
        ("/desk/?tab=overdue", "desk-overdue"),
        ("/desk/?tab=all&q=李明", "desk-search"),
        ("/inbox/", "handler-inbox"),
    ],
    "lead": [
        ("/desk/?tab=followups", "desk-followups"),
        ("/manage/supervision/", "supervision"),
        ("/manage/dashboard/", "dashboard"),
    ],
    "admin": [
        ("/manage/requests/", "all-requests"),
        ("/manage/applications/", "card-applications"),
        ("/manage/cards/", "card-registry"),
    ],
    "verifier": [("/verify/", "verify")],
}
# The lists that are tables on a desktop and stacks of cards on a phone.
STACKED = {
    "/requests/",
    "/desk/",
    "/desk/?tab=accepted",
    "/desk/?tab=overdue",
    "/desk/?tab=all&q=李明",
    "/desk/?tab=followups",
    "/manage/supervision/",
    "/manage/requests/",
    "/manage/applications/",
    "/manage/cards/",
    "/privacy/",
    "/privacy/sensitive/",
}


def open_screen(browser, live_server, width, height=900):
    """A browser context at ``width`` × ``height``; screenshots go to var/screenshots/phone-W."""
    screen = Screen(browser, live_server.url, "phone" if width < 768 else "desktop")
    screen.page.set_viewport_size({"width": width, "height": height})
    screen.width_name = f"phone-{width}" if width < 768 else "desktop"
    return screen


def no_sideways_scroll(page, where):
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{where}: {widths[0]}px wide on a {widths[1]}px screen"


def touch_targets(page, where):
    small = page.evaluate(SMALL_CONTROLS, TOUCH)
    assert small == [], f"{where}: controls under {TOUCH}px: {small}"


def stacked(page, where):
    """The page's list is a stack of cards: a row is a block, the headers are off screen."""
    table = page.locator("main table.stack").first
    expect(table).to_be_attached()
    row = table.locator("tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block", where
    expect(table.locator("thead th").first).not_to_be_in_viewport()


def check_phone_page(screen, path, name, stack=False):
    page = screen.page
    screen.go(path)
    expect(page.locator("main h1")).to_be_visible()
    screen.shot(f"phone-{name}")  # before the checks: a failing page is on file too
    no_sideways_scroll(page, path)
    touch_targets(page, path)
    if stack or path in STACKED:
        stacked(page, path)


def finish(screens):
    """Close the screens; their console errors and (with tests/e2e/conftest.py's axe-core
    check) accessibility violations, as one list for the test's last assertion."""
    for screen in screens:
        screen.close()
    errors = [
        e
        for s in screens
        for e in s.errors
        if "Failed to load resource: the server responded with a status of 4" not in e
    ]
    return errors + list(dict.fromkeys(v for s in screens for v in getattr(s, "a11y", [])))


@pytest.mark.parametrize("width", list(PHONES))
def test_every_list_and_the_card_fit_a_phone(browser, live_server, people, width):
    height = PHONES[width]
    screens = []
    try:
        # The talent: the card page first, its QR code whole on the first screen.
        screen = open_screen(browser, live_server, width, height)
        screens.append(screen)
        page = sign_in(screen, people["talent"], "/card/")
        image = page.locator("#card-qr-image")
        expect(image).to_be_visible()
        expect(image).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        expect(page.locator("#card-qr-status")).to_contain_text("秒后失效")
        page.evaluate("window.scrollTo(0, 0)")
        box = image.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (width, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
        assert box["width"] >= 180  # still a code a scanner reads at arm's length
        no_sideways_scroll(page, "/card/")
        touch_targets(page, "/card/")
        screen.shot("phone-card")

        # 我的申请: the first card's promised date is on the first screen, labelled.
        screen.go("/requests/")
        promised = page.locator("main table tbody tr").first.locator("td.promised")
        expect(promised).to_contain_text("24:00")
        expect(promised).to_be_in_viewport(ratio=1)
        label = promised.evaluate("td => getComputedStyle(td, '::before').content")
        assert "承诺办结日期" in label, label
        for path, name in LISTS["talent"]:
            check_phone_page(screen, path, name)

        # The others: each list they use.
        for who in ("handler", "lead", "admin", "verifier"):
            screen = open_screen(browser, live_server, width, height)
            screens.append(screen)
            sign_in(screen, people[who], LISTS[who][0][0])
            for path, name in LISTS[who]:
                check_phone_page(screen, path, name)
            if who == "handler":
                # A request's page: its 承办部门及时长 table is a stack too.
                path = f"/desk/requests/{people['accepted']}/"
                check_phone_page(screen, path, "desk-request", stack=True)

        # The verifier's result, for the talent's token.
        token, _ = qr_issue(holder=people["talent"])
        page = screen.page
        page.fill("#id_token", token)
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="核验", exact=True).click()
        expect(page.locator("#verify-result .verdict")).to_have_text("✓ 有效")
        no_sideways_scroll(page, "/verify/ (result)")
        touch_targets(page, "/verify/ (result)")
        screen.shot("phone-verify-result")

        # The desk's search box and its button share one line.
        screen = screens[1]
        screen.go("/desk/")
        box = screen.page.locator("#desk-q").bounding_box()
        button = screen.page.locator(".desk-search button[type=submit]").bounding_box()
        assert abs(box["y"] - button["y"]) < 2 and button["x"] >= box["x"] + box["width"] - 2
    finally:
        problems = finish(screens)
    assert problems == [], "\n".join(problems)


def test_a_stacked_list_keeps_its_table_semantics(browser, live_server, people):
    """In Chromium's accessibility tree the phone's cards are still a table: column headers
    and cells; the column names shown on each card are not read again."""
    screen = open_screen(browser, live_server, 375, PHONES[375])
    try:
        page = sign_in(screen, people["talent"], "/requests/")
        rows = page.locator("main table tbody tr")
        expect(rows).to_have_count(6)
        cdp = screen.context.new_cdp_session(page)
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        roles = [n.get("role", {}).get("value") for n in nodes if not n.get("ignored")]
        assert "table" in roles
        assert roles.count("columnheader") == 6
        assert roles.count("row") == 7  # the header's and six requests'
        assert roles.count("cell") >= 6 * 6
        texts = [
            n.get("name", {}).get("value")
            for n in nodes
            if not n.get("ignored") and n.get("role", {}).get("value") == "StaticText"
        ]
        assert texts.count("服务事项") == 1  # the header only
        assert texts.count("承诺办结日期") == 1
    finally:
        problems = finish([screen])
    assert problems == [], "\n".join(problems)


def test_lists_stay_tables_on_a_desktop(browser, live_server, people):
    screens = []
    try:
        for who in ("talent", "handler", "lead", "admin"):
            screen = open_screen(browser, live_server, 1280)
            screens.append(screen)
            sign_in(screen, people[who], LISTS[who][0][0])
            for path, _name in LISTS[who]:
                if path not in STACKED:
                    continue
                screen.go(path)
                table = screen.page.locator("main table.stack").first
                expect(table.locator("thead th").first).to_be_visible()
                row = table.locator("tbody tr").first
                assert row.evaluate("r => getComputedStyle(r).display") == "table-row", path
                no_sideways_scroll(screen.page, path)
                screen.shot(f"desktop-{_name}")
        # The card page: the details beside the QR code, both on the first screen.
        screen = screens[0]
        screen.go("/card/")
        image = screen.page.locator("#card-qr-image")
        expect(image).to_be_visible()
        expect(image).to_be_in_viewport(ratio=1)
        details = screen.page.locator(".card-details dl").bounding_box()
        assert details["x"] + details["width"] <= image.bounding_box()["x"]
        screen.shot("desktop-card")
    finally:
        problems = finish(screens)
    assert problems == [], "\n".join(problems)
