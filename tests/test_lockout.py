"""Lockout: 5 failures within 15 minutes lock for 15 minutes (429); a per-address limit too;
the same answers for an unknown user and a wrong password."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.models import AuditEvent, LoginFailure, LoginLockout
from portal.signin import purge_expired
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TOKEN = "/api/v1/auth/token/"


def attempt(api, username, password="wrong-password", ip="10.1.1.1"):
    return api.post(TOKEN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_even_for_the_right_password(api, talent):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            assert attempt(api, "talent").status_code == 400
            clock.shift(timedelta(minutes=2))
        locked = attempt(api, "talent", PASSWORD)
        assert locked.status_code == 429
        assert locked.json()["code"] == "locked_out"
        assert "15 分钟" in locked.json()["detail"]
        assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_the_lock_lasts_fifteen_minutes_from_the_fifth_failure(api, talent):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            attempt(api, "talent")
        clock.shift(timedelta(minutes=14, seconds=59))
        assert attempt(api, "talent", PASSWORD).status_code == 429
        clock.shift(timedelta(seconds=1))
        assert attempt(api, "talent", PASSWORD).status_code == 200


def test_after_the_lock_the_count_starts_again(api, talent):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            attempt(api, "talent")
        clock.shift(timedelta(minutes=15))
        assert attempt(api, "talent").status_code == 400  # one failure, not a new lock
        assert attempt(api, "talent", PASSWORD).status_code == 200


def test_failures_spread_beyond_the_window_do_not_lock(api, talent):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(4):
            attempt(api, "talent")
        clock.shift(timedelta(minutes=15, seconds=1))
        for _ in range(4):
            assert attempt(api, "talent").status_code == 400
        assert attempt(api, "talent", PASSWORD).status_code == 200


def test_a_success_clears_earlier_failures(api, talent):
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            attempt(api, "talent")
        assert attempt(api, "talent", PASSWORD).status_code == 200
        for _ in range(4):
            assert attempt(api, "talent").status_code == 400
        assert attempt(api, "talent", PASSWORD).status_code == 200


def test_unknown_user_and_wrong_password_are_indistinguishable(api, talent):
    with time_machine.travel(T0, tick=False):
        known = [attempt(api, "talent", ip="10.0.0.1") for _ in range(6)]
        unknown = [attempt(api, "nobody", ip="10.0.0.2") for _ in range(6)]
    for a, b in zip(known, unknown, strict=True):
        assert (a.status_code, a.json()) == (b.status_code, b.json())
        assert a.headers.get("Retry-After") == b.headers.get("Retry-After")
    assert [r.status_code for r in known] == [400] * 5 + [429]
    assert known[0].json() == {"non_field_errors": ["用户名或密码错误。"]}


def test_locking_one_account_leaves_others_alone(api, talent, other_talent):
    for _ in range(5):
        attempt(api, "talent")
    assert attempt(api, "talent", PASSWORD).status_code == 429
    assert attempt(api, "other_talent", PASSWORD).status_code == 200


def test_the_username_lock_holds_from_any_address(api, talent):
    for i in range(5):
        attempt(api, "talent", ip=f"10.0.0.{i + 1}")
    assert attempt(api, "talent", PASSWORD, ip="10.9.9.9").status_code == 429


def test_one_address_trying_many_names_is_locked(api, talent, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    for i in range(8):
        assert attempt(api, f"guess{i}", ip="10.6.6.6").status_code == 400
    assert attempt(api, "talent", PASSWORD, ip="10.6.6.6").status_code == 429
    assert attempt(api, "talent", PASSWORD, ip="10.7.7.7").status_code == 200


def test_lockouts_are_audited(api, talent):
    for _ in range(6):
        attempt(api, "talent")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["auth.login_failed"] * 5 + ["auth.lockout", "auth.login_refused_locked"]
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.ip == "10.1.1.1" and lockout.detail["username"] == "talent"


def test_the_page_login_shares_the_lockout(client, talent):
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "talent", "password": "x"})
        assert response.status_code == 200
        assert "用户名或密码错误。" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "talent", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_forwarded_for_is_trusted_only_behind_configured_proxies(api, talent, settings):
    # Without NUM_PROXIES a client cannot dodge the address limit by forging the header.
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    for i in range(3):
        api.post(
            TOKEN,
            {"username": f"x{i}", "password": "p"},
            REMOTE_ADDR="10.2.2.2",
            HTTP_X_FORWARDED_FOR=f"1.1.1.{i}",
        )
    assert attempt(api, "talent", PASSWORD, ip="10.2.2.2").status_code == 429
    settings.NUM_PROXIES = 1
    response = api.post(
        TOKEN,
        {"username": "talent", "password": PASSWORD},
        REMOTE_ADDR="10.2.2.2",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert response.status_code == 200


def test_purge_removes_only_what_has_expired(api, talent):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            attempt(api, "talent")
        attempt(api, "other")
        clock.shift(timedelta(minutes=14))
        assert purge_expired() == 0
        clock.shift(timedelta(minutes=2))
        assert purge_expired() == 2  # the failure of "other" and the ended lock
        assert not LoginFailure.objects.exists() and not LoginLockout.objects.exists()


def test_the_audit_trail_never_keeps_an_unknown_typed_name(api, talent):
    attempt(api, "511902198803150029")
    attempt(api, "Secret#Password1")
    attempt(api, "talent")
    failed = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    stored = " ".join(str(e.detail) for e in failed)
    assert "511902198803150029" not in stored and "Secret#Password1" not in stored
    assert [set(e.detail) for e in failed] == [{"unknown_name_hash"}] * 2 + [{"username"}]
    assert failed[2].detail["username"] == "talent"
    # The same unknown name hashes the same way, so an auditor can still see a pattern.
    attempt(api, "511902198803150029")
    again = AuditEvent.objects.filter(action="auth.login_failed").order_by("-id").first()
    assert again.detail == failed[0].detail
