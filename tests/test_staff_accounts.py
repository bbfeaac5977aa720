"""Staff accounts managed by the talent office: API and pages, and the first-sign-in password
change that every account made or reset by another person must go through."""

import re

import pytest
from django.test import Client
from knox.models import AuthToken

from portal.models import AuditEvent, Role, User
from portal.staff import VERBS, allowed, initial_password
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
NEW = "Mein#Pass2026"


@pytest.fixture
def office(client_for, admin_user):
    return client_for(admin_user)


def _create(office, **extra):
    data = {
        "username": "zjj_liu",
        "real_name": "刘洋",
        "role": "staff",
        "department": "ZJJ",
        "phone": "13600001111",
        **extra,
    }
    return office.post(ACCOUNTS, data)


def _token(api, username, password):
    return api.post("/api/v1/auth/token/", {"username": username, "password": password})


# --- who may --------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "auditor", "verifier"])
def test_only_the_talent_office_manages_accounts(client_for, request, persona):
    api = client_for(request.getfixturevalue(persona))
    assert api.get(ACCOUNTS).status_code == 403
    assert _create(api).status_code == 403


def test_the_table_of_verbs_is_what_the_functions_ask(admin_user, handler, auditor):
    assert set(VERBS) == {"list", "create", "update", "reset_password"}
    assert allowed(admin_user, "update", handler)
    # Admins and auditors are not managed in the portal (三权分立), nor is one's own account.
    assert not allowed(admin_user, "update", auditor)
    assert not allowed(admin_user, "update", admin_user)
    assert not allowed(handler, "list")


def test_initial_passwords_follow_the_password_rules(admin_user):
    from django.contrib.auth.password_validation import validate_password

    for _ in range(50):
        validate_password(initial_password(), admin_user)


# --- create ---------------------------------------------------------------------------------
def test_create_a_handler_with_real_name_department_and_phone(office, api):
    response = _create(office)
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "zjj_liu" and body["role"] == "staff"
    assert body["department"] == {
        "code": "ZJJ",
        "name": "区住房和城乡建设局",
        "name_en": "District Bureau of Housing and Urban-Rural Development",
    }
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(username="zjj_liu")
    assert user.real_name == "刘洋" and user.phone == "13600001111" and user.must_change_password
    assert user.check_password(body["initial_password"])
    event = AuditEvent.objects.get(action="account.create", object_id=str(user.pk))
    assert body["initial_password"] not in str(event.detail)
    assert event.detail["phone_masked"] == "136****1111"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"role": "admin"}, "role", None),
        ({"role": "auditor"}, "role", None),
        ({"department": ""}, "department", "必须选择所属部门"),
        ({"department": "XYZ"}, "department", "不存在或已停用"),
        ({"real_name": ""}, "real_name", "请填写真实姓名"),
        ({"username": "13600001111"}, "username", "不能是纯数字"),
        ({"phone": "123"}, "phone", "11位"),
    ],
)
def test_create_refuses_what_it_must(office, extra, field, message):
    response = _create(office, **extra)
    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert message in response.json()[field][0]
    assert not User.objects.filter(username=extra.get("username", "zjj_liu")).exists()


def test_a_verifier_needs_no_department(office):
    response = _create(office, username="hospital_desk", role="verifier", department="")
    assert response.status_code == 201 and response.json()["department"] is None


def test_a_username_taken_in_another_case_is_refused(office, handler):
    response = _create(office, username="HANDLER")
    assert response.status_code == 400 and "已被使用" in response.json()["username"][0]


# --- first sign-in --------------------------------------------------------------------------
def test_a_new_account_must_change_its_password_before_anything_else(office, api):
    password = _create(office).json()["initial_password"]
    token = _token(api, "zjj_liu", password)
    assert token.status_code == 200
    assert token.json()["password_change_required"] is True
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    blocked = api.get("/api/v1/service-requests/")
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "password_change_required"
    assert api.get("/api/v1/me/").json()["must_change_password"] is True
    changed = api.post("/api/v1/me/password/", {"old_password": password, "new_password": NEW})
    assert changed.status_code == 204
    assert api.get("/api/v1/service-requests/").status_code == 200
    again = _token(api, "zjj_liu", NEW).json()
    assert again["password_change_required"] is False


