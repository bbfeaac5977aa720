"""What the journeys share: following the menu, pressing a button, reading messages, and
screenshots of pages that must fit the screen's width."""

from playwright.sync_api import expect


def fits(page, where=""):
    """Nothing makes the page wider than the screen: at 375 px menus must wrap and wide
    tables scroll inside their own box."""
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


def menu(page, label):
    """Follow an entry of the site's menu (which must be reachable at every width)."""
    with page.expect_navigation():
        page.locator("header.site-header").get_by_role("link", name=label, exact=True).click()
    fits(page)


def press(page, name, *, scope="main"):
    """Click a submit button and wait for the page that answers (redirect or form again)."""
    button = page.locator(scope).get_by_role("button", name=name, exact=True)
    with page.expect_navigation():
        button.click()
    fits(page)


def message(page, text):
    expect(page.locator("ul.messages")).to_contain_text(text)
