"""A double tap on 提交申请 files one request (issue 11 item 1), in a real browser, at phone
and desktop width: static/js/submit-once.js disables the button (提交中…) at the first tap.

That the server files once whatever reaches it (the form's one-time key) is tested through
the pages in tests/test_submit_once.py, and two requests racing with one key on PostgreSQL
there too: two browser tabs posting at once would only measure the test database's locking
(SQLite's shared in-memory database refuses a second writer instead of waiting)."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from portal.models import Role
from portal.seed import seed_departments
from services.models import ServiceRequest
from services.seed import seed_service_types
from tests.e2e.support import press
from tests.factories import PASSWORD, TalentFactory
from tests.requests_support import give_card

pytestmark = pytest.mark.django_db(transaction=True)
REQUEST_PAGE = re.compile(r"/requests/FW-\d{8}-\d{4}/$")

# Records, into sessionStorage (which outlives the navigation), what the button looked like
# right after the form was sent: after submit-once.js's own timer. Its listener is on the
# document, so this one listens on the window, the next stop of the bubbling submit event, and
# its timer comes second. (On the form it came first: it saw the button still enabled whenever
# the second click of the double click came after both timers, which a loaded machine did.)
WATCH_BUTTON = """() => {
  const form = document.querySelector("form.request-form");
  window.addEventListener("submit", (event) => {
    if (event.target !== form) { return; }
    window.setTimeout(() => {
      const button = form.querySelector("button[type=submit]");
      sessionStorage.setItem("seen", JSON.stringify([button.disabled, button.textContent]));
    }, 0);
  });
}"""


@pytest.fixture
def carded(db):
    seed_departments()
    seed_service_types()
    talent = TalentFactory(username="double_tapper", real_name="钱多点", role=Role.TALENT)
    give_card(talent)
    return talent


def fill_housing(page):
    page.fill("#id_field_family_size", "3")
    page.select_option("#id_field_room_type", "两室一厅")
    page.fill("#id_field_move_in_date", "2026-12-01")
    page.select_option("#id_field_current_housing", "租房")
    page.check("#id_field_no_own_house_0")


def open_filing_form(screen, talent):
    page = screen.page
    screen.go(f"/accounts/login/?next={quote('/services/HOUSING/apply/')}")
    page.fill("#id_username", talent.username)
    page.fill("#id_password", PASSWORD)
    press(page, "登录")
    expect(page.locator("h1")).to_have_text("申请：人才公寓")
    fill_housing(page)
    return page


def test_a_double_click_on_submit_files_one_request(screen_factory, carded):
    screen = screen_factory()
    page = open_filing_form(screen, carded)
    page.evaluate(WATCH_BUTTON)
    button = page.locator("main").get_by_role("button", name="提交申请", exact=True)
    with page.expect_navigation(url=REQUEST_PAGE):
        button.dblclick()
    number = ServiceRequest.objects.get(talent=carded).number
    expect(page.locator("h1")).to_have_text(number)
    # The second click never left the browser: the button was disabled, reading 提交中….
    assert page.evaluate("sessionStorage.getItem('seen')") == '[true,"提交中…"]'
    expect(page.locator("ul.messages")).to_contain_text(f"申请已提交，编号 {number}")
    assert ServiceRequest.objects.count() == 1
