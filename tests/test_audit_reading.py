"""The audit log reads like Chinese: labels of actions and objects, details as sentences, the
auditor's filters, the CSV export, and the timelines' steps (issue 11 item 6)."""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.issuance import card_issue
from portal.audit import AccountAction, DepartmentAction, audit_record
from portal.models import AuditEvent
from services.calendar import calendar_set_day
from services.models import ServiceRequest
from services.periodic import auto_close
from services.reveal import request_reveal
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve
from tests.cards_support import draft
from tests.factories import TalentFactory
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db

API = "/api/v1/audit-events/"


def rows_of(client, query="") -> list[dict]:
    response = client.get(f"{API}?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def by_action(rows) -> dict[str, dict]:
    return {row["action"]: row for row in rows}


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    give_card(talent)


@pytest.fixture
def housing(talent, handler):
    """A housing request filed by the talent and accepted by the handler (on time)."""
    req = file_housing(talent)
    return request_accept(req=req, actor=handler)


def issue_card(holder, admin):
    """A card issued as approval issues it (audited). Issued in 2025, so that its number
    (the sequence's) cannot meet the 2026 numbers give_card writes directly."""
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, tzinfo=datetime.UTC)):
        return card_issue(holder=holder, tier="B", actor=admin)


# --- API: labels --------------------------------------------------------------------------------
def test_rows_name_each_object_by_its_number_or_name(
    client_for, auditor, talent, other_talent, admin_user, housing, criteria, departments
):
    card = issue_card(other_talent, admin_user)
    app = draft(client_for(TalentFactory(username="applicant")))  # card_application.create
    audit_record(action=DepartmentAction.CHANGE, actor=admin_user, obj=departments["ZJJ"])
    calendar_set_day(day=datetime.date(2026, 10, 10), is_workday=False, note="", actor=admin_user)
    client_for(talent)  # auth.login of the talent

    rows = by_action(rows_of(client_for(auditor)))
    assert rows["service_request.file"]["object_label"] == housing.number
    assert rows["service_request.file"]["action_label"] == "提交服务申请"
    assert rows["service_request.accept"]["object_label"] == housing.number
    assert rows["service_request.accept"]["action_label"] == "受理"
    assert rows["card.issue"]["object_label"] == card.number
    assert rows["card.issue"]["action_label"] == "发放优才卡"
    assert rows["card_application.create"]["object_label"] == f"优才卡申请 #{app['id']}"
    assert rows["department.change"]["object_label"] == "区住房和城乡建设局（ZJJ）"
    assert rows["calendar.change"]["object_label"] == "工作日历 2026-10-10"
    # Accounts: the username and the name, a talent's masked as everywhere.
    logins = rows_of(client_for(auditor), "action=auth.login")
    labels = {r["actor"]: r["object_label"] for r in logins}
    assert labels["talent"] == "talent（李*）"
    assert labels["auditor"] == f"auditor（{auditor.real_name}）"
    for row in rows.values():
        assert "." not in row["object_label"].split("（")[0] or row["object_label"] == ""
        assert row["action_label"] != row["action"]


def test_an_object_no_resolver_finds_reads_as_its_kind_and_id(client_for, auditor, admin_user):
    audit_record(
        action=AccountAction.CHANGE,
        actor=admin_user,
        object_type="services.servicerequest",
        object_id="999999",
    )
    audit_record(
        action=AccountAction.CHANGE, actor=admin_user, object_type="nowhere.thing", object_id="7"
    )
    labels = {r["object_id"]: r["object_label"] for r in rows_of(client_for(auditor))}
    assert labels["999999"] == "服务申请 #999999"
    assert labels["7"] == "nowhere.thing #7"


def test_details_are_sentences(client_for, auditor, talent, handler, housing):
    request_reveal(req=housing, actor=handler, purpose="电话联系核实住房情况")
    audit_record(
        action=AccountAction.PHONE_CHANGED,
        actor=talent,
        obj=talent,
        old_phone_masked="138****2688",
        new_phone_masked="139****0001",
        demo=False,
    )
    rows = by_action(rows_of(client_for(auditor)))
    accept = rows["service_request.accept"]
    assert accept["detail"]["on_time"] is True  # the raw detail stays for machines
    assert accept["detail_text"] == f"按时：是；申请编号：{housing.number}。"
    reveal = rows["personal_info.reveal"]["detail_text"]
    assert "涉及字段：姓名、手机号码、证件号码" in reveal
    assert "用途：电话联系核实住房情况" in reveal
    assert rows["account.phone_changed"]["detail_text"] == (
        "原手机号码：138****2688；新手机号码：139****0001；演示数据：否。"
    )
    assert "True" not in str([r["detail_text"] for r in rows.values()])


# --- API: filters -------------------------------------------------------------------------------
def test_action_takes_a_group_prefix(client_for, auditor, other_talent, admin_user, housing):
    issue_card(other_talent, admin_user)
    client = client_for(auditor)
    group = {r["action"] for r in rows_of(client, "action=service_request.")}
    assert group == {"service_request.file", "service_request.accept"}
    assert {r["action"] for r in rows_of(client, "action=card.")} == {"card.issue"}
    assert {r["action"] for r in rows_of(client, "action=service_request.accept")} == {
        "service_request.accept"
    }
    # A prefix no enum has still filters by prefix (older events), and finds nothing here.
    assert rows_of(client, "action=nothing.") == []


