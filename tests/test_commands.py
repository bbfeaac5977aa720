"""seed_demo and create_account."""

import pytest
from django.core.management import CommandError, call_command

from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.models import AuditEvent, Department, Role, User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(settings, api):
    settings.DEBUG = True
    call_command("seed_demo")
    first = (Department.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Department.objects.count(), User.objects.count()) == first == (8, len(DEMO_ACCOUNTS))
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    # Reference data of every layer, once, and a card for the demo talent, once.
    from cards.models import Card, Criterion
    from services.models import CalendarDay, ServiceType

    assert Criterion.objects.count() >= 12 and ServiceType.objects.count() == 7
    assert CalendarDay.objects.filter(date__year=2026).count() == 365
    assert list(Card.objects.values_list("holder__username", "tier", "status")) == [
        ("demo_talent", "C", "active")
    ]
    for username, role, *_ in DEMO_ACCOUNTS:
        response = api.post(
            "/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.json()["role"] == role


def test_seed_demo_keeps_a_deactivated_department_deactivated(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    Department.objects.filter(code="CZJ").update(is_active=False)
    call_command("seed_demo")
    assert not Department.objects.get(code="CZJ").is_active


def test_seed_demo_refuses_demo_accounts_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="生产环境不创建演示账户"):
        call_command("seed_demo")
    assert Department.objects.count() == 8
    assert not User.objects.exists()
    call_command("seed_demo", "--force")
    assert User.objects.count() == len(DEMO_ACCOUNTS)


def test_create_account_with_a_department(departments, capsys):
    call_command(
        "create_account", "zhou", "--role", "lead", "--department", "wjj", "--real-name", "周敏"
    )
    user = User.objects.get(username="zhou")
    assert user.role == Role.LEAD and user.department.code == "WJJ"
    assert user.real_name == "周敏" and user.must_change_password
    out = capsys.readouterr().out
    password = out.strip().splitlines()[-1].split("：")[-1]
    assert user.check_password(password)
    assert AuditEvent.objects.filter(action="account.create", object_id=str(user.pk)).exists()


def test_create_account_with_a_password(departments):
    call_command(
        "create_account", "ver1", "--role", "verifier", "--password", "Verify#2026x",
        "--real-name", "韩梅",
    )  # fmt: skip
    user = User.objects.get(username="ver1")
    assert user.check_password("Verify#2026x") and not user.must_change_password


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["s1", "--role", "staff"], "必须指定所属部门"),
        (["s4", "--role", "admin", "--department", "ZZB"], "请填写真实姓名"),
        (["s2", "--role", "staff", "--department", "XXX"], "不存在或已停用"),
        (["s3", "--role", "talent", "--password", "123"], "密码"),
    ],
)
def test_create_account_refuses_bad_input(departments, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_account", *args)
    assert not User.objects.filter(username=args[0]).exists()


def test_a_department_role_without_department_is_refused_by_the_database(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError, match="user_department_role_has_department"):
        User.objects.create(username="nodept", role=Role.STAFF)


def test_departments_are_never_deleted(departments):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        departments["JYJ"].delete()
    with pytest.raises(ProtectedError):
        Department.objects.filter(code="JYJ").delete()
