"""The account pages: where each role lands after sign-in, 找回密码, 修改密码, and the profile
(e-mail, phone, two-factor, who read my details)."""

import pytest
from django.test import Client

from cards.models import ApplicationStatus, CardApplication
from portal.models import AuditEvent
from tests.accounts_support import last_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Neues#Pass2026"


def _sign_in(user, **extra):
    browser = Client()
    response = browser.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD, **extra}
    )
    return browser, response


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("talent", "/card/"),
        ("handler", "/desk/"),
        ("lead", "/desk/"),
        ("admin_user", "/manage/dashboard/"),
        ("auditor", "/audit/"),
        ("verifier", "/verify/"),
    ],
)
def test_each_role_lands_on_its_work(request, persona, home):
    browser, response = _sign_in(request.getfixturevalue(persona))
    assert response.status_code == 302 and response.url == home
    assert browser.get(home).status_code == 200


def test_a_talent_waiting_for_an_application_lands_on_it(talent):
    application = CardApplication.objects.create(
        talent=talent, status=ApplicationStatus.SUBMITTED, employer="巴州区人民医院"
    )
    _, response = _sign_in(talent)
    assert response.url == f"/card/applications/{application.pk}/"


def test_forgotten_password_pages(talent):
    browser = Client()
    assert "忘记密码" in browser.get("/accounts/login/").content.decode()
    response = browser.post("/accounts/password-reset/", {"account": "talent"})
    assert response.status_code == 302
    assert response.url == "/accounts/password-reset/confirm/?username=talent"
    page = browser.get(response.url).content.decode()
    assert "验证码已发送" in page and 'value="talent"' in page
    code = last_code(talent.phone)
    wrong = browser.post(
        "/accounts/password-reset/confirm/",
        {"username": "talent", "code": "99999", "new_password": NEW, "new_password2": NEW},
    )
    assert "验证码错误或已失效" in wrong.content.decode()
    done = browser.post(
        "/accounts/password-reset/confirm/",
        {"username": "talent", "code": code, "new_password": NEW, "new_password2": NEW},
    )
    assert done.status_code == 302 and done.url == "/accounts/login/"
    _, old = _sign_in(talent)
    assert old.status_code == 200 and "用户名或密码错误" in old.content.decode()
    fresh = Client()
    ok = fresh.post("/accounts/login/", {"username": "talent", "password": NEW})
    assert ok.status_code == 302


def test_reset_by_phone_on_the_page_says_the_same(talent):
    browser = Client()
    known = browser.post("/accounts/password-reset/", {"account": "13800002688"}, follow=True)
    unknown = Client().post("/accounts/password-reset/", {"account": "13900009999"}, follow=True)
    assert "验证码已发送" in known.content.decode() and "验证码已发送" in unknown.content.decode()


def test_a_reset_ends_the_page_sessions_elsewhere(talent):
    elsewhere, _ = _sign_in(talent)
    assert elsewhere.get("/card/").status_code == 200
    Client().post("/accounts/password-reset/", {"account": "talent"})
    Client().post(
        "/accounts/password-reset/confirm/",
        {
            "username": "talent",
            "code": last_code(talent.phone),
            "new_password": NEW,
            "new_password2": NEW,
        },
    )
    response = elsewhere.get("/card/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_password_change_page_keeps_this_session_and_ends_the_others(talent):
    here, _ = _sign_in(talent)
    elsewhere, _ = _sign_in(talent)
    mismatch = here.post(
        "/accounts/me/password/",
        {"old_password": PASSWORD, "new_password": NEW, "new_password2": "other"},
    )
    assert "两次输入的密码不一致" in mismatch.content.decode()
    response = here.post(
        "/accounts/me/password/",
        {"old_password": PASSWORD, "new_password": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response.url == "/card/"
    assert here.get("/accounts/me/").status_code == 200
    assert elsewhere.get("/accounts/me/").status_code == 302


def test_profile_page_changes_email_and_phone(talent):
    browser, _ = _sign_in(talent)
    page = browser.get("/accounts/me/").content.decode()
    for text in ("电子邮箱", "更换手机号码", "修改密码", "双因素认证", "个人信息查看记录"):
        assert text in page, text
    bad = browser.post("/accounts/me/", {"action": "email", "email": "nope"})
    assert "请输入有效的电子邮箱地址" in bad.content.decode()
    browser.post("/accounts/me/", {"action": "email", "email": "li@example.cn"})
    talent.refresh_from_db()
    assert talent.email == "li@example.cn"
    response = browser.post(
        "/accounts/me/", {"action": "phone", "phone": "13911112222", "password": PASSWORD}
    )
    assert response.status_code == 302
    page = browser.get("/accounts/me/").content.decode()
    assert "确认更换" in page  # the code form shows while a code is pending
    code = last_code("13911112222")
    wrong = browser.post("/accounts/me/", {"action": "phone_confirm", "code": "000001"})
    assert "验证码错误或已失效" in wrong.content.decode()
    browser.post("/accounts/me/", {"action": "phone_confirm", "code": code})
    talent.refresh_from_db()
    assert talent.phone == "13911112222"
    page = browser.get("/accounts/me/").content.decode()
    assert "139****2222" in page and "13911112222" not in page
    assert AuditEvent.objects.filter(action="account.phone_changed").count() == 1


def test_staff_have_no_access_log_section(handler):
    browser, _ = _sign_in(handler)
    assert "个人信息查看记录" not in browser.get("/accounts/me/").content.decode()
