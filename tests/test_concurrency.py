"""Races that only a real database with real connections can show."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from portal.accounts import account_register
from portal.models import User


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_registrations_with_one_id_number_create_one_account():
    barrier = threading.Barrier(2)
    outcomes = []

    def register(i):
        try:
            barrier.wait()
            account_register(
                username=f"racer{i}",
                password="Bazhou#Race2026",
                real_name="赛跑",
                id_number="11010519491231002x" if i else "11010519491231002X",
                phone="13900000000",
                consent=True,
            )
            outcomes.append("created")
        except ValidationError as exc:
            outcomes.append(exc.message_dict)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted(
        [
            "created",
            str({"id_number": ["该证件号码已注册账户，请直接登录；如忘记密码请联系人才办。"]}),
        ]
    )
    assert User.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_guesses_gets_at_most_five_password_checks():
    from portal.errors import BadCredentials, LoginLocked
    from portal.models import AuditEvent
    from portal.signin import signin_attempt
    from tests.factories import PASSWORD, TalentFactory

    TalentFactory(username="target")
    barrier = threading.Barrier(20)
    outcomes = []

    def guess(i):
        try:
            barrier.wait()
            signin_attempt(username="target", password=f"guess-{i}", ip=f"10.0.{i}.1")
        except BadCredentials:
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
    checked = outcomes.count(400)
    # At most five reach the password check. None at all is a legal interleaving too: when all
    # twenty write their attempt before any counts, every count is over the limit.
    assert checked <= 5
    assert checked + outcomes.count(429) == 20
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == checked
    # Whatever the interleaving, the budget is five checks in the window (a burst may lock
    # sooner, never later): keep guessing until locked, then even the right password fails.
    for _ in range(6):
        try:
            signin_attempt(username="target", password="still-wrong", ip="10.9.9.9")
            pytest.fail("a wrong password was accepted")
        except BadCredentials:
            checked += 1
        except LoginLocked:
            break
    assert checked <= 5
    with pytest.raises(LoginLocked):
        signin_attempt(username="target", password=PASSWORD, ip="10.9.9.9")


@pytest.mark.postgres
@pytest.mark.django_db
def test_spellings_the_database_folds_together_share_one_counter(api):
    from tests.factories import TalentFactory

    TalentFactory(username="lixin")
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": "lixin", "password": "x"})
    # PostgreSQL's UPPER() folds the dotless ı into I: same account, same lock.
    response = api.post("/api/v1/auth/token/", {"username": "lıxın", "password": "x"})
    assert response.status_code == 429
