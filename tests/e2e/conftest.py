"""Browser tests: Playwright drives Debian's Chromium against a live server started by pytest.

No browser download (this network refuses it): Chromium comes from `apt-get install chromium`
(`.ci/run` installs it) and is launched from CHROMIUM_PATH (default /usr/bin/chromium). On a
machine without it these tests skip, unless REQUIRE_SERVICES=1 (CI), where they fail.

Every page is watched for console errors; a journey with one fails. Every page a journey
loads (by Screen.go, a click or a form) is checked by axe-core (vendored in tests/e2e/vendor)
against WCAG 2.1 A/AA and axe's best practices; a journey that meets a violation fails with the
list. Screenshots of key pages go to SCREENSHOT_DIR (default var/screenshots); `make
screenshots` refreshes docs/screenshots.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.support import settle

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


AXE = ROOT / "tests" / "e2e" / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Every WCAG 2.1 A/AA rule and every best practice applies (landmarks, region, heading order,
# one h1, unique landmarks: real requirements here), and WCAG 2.2's target size as well (24 px,
# inline links exempt; the phone CSS aims at 44 px). No rule is left out.
AXE_RULES = {"target-size": {"enabled": True}}
# Runs in every document before the page's own scripts (through the DevTools protocol, so the
# site's CSP does not apply): once the page has loaded, axe checks it and reports to Python;
# window.__a11y is the promise of that check (support.settle waits for it). preload: false,
# because axe would otherwise copy the stylesheets into inline <style> elements, which the
# CSP blocks (and the console reports); no rule run here needs them.
AXE_INIT = """
%s
;(function () {
  if (window.top !== window) { return; }
  var done;
  window.__a11y = new Promise(function (resolve) { done = resolve; });
  window.addEventListener("load", function () {
    if (!/html/.test(document.contentType || "")) { done(null); return; }
    axe.run(document, {runOnly: {type: "tag", values: %s}, rules: %s, iframes: false,
                       preload: false, resultTypes: ["violations"]})
      .then(function (result) {
        return result.violations.map(function (v) {
          return {id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.map(function (n) { return n.target.join(" "); })};
        });
      }, function (error) {
        return [{id: "axe-error", impact: "-", help: String(error), targets: []}];
      })
      .then(function (found) {
        return window.__a11yReport(location.href, found).then(function () { done(found); });
      });
  });
}());
"""


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
        # axe-core's findings: "width URL: rule (impact) help: targets", one per violation.
        self.a11y: list[str] = []
        self.context.expose_function("__a11yReport", self._a11y_report)
        self.context.add_init_script(
            AXE_INIT % (AXE.read_text(), json.dumps(AXE_TAGS), json.dumps(AXE_RULES))
        )
        self.page = self.new_page()

    def _a11y_report(self, url, violations):
        for v in violations:
            targets = ", ".join(v["targets"][:6]) + (" …" if len(v["targets"]) > 6 else "")
            self.a11y.append(
                f"{self.width_name} {url}: {v['id']} ({v['impact']}) {v['help']}: {targets}"
            )

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def go(self, path: str, page=None):
        page = page or self.page
        page.goto(self.base_url + path)
        settle(page)

    def shot(self, name: str, page=None) -> Path:
        folder = SCREENSHOT_DIR / self.width_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        # The pages still open were checked too (a journey's last page often has no check point).
        for page in self.context.pages:
            settle(page)
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
    for screen in screens:
        screen.close()
    errors = [e for s in screens for e in s.errors]
    a11y = list(dict.fromkeys(v for s in screens for v in s.a11y))
    # Pages that answer 4xx on purpose (a form shown again with its errors) make Chromium log
    # "Failed to load resource"; anything else is a real error.
    real = [
        e
        for e in errors
        if "Failed to load resource: the server responded with a status of 4" not in e
    ]
    assert real == [], f"console errors: {real}"
    assert a11y == [], "accessibility (axe-core) violations:\n" + "\n".join(a11y)
