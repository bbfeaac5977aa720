"""What a review of the account features found, pinned: no password oracle in the reset form,
no way in that outlives a new authenticator or a deactivation, re-asking the password before
changes that could take an account over, lockout that holds under parallel guesses."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from portal.delivery import deliveries_retry
from portal.models import AuditEvent, LoginFailure, SmsOutbox
from tests.accounts_support import deliver_sms, last_code, totp_now
from tests.factories import PASSWORD, TalentFactory

pytestmark = pytest.mark.django_db

CONFIRM = "/api/v1/auth/password-reset/confirm/"


def test_the_reset_form_is_no_oracle_for_the_current_password(api, talent):
    """Without the right code, the answer never depends on the account's password."""
    guess = api.post(CONFIRM, {"username": "talent", "code": "000000", "new_password": PASSWORD})
    other = api.post(
        CONFIRM, {"username": "talent", "code": "000000", "new_password": "Other#Pass2026"}
    )
    assert guess.status_code == other.status_code == 400
    assert guess.json() == other.json() == {"code": ["验证码错误或已失效，请重新获取。"]}


def test_the_reset_form_is_no_oracle_for_accounts(api, talent):
    known = api.post(CONFIRM, {"username": "talent", "code": "000000", "new_password": "password"})
    unknown = api.post(
        CONFIRM, {"username": "nobody_here", "code": "000000", "new_password": "password"}
    )
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()


def test_reset_confirmations_are_limited_per_address(api, talent):
    for _ in range(30):
        api.post(CONFIRM, {"username": "talent", "code": "000000", "new_password": "Aa#12345678"})
    response = api.post(
        CONFIRM, {"username": "talent", "code": "000000", "new_password": "Aa#12345678"}
    )
    assert response.status_code == 429


def test_a_token_from_before_enrolment_ends_when_the_authenticator_is_bound(
    settings, api, client_for, admin_user
):
    settings.OTP_REQUIRED_ROLES = ["admin"]
    # Someone with the password alone holds a token at the enrolment gate…
    intruder = client_for(admin_user)
    assert intruder.get("/api/v1/accounts/").json()["code"] == "otp_setup_required"
    # …and keeps nothing once the owner enrols on the page.
    owner = Client()
    owner.force_login(admin_user)
    owner.post("/accounts/me/otp/", {"action": "begin", "password": PASSWORD})
    response = owner.post(
        "/accounts/me/otp/", {"action": "confirm", "code": totp_now(admin_user, confirmed=False)}
    )
    assert response.status_code == 302
    assert intruder.get("/api/v1/accounts/").status_code == 401
    assert owner.get("/manage/accounts/").status_code == 200  # the owner's page stays signed in
    assert AuditEvent.objects.get(action="account.otp_enabled").detail["tokens_ended"] == 1


def test_enrolling_ends_the_other_page_sessions_and_tells_the_holder(talent):
    elsewhere = Client()
    elsewhere.force_login(talent)
    here = Client()
    here.force_login(talent)
    here.post("/accounts/me/otp/", {"action": "begin", "password": PASSWORD})
    here.post("/accounts/me/otp/", {"action": "confirm", "code": totp_now(talent, confirmed=False)})
    assert elsewhere.get("/card/").status_code == 302
    assert here.get("/card/").status_code == 200
    # An urgent notification: inbox, e-mail and SMS (sent by the retry job a minute later).
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        deliveries_retry()
    assert "双因素认证" in SmsOutbox.objects.to_phone(talent.phone).get().text


def test_enrolment_asks_for_the_password_again(client_for, talent):
    api = client_for(talent)
    response = api.post("/api/v1/me/otp/", {"password": "wrong"})
    assert response.status_code == 400 and response.json() == {"password": ["密码不正确。"]}
    assert LoginFailure.objects.count() == 1


def test_phone_change_asks_for_the_password_and_wrong_ones_lock(client_for, talent, settings):
    api = client_for(talent)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = api.post("/api/v1/me/phone/", {"phone": "13911112222", "password": "wrong"})
        assert response.status_code == 400 and "password" in response.json()
    locked = api.post("/api/v1/me/phone/", {"phone": "13911112222", "password": PASSWORD})
    assert locked.status_code == 429
    deliver_sms()
    assert not SmsOutbox.objects.to_phone("13911112222").exists()


def test_the_old_phone_hears_of_a_phone_change(client_for, talent):
    api = client_for(talent)
    api.post("/api/v1/me/phone/", {"phone": "13911112222", "password": PASSWORD})
    api.post("/api/v1/me/phone/confirm/", {"code": last_code("13911112222")})
    deliver_sms()
    notice = SmsOutbox.objects.to_phone("13800002688").get()
    assert "139****2222" in notice.text and "如非本人操作" in notice.text


def test_wrong_current_passwords_on_password_change_lock_the_account(client_for, talent, settings):
    api = client_for(talent)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = api.post(
            "/api/v1/me/password/", {"old_password": "wrong", "new_password": "Neues#Pass2026"}
        )
        assert response.status_code == 400
    response = api.post(
        "/api/v1/me/password/", {"old_password": PASSWORD, "new_password": "Neues#Pass2026"}
    )
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="account.reauth_failed").count() == 5


def test_a_deactivated_accounts_sessions_stay_ended_after_reactivation(
    client_for, admin_user, handler
):
    browser = Client()
    browser.force_login(handler)
    assert browser.get("/desk/").status_code == 200
    office = client_for(admin_user)
    office.patch(f"/api/v1/accounts/{handler.pk}/", {"is_active": False})
    office.patch(f"/api/v1/accounts/{handler.pk}/", {"is_active": True})
    response = browser.get("/desk/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_hourly_limit_counts_every_code_of_the_account(api, client_for, talent, settings):
    for _ in range(settings.VERIFICATION_CODES_PER_HOUR):
        api.post("/api/v1/auth/password-reset/", {"username": "talent"})
    owner = client_for(talent)
    response = owner.post("/api/v1/me/phone/", {"phone": "13911112222", "password": PASSWORD})
    assert response.status_code == 400 and "次数过多" in response.json()["phone"][0]
    deliver_sms()
    assert not SmsOutbox.objects.to_phone("13911112222").exists()


def test_an_empty_register_post_is_a_form_with_errors(client):
    response = client.post("/accounts/register/", {})
    assert response.status_code == 200 and "field-error" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_second_factor_guesses_get_at_most_five_checks():
    from portal.errors import LoginLocked, OtpRequired
    from portal.otp import otp_begin, otp_confirm
    from portal.signin import signin_second_factor

    user = TalentFactory(username="target2fa")
    otp_begin(user=user, password=PASSWORD)
    otp_confirm(user=user, code=totp_now(user, confirmed=False))
    barrier = threading.Barrier(20)
    outcomes = []

    def guess(i):
        try:
            barrier.wait()
            signin_second_factor(user=user, code=f"{i:06d}", ip=f"10.1.{i}.1")
            outcomes.append(200)
        except OtpRequired:
            outcomes.append(400)
        except LoginLocked:
            outcomes.append(429)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(400) <= 5
    assert outcomes.count(400) + outcomes.count(429) + outcomes.count(200) == 20


def test_logs_and_admin_star_codes_but_keep_request_numbers():
    from portal.sms import mask_codes

    text = "【巴州优才卡】验证码 085274，10 分钟内有效。FW-20261206-0003 已受理。"
    assert (
        mask_codes(text) == "【巴州优才卡】验证码 ******，10 分钟内有效。FW-20261206-0003 已受理。"
    )