def test_the_list_labels_a_page_with_one_query_per_object_type(
    client_for, auditor, talent, handler, admin_user
):
    client = client_for(auditor)

    def make(n):
        for _ in range(n):
            req = request_accept(req=file_housing(talent), actor=handler)
            request_resolve(req=req, actor=handler, note="已办")
            audit_record(action=AccountAction.CHANGE, actor=admin_user, obj=handler)

    make(2)
    with CaptureQueriesContext(connection) as small:
        response = client.get(API)
    assert response.json()["count"] > 6
    make(8)
    with CaptureQueriesContext(connection) as large:
        response = client.get(API)
    assert response.json()["count"] > 30
    assert len(large) == len(small)
    # One query for the requests' numbers on the page, not one per row.
    numbers = [q["sql"] for q in large.captured_queries if "services_servicerequest" in q["sql"]]
    assert len(numbers) == 1


# --- the auditor's page ---------------------------------------------------------------------------
def test_the_page_shows_labels_and_filters_by_group_actor_and_dates(
    client, auditor, talent, handler, housing
):
    client.force_login(auditor)
    html = client.get("/audit/?action=service_request.").content.decode()
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "提交服务申请" in rows and "受理" in rows and housing.number in rows
    assert "按时：是" in rows
    assert "services.servicerequest" not in rows and "on_time" not in rows
    # The group is offered (and selected) in the filter, with every action under it.
    assert '<option value="service_request." selected>服务申请：全部</option>' in html
    assert '<optgroup label="优才卡申请">' in html and '<optgroup label="工作日历">' in html

    html = client.get("/audit/?actor=handler").content.decode()
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "受理" in rows and "提交服务申请" not in rows

    html = client.get("/audit/?from=2000-01-01&to=2000-01-31").content.decode()
    assert "没有符合条件的记录" in html
    html = client.get("/audit/?from=not-a-date").content.decode()
    assert "筛选条件有误" in html and "导出 CSV" not in html


@pytest.mark.parametrize("persona", ["talent", "handler", "admin_user"])
def test_only_the_auditor_has_the_page_and_the_export(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.csv").status_code == 404
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_the_page_runs_a_constant_number_of_queries(client, auditor, talent, handler):
    client.force_login(auditor)
    request_accept(req=file_housing(talent), actor=handler)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/audit/").status_code == 200
    for _ in range(6):
        request_accept(req=file_housing(talent), actor=handler)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/audit/").status_code == 200
    assert len(large) == len(small)


# --- CSV export -----------------------------------------------------------------------------------
def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_export_streams_the_filtered_log_and_is_audited(
    client, auditor, talent, handler, housing
):
    client.force_login(auditor)
    table = read_csv(client.get("/audit/export.csv?action=service_request.&actor=handler"))
    assert table[0] == [
        "时间",
        "操作人",
        "事件",
        "事件代码",
        "对象",
        "对象类型",
        "对象标识",
        "IP 地址",
        "详情",
    ]
    assert len(table) == 2
    row = dict(zip(table[0], table[1], strict=True))
    assert row["操作人"] == "handler"
    assert row["事件"] == "受理" and row["事件代码"] == "service_request.accept"
    assert row["对象"] == housing.number
    assert row["详情"] == f"按时：是；申请编号：{housing.number}。"

    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor == auditor
    assert export.detail == {"filters": {"actor": "handler", "action": "service_request."}}
    # The export shows up in the log itself, read in Chinese.
    html = client.get("/audit/?action=audit.").content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "导出审计日志" in body
    assert "筛选条件：操作人 handler，事件 服务申请（全部）。" in body


def test_the_export_labels_its_rows_in_batches_not_one_by_one(client, auditor, talent, handler):
    client.force_login(auditor)

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            b"".join(client.get("/audit/export.csv").streaming_content)
        return len(queries)

    request_accept(req=file_housing(talent), actor=handler)
    few = export_queries()
    for _ in range(8):
        request_accept(req=file_housing(talent), actor=handler)
    assert export_queries() == few


def test_the_export_neutralises_spreadsheet_formulas(client, auditor, talent, handler, housing):
    request_reveal(req=housing, actor=handler, purpose='=HYPERLINK("http://x","点我")')
    client.force_login(auditor)
    table = read_csv(client.get("/audit/export.csv?action=personal_info.reveal"))
    detail = table[1][-1]
    assert 'HYPERLINK("http://x","点我")' in detail
    assert not any(cell.startswith("=") for row in table for cell in row)
    audit_record(action=AccountAction.CHANGE, actor=talent, obj=talent, reason="-1+1")
    table = read_csv(client.get("/audit/export.csv?action=account.change"))
    assert table[1][-1] == "原因：-1+1。"  # not at the start of the cell: left as it is


def test_a_cell_starting_like_a_formula_gets_an_apostrophe():
    from portal.streaming import safe_cell

    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+86 138") == "'+86 138"
    assert safe_cell("FW-20260101-0001") == "FW-20260101-0001"
    assert safe_cell(None) == ""


def test_a_wrong_filter_exports_nothing(client, auditor):
    client.force_login(auditor)
    response = client.get("/audit/export.csv?from=yesterday")
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


# --- timelines ------------------------------------------------------------------------------------
def test_the_talents_timeline_says_auto_closed_in_chinese(client, talent, handler, client_for):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=20)):
        req = request_accept(req=file_housing(talent), actor=handler)
        request_resolve(req=req, actor=handler, note="已配租")
    assert auto_close() == 1
    assert ServiceRequest.objects.get(pk=req.pk).status == "closed"

    events = client_for(talent).get(f"/api/v1/service-requests/{req.number}/").json()["events"]
    last = events[-1]
    assert last["action"] == "auto_closed" and last["action_label"] == "已自动归档"
    assert [e["action_label"] for e in events[:3]] == ["提交申请", "受理", "办结"]

    client.force_login(talent)
    html = client.get(f"/requests/{req.number}/").content.decode()
    assert "已自动归档" in html and "auto_closed" not in html
    audit = AuditEvent.objects.get(action="service_request.auto_close")
    assert audit.object_id == str(req.pk)


