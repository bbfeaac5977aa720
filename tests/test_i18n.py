"""Languages (issue 14 point 4, API.md "Languages"): Chinese by default, English on request.

Pages follow the language switch (portal:set-language, kept in Django's language cookie); the
API follows ``Accept-Language``; a signed-in person's choice is kept on the account.
"""

import re

import pytest
from django.conf import settings
from django.test import Client

from portal.models import User
from tests.factories import PASSWORD
from tests.test_pages import REGISTRATION

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def lang_of(html: str) -> str:
    """The page's <html lang>."""
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def _switch(client, language, next_url="/privacy/", **extra):
    return client.post("/language/", {"language": language, "next": next_url}, **extra)


def test_the_switch_keeps_the_choice_in_the_cookie_and_returns_to_the_page(client):
    response = _switch(client, "en")
    assert response.status_code == 302 and response.url == "/privacy/"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "en" and cookie["samesite"] == "Lax" and cookie["max-age"]
    page = client.get("/privacy/")
    assert page["Content-Language"] == "en"
    assert lang_of(page.content.decode()) == "en"

    back = _switch(client, "zh-hans", "/")
    assert back.url == "/" and back.cookies[COOKIE].value == "zh-hans"
    assert lang_of(client.get("/").content.decode()) == "zh-CN"


def test_the_switch_saves_a_signed_in_persons_language(client, talent):
    client.force_login(talent)
    _switch(client, "en")
    talent.refresh_from_db()
    assert talent.language == "en"
    _switch(client, "zh-hans")
    talent.refresh_from_db()
    assert talent.language == "zh-hans"


def test_a_visitor_switching_changes_no_account(client, talent):
    _switch(client, "en")
    talent.refresh_from_db()
    assert talent.language == "zh-hans"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/privacy/", "javascript:alert(1)"]
)
def test_next_must_be_a_page_of_this_site(client, target):
    response = _switch(client, "en", target)
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[COOKIE].value == "en"


def test_an_unknown_language_is_refused_and_sets_nothing(client, talent):
    client.force_login(talent)
    response = _switch(client, "fr")
    assert response.status_code == 400 and COOKIE not in response.cookies
    talent.refresh_from_db()
    assert talent.language == "zh-hans"


def test_the_switch_takes_only_a_post_with_its_csrf_token(talent):
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/language/?language=en&next=/").status_code == 405
    response = _switch(browser, "en")
    assert response.status_code == 403 and COOKIE not in response.cookies


def test_an_account_held_at_the_gate_may_still_switch(client, talent):
    talent.must_change_password = True
    talent.save(update_fields=["must_change_password"])
    client.force_login(talent)
    response = _switch(client, "en", "/accounts/me/password/")
    assert response.status_code == 302 and response.url == "/accounts/me/password/"
    talent.refresh_from_db()
    assert talent.language == "en"


def test_pages_speak_chinese_without_a_choice_and_follow_the_browser(client):
    assert lang_of(client.get("/").content.decode()) == "zh-CN"
    page = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert lang_of(page.content.decode()) == "en"
    # The cookie outranks the browser's preference.
    client.cookies[COOKIE] = "zh-hans"
    page = client.get("/", headers={"accept-language": "en"})
    assert lang_of(page.content.decode()) == "zh-CN"


def test_registration_keeps_the_pages_language(client):
    client.cookies[COOKIE] = "en"
    response = client.post("/accounts/register/", REGISTRATION)
    assert response.status_code == 302
    assert User.objects.get(username="wanghong").language == "en"


def test_registration_in_chinese_keeps_chinese(client):
    client.post("/accounts/register/", REGISTRATION)
    assert User.objects.get(username="wanghong").language == "zh-hans"


