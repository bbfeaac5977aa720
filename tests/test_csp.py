"""Content-Security-Policy and Permissions-Policy on every page (issue 13 point 4).

Every page each role can reach carries the portal's policy (django-csp, config/settings.py)
with neither 'unsafe-inline' nor 'unsafe-eval', the Permissions-Policy (portal/headers.py),
Referrer-Policy and nosniff; and its HTML holds nothing the policy would block: no inline
<script>, no <style>, no style="…", no on…= handler, no javascript: URL. The browser journeys
(tests/e2e) fail on any console error, so a CSP violation there fails too.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from cards.qr import qr_issue
from portal.headers import header_value, permissions_policy
from portal.models import Role
from services.seed import seed_service_types
from tests.cards_support import PDF, approved, draft, upload
from tests.factories import UserFactory
from tests.requests_support import request_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_csp")]


def _boom(request):
    raise RuntimeError("a bug in a view")


# This module is also the URLconf of its tests: the portal's, plus a view that fails.
urlpatterns = [path("test-boom/", _boom), path("", include("config.urls"))]
handler404 = "portal.views.site.not_found"
handler500 = "portal.views.site.server_failure"

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
    "base-uri": {"'none'"},
    "object-src": {"'none'"},
}
OFF = ("accelerometer", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb")


def directives(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: set(part[1:]) for part in parts}


def permissions(response) -> dict[str, str]:
    parts = [part.strip().split("=", 1) for part in response["Permissions-Policy"].split(",")]
    return dict(parts)


class InlineFinder(HTMLParser):
    """What a strict policy would block in a page: inline scripts and styles, handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.tags = 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        if tag == "link" and "stylesheet" in (names.get("rel") or "") and not names.get("href"):
            self.found.append("stylesheet <link> without href")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")

    handle_startendtag = handle_starttag


