"""A copy of the database holds no phone number and no ID number in plain (issue 13 point 5).

A world is made through the real paths: talents registered (the phone typed with spaces), the
demo accounts seeded, a staff account opened by the talent office, sign-in attempts with a
phone and an ID number typed as the username, a password reset by phone, a phone change,
card applications, service requests filed with an idempotency key and accepted, urgent
notices (SMS and e-mail deliveries, sent and pending), reveals through the API and a page
(access logs and audit events). Then every column of every table is read (SQLite and
PostgreSQL), and on PostgreSQL the output of ``pg_dump`` too, and none of the known numbers
may appear: not as typed, not as bare digits, not with a lower-case check character.
"""

import os
import shutil
import subprocess

import pytest
from django.db import connection
from django.test import Client

from portal.demo import DEMO_ACCOUNTS
from portal.identity import gb11643_check_char
from portal.models import (
    AccessLog,
    AuditEvent,
    Delivery,
    IdempotencyKey,
    LoginFailure,
    SmsOutbox,
    User,
    VerificationCode,
)
from portal.notify import notification_create
from portal.seed import seed_departments
from services.seed import seed_service_types
from tests.accounts_support import deliver_sms, last_code
from tests.cards_support import submitted
from tests.factories import PASSWORD, TalentFactory, resident_id
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db

PURPOSE = "电话联系核实住房情况"


def _id_ending_in_x() -> str:
    """A valid resident ID number whose check character is X (stored upper-case)."""
    for n in range(1000):
        first17 = f"65280119920704{n:03d}"
        if gb11643_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no X check character in range")


def _spaced(number: str, groups) -> str:
    parts, start = [], 0
    for size in groups:
        parts.append(number[start : start + size])
        start += size
    return " ".join(parts)


