"""Accounts API exactly as API.md: register, token, logout, me."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from portal.identity import gb11643_check_char
from portal.models import AuditEvent, Role, User
from tests.factories import PASSWORD, resident_id

pytestmark = pytest.mark.django_db

ID = "511902198803150029"
PHONE = "13800002688"


def register(api, REMOTE_ADDR="127.0.0.1", **overrides):
    body = {
        "username": "liming",
        "password": "Bazhou#Talent9",
        "real_name": "李明",
        "id_type": "resident",
        "id_number": ID,
        "phone": PHONE,
        "email": "liming@example.cn",
        "consent": True,
    }
    body.update(overrides)
    return api.post("/api/v1/auth/register/", body, REMOTE_ADDR=REMOTE_ADDR)


def assert_no_plain_identifiers(response, *values):
    text = response.content.decode()
    for value in values:
        assert value not in text, f"{value} appears unmasked"


def with_check(first17: str) -> str:
    """A number whose check character is right, so only the rule under test can fail."""
    return first17 + gb11643_check_char(first17)


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("511902198803150029", None),
        ("11010519491231002x", None),
        ("513027197506080015", None),
        ("511902198803150028", "校验位不正确"),
        (with_check("51190219900230001"), "出生日期无效"),
        (with_check("51190220261123001"), "出生日期无效"),  # tomorrow
        (with_check("51190220261122001"), None),  # born today
    ],
    ids=["valid", "lowercase-x", "legacy-address", "bad-check", "feb-30", "tomorrow", "today"],
)
def test_register_validates_the_id_number(api, id_number, message):
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        response = register(api, id_number=id_number)
    if message is None:
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {"id", "username", "role"}
        assert body["role"] == "talent"
    else:
        assert response.status_code == 400
        assert list(response.json()) == ["id_number"]
        assert message in response.json()["id_number"][0]
        assert_no_plain_identifiers(response, id_number)


def test_register_answers_every_invalid_field_at_once_in_chinese(api):
    response = register(api, username="", password="123", real_name="", id_number="1", phone="5")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"username", "password", "real_name", "id_number", "phone"}
    for messages in body.values():
        assert messages and all(any("\u4e00" <= c <= "\u9fff" for c in m) for m in messages)


def test_register_ignores_a_requested_role(api):
    response = register(api, role="admin")
    assert response.status_code == 201
    assert User.objects.get(username="liming").role == Role.TALENT


def test_one_account_per_id_number_whatever_the_case_of_x(api):
    assert register(api, id_number="11010519491231002X").status_code == 201
    again = register(api, username="another", id_number="11010519491231002x", phone="13900000000")
    assert again.status_code == 400
    assert list(again.json()) == ["id_number"]
    assert User.objects.filter(role=Role.TALENT).count() == 1


def test_same_number_under_another_document_type_is_another_document(api):
    assert register(api, id_type="passport", id_number="E12345678").status_code == 201
    again = register(api, username="second", id_type="hk_mo_tw", id_number="12345678")
    assert again.status_code == 201


def test_usernames_are_unique_regardless_of_case(api):
    assert register(api).status_code == 201
    again = register(api, username="LiMing", id_number=resident_id(7))
    assert again.status_code == 400
    assert list(again.json()) == ["username"]


def test_the_stored_row_never_holds_the_plain_id_number(api):
    assert register(api, id_number="11010519491231002x").status_code == 201
    user = User.objects.get(username="liming")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_user WHERE id = %s", [user.pk])
        row = cursor.fetchone()
        cursor.execute("SELECT detail FROM portal_auditevent")
        audit = cursor.fetchall()
    stored = " ".join(str(value) for value in row)
    for plain in ("11010519491231002X", "11010519491231002x", "491231002"):
        assert plain not in stored
        assert plain not in str(audit)
    # ...and yet the number is there, encrypted, for an audited reveal.
    assert user.id_number == "11010519491231002X"
    assert user.id_number_encrypted.startswith("gAAAA")  # a Fernet token
    assert len(user.id_number_hash) == 64


def test_a_token_logs_in_and_logout_revokes_it(api, talent):
    response = api.post("/api/v1/auth/token/", {"username": "talent", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "talent" and len(body["token"]) >= 40
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/v1/me/").status_code == 200
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401


def test_logout_revokes_only_the_token_it_was_called_with(api, talent):
    first = api.post("/api/v1/auth/token/", {"username": "talent", "password": PASSWORD}).json()
    second = api.post("/api/v1/auth/token/", {"username": "talent", "password": PASSWORD}).json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert api.post("/api/v1/auth/logout/").status_code == 204
    api.credentials(HTTP_AUTHORIZATION=f"Token {second['token']}")
    assert api.get("/api/v1/me/").status_code == 200


def test_tokens_are_stored_hashed(api, talent):
    token = api.post("/api/v1/auth/token/", {"username": "talent", "password": PASSWORD}).json()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        rows = cursor.fetchall()
    assert rows and token["token"] not in str(rows)


def test_username_is_case_insensitive_at_login(api, talent):
    response = api.post("/api/v1/auth/token/", {"username": "TALENT", "password": PASSWORD})
    assert response.status_code == 200


def test_inactive_accounts_cannot_log_in_and_look_like_bad_credentials(api, talent):
    talent.is_active = False
    talent.save()
    response = api.post("/api/v1/auth/token/", {"username": "talent", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码错误。"]}


def test_me_requires_authentication(api):
    assert api.get("/api/v1/me/").status_code == 401
    assert api.post("/api/v1/auth/logout/").status_code == 401


PERSONAS = ["talent", "handler", "lead", "admin_user", "auditor", "verifier"]
ZJJ = {
    "code": "ZJJ",
    "name": "区住房和城乡建设局",
    "name_en": "District Bureau of Housing and Urban-Rural Development",
}
ZZB = {
    "code": "ZZB",
    "name": "区委组织部（人才办）",
    "name_en": "Organization Department of the District Committee (Talent Office)",
}
EXPECTED = {
    "talent": ("talent", None),
    "handler": ("staff", ZJJ),
    "lead": ("lead", ZJJ),
    "admin_user": ("admin", ZZB),
    "auditor": ("auditor", None),
    "verifier": ("verifier", None),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_me_reports_role_and_department(api, request, persona):
    user = request.getfixturevalue(persona)
    body = api.as_user(user).get("/api/v1/me/").json()
    role, department = EXPECTED[persona]
    assert body["role"] == role
    assert body["department"] == department
    assert set(body) >= {
        "id",
        "username",
        "role",
        "real_name",
        "id_number_masked",
        "phone_masked",
        "email",
        "department",
    }


def test_me_masks_the_id_number_and_phone(api):
    register(api, id_number="11010519491231002x")
    token = api.post("/api/v1/auth/token/", {"username": "liming", "password": "Bazhou#Talent9"})
    assert_no_plain_identifiers(token, "11010519491231002X", PHONE)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    response = api.get("/api/v1/me/")
    body = response.json()
    assert body["id_number_masked"] == "1101**********002X"
    assert body["phone_masked"] == "138****2688"
    assert_no_plain_identifiers(response, "11010519491231002X", "11010519491231002x", PHONE)


def test_registration_login_and_logout_are_audited(api):
    register(api)
    token = api.post("/api/v1/auth/token/", {"username": "liming", "password": "Bazhou#Talent9"})
    api.post("/api/v1/auth/token/", {"username": "liming", "password": "wrong"})
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    api.post("/api/v1/auth/logout/")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["account.register", "auth.login", "auth.login_failed", "auth.logout"]
    register_event = AuditEvent.objects.get(action="account.register")
    assert register_event.detail["id_number_masked"] == "5119**********0029"
    assert register_event.actor.username == "liming"


@pytest.mark.parametrize(
    "username", ["13800002688", "511902198803150029", "11010519491231002x", "20260101"]
)
def test_usernames_that_are_identifiers_are_refused(api, username):
    response = register(api, username=username, id_number=resident_id(3))
    assert response.status_code == 400
    assert "用户名不能是纯数字" in response.json()["username"][0]


def test_registration_is_rate_limited_per_address_on_the_api(api, settings):
    settings.REGISTER_RATE_LIMIT = 3
    for i in range(3):
        response = register(
            api, username=f"burst{i}", id_number=resident_id(i), REMOTE_ADDR="10.3.3.3"
        )
        assert response.status_code == 201
    response = register(api, username="burst9", id_number=resident_id(9), REMOTE_ADDR="10.3.3.3")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    other = register(api, username="calm", id_number=resident_id(10), REMOTE_ADDR="10.4.4.4")
    assert other.status_code == 201


def test_malformed_json_is_a_chinese_400(api):
    response = api.post("/api/v1/auth/token/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["请求内容格式不正确，无法解析。"]}
