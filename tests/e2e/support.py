"""What the journeys share: following the menu, pressing a button, reading messages, and
screenshots of pages that must fit the screen's width."""

import io

from PIL import Image
from playwright.sync_api import expect


def settle(page):
    """Wait for axe-core's check of the page now shown (tests/e2e/conftest.py: it reports its
    findings itself, and the journey fails on any at its end)."""
    try:
        page.wait_for_load_state("load")
        page.evaluate("window.__a11y || null")
    except Exception as error:  # a page that navigated away meanwhile is checked on arrival
        if "context was destroyed" not in str(error) and "closed" not in str(error):
            raise


def fits(page, where=""):
    """Nothing makes the page wider than the screen: at 375 px menus must wrap and wide
    tables scroll inside their own box. (Also the point where the page's accessibility check
    is waited for.)"""
    settle(page)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    width = page.viewport_size["width"]
    assert overflow <= 0, f"{where or page.url}: {overflow}px wider than the {width}px screen"


def snap(screen, name, page=None):
    """A screenshot of a key page (which must fit the screen's width)."""
    page = page or screen.page
    fits(page, name)
    screen.shot(name, page)


def open_menu(page):
    """Below 768 px the site's menu folds behind the header's 菜单 button: open it (by
    keyboard, as the button must work that way), and check it says so."""
    toggle = page.locator("header.site-header .menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#site-menu")).to_be_visible()


def menu(page, label):
    """Follow an entry of the site's menu (which must be reachable at every width; on a phone
    behind the 菜单 button, unless it is one of the counts shown beside it)."""
    link = page.locator("header.site-header").get_by_role("link", name=label, exact=True)
    if not link.is_visible():
        open_menu(page)
    with page.expect_navigation():
        link.click()
    fits(page)


def press(page, name, *, scope="main"):
    """Click a submit button and wait for the page that answers (redirect or form again)."""
    button = page.locator(scope).get_by_role("button", name=name, exact=True)
    with page.expect_navigation():
        button.click()
    fits(page)


def message(page, text):
    expect(page.locator("ul.messages")).to_contain_text(text)


def evidence_file(folder, name, color, kind, size=(120, 80)) -> str:
    """A small evidence file for an upload (an image or a real one-page PDF), written into
    ``folder``; its path."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def seed_world():
    """Departments, criteria, the catalogue and the 2026 working-day calendar; the departments
    by code."""
    from cards.seed import seed_criteria
    from portal.models import Department
    from portal.seed import seed_departments
    from services.calendar import calendar_sync
    from services.seed import seed_service_types

    seed_departments()
    seed_criteria()
    seed_service_types()
    calendar_sync(year=2026)
    return {d.code: d for d in Department.objects.all()}
