"""The pages the journeys do not walk, under the Content-Security-Policy (issue 13 point 4):
the API documentation (Swagger UI) and the Django admin. A CSP violation is a console error,
and screen_factory fails a test with any; the page also records every
``securitypolicyviolation`` event it sees, so the assertion names the blocked thing."""

import re

import pytest
from playwright.sync_api import expect

from portal.models import Department, Role
from portal.seed import seed_departments
from services.calendar import calendar_sync
from services.seed import seed_service_types
from tests.e2e.support import press
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=10_000)

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def watched(screen):
    screen.context.add_init_script(RECORD_VIOLATIONS)
    return screen


def violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def test_the_api_docs_work_under_the_policy(screen_factory, db):
    screen = watched(screen_factory())
    page = screen.page
    screen.go("/api/docs/")
    # Swagger UI (drf-spectacular-sidecar, served by the portal) has read the schema.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("巴州优才卡 API")
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    # Open one operation and its "Try it out": the UI's own scripts and styles run.
    operations.first.locator(".opblock-summary").click()
    expect(page.locator(".swagger-ui .opblock.is-open")).to_be_visible()
    page.locator(".swagger-ui .opblock.is-open .try-out__btn").click()
    expect(page.locator(".swagger-ui .opblock.is-open .execute")).to_be_visible()
    assert violations(page) == []


def test_the_admin_works_under_the_policy(screen_factory, db):
    seed_departments()
    seed_service_types()
    calendar_sync(year=2026)
    admin = UserFactory(
        username="zzb_admin",
        real_name="郑人才办",
        role=Role.ADMIN,
        department=Department.objects.get(code="ZZB"),
    )
    screen = watched(screen_factory())
    page = screen.page
    screen.go("/accounts/login/?next=/admin/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    press(page, "登录")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#site-name")).to_contain_text("巴州优才卡 管理后台")
    # A list with filters, search and actions; a change form with its widgets.
    for path, heading in [
        ("/admin/portal/user/", "#changelist"),
        (f"/admin/portal/user/{admin.pk}/change/", "#user_form"),
        ("/admin/services/servicetype/", "#changelist"),
        ("/admin/services/calendarday/", "#changelist"),
        ("/admin/portal/department/add/", "#department_form"),
    ]:
        screen.go(path)
        expect(page.locator(heading)).to_be_visible()
    # The admin's own scripts still run: selecting a row enables the action counter.
    screen.go("/admin/portal/department/")
    page.locator("#result_list tbody input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1")
    assert violations(page) == []