def test_api_registration_follows_accept_language(client):
    body = {k: v for k, v in REGISTRATION.items() if k not in ("password2", "consent")}
    response = client.post(
        "/api/v1/auth/register/",
        body,
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 201, response.content
    assert User.objects.get(username="wanghong").language == "en"


def test_the_api_answers_in_english_on_request_and_in_chinese_by_default(client):
    chinese = client.get("/api/v1/me/")
    assert chinese.status_code == 401
    assert chinese.json()["detail"] == "身份认证信息未提供。"
    english = client.get("/api/v1/me/", headers={"accept-language": "en"})
    assert english.status_code == 401
    assert english.json()["detail"] == "Authentication credentials were not provided."
    assert english["Content-Language"] == "en"


# --- the pages in English -----------------------------------------------------------------------
# Chinese an English page may still show: the card's own name after its English one, and the
# switch's button naming Chinese in Chinese.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
KEPT_CHINESE = {"巴州优才卡", "中文"}


def _english(client, path):
    client.cookies[COOKIE] = "en"
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def _chinese_left(html: str) -> set[str]:
    # Only what a reader sees: not the inline SVG of a QR code, not comments.
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    return set(CJK.findall(html)) - KEPT_CHINESE


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/", ["How it works", "Talent tiers", "Bazhou Talent Card (巴州优才卡)", "Sign in"]),
        ("/accounts/login/", ["Sign in", "Username", "Password", "Forgot your password?"]),
        ("/accounts/register/", ["Register as a talent", "ID number", "Mobile number"]),
        ("/accounts/password-reset/", ["Reset password", "Send code"]),
        ("/privacy/", ["Personal Information Processing Rules", "Your rights", "Contact us"]),
        ("/privacy/sensitive/", ["Notice on Processing Sensitive Personal Information"]),
    ],
)
def test_a_visitors_pages_are_wholly_english(client, path, words):
    html = _english(client, path)
    for word in words:
        assert word in html, word
    assert lang_of(html) == "en"
    assert _chinese_left(html) == set(), path


def test_the_language_switch_is_on_every_page_and_marks_the_active_language(client):
    html = client.get("/privacy/").content.decode()
    form = html.split('class="language-switch"', 1)[1].split("</form>", 1)[0]
    assert 'action="/language/"' in form and 'name="next" value="/privacy/"' in form
    assert 'value="zh-hans" lang="zh-CN"' in form and 'value="en" lang="en"' in form
    assert re.search(r'value="zh-hans"[^>]*aria-pressed="true"', form)
    english = _english(client, "/privacy/")
    form = english.split('class="language-switch"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'value="en"[^>]*aria-pressed="true"', form)
    assert re.search(r'value="zh-hans"[^>]*aria-pressed="false"', form)


def test_form_errors_and_messages_follow_the_language(client):
    client.cookies[COOKIE] = "en"
    html = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "Username: please fill this in." in html
    response = client.post("/accounts/register/", dict(REGISTRATION), follow=True)
    assert "You are registered. Welcome to the Bazhou Talent Card portal." in (
        response.content.decode()
    )


def test_a_talents_pages_in_english(client, talent):
    client.force_login(talent)
    html = _english(client, "/card/")
    for word in ["My Talent Card", "My requests", "Apply for the Talent Card", "Sign out"]:
        assert word in html, word
    assert _chinese_left(html) <= {"李明"}  # the talent's own name (header)
    account = _english(client, "/accounts/me/")
    assert "Sign-in security" in account and "Who read my personal information" in account


def test_a_verifiers_page_in_english(client, verifier):
    client.force_login(verifier)
    html = _english(client, "/verify/")
    assert "Card verification" in html and "QR code content" in html
    assert _chinese_left(html) <= set(CJK.findall(verifier.display_name))


def _sign_in(client, user):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})


def test_signing_in_on_a_new_device_brings_the_accounts_language(client, talent):
    talent.language = "en"
    talent.save(update_fields=["language"])
    response = _sign_in(client, talent)
    assert response.status_code == 302 and response.cookies[COOKIE].value == "en"
    assert lang_of(client.get(response.url).content.decode()) == "en"


def test_a_devices_own_choice_outranks_the_account_at_sign_in(client, talent):
    talent.language = "en"
    talent.save(update_fields=["language"])
    client.cookies[COOKIE] = "zh-hans"
    response = _sign_in(client, talent)
    assert response.status_code == 302 and COOKIE not in response.cookies


def test_a_chinese_account_sets_no_cookie_at_sign_in(client, talent):
    response = _sign_in(client, talent)
    assert response.status_code == 302 and COOKIE not in response.cookies
