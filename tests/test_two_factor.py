"""Two-factor sign-in (TOTP with recovery codes) through the API and the pages, and the roles
that must use it (settings.OTP_REQUIRED_ROLES)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent
from tests.accounts_support import totp_now
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _step():
    """Move past the current 30-second step: a TOTP code is accepted once."""
    return time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False)


def _enrol(api, user) -> list[str]:
    begin = api.post("/api/v1/me/otp/", {"password": PASSWORD})
    assert begin.status_code == 200
    body = begin.json()
    confirm = api.post("/api/v1/me/otp/confirm/", {"code": totp_now(user, confirmed=False)})
    assert confirm.status_code == 204, confirm.content
    return body["recovery_codes"]


def _token(api, user, otp=None):
    data = {"username": user.username, "password": PASSWORD}
    if otp is not None:
        data["otp"] = otp
    return api.post("/api/v1/auth/token/", data)


# --- API ------------------------------------------------------------------------------------
def test_enrolment_gives_a_secret_an_otpauth_url_and_recovery_codes(client_for, talent):
    api = client_for(talent)
    body = api.post("/api/v1/me/otp/", {"password": PASSWORD}).json()
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    url = urlparse(body["otpauth_url"])
    assert url.scheme == "otpauth" and url.netloc == "totp"
    assert parse_qs(url.query)["issuer"] == ["巴州优才卡"]
    assert len(body["recovery_codes"]) == 10 and len(set(body["recovery_codes"])) == 10
    # Nothing changes until the first code comes back.
    assert api.get("/api/v1/me/").json()["otp_enabled"] is False
    wrong = api.post("/api/v1/me/otp/confirm/", {"code": "000000"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "otp_required"


def test_with_it_on_a_token_needs_the_code(client_for, api, talent):
    with _step():
        _enrol(client_for(talent), talent)
    missing = _token(api, talent)
    assert missing.status_code == 400
    assert missing.json()["code"] == "otp_required" and "otp" in missing.json()
    with _step(), _step():
        wrong = _token(api, talent, "123456" if totp_now(talent) != "123456" else "654321")
        assert wrong.status_code == 400 and wrong.json()["code"] == "otp_required"
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        right = _token(api, talent, totp_now(talent))
        assert right.status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_failed").count() == 1


def test_a_recovery_code_works_once(client_for, api, talent):
    codes = _enrol(client_for(talent), talent)
    assert _token(api, talent, codes[0]).status_code == 200
    assert _token(api, talent, codes[0]).status_code == 400
    # django-otp makes the next guess wait after a failure (1 s, doubling).
    assert _token(api, talent, codes[1]).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        assert _token(api, talent, codes[1]).status_code == 200
    assert StaticToken.objects.count() == 8


def test_turning_it_off_needs_a_code(client_for, api, talent):
    codes = _enrol(client_for(talent), talent)
    api_owner = type(api)()
    api_owner.credentials(
        HTTP_AUTHORIZATION=f"Token {_token(api, talent, codes[0]).json()['token']}"
    )
    assert api_owner.delete("/api/v1/me/otp/", {"code": "000000"}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        assert api_owner.delete("/api/v1/me/otp/", {"code": codes[1]}).status_code == 204
    assert not TOTPDevice.objects.filter(user=talent).exists()
    assert _token(api, talent).status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.otp_begin", "account.otp_enabled", "account.otp_disabled"} <= actions


def test_enrolling_again_while_on_is_refused(client_for, talent):
    api = client_for(talent)
    _enrol(api, talent)
    response = api.post("/api/v1/me/otp/", {"password": PASSWORD})
    assert response.status_code == 403 and "先用动态验证码关闭" in response.json()["detail"]


def test_a_required_role_is_held_until_it_enrols(settings, client_for, api, admin_user):
    settings.OTP_REQUIRED_ROLES = ["admin", "auditor"]
    token = _token(api, admin_user)
    assert token.status_code == 200 and token.json()["otp_setup_required"] is True
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    held = api.get("/api/v1/service-requests/")
    assert held.status_code == 403 and held.json()["code"] == "otp_setup_required"
    assert api.get("/api/v1/me/").status_code == 200
    _enrol(api, admin_user)
    assert api.get("/api/v1/service-requests/").status_code == 200
    # From now on the admin cannot sign in without the code, nor turn it off.
    assert _token(type(api)(), admin_user).json()["code"] == "otp_required"
    response = api.delete("/api/v1/me/otp/", {"code": "000000"})
    assert response.status_code == 403 and "必须使用双因素认证" in response.json()["detail"]


def test_the_production_default_requires_admins_and_auditors(monkeypatch):
    from config.env import env_roles

    monkeypatch.delenv("OTP_REQUIRED_ROLES", raising=False)
    assert env_roles("OTP_REQUIRED_ROLES", ["admin", "auditor"]) == ["admin", "auditor"]
    monkeypatch.setenv("OTP_REQUIRED_ROLES", "")
    assert env_roles("OTP_REQUIRED_ROLES", ["admin", "auditor"]) == []


def test_otp_reset_command_clears_the_devices(client_for, talent, capsys):
    _enrol(client_for(talent), talent)
    call_command("otp_reset", "talent")
    assert not TOTPDevice.objects.filter(user=talent).exists()
    assert AuditEvent.objects.filter(action="account.otp_reset").exists()


# --- pages ----------------------------------------------------------------------------------
def _page_enrol(browser, user) -> list[str]:
    browser.post("/accounts/me/otp/", {"action": "begin", "password": PASSWORD})
    html = browser.get("/accounts/me/otp/").content.decode()
    assert "<svg" in html  # the QR code, inline
    codes = re.findall(r"<li><code>([^<]+)</code></li>", html)
    response = browser.post(
        "/accounts/me/otp/",
        {"action": "confirm", "code": totp_now(user, confirmed=False)},
    )
    assert response.status_code == 302
    return codes


def test_the_login_page_asks_for_the_second_factor(talent):
    browser = Client()
    browser.force_login(talent)
    codes = _page_enrol(browser, talent)
    assert len(codes) == 10
    assert "已开启" in browser.get("/accounts/me/").content.decode()
    fresh = Client()
    step1 = fresh.post("/accounts/login/", {"username": "talent", "password": PASSWORD})
    assert step1.status_code == 302 and step1.url == "/accounts/login/otp/"
    # Not signed in between the two steps.
    assert fresh.get("/card/").status_code == 302
    wrong = fresh.post("/accounts/login/otp/", {"code": "000000"})
    assert wrong.status_code == 200 and "动态验证码不正确" in wrong.content.decode()
    with _step():
        right = fresh.post("/accounts/login/otp/", {"code": totp_now(talent)})
        assert right.status_code == 302 and right.url == "/card/"
        assert fresh.get("/card/").status_code == 200


def test_the_second_step_expires(talent):
    browser = Client()
    browser.force_login(talent)
    _page_enrol(browser, talent)
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "talent", "password": PASSWORD})
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        response = fresh.post("/accounts/login/otp/", {"code": totp_now(talent)})
    assert response.status_code == 302 and response.url == "/accounts/login/"


def test_wrong_second_factors_lock_the_account(talent, settings):
    browser = Client()
    browser.force_login(talent)
    _page_enrol(browser, talent)
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "talent", "password": PASSWORD})
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        fresh.post("/accounts/login/otp/", {"code": "000000"})
    locked = fresh.post("/accounts/login/otp/", {"code": totp_now(talent)})
    assert locked.status_code == 429 and "暂停登录" in locked.content.decode()


def test_a_required_role_enrols_at_first_sign_in_on_the_page(settings, auditor):
    settings.OTP_REQUIRED_ROLES = ["admin", "auditor"]
    browser = Client()
    response = browser.post("/accounts/login/", {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 302
    held = browser.get("/audit/")
    assert held.status_code == 302 and held.url == "/accounts/me/otp/"
    assert "必须使用双因素认证" in browser.get("/accounts/me/otp/").content.decode()
    _page_enrol(browser, auditor)
    assert browser.get("/audit/").status_code == 200
    # Next time the password alone is not enough.
    fresh = Client()
    step1 = fresh.post("/accounts/login/", {"username": "auditor", "password": PASSWORD})
    assert step1.url == "/accounts/login/otp/"
    assert fresh.get("/audit/").status_code == 404  # not signed in: the page is not there


def test_a_recovery_code_signs_in_on_the_page_and_says_so(talent):
    browser = Client()
    browser.force_login(talent)
    codes = _page_enrol(browser, talent)
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "talent", "password": PASSWORD})
    response = fresh.post("/accounts/login/otp/", {"code": codes[3]}, follow=True)
    assert "恢复码" in response.content.decode()
