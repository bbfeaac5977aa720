"""The finance export of instalments (GET /subsidies/export/, ``subsidies:export``): masked names
and accounts, the period's instalments (due or paid in it), each department its own, the
organization department all or one, CSV streamed and XLSX, an audit event each time, a fixed
number of queries whatever the rows.

The world (2026): 李明 was offered SETTLE-ZG (RSJ) and RENT-36 (CZJ), confirmed both on 03-02;
both were approved on 03-03, so the first instalments are dated 04-03 and the second ones in
May. CZJ paid RENT-36's first on 05-15 (late) with a voucher that looks like a formula.
"""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from portal.models import AuditEvent, Role
from services.calendar import calendar_sync
from subsidies.models import Instalment
from tests.factories import UserFactory
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=SH)
EXPORT = "/subsidies/export/"
HEADER = [
    "待遇编号",
    "政策",
    "文件号",
    "兑现部门",
    "人才",
    "卡号",
    "期次",
    "金额（元）",
    "应兑现日期",
    "状态",
    "兑现时间",
    "凭证号",
    "开户银行",
    "银行账号（脱敏）",
    "失败原因",
]
FULL_ACCOUNT = "6222020200112233445"


def at(*args):
    return datetime(*args, tzinfo=SH)


def post(client, moment, url, data=None):
    with time_machine.travel(moment, tick=False):
        response = client.post(url, data or {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def desks(departments):
    def desk(name, role, code):
        return UserFactory(username=name, role=role, department=departments[code])

    return {
        "rsj_staff": desk("rsj_staff", Role.STAFF, "RSJ"),
        "czj_staff": desk("czj_staff", Role.STAFF, "CZJ"),
        "czj_lead": desk("czj_lead", Role.LEAD, "CZJ"),
    }


@pytest.fixture
def world(criteria, departments, talent, admin_user, desks, client_for):
    calendar_sync(year=2026)
    seed_policies()
    with time_machine.travel(at(2026, 2, 2, 10, 0), tick=False):
        card_holder(client_for(talent), client_for(admin_user))
    settle, rent = entitlement_of(talent, "SETTLE-ZG"), entitlement_of(talent, "RENT-36")
    for ent in (settle, rent):
        post(
            client_for(talent),
            at(2026, 3, 2, 10),
            f"/api/v1/entitlements/{ent.pk}/confirm/",
            ACCOUNT,
        )
    post(
        client_for(desks["rsj_staff"]),
        at(2026, 3, 3, 10),
        f"/api/v1/entitlements/{settle.pk}/approve/",
    )
    post(
        client_for(desks["czj_staff"]),
        at(2026, 3, 3, 10),
        f"/api/v1/entitlements/{rent.pk}/approve/",
    )
    first = Instalment.objects.get(entitlement=rent, n=1)
    post(
        client_for(desks["czj_staff"]),
        at(2026, 5, 15, 10),
        f"/api/v1/instalments/{first.pk}/pay/",
        {"voucher": "=1+2"},
    )
    return {"settle": settle, "rent": rent}  # fmt: skip


def download(client, user, query: str):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"{EXPORT}?{query}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # Excel on Windows reads the Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_admin_exports_every_departments_instalments_masked(world, client, admin_user):
    response, body = download(client, admin_user, "from=2026-04-01&to=2026-04-30&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="bazhou-subsidies-20260401-20260430.csv"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    header, *rows = csv_rows(body)
    assert header == HEADER
    # The first instalments of both (dated 04-03, a working day), oldest due date first.
    assert sorted((row[3], row[6], row[7]) for row in rows) == sorted(
        [
            (world["settle"].department.name, "1", "107334.00"),
            (world["rent"].department.name, "1", "1000.00"),
        ]
    )
    rent = next(row for row in rows if row[1] == "人才租房补贴")
    assert rent[0] == str(world["rent"].pk)
    assert rent[4] == "李*" and rent[5].startswith("BZYC-2026-")
    assert rent[8] == "2026-04-03" and rent[9] == "已兑现"
    assert rent[10] == "2026-05-15 10:00"
    assert rent[11] == "'=1+2"  # a formula is neutralised
    assert rent[12] == ACCOUNT["bank_name"] and rent[13] == "6222 **** **** 3445"
    text = body.decode("utf-8-sig")
    assert "李明" not in text and FULL_ACCOUNT not in text
    event = AuditEvent.objects.get(action="sla.export")
    assert event.actor == admin_user
    assert event.detail["kind"] == "instalments" and event.detail["department"] == "all"
    assert event.detail["period"] == "2026-04-01..2026-04-30" and event.detail["format"] == "csv"


def test_an_instalment_paid_in_the_period_is_in_it_whatever_its_due_date(world, client, admin_user):
    _, body = download(client, admin_user, "from=2026-05-15&to=2026-05-15")
    [_, row] = csv_rows(body)
    assert (row[1], row[6], row[8], row[10]) == (
        "人才租房补贴",
        "1",
        "2026-04-03",
        "2026-05-15 10:00",
    )


def test_the_admin_may_narrow_to_one_department(world, client, admin_user):
    response, body = download(client, admin_user, "from=2026-04-01&to=2026-06-30&department=CZJ")
    assert "bazhou-subsidies-20260401-20260630-CZJ.csv" in response["Content-Disposition"]
    _, *rows = csv_rows(body)
    assert {row[1] for row in rows} == {"人才租房补贴"} and len(rows) == 3  # April to June
    assert AuditEvent.objects.get(action="sla.export").detail["department"] == "CZJ"
    bad, _ = download(client, admin_user, "from=2026-04-01&to=2026-06-30&department=NOPE")
    assert bad.status_code == 400


def test_a_paying_department_exports_its_own_only(world, client, desks):
    for who in ("rsj_staff", "czj_lead"):
        # Asking for another department changes nothing: its own is what it gets.
        response, body = download(
            client, desks[who], "from=2026-04-01&to=2026-04-30&department=ZJJ"
        )
        assert response.status_code == 200
        _, *rows = csv_rows(body)
        expected = "正高级职称人才安家补助和工作补贴" if who == "rsj_staff" else "人才租房补贴"
        assert [row[1] for row in rows] == [expected]
    assert AuditEvent.objects.filter(action="sla.export").count() == 2


@pytest.mark.parametrize(
    "who", ["talent", "other_talent", "handler", "lead", "auditor", "verifier"]
)
def test_everyone_else_finds_no_export(world, client, who, request):
    """ZJJ's handler and lead: their department pays nothing."""
    response, _ = download(client, request.getfixturevalue(who), "from=2026-04-01&to=2026-04-30")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="sla.export").exists()


def test_a_visitor_is_sent_to_log_in(world, client):
    response = client.get(f"{EXPORT}?from=2026-04-01&to=2026-04-30")
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    "query", ["from=2026-05-01&to=2026-04-01", "from=nope", "from=2026-04-01&format=pdf"]
)
def test_a_bad_query_is_refused(world, client, admin_user, query):
    response, _ = download(client, admin_user, query)
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="sla.export").exists()


def test_the_xlsx_export_reads_back_masked(world, client, admin_user):
    response, body = download(client, admin_user, "from=2026-04-01&to=2026-04-30&format=xlsx")
    assert response.status_code == 200
    assert "bazhou-subsidies-20260401-20260430.xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True)["兑现明细"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == HEADER and len(rows) == 2
    cells = [str(cell) for row in rows for cell in row if cell is not None]
    assert "李*" in cells and "6222 **** **** 3445" in cells
    assert not any("李明" in cell or FULL_ACCOUNT in cell for cell in cells)
    assert "=1+2" in cells  # written as text, not as a formula
    assert AuditEvent.objects.get(action="sla.export").detail["format"] == "xlsx"


def test_the_export_reads_a_fixed_number_of_queries(
    world, client, admin_user, django_assert_max_num_queries
):
    query = "from=2026-01-01&to=2029-12-31"  # every instalment: 3 + 36
    with django_assert_max_num_queries(30) as few:
        _, small = download(client, admin_user, "from=2026-04-01&to=2026-04-30")
    with django_assert_max_num_queries(len(few)):
        _, big = download(client, admin_user, query)
    assert len(csv_rows(small)) == 3 and len(csv_rows(big)) == 40
