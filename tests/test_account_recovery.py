"""Password reset by SMS code, password change, e-mail and phone change (API.md "Accounts for
daily use"), through the API."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from portal.models import (
    AuditEvent,
    Delivery,
    LoginLockout,
    SmsOutbox,
    User,
    VerificationCode,
)
from tests.accounts_support import deliver_sms, last_code
from tests.factories import PASSWORD, TalentFactory

pytestmark = pytest.mark.django_db

NEW = "Neues#Pass2026"
RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"


def _confirm(api, username, code, password=NEW):
    return api.post(CONFIRM, {"username": username, "code": code, "new_password": password})


# --- reset ----------------------------------------------------------------------------------
def test_reset_sends_a_six_digit_code_to_the_accounts_phone(api, talent):
    response = api.post(RESET, {"username": "talent"})
    assert response.status_code == 202
    code = last_code(talent.phone)
    assert len(code) == 6 and code.isdigit()
    assert "10 分钟内有效" in SmsOutbox.objects.get().text


def test_reset_answers_the_same_whether_or_not_the_account_exists(api, talent):
    known = api.post(RESET, {"username": "talent"})
    unknown = api.post(RESET, {"username": "nobody_here"})
    by_phone_unknown = api.post(RESET, {"phone": "13912345678"})
    assert known.status_code == unknown.status_code == by_phone_unknown.status_code == 202
    assert known.content == unknown.content == by_phone_unknown.content
    deliver_sms()
    assert SmsOutbox.objects.count() == 1  # only the real account got a code


def test_reset_by_phone_number(api, talent):
    assert api.post(RESET, {"phone": "+86 138 0000 2688"}).status_code == 202
    code = last_code(talent.phone)
    assert _confirm(api, "talent", code).status_code == 204
    talent.refresh_from_db()
    assert talent.check_password(NEW)


def test_reset_needs_a_username_or_phone(api):
    response = api.post(RESET, {})
    assert (
        response.status_code == 400 and "请填写用户名或手机号码" in response.json()["username"][0]
    )


def test_the_code_is_stored_only_as_a_keyed_hash_and_the_sms_text_is_erased(api, talent):
    api.post(RESET, {"username": "talent"})
    delivery = Delivery.objects.get(notification=None)
    assert delivery.text_encrypted and "验证码" not in delivery.text_encrypted
    code = last_code(talent.phone)
    row = VerificationCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.text_encrypted == ""


def test_a_right_code_sets_the_password_ends_every_token_and_lifts_the_lockout(
    api, client_for, talent
):
    old_client = client_for(talent)
    LoginLockout.objects.create(
        scope="username",
        key=f"user:{talent.pk}",
        locked_until=timezone.now() + timedelta(hours=1),
        created_at=timezone.now(),
    )
    api.post(RESET, {"username": "TALENT"})
    response = _confirm(api, "talent", last_code(talent.phone))
    assert response.status_code == 204
    assert old_client.get("/api/v1/me/").status_code == 401
    token = api.post("/api/v1/auth/token/", {"username": "talent", "password": NEW})
    assert token.status_code == 200
    assert (
        api.post("/api/v1/auth/token/", {"username": "talent", "password": PASSWORD}).status_code
        == 400
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.code_sent", "account.password_reset"} <= actions


def test_wrong_expired_and_unknown_give_one_answer(api, talent):
    api.post(RESET, {"username": "talent"})
    code = last_code(talent.phone)
    wrong = _confirm(api, "talent", "000000" if code != "000000" else "111111")
    unknown = _confirm(api, "nobody_here", code)
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        expired = _confirm(api, "talent", code)
    assert wrong.status_code == unknown.status_code == expired.status_code == 400
    assert wrong.json() == unknown.json() == expired.json()
    assert wrong.json() == {"code": ["验证码错误或已失效，请重新获取。"]}
    talent.refresh_from_db()
    assert talent.check_password(PASSWORD)


def test_a_code_works_once(api, talent):
    api.post(RESET, {"username": "talent"})
    code = last_code(talent.phone)
    assert _confirm(api, "talent", code).status_code == 204
    assert _confirm(api, "talent", code, "Other#Pass2026").status_code == 400


def test_five_wrong_tries_use_the_code_up(api, talent, settings):
    api.post(RESET, {"username": "talent"})
    code = last_code(talent.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.VERIFICATION_CODE_TRIES):
        assert _confirm(api, "talent", wrong).status_code == 400
    assert _confirm(api, "talent", code).status_code == 400
    assert VerificationCode.objects.get().attempts == 5


def test_a_new_code_voids_the_old_one(api, talent):
    api.post(RESET, {"username": "talent"})
    first = last_code(talent.phone)
    api.post(RESET, {"username": "talent"})
    second = last_code(talent.phone)
    if first != second:
        assert _confirm(api, "talent", first).status_code == 400
    assert _confirm(api, "talent", second).status_code == 204


def test_at_most_five_codes_an_hour_per_account(api, talent):
    for _ in range(7):
        assert api.post(RESET, {"username": "talent"}).status_code == 202
    deliver_sms()
    assert SmsOutbox.objects.to_phone(talent.phone).count() == 5
    assert AuditEvent.objects.filter(action="account.code_limited").count() == 2
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        api.post(RESET, {"username": "talent"})
        deliver_sms()
    assert SmsOutbox.objects.to_phone(talent.phone).count() == 6


def test_the_new_password_must_follow_the_rules(api, talent):
    api.post(RESET, {"username": "talent"})
    response = _confirm(api, "talent", last_code(talent.phone), "short")
    assert (
        response.status_code == 400 and "密码至少需要8个字符" in response.json()["new_password"][0]
    )


def test_a_broker_outage_does_not_stop_the_reset(api, talent, settings):
    from tests.conftest import celery_broker

    with celery_broker("redis://127.0.0.1:1/0", {"socket_connect_timeout": 0.2, "max_retries": 0}):
        assert api.post(RESET, {"username": "talent"}).status_code == 202
    # The retry job delivers it.
    assert len(last_code(talent.phone)) == 6


def test_sms_outbox_prints_json_lines(api, talent, capsys):
    api.post(RESET, {"username": "talent"})
    deliver_sms()
    call_command("sms_outbox", "--phone", talent.phone, "--limit", "5")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    # Found by the number typed (through its keyed hash), shown masked.
    assert set(row) == {"at", "phone", "text"} and row["phone"] == "138****2688"
    assert "验证码" in row["text"] and row["at"].endswith("+08:00")
    call_command("sms_outbox", "--phone", "13000000000")
    assert capsys.readouterr().out.strip() == ""


# --- change ---------------------------------------------------------------------------------
def test_change_needs_the_current_password(client_for, talent):
    api = client_for(talent)
    response = api.post("/api/v1/me/password/", {"old_password": "wrong", "new_password": NEW})
    assert response.status_code == 400 and response.json() == {"old_password": ["当前密码不正确。"]}


def test_change_ends_the_other_tokens_but_keeps_the_callers(client_for, talent):
    other = client_for(talent)
    api = client_for(talent)
    response = api.post("/api/v1/me/password/", {"old_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 204
    assert api.get("/api/v1/me/").status_code == 200
    assert other.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="account.password_changed").exists()


def test_change_refuses_the_same_password(client_for, talent):
    api = client_for(talent)
    response = api.post(
        "/api/v1/me/password/", {"old_password": PASSWORD, "new_password": PASSWORD}
    )
    assert (
        response.status_code == 400 and "不能与当前密码相同" in response.json()["new_password"][0]
    )


# --- profile --------------------------------------------------------------------------------
def test_me_patch_changes_the_email_only(client_for, talent):
    api = client_for(talent)
    response = api.patch(
        "/api/v1/me/", {"email": "liming@example.cn", "real_name": "改名", "role": "admin"}
    )
    assert response.status_code == 200 and response.json()["email"] == "liming@example.cn"
    talent.refresh_from_db()
    assert talent.email == "liming@example.cn" and talent.real_name == "李明"
    assert talent.role == "talent"
    bad = api.patch("/api/v1/me/", {"email": "not-an-address"})
    assert bad.status_code == 400 and bad.json() == {"email": ["请输入有效的电子邮箱地址。"]}
    assert AuditEvent.objects.filter(action="account.email_changed").count() == 1


def test_phone_change_is_confirmed_by_a_code_sent_to_the_new_phone(client_for, talent):
    api = client_for(talent)
    assert (
        api.post("/api/v1/me/phone/", {"phone": "13911112222", "password": PASSWORD}).status_code
        == 202
    )
    code = last_code("13911112222")
    talent.refresh_from_db()
    assert talent.phone == "13800002688"  # not before the code comes back
    wrong = api.post("/api/v1/me/phone/confirm/", {"code": "12345x"})
    assert wrong.status_code == 400
    response = api.post("/api/v1/me/phone/confirm/", {"code": code})
    assert response.status_code == 200 and response.json() == {"phone_masked": "139****2222"}
    talent.refresh_from_db()
    assert talent.phone == "13911112222"
    event = AuditEvent.objects.get(action="account.phone_changed")
    assert event.detail["new_phone_masked"] == "139****2222"
    assert "13911112222" not in json.dumps(event.detail)


def test_phone_change_refuses_a_bad_or_same_number(client_for, talent):
    api = client_for(talent)
    bad = api.post("/api/v1/me/phone/", {"phone": "12345", "password": PASSWORD})
    assert "11位" in bad.json()["phone"][0]
    same = api.post("/api/v1/me/phone/", {"phone": talent.phone, "password": PASSWORD})
    assert same.status_code == 400 and "相同" in same.json()["phone"][0]


def test_a_code_for_one_purpose_does_not_serve_another(api, client_for, talent):
    client_for(talent).post("/api/v1/me/phone/", {"phone": "13911112222", "password": PASSWORD})
    code = last_code("13911112222")
    assert _confirm(api, "talent", code).status_code == 400


def test_a_code_of_one_account_does_not_serve_another(api, talent):
    other = TalentFactory(username="other", phone="13811110000")
    api.post(RESET, {"username": "other"})
    code = last_code(other.phone)
    assert _confirm(api, "talent", code).status_code == 400
    assert User.objects.get(pk=talent.pk).check_password(PASSWORD)