def inline_content(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    assert finder.tags > 3, "not an HTML page"
    return finder.found


def check_page(response, url: str):
    assert response.status_code in (200, 404, 500), (url, response.status_code)
    csp = directives(response)
    assert csp == POLICY, url
    for directive in ("script-src", "style-src", "default-src"):
        assert not csp[directive] & {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"}, url
    allowed = permissions(response)
    # Only the verifier's page may open the camera (to scan the QR code).
    assert allowed["camera"] == ("(self)" if url.startswith("/verify/") else "()"), url
    assert all(allowed[feature] == "()" for feature in OFF), url
    assert response["Referrer-Policy"] == "same-origin", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert "text/html" in response["Content-Type"], url
    assert inline_content(response.content.decode()) == [], url


@pytest.fixture
def world(criteria, departments, client_for, talent, admin_user, handler):
    """A talent with an approved card (and its photo), a request worked by ``handler``, the
    rent subsidy the card offered (paid by CZJ; its arrival-date rule dropped, so that it
    matches whatever day the suite runs), and the card's liaison with ``handler`` as the
    service officer: one visit, a concern only noted and a medical one awaiting the talent's
    consent (the officer's resolve form, the talent's consent form)."""
    from cards.models import Card
    from open311.keys import partner_create
    from subsidies.models import Entitlement, PolicyRule
    from subsidies.seed import seed_policies
    from talents.liaisons import liaison_assign
    from talents.visits import visit_record

    seed_service_types()
    seed_policies()
    PolicyRule.objects.filter(policy__code="RENT-36", attribute="arrival_date").delete()
    app = approved(client_for(talent), client_for(admin_user))
    req = request_in("accepted", talent, handler)
    entitlement = Entitlement.objects.get(talent=talent, policy__code="RENT-36")
    liaison, _ = liaison_assign(
        card=Card.objects.get(number=app["card"]["number"]),
        leader="区委副书记 张某",
        officer=handler.username,
        visit_every_days=60,
        actor=admin_user,
    )
    visit_record(
        liaison=liaison,
        actor=handler,
        visited_on=timezone.localdate(),
        mode="in_person",
        summary="到单位走访，了解科研和生活情况。",
        concerns=[
            {"text": "希望园区增开通勤班车。"},
            {
                "text": "希望安排年度健康体检。",
                "service_type": "MEDICAL",
                "fields": {"service": "年度健康体检", "hospital": "巴州区人民医院"},
            },
        ],
    )
    partner, _key = partner_create(name="四川省一体化政务服务平台", scope="file")
    return {
        "app": app,
        "card": app["card"]["number"],
        "req": req.number,
        "entitlement": entitlement.pk,
        "partner": partner.pk,
    }


@pytest.fixture
def payer(departments):
    """A handler of the department that pays the rent subsidy (区财政局)."""
    return UserFactory(username="czj_staff", role=Role.STAFF, department=departments["CZJ"])


def pages(world, handler):
    card, app, req = world["card"], world["app"]["id"], world["req"]
    entitlement, partner = world["entitlement"], world["partner"]
    return {
        "anonymous": [
            "/",
            "/accounts/login/",
            "/accounts/register/",
            "/accounts/password-reset/",
            "/privacy/",
            "/privacy/sensitive/",
            "/services/",
            "/services/HOUSING/",
            "/no-such-page/",
        ],
        "talent": [
            "/",
            "/card/",
            "/card/apply/",
            f"/card/applications/{app}/",
            "/services/",
            "/services/HOUSING/",
            "/services/HOUSING/apply/",
            "/requests/",
            f"/requests/{req}/",
            "/inbox/",
            "/accounts/me/",
            "/accounts/me/password/",
            "/accounts/me/otp/",
            "/accounts/me/access-log/",
            "/benefits/",
            f"/benefits/{entitlement}/",
            "/talents/profile/",
            "/talents/liaison/",
        ],
        "payer": ["/subsidies/desk/", f"/subsidies/desk/{entitlement}/"],
        "handler": [
            "/",
            "/desk/",
            f"/desk/requests/{req}/",
            "/manage/calendar/",
            "/inbox/",
            "/accounts/me/",
            "/subsidies/desk/",
            # The card's service officer (world).
            "/talents/liaisons/",
            f"/talents/liaisons/{card}/",
            f"/talents/liaisons/{card}/visit/",
        ],
        "lead": ["/desk/", f"/desk/requests/{req}/", "/manage/dashboard/", "/manage/supervision/"],
        "admin_user": [
            "/",
            "/manage/applications/",
            f"/manage/applications/{app}/",
            "/manage/cards/",
            f"/manage/cards/{card}/",
            "/manage/requests/",
            f"/manage/requests/{req}/",
            "/manage/dashboard/",
            "/manage/supervision/",
            "/manage/calendar/",
            "/manage/calendar/import/",
            "/manage/calendar/days/2026-10-01/",
            "/manage/accounts/",
            "/manage/accounts/new/",
            f"/manage/accounts/{handler.pk}/",
            "/inbox/",
            "/accounts/me/",
            "/admin/",
            "/admin/portal/user/",
            f"/admin/portal/user/{handler.pk}/change/",
            "/admin/portal/department/",
            "/admin/cards/card/",
            "/admin/services/servicetype/",
            "/admin/services/calendarday/",
            "/subsidies/",
            f"/subsidies/{entitlement}/",
            "/admin/subsidies/policy/",
            "/talents/portrait/",
            "/talents/registry/?dimension=tier&key=C",
            "/talents/coverage/",
            "/talents/liaisons/",
            f"/talents/liaisons/{card}/",
            "/open311/partners/",
            f"/open311/partners/{partner}/",
        ],
        "auditor": ["/", "/audit/", "/accounts/me/"],
        "verifier": ["/", "/verify/", "/accounts/me/"],
    }


ROLES = ["anonymous", "talent", "payer", "handler", "lead", "admin_user", "auditor", "verifier"]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_carries_the_policies_and_nothing_inline(
    request, world, role, talent, payer, handler, lead, admin_user, auditor, verifier
):
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for url in pages(world, handler)[role]:
        response = client.get(url)
        assert response.status_code == (404 if url == "/no-such-page/" else 200), url
        check_page(response, url)


def test_the_card_pages_with_the_holders_photo_have_no_inline_style(
    client, world, talent, admin_user
):
    """The photo used to carry its layout in style="…" (now .holder-photo in site.css)."""
    client.force_login(talent)
    html = client.get("/card/").content.decode()
    assert 'class="holder-photo"' in html
    client.force_login(admin_user)
    html = client.get(f"/manage/cards/{world['card']}/").content.decode()
    assert 'class="holder-photo"' in html


def test_the_verifier_page_may_use_the_camera_and_its_result_is_clean(
    client, world, talent, verifier
):
    client.force_login(verifier)
    check_page(client.get("/verify/"), "/verify/")
    token, _ = qr_issue(holder=talent)
    response = client.post("/verify/", {"token": token})
    html = response.content.decode()
    assert "✓ 有效" in html and 'class="holder-photo"' in html
    check_page(response, "/verify/ (result)")


def test_the_500_page_carries_the_policy_and_no_inline_style():
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/")
    assert response.status_code == 500
    assert "系统繁忙" in response.content.decode()
    check_page(response, "500")


def test_the_api_docs_run_under_the_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    check_page(response, "/api/docs/")
    html = response.content.decode()
    # Swagger UI from drf-spectacular-sidecar (never a CDN) and the start-up script from
    # /api/docs/?script=, not inline.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert 'src="/api/docs/?script="' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert "/api/schema/" in script.content.decode()


def test_api_answers_carry_the_policies_too(client_for, talent, criteria):
    api = client_for(talent)
    response = api.get("/api/v1/card-applications/")
    assert response.status_code == 200
    assert directives(response)["default-src"] == {"'self'"}
    assert permissions(response)["camera"] == "()"


def test_the_review_page_may_frame_a_pdf_of_the_evidence_and_nothing_else(
    client, client_for, talent, admin_user, criteria
):
    """The review page previews card evidence in an <iframe>: the file answers with
    frame-ancestors 'self' (and X-Frame-Options SAMEORIGIN); everything else keeps 'none'."""
    t = client_for(talent)
    app = draft(t)
    pdf = upload(t, app["id"], "degree", PDF, "学位证书.pdf", "application/pdf")
    assert pdf.status_code == 201, pdf.content
    images = []
    for kind in t.get(f"/api/v1/card-applications/{app['id']}/").json()["missing_evidence"]:
        images.append(upload(t, app["id"], kind))
        assert images[-1].status_code == 201
    assert t.post(f"/api/v1/card-applications/{app['id']}/submit/").status_code == 200

    client.force_login(admin_user)
    review = client.get(f"/manage/applications/{app['id']}/")
    assert "<iframe" in review.content.decode()
    check_page(review, "review")
    url = f"/card/applications/{app['id']}/documents/{{}}/?inline=1"
    response = client.get(url.format(pdf.json()["id"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert directives(response) == {**POLICY, "frame-ancestors": {"'self'"}}
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Other uploads keep their own sandboxed policy.
    png = client.get(url.format(images[0].json()["id"]))
    assert png.status_code == 200 and png["Content-Type"].startswith("image/")
    assert "sandbox" in png["Content-Security-Policy"]


def test_permissions_policy_header_and_decorator(rf):
    assert header_value({"camera": ["self"], "usb": []}) == "camera=(self), usb=()"
    assert header_value({"camera": ["self", "https://scan.example"]}) == (
        'camera=(self "https://scan.example")'
    )

    @permissions_policy(camera=["self"])
    def view(request):
        from django.http import HttpResponse

        return HttpResponse("ok")

    assert view(rf.get("/"))._permissions_policy == {"camera": ["self"]}


def test_the_talents_pages_on_the_lists_show_their_forms(client, world, talent, handler):
    """The 联系服务 pages above are checked with what makes them worth checking: the talent's
    consent form for the medical concern, the officer's 标记为已解决 on the noted one, and
    both steps' inputs on the visit form."""
    from talents.models import Concern, ConcernStatus

    noted, medical = Concern.objects.order_by("n")
    assert (noted.status, medical.status) == (ConcernStatus.NOTED, ConcernStatus.AWAITING_CONSENT)
    client.force_login(talent)
    html = client.get("/talents/liaison/").content.decode()
    assert f'name="concern-{medical.pk}-consent"' in html
    assert f'action="/talents/concerns/{medical.pk}/confirm/"' in html
    client.force_login(handler)
    html = client.get(f"/talents/liaisons/{world['card']}/").content.decode()
    assert f'action="/talents/concerns/{noted.pk}/resolve/"' in html
    html = client.get(f"/talents/liaisons/{world['card']}/visit/").content.decode()
    assert 'name="concern-0-service_type"' in html and 'name="visit-summary"' in html
