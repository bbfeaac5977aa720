"""Server-rendered pages: navigation by role, register, login, logout, my account."""

import re

import pytest
from django.test import Client

from portal.models import AuditEvent, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "username": "wanghong",
    "real_name": "王红",
    "id_type": "resident",
    "id_number": "11010519491231002x",
    "phone": "139 0000 1111",
    "email": "",
    "password": "Bazhou#Talent9",
    "password2": "Bazhou#Talent9",
    "consent": "on",
}


def nav_labels(response) -> list[str]:
    header = response.content.decode().split("<main", 1)[0]
    return re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', header)


def test_home_explains_the_card_tiers_and_green_channel(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("巴州优才卡", "A 类", "D 类", "绿色通道", "就高原则", "子女入学", "人才公寓"):
        assert text in html
    assert nav_labels(response) == ["首页", "服务事项", "登录", "注册"]


def test_pages_load_no_asset_from_another_host(client):
    html = client.get("/").content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', html)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "talent",
            ["首页", "我的优才卡", "服务事项", "我的申请", "我的待遇", "人才信息", "我的账户"],
        ),
        (
            "handler",
            ["首页", "服务事项", "办件工作台", "待遇兑现", "联系服务", "工作日历", "我的账户"],
        ),
        (
            "lead",
            [
                "首页",
                "服务事项",
                "办件工作台",
                "待遇兑现",
                "联系服务",
                "督查看板",
                "督办清单",
                "我的账户",
            ],
        ),
        (
            "admin_user",
            [
                "首页",
                "优才卡审核",
                "优才卡登记簿",
                "服务事项",
                "全部申请",
                "政策兑现",
                "联系服务",
                "人才画像",
                "督查看板",
                "督办清单",
                "工作日历",
                "账户管理",
                "合作系统",
                "管理后台",
                "我的账户",
            ],
        ),
        ("auditor", ["首页", "审计日志", "服务事项", "我的账户"]),
        ("verifier", ["首页", "优才卡核验", "服务事项", "我的账户"]),
    ],
)
def test_navigation_follows_the_role(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    labels = nav_labels(client.get("/"))
    assert labels == expected


def test_register_page_creates_a_talent_and_signs_in(client):
    response = client.post("/accounts/register/", REGISTRATION)
    # A new talent lands on 我的优才卡, which tells them how to apply.
    assert response.status_code == 302 and response.url == "/card/"
    user = User.objects.get(username="wanghong")
    assert user.role == "talent" and user.phone == "13900001111"
    page = client.get("/accounts/me/").content.decode()
    assert "1101**********002X" in page and "139****1111" in page
    assert "11010519491231002" not in page and "13900001111" not in page


def test_register_errors_are_shown_in_chinese_next_to_their_fields(client):
    data = dict(REGISTRATION, id_number="511902199002300017", phone="12345", password2="x")
    response = client.post("/accounts/register/", data)
    html = response.content.decode()
    assert response.status_code == 200
    for field, message in [
        ("id_number", "出生日期无效"),
        ("phone", "11位中国大陆手机号码"),
        ("password2", "两次输入的密码不一致"),
    ]:
        match = re.search(
            rf'<small class="field-error" id="id_{field}_error">([^<]+)</small>', html
        )
        assert match and message in match.group(1), field
    # The number typed is not echoed back into the page.
    assert "511902199002300017" not in html
    assert not User.objects.filter(username="wanghong").exists()


def test_register_page_reports_a_duplicate_id_number(client, talent):
    data = dict(REGISTRATION, id_number=talent.id_number.lower())
    html = client.post("/accounts/register/", data).content.decode()
    assert "该证件号码已注册账户" in html


def test_register_requires_consent(client):
    data = {k: v for k, v in REGISTRATION.items() if k != "consent"}
    html = client.post("/accounts/register/", data).content.decode()
    assert "请阅读并同意个人信息处理规则" in html


def test_login_page_signs_in_and_follows_a_safe_next(client, talent):
    response = client.post(
        "/accounts/login/?next=/inbox/", {"username": "talent", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/inbox/"
    client.logout()
    response = client.post(
        "/accounts/login/",
        {"username": "talent", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == "/card/"  # the talent's home, never the foreign site


def test_login_page_errors_are_identical_for_unknown_users(client, talent):
    a = client.post("/accounts/login/", {"username": "talent", "password": "nope"})
    b = client.post("/accounts/login/", {"username": "ghost", "password": "nope"})
    assert a.status_code == b.status_code == 200
    strip = lambda r: re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+\"", "", r.content.decode())  # noqa: E731
    assert strip(a).replace("talent", "ghost") == strip(b)


def test_pages_enforce_csrf(talent):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "talent", "password": PASSWORD})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_logout_is_a_post_and_is_audited(client, talent):
    client.force_login(talent)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/accounts/me/").status_code == 302  # back to the login page
    assert AuditEvent.objects.filter(action="auth.logout", actor=talent).exists()


def test_account_page_masks_identifiers(client, talent):
    client.force_login(talent)
    html = client.get("/accounts/me/").content.decode()
    assert talent.id_number_masked in html and "138****2688" in html
    assert talent.id_number not in html and "13800002688" not in html


def test_account_page_shows_a_handlers_department(client, handler):
    client.force_login(handler)
    html = client.get("/accounts/me/").content.decode()
    assert "区住房和城乡建设局" in html and "经办人" in html


def test_the_admin_is_for_the_organization_department_only(client, talent, admin_user):
    assert client.get("/admin/").url.startswith("/admin/login/")
    # The admin's own login form is never offered: it would bypass the lockout.
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(talent)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    # Tokens are not the organization department's business.
    assert client.get("/admin/knox/authtoken/").status_code == 404  # not in the admin at all


def test_admin_user_list_masks_identifiers(client, admin_user, talent):
    client.force_login(admin_user)
    html = client.get("/admin/portal/user/").content.decode()
    assert talent.id_number_masked in html and "138****2688" in html
    assert talent.id_number not in html and "13800002688" not in html
    html = client.get(f"/admin/portal/user/{talent.pk}/change/").content.decode()
    assert talent.id_number not in html and "13800002688" not in html


def test_departments_cannot_be_deleted_in_the_admin(client, admin_user, departments):
    client.force_login(admin_user)
    response = client.get(f"/admin/portal/department/{departments['JYJ'].pk}/delete/")
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["talent", "handler", "admin_user", "verifier"])
def test_the_audit_page_does_not_exist_for_other_roles(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/audit/").status_code == 404


def test_the_auditor_reads_and_filters_the_audit_page(client, auditor, talent):
    client.post("/accounts/login/", {"username": "talent", "password": "bad"})
    client.force_login(auditor)
    html = client.get("/audit/?action=auth.login_failed").content.decode()
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "登录失败" in rows and "auth.login_failed" in rows
    assert "account.create" not in rows


def test_the_register_page_is_rate_limited_even_when_the_form_is_invalid(client, settings):
    settings.REGISTER_RATE_LIMIT = 2
    bad = dict(REGISTRATION, password2="mismatch")
    assert client.post("/accounts/register/", bad).status_code == 200
    assert client.post("/accounts/register/", bad).status_code == 200
    response = client.post("/accounts/register/", REGISTRATION)
    assert response.status_code == 429
    assert "注册尝试过于频繁" in response.content.decode()
    assert not User.objects.filter(username="wanghong").exists()


def test_signing_out_of_the_django_admin_is_audited(client, admin_user):
    client.force_login(admin_user)
    client.post("/admin/logout/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=admin_user).count() == 1


def test_the_django_admin_shows_accounts_read_only_and_points_to_the_portal_page(
    client, admin_user, talent
):
    client.force_login(admin_user)
    listing = client.get("/admin/portal/user/", follow=True).content.decode()
    assert "账户管理" in listing
    form = client.get(f"/admin/portal/user/{talent.pk}/change/").content.decode()
    assert 'name="role"' not in form and 'name="is_active"' not in form
    response = client.post(
        f"/admin/portal/user/{talent.pk}/change/",
        {"real_name": talent.real_name, "role": "auditor", "email": "", "is_active": "on"},
    )
    assert response.status_code == 403
    talent.refresh_from_db()
    assert talent.role == "talent"


def test_a_double_tap_on_register_registers_once_and_says_so(client):
    data = dict(REGISTRATION, form_key="3f1e-register-double-tap")
    first = client.post("/accounts/register/", data)
    assert first.status_code == 302
    again = Client().post("/accounts/register/", data, follow=True)
    assert "注册已完成" in again.content.decode()
    assert User.objects.filter(username="wanghong").count() == 1
