"""Every page of every role passes axe-core (issue 14 point 3: GB/T 37668-2019, WCAG 2.1 AA).

The journeys check each page they walk through (tests/e2e/conftest.py); this visits the pages
they do not: the list tests/test_csp.py keeps of every page each role can reach, at phone and
desktop width, signed in through a session made on the server. On a phone, the header's menu
is also checked open (a state no page load shows)."""

import json

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.e2e.conftest import AXE_RULES, AXE_TAGS
from tests.e2e.support import open_menu
from tests.test_csp import ROLES, pages, payer, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=10_000)

CHECK_NOW = """(options) => axe.run(document, options).then((result) => result.violations.map(
  (v) => `${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`
))"""


def sign_in(screen, user):
    """The browser carries a session the server made for ``user`` (sign-in has its journeys)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    screen.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": screen.base_url}]
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_passes_axe(
    request,
    screen_factory,
    world,  # noqa: F811 (the fixture imported above)
    role,
    payer,  # noqa: F811 (the fixture imported above)
    handler,
    lead,
    talent,
    auditor,
    verifier,
    admin_user,
):
    screen = screen_factory()
    if role != "anonymous":
        sign_in(screen, request.getfixturevalue(role))
    for url in pages(world, handler)[role]:
        screen.go(url)  # axe checks it on load; screen_factory fails the test on a finding
    if screen.width_name == "phone":
        screen.go("/")
        open_menu(screen.page)
        options = {
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "rules": AXE_RULES,
            "preload": False,
        }
        found = screen.page.evaluate(CHECK_NOW, json.loads(json.dumps(options)))
        assert found == [], "the open menu:\n" + "\n".join(found)


def test_the_keyboard_skips_to_the_content_and_works_the_menu(screen_factory, db):
    screen = screen_factory()
    page = screen.page
    screen.go("/")
    # The first Tab reaches 跳到主要内容, shown with a solid focus ring; Enter moves focus to
    # the main region.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("跳到主要内容")
    expect(skip).to_be_in_viewport()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    toggle = page.locator("header.site-header .menu-toggle")
    if screen.width_name == "desktop":
        # From 768 px the whole list shows and there is no button.
        expect(toggle).to_be_hidden()
        expect(page.locator("#site-menu").get_by_role("link", name="登录")).to_be_visible()
        return
    # On a phone the list is folded: the button opens it by keyboard and says so; Escape
    # closes it and gives the focus back to the button.
    expect(page.locator("#site-menu")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    open_menu(page)
    expect(page.locator("#site-menu").get_by_role("link", name="登录")).to_be_visible()
    page.locator("#site-menu").get_by_role("link", name="登录").focus()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.locator("#site-menu")).to_be_hidden()
    height = page.evaluate("document.querySelector('header.site-header').offsetHeight")
    assert height <= 100, f"the phone header is {height}px tall"