def test_the_card_timeline_names_every_step(client, admin_user, other_talent):
    from cards.expiry import card_expire_due

    with time_machine.travel(datetime.datetime(2020, 1, 2, 9, tzinfo=datetime.UTC)):
        card = card_issue(holder=other_talent, tier="C", actor=admin_user)
    assert card_expire_due() == 1
    client.force_login(admin_user)
    html = client.get(f"/manage/cards/{card.number}/").content.decode()
    assert "发卡" in html and "到期失效" in html and ">expired<" not in html


def test_a_reason_with_its_own_full_stop_keeps_one():
    from portal.auditlog import detail_text

    assert detail_text({"reason": "材料不全。"}).endswith("材料不全。")
    assert not detail_text({"reason": "材料不全。"}).endswith("。。")
    assert detail_text({"reason": "材料不全"}).endswith("材料不全。")


# --- codes in details read as names (issue 11 point 6) -------------------------------------------
def test_details_name_service_types_departments_and_tiers(
    client, client_for, auditor, talent, other_talent, admin_user, departments
):
    from portal.staff import staff_account_create
    from services.workflow import request_transfer

    req = file_housing(talent)  # detail service_type="HOUSING"
    request_transfer(req=req, actor=admin_user, department="JYJ", reason="误派")
    staff_account_create(
        actor=admin_user, username="zjj_new", role="staff", real_name="王经办", department="ZJJ"
    )
    issue_card(other_talent, admin_user)  # detail tier="B"
    rows = by_action(rows_of(client_for(auditor)))
    assert "服务事项：人才公寓" in rows["service_request.file"]["detail_text"]
    assert "HOUSING" not in rows["service_request.file"]["detail_text"]
    transfer = rows["service_request.transfer"]["detail_text"]
    assert "转出部门：区住房和城乡建设局" in transfer
    assert "转入部门：区教育科技局" in transfer
    created = rows["account.create"]["detail_text"]
    assert "部门：区住房和城乡建设局" in created and "ZJJ" not in created
    assert "人才层次：B类 国家级领军人才" in rows["card.issue"]["detail_text"]
    # The raw detail stays as written, for programs.
    assert rows["service_request.file"]["detail"]["service_type"] == "HOUSING"
    # The auditor's page reads the same.
    client.force_login(auditor)
    page = client.get("/audit/").content.decode()
    assert "服务事项：人才公寓" in page and "转入部门：区教育科技局" in page


def test_a_code_nobody_knows_is_shown_as_written(client_for, auditor, admin_user):
    audit_record(action=AccountAction.CHANGE, actor=admin_user, obj=admin_user, department="GONE")
    (row,) = [r for r in rows_of(client_for(auditor)) if r["action"] == "account.change"]
    assert row["detail_text"] == "部门：GONE。"


def test_codes_are_named_with_one_query_per_kind_per_page(
    client_for, auditor, talent, admin_user, departments
):
    from services.workflow import request_transfer

    client = client_for(auditor)

    def make(n):
        for i in range(n):
            req = file_housing(talent)
            request_transfer(
                req=req, actor=admin_user, department=("JYJ", "WJJ")[i % 2], reason="误派"
            )

    make(1)
    with CaptureQueriesContext(connection) as small:
        rows = rows_of(client)
    assert any("区教育科技局" in r["detail_text"] for r in rows)
    make(6)
    with CaptureQueriesContext(connection) as large:
        rows = rows_of(client)
    assert sum("转入部门：区卫生健康局" in r["detail_text"] for r in rows) == 3
    assert len(large) == len(small)
    by_table = [
        q["sql"]
        for q in large.captured_queries
        if 'FROM "portal_department"' in q["sql"] or 'FROM "services_servicetype"' in q["sql"]
    ]
    assert len(by_table) == 2  # the departments' names, the service types' names
