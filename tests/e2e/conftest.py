"""Browser tests: Playwright drives Debian's Chromium against a live server started by pytest.

No browser download (this network refuses it): Chromium comes from `apt-get install chromium`
(`.ci/run` installs it) and is launched from CHROMIUM_PATH (default /usr/bin/chromium). On a
machine without it these tests skip, unless REQUIRE_SERVICES=1 (CI), where they fail.

Every page is watched for console errors; a journey with one fails. Screenshots of key pages
go to SCREENSHOT_DIR (default var/screenshots); `make screenshots` refreshes docs/screenshots.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WIDTHS = {"phone": 375, "desktop": 1280}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
# The probe's flags: without the background-networking ones Chromium floods this machine's
# closed network with refused connections.
LAUNCH_ARGS = [
    # Chinese browser chrome (file pickers, date inputs), with Debian's chromium-l10n.
    "--lang=zh-CN",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_missing() -> str | None:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    missing = _chromium_missing()
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(f"{missing}; required under REQUIRE_SERVICES=1")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    # make around it are ordinary synchronous code. Only while the browser is up.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            # Chromium takes its UI language (file pickers, date inputs) from LANGUAGE; LANG
            # stays as it is (a locale the system lacks breaks file names).
            env = {**os.environ, "LANGUAGE": "zh_CN:zh"}
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, env=env)
            yield chromium
            chromium.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


class Screen:
    """One browser context at one width, that records console errors and takes screenshots."""

    def __init__(self, browser, base_url: str, width_name: str):
        self.width_name = width_name
        self.context = browser.new_context(
            viewport={"width": WIDTHS[width_name], "height": 900},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        self.context.set_default_timeout(15000)
        self.base_url = base_url.rstrip("/")
        self.errors: list[str] = []
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def go(self, path: str, page=None):
        (page or self.page).goto(self.base_url + path)

    def shot(self, name: str, page=None) -> Path:
        folder = SCREENSHOT_DIR / self.width_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        self.context.close()


@pytest.fixture(params=list(WIDTHS))
def screen_factory(request, browser, live_server):
    """``screen_factory()`` opens a new, separately signed-in browser context at this test's
    width (phone 375 px or desktop 1280 px); console errors in any of them fail the test."""
    screens = []

    def make():
        screen = Screen(browser, live_server.url, request.param)
        screens.append(screen)
        return screen

    yield make
    errors = [e for s in screens for e in s.errors]
    for screen in screens:
        screen.close()
    # Pages that answer 4xx on purpose (a form shown again with its errors) make Chromium log
    # "Failed to load resource"; anything else is a real error.
    real = [
        e
        for e in errors
        if "Failed to load resource: the server responded with a status of 4" not in e
    ]
    assert real == [], f"console errors: {real}"
