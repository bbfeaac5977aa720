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