def needles_of(phones, id_numbers) -> set[str]:
    """Every way a known number could sit in the database: as people type it (spaces,
    hyphens, +86) and as bare digits, ID numbers with their X in either case."""
    needles = set()
    for phone in phones:
        needles |= {phone, _spaced(phone, (3, 4, 4)), f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"}
    for number in id_numbers:
        needles |= {number, number.lower(), _spaced(number, (6, 8, 4))}
    return needles


@pytest.fixture
def world(client_for, api):
    """Make the world; return ``(phones, id_numbers)`` it stored."""
    seed_departments()
    seed_service_types()
    from cards.seed import seed_criteria

    seed_criteria()
    from portal.demo import seed_demo_accounts

    seed_demo_accounts()
    phones = {phone for *_, phone in DEMO_ACCOUNTS if phone}
    id_numbers = {identity[1] for *_, identity, _ in DEMO_ACCOUNTS if identity}

    # A talent registers through the API, typing the phone with spaces and +86, and an ID
    # number ending in X typed in lower case.
    registered_id, registered_phone = _id_ending_in_x(), "13912340001"
    response = api.post(
        "/api/v1/auth/register/",
        {
            "username": "zhangsan",
            "password": PASSWORD,
            "real_name": "张三",
            "id_type": "resident",
            "id_number": registered_id.lower(),
            "phone": "+86 139 1234 0001",
            "email": "zhangsan@example.cn",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.content
    registered = User.objects.get(username="zhangsan")
    assert registered.phone == registered_phone and registered.id_number == registered_id
    phones.add(registered_phone)
    id_numbers.add(registered_id)

    holder = TalentFactory(
        username="holder", real_name="李四", phone="13912340002", id_number=resident_id(701)
    )
    applicant = TalentFactory(
        username="applicant", real_name="王五", phone="13912340003", id_number=resident_id(702)
    )
    phones |= {holder.phone, applicant.phone}
    id_numbers |= {holder.id_number, applicant.id_number}
    handler = User.objects.get(username="demo_staff")
    admin = User.objects.get(username="demo_admin")
    for user in (handler, admin):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])

    # The talent office opens a handler's account with a phone.
    office = client_for(admin)
    response = office.post(
        "/api/v1/accounts/",
        {
            "username": "zjj_new",
            "real_name": "刘新",
            "role": "staff",
            "department": "ZJJ",
            "phone": "136-0000-4444",
        },
    )
    assert response.status_code == 201, response.content
    phones.add("13600004444")

    # People type their phone and ID number into the username box.
    for username in ("13912340002", "139 1234 0002", registered_id, registered_id.lower()):
        api.post("/api/v1/auth/token/", {"username": username, "password": "wrong"})

    # A password reset by phone, finished with the code (SMS sent).
    reset = "/api/v1/auth/password-reset/"
    assert api.post(reset, {"phone": "+86 139 1234 0002"}).status_code == 202
    response = api.post(
        f"{reset}confirm/",
        {"username": "holder", "code": last_code(holder.phone), "new_password": "Neues#Pass2026"},
    )
    assert response.status_code == 204, response.content
    holder.set_password(PASSWORD)
    holder.save(update_fields=["password"])

    # A phone change finished (the old number hears of it), and one left waiting for its
    # code, whose SMS is still pending.
    own = client_for(registered)
    asked = own.post("/api/v1/me/phone/", {"phone": "13912340004", "password": PASSWORD})
    assert asked.status_code == 202, asked.content
    confirm = own.post("/api/v1/me/phone/confirm/", {"code": last_code("13912340004")})
    assert confirm.status_code == 200, confirm.content
    phones.add("13912340004")
    asked = client_for(applicant).post(
        "/api/v1/me/phone/", {"phone": "13912340005", "password": PASSWORD}
    )
    assert asked.status_code == 202, asked.content
    phones.add("13912340005")

    # A card application, revealed by the talent office.
    app = submitted(client_for(applicant))
    url = f"/api/v1/card-applications/{app['id']}/reveal/"
    response = office.post(url, {"purpose": "核对学历证书上的姓名"})
    assert response.status_code == 200 and response.json()["phone"] == applicant.phone

    # A service request filed with an idempotency key (its answer is stored), accepted, and
    # revealed through the API and on the desk page.
    give_card(holder)
    filing = {"service_type": "HOUSING", "fields": HOUSING, "description": "一家三口"}
    response = client_for(holder).post(
        "/api/v1/service-requests/", filing, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    desk = client_for(handler)
    assert desk.post(f"/api/v1/service-requests/{number}/accept/").status_code == 200
    response = desk.post(f"/api/v1/service-requests/{number}/reveal/", {"purpose": PURPOSE})
    assert response.status_code == 200 and response.json()["id_number"] == holder.id_number
    page = Client()
    page.force_login(handler)
    html = page.post(f"/desk/requests/{number}/reveal/", {"reveal-purpose": PURPOSE})
    assert holder.phone in html.content.decode()

    # Urgent notices: SMS and e-mail deliveries, some sent, some left pending.
    holder.email = "lisi@example.cn"
    holder.save(update_fields=["email"])
    notification_create(recipient=holder, kind="k", title="已办结", urgent=True)
    deliver_sms()
    notification_create(recipient=holder, kind="k", title="待发送", urgent=True)
    notification_create(recipient=applicant, kind="k", title="待发送", urgent=True)

    # The world holds what the test is about (it cannot pass by being empty).
    assert Delivery.objects.filter(channel="sms", status="sent").exists()
    assert Delivery.objects.filter(channel="sms", status="pending").exists()
    assert Delivery.objects.filter(channel="email").exists()
    assert SmsOutbox.objects.count() >= 3
    assert VerificationCode.objects.exclude(target_encrypted="").count() == 2
    assert AccessLog.objects.count() == 3
    assert AuditEvent.objects.filter(action="account.phone_changed").exists()
    assert LoginFailure.objects.count() >= 4
    assert IdempotencyKey.objects.exclude(response=None).exists()
    return phones, id_numbers


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).decode("latin-1")
    return str(value)


def every_value() -> dict[str, str]:
    """Every column of every row of every table, as text, keyed by table."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            tables[table] = "\n".join("\t".join(map(_text, row)) for row in cursor.fetchall())
    return tables


def found_in(text_by_place: dict[str, str], needles) -> list[str]:
    return sorted(
        f"{needle!r} in {place}"
        for place, text in text_by_place.items()
        for needle in needles
        if needle in text
    )


def test_no_table_holds_a_plaintext_phone_or_id_number(world):
    phones, id_numbers = world
    tables = every_value()
    assert len(tables) > 30 and "portal_user" in tables and "portal_delivery" in tables
    # The reading works: what is meant to be there is found (masked values, names).
    everything = "\n".join(tables.values())
    assert "136****4444" in tables["portal_auditevent"] and "zhangsan" in everything
    assert found_in(tables, needles_of(phones, id_numbers)) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_holds_no_plaintext_phone_or_id_number(world):
    """The same world, committed, dumped by pg_dump as an attacker with a backup would."""
    phones, id_numbers = world
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump not installed")
    db = connection.settings_dict
    env = dict(os.environ, PGPASSWORD=db.get("PASSWORD") or "")
    command = [pg_dump, "--no-owner", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    dump = subprocess.run(command, env=env, capture_output=True, check=True, timeout=120)
    text = dump.stdout.decode("utf-8", errors="replace")
    assert "COPY public.portal_user" in text and "136****4444" in text
    assert found_in({"pg_dump": text}, needles_of(phones, id_numbers)) == []
    assert found_in(every_value(), needles_of(phones, id_numbers)) == []