def test_the_page_session_is_held_at_the_password_page(office):
    password = _create(office).json()["initial_password"]
    browser = Client()
    response = browser.post("/accounts/login/", {"username": "zjj_liu", "password": password})
    assert response.status_code == 302
    for path in ("/desk/", "/accounts/me/", "/inbox/"):
        held = browser.get(path)
        assert held.status_code == 302 and held.url == "/accounts/me/password/", path
    page = browser.get("/accounts/me/password/").content.decode()
    assert "正在使用初始密码" in page
    assert "办件工作台" not in page  # no menu of links that would only bounce back here
    response = browser.post(
        "/accounts/me/password/",
        {"old_password": password, "new_password": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response.url == "/desk/"
    desk = browser.get("/desk/")
    assert desk.status_code == 200 and "退出（刘洋）" in desk.content.decode()


# --- list -----------------------------------------------------------------------------------
def test_the_list_searches_and_filters(office, handler, lead, other_handler, verifier, talent):
    def names(query=""):
        response = office.get(ACCOUNTS + query)
        assert response.status_code == 200
        return sorted(row["username"] for row in response.json()["results"])

    # Talents, admins and auditors are not in it.
    assert names() == ["handler", "lead", "other_handler", "verifier"]
    assert names("?role=lead") == ["lead"]
    assert names("?department=zjj") == ["handler", "lead"]
    assert names(f"?q={handler.real_name}") == ["handler"]
    assert names("?q=other") == ["other_handler"]
    office.patch(f"{ACCOUNTS}{verifier.pk}/", {"is_active": False})
    assert names("?is_active=false") == ["verifier"]
    row = office.get(ACCOUNTS + "?q=handler").json()["results"][0]
    assert re.fullmatch(r"139\*{4}\d{4}", row["phone_masked"]) and "phone" not in row


def test_the_list_runs_a_constant_number_of_queries(
    office, departments, django_assert_max_num_queries
):
    for n in range(25):
        UserFactory(role=Role.STAFF, department=departments["JYJ"], username=f"s{n}")
    with django_assert_max_num_queries(6):
        response = office.get(ACCOUNTS)
    assert response.json()["count"] == 25


def test_accounts_outside_the_office_are_404(office, auditor, talent, admin_user):
    for user in (auditor, talent, admin_user):
        assert office.patch(f"{ACCOUNTS}{user.pk}/", {"is_active": False}).status_code == 404
        assert office.post(f"{ACCOUNTS}{user.pk}/reset-password/").status_code == 404


# --- change ---------------------------------------------------------------------------------
def test_deactivating_ends_every_token_and_session_at_once(office, client_for, handler):
    api = client_for(handler)
    browser = Client()
    browser.force_login(handler)
    assert browser.get("/desk/").status_code == 200
    response = office.patch(f"{ACCOUNTS}{handler.pk}/", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert api.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=handler).exists()
    page = browser.get("/desk/")
    assert page.status_code == 302 and page.url.startswith("/accounts/login/")
    event = AuditEvent.objects.get(action="account.deactivate")
    assert event.detail["tokens_ended"] == 1
    office.patch(f"{ACCOUNTS}{handler.pk}/", {"is_active": True})
    assert AuditEvent.objects.filter(action="account.activate").count() == 1


def test_change_department_and_role(office, handler):
    response = office.patch(
        f"{ACCOUNTS}{handler.pk}/", {"department": "JYJ", "role": "lead", "real_name": "周新"}
    )
    assert response.status_code == 200
    handler.refresh_from_db()
    assert (handler.department.code, handler.role, handler.real_name) == ("JYJ", "lead", "周新")
    event = AuditEvent.objects.get(action="account.change")
    assert event.detail == {
        "department": "JYJ",
        "role": "lead",
        "real_name": "周新",
        "tokens_ended": 0,
    }
    assert office.patch(f"{ACCOUNTS}{handler.pk}/", {"role": "admin"}).status_code == 400
    assert office.patch(f"{ACCOUNTS}{handler.pk}/", {"department": ""}).status_code == 400


def test_a_verifier_moved_to_staff_needs_a_department(office, verifier):
    response = office.patch(f"{ACCOUNTS}{verifier.pk}/", {"role": "staff"})
    assert response.status_code == 400 and "department" in response.json()


def test_reset_password_gives_a_new_initial_one_and_ends_the_old_logins(
    office, client_for, api, handler
):
    old = client_for(handler)
    response = office.post(f"{ACCOUNTS}{handler.pk}/reset-password/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.json()["initial_password"]
    assert old.get("/api/v1/me/").status_code == 401
    assert _token(api, "handler", PASSWORD).status_code == 400
    token = _token(api, "handler", password).json()
    assert token["password_change_required"] is True
    assert AuditEvent.objects.filter(action="account.password_reset_by_admin").count() == 1


# --- pages ----------------------------------------------------------------------------------
def test_the_pages_create_search_edit_and_reset(client, admin_user, handler):
    client.force_login(admin_user)
    page = client.get("/manage/accounts/").content.decode()
    assert "账户管理" in page and handler.real_name in page
    response = client.post(
        "/manage/accounts/new/",
        {"username": "zjj_liu", "real_name": "刘洋", "role": "staff", "department": "ZJJ"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "初始密码只显示这一次" in html
    password = re.search(r'<code class="initial-password">([^<]+)</code>', html).group(1)
    user = User.objects.get(username="zjj_liu")
    assert user.check_password(password) and response["Cache-Control"].startswith("max-age=0")
    listing = client.get("/manage/accounts/?q=刘洋&role=staff").content.decode()
    assert "zjj_liu" in listing and handler.username not in listing
    response = client.post(
        f"/manage/accounts/{user.pk}/",
        {"real_name": "刘洋洋", "role": "lead", "department": "ZJJ"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.real_name == "刘洋洋" and user.role == "lead"
    reset = client.post(f"/manage/accounts/{user.pk}/reset-password/").content.decode()
    assert "密码已重置" in reset
    client.post(f"/manage/accounts/{user.pk}/active/", {"is_active": "false"})
    user.refresh_from_db()
    assert not user.is_active


def test_the_create_page_shows_errors_next_to_the_fields(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/manage/accounts/new/", {"username": "x", "real_name": "", "role": "staff"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    for message in ("用户名长度应为3至30个字符", "必须选择所属部门", "请填写真实姓名"):
        assert html.count(message) == 1, message


@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "auditor", "verifier"])
def test_the_pages_do_not_exist_for_other_roles(client, request, persona, handler):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/manage/accounts/").status_code == 404
    assert client.get(f"/manage/accounts/{handler.pk}/").status_code == 404
    assert client.post(f"/manage/accounts/{handler.pk}/reset-password/").status_code == 404


def test_a_double_tap_on_open_account_opens_one(client, admin_user):
    client.force_login(admin_user)
    data = {
        "username": "zjj_liu",
        "real_name": "刘洋",
        "role": "staff",
        "department": "ZJJ",
        "form_key": "7d0c8f6e-double-tap",
    }
    first = client.post("/manage/accounts/new/", data)
    assert first.status_code == 200 and "初始密码只显示这一次" in first.content.decode()
    second = client.post("/manage/accounts/new/", data)
    user = User.objects.get(username="zjj_liu")
    assert second.status_code == 302 and second.url == f"/manage/accounts/{user.pk}/"
    assert User.objects.filter(username__iexact="zjj_liu").count() == 1
