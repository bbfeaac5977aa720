"""Supervision figures against a hand-built data set with known answers (March 2026).

Requests (all 人才公寓, routed to ZJJ; "now" is 2026-03-31 12:00):

- A filed 03-02 09:00, accepted 10:00 (1 h), resolved 03-05: on time, 3 working days.
- B filed 03-02 09:00, accepted 03-03 09:00 (24 h), resolved 03-30: late (due end 03-24), 19 wd.
- C filed 03-02 09:00, accepted 03-03 09:00 (24 h), still open: overdue since 03-25, escalated.
- D filed 03-10 09:00, never accepted: overdue since 03-12 (accept clock), escalated.
- E filed 03-30 09:00, open, due end 03-31: not overdue.
- F filed 03-02 09:00, transferred by ZJJ to ZWJ 03-04 10:00 (late: due end 03-03), accepted by
  ZWJ 03-05 09:00 (23 h), resolved 03-06: on time, 1 wd. Counts for both departments.
- G filed 03-02 09:00, accepted 15:00 (6 h), paused 03-03 → 03-05 (2 wd), resolved 03-20: on
  time, 14 − 2 = 12 wd; rated 2 stars → a follow-up due end 03-27, overdue now.
- H filed 02-20 (before the period), accepted 02-24 09:00, resolved 03-04: on time, 7 wd.
"""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from portal.models import AuditEvent
from services import dashboard
from services.calendar import calendar_sync
from services.feedback import request_rate
from services.filing import request_file
from services.seed import seed_service_types
from services.workflow import (
    request_accept,
    request_ask_info,
    request_resolve,
    request_supply_info,
    request_transfer,
)
from tests.factories import UserFactory
from tests.requests_support import HOUSING, give_card

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=SH)
MARCH = dashboard.Period.parse("2026-03-01", "2026-03-31")


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def march(departments, talent, handler):
    """Build the data set; return the requests by letter."""
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    zwj = UserFactory(username="zwj", role="staff", department=departments["ZWJ"])
    reqs = {}

    def file(letter, moment):
        with time_machine.travel(moment, tick=False):
            reqs[letter] = request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING))

    def step(moment, func, letter, **kwargs):
        with time_machine.travel(moment, tick=False):
            reqs[letter] = func(req=reqs[letter], **kwargs)

    file("H", at(2, 20))
    step(at(2, 24), request_accept, "H", actor=handler)
    step(at(3, 4, 10), request_resolve, "H", actor=handler, note="已办结")
    for letter in "ABCFG":
        file(letter, at(3, 2))
    step(at(3, 2, 10), request_accept, "A", actor=handler)
    step(at(3, 5, 10), request_resolve, "A", actor=handler, note="已办结")
    step(at(3, 3), request_accept, "B", actor=handler)
    step(at(3, 30, 10), request_resolve, "B", actor=handler, note="已办结")
    step(at(3, 3), request_accept, "C", actor=handler)
    file("D", at(3, 10))
    file("E", at(3, 30))
    step(at(3, 4, 10), request_transfer, "F", actor=handler, department="ZWJ", reason="误派")
    step(at(3, 5), request_accept, "F", actor=zwj)
    step(at(3, 6, 10), request_resolve, "F", actor=zwj, note="已办结")
    step(at(3, 2, 15), request_accept, "G", actor=handler)
    step(at(3, 3, 10), request_ask_info, "G", actor=handler, items=["补充材料"])
    step(at(3, 5, 10), request_supply_info, "G", actor=talent, note="已补充材料")
    step(at(3, 20, 10), request_resolve, "G", actor=handler, note="已办结")
    with time_machine.travel(at(3, 20, 11), tick=False):
        request_rate(req=reqs["G"], actor=talent, score=2, comment="太慢")
    return reqs


def rows_by_key(rows):
    return {row["key"]: row for row in rows}


def test_the_hand_built_answers_per_department(march):
    rows = rows_by_key(dashboard.summary(MARCH, "department", now=NOW))
    zjj, zwj, jyj = rows["ZJJ"], rows["ZWJ"], rows["JYJ"]
    assert {
        k: zjj[k] for k in ("total", "resolved", "resolved_on_time", "open", "open_overdue")
    } == {
        "total": 7,  # A B C D E F G received in March (H arrived in February)
        "resolved": 4,  # A B G H
        "resolved_on_time": 3,  # A G H
        "open": 3,  # C D E
        "open_overdue": 2,  # C D
    }
    # 3 / (4 + 2): the open overdue requests pull the rate down from 3/4.
    assert zjj["on_time_rate"] == 0.5
    assert zjj["avg_accept_hours"] == pytest.approx((1 + 24 + 24 + 6) / 4, abs=0.06)
    assert zjj["avg_resolve_working_days"] == pytest.approx((3 + 19 + 12 + 7) / 4, abs=0.06)
    assert (zjj["bad_ratings"], zjj["followups_open"], zjj["followups_overdue"]) == (1, 1, 1)
    # The transfer: ZJJ passed F on, and held its seven arrivals this long on average.
    assert zjj["transferred_out"] == 1
    held = [73, 673, 699, 507, 27, 49, 433]  # A B C D E F G, hours until left or now
    assert zjj["avg_hold_hours"] == pytest.approx(sum(held) / 7, abs=0.06)
    assert (zwj["total"], zwj["resolved"], zwj["resolved_on_time"], zwj["on_time_rate"]) == (
        1,
        1,
        1,
        1.0,
    )
    assert zwj["avg_accept_hours"] == 23.0 and zwj["avg_resolve_working_days"] == 1.0
    assert zwj["transferred_out"] == 0
    assert (jyj["total"], jyj["on_time_rate"]) == (0, None)  # nothing to divide by


def test_the_hand_built_answers_per_service_type(march):
    housing = rows_by_key(dashboard.summary(MARCH, "service_type", now=NOW))["HOUSING"]
    assert {
        k: housing[k] for k in ("total", "resolved", "resolved_on_time", "open", "open_overdue")
    } == {
        "total": 7,  # filed in March
        "resolved": 5,  # A B F G H
        "resolved_on_time": 4,  # A F G H
        "open": 3,
        "open_overdue": 2,
    }
    assert housing["on_time_rate"] == pytest.approx(4 / 7, abs=0.0001)


def test_the_headline(march):
    figures = dashboard.headline(MARCH, now=NOW)
    assert figures == {
        "filed": 7,
        "resolved": 5,
        "resolved_on_time": 4,
        "open": 3,
        "open_overdue": 2,
        "escalated": 2,  # C (since 03-27) and D (since 03-14)
        "on_time_rate": pytest.approx(4 / 7, abs=0.0001),
        "bad_ratings": 1,
        "followups_open": 1,
        "followups_overdue": 1,
    }


def test_a_lead_sees_the_figures_of_their_department(march, departments):
    zwj = dashboard.headline(MARCH, department=departments["ZWJ"], now=NOW)
    assert (zwj["resolved"], zwj["open"], zwj["on_time_rate"]) == (1, 0, 1.0)


def test_trend_and_distribution(march):
    trend = dashboard.weekly_trend(now=NOW)
    assert len(trend) == 12 and trend[-1]["week"].isoformat() == "2026-03-30"
    by_week = {row["week"].isoformat(): row for row in trend}
    assert by_week["2026-03-02"]["filed"] == 5 and by_week["2026-03-09"]["filed"] == 1
    assert by_week["2026-03-30"]["resolved"] == 1 and by_week["2026-03-30"]["on_time_rate"] == 0.0
    assert by_week["2026-03-02"]["resolved"] == 3  # A, H, F resolved in that week
    buckets = {b["low"]: b["count"] for b in dashboard.resolve_time_distribution(MARCH)}
    assert buckets == {0: 1, 2: 1, 4: 0, 6: 1, 11: 1, 16: 1, 21: 0}  # F A H G B


def test_the_overdue_list_by_working_days_overdue(march, client_for, admin_user, lead):
    with time_machine.travel(NOW, tick=False):
        body = client_for(admin_user).get("/api/v1/sla/overdue/").json()
        lead_view = client_for(lead).get("/api/v1/sla/overdue/").json()
    rows = [(r["number"], r["working_days_overdue"], r["escalated"]) for r in body["results"]]
    # D: working days after 03-11 up to 03-31 = 14; C: after 03-24 = 5.
    assert rows == [(march["D"].number, 14, True), (march["C"].number, 5, True)]
    assert lead_view["count"] == 2


@pytest.mark.parametrize("persona", ["talent", "handler", "auditor", "verifier"])
def test_only_admins_and_leads_read_the_summary(client_for, request, persona):
    assert (
        client_for(request.getfixturevalue(persona)).get("/api/v1/sla/summary/").status_code == 403
    )


def test_the_summary_api(march, client_for, admin_user, lead):
    with time_machine.travel(NOW, tick=False):
        body = (
            client_for(admin_user).get("/api/v1/sla/summary/?from=2026-03-01&to=2026-03-31").json()
        )
        mine = client_for(lead).get("/api/v1/sla/summary/?from=2026-03-01&to=2026-03-31").json()
        bad = client_for(admin_user).get("/api/v1/sla/summary/?from=2026-03-31&to=2026-03-01")
        wrong = client_for(admin_user).get("/api/v1/sla/summary/?group_by=colour")
    assert body["from"] == "2026-03-01" and body["to"] == "2026-03-31"
    zjj = rows_by_key(body["rows"])["ZJJ"]
    assert set(zjj) >= {
        "key", "name", "total", "resolved", "resolved_on_time", "open", "open_overdue",
        "on_time_rate", "avg_accept_hours", "avg_resolve_working_days", "bad_ratings",
        "followups_open", "followups_overdue",
    }  # fmt: skip
    assert zjj["on_time_rate"] == 0.5
    assert [r["key"] for r in mine["rows"]] == ["ZJJ"]  # a lead: own department only
    assert bad.status_code == 400 and wrong.status_code == 400


def test_the_summary_runs_a_constant_number_of_queries(
    march, talent, client_for, admin_user, django_assert_max_num_queries
):
    client = client_for(admin_user)
    with django_assert_max_num_queries(20) as few:
        client.get("/api/v1/sla/summary/?from=2026-03-01&to=2026-03-31")
    baseline = len(few)
    for _ in range(15):
        with time_machine.travel(at(3, 16), tick=False):
            request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING))
    with django_assert_max_num_queries(baseline):
        client.get("/api/v1/sla/summary/?from=2026-03-01&to=2026-03-31")


def test_the_xlsx_export_reads_back_and_masks_identifiers(march, client_for, admin_user, talent):
    with time_machine.travel(NOW, tick=False):
        response = client_for(admin_user).get(
            "/api/v1/sla/export/?from=2026-03-01&to=2026-03-31&format=xlsx"
        )
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="bazhou-sla-20260301-20260331.xlsx"'
    )
    assert response.streaming  # from a temporary file, never built in memory
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["服务申请", "按部门汇总", "按事项汇总"]
    requests = list(book["服务申请"].iter_rows(values_only=True))
    assert requests[0][:4] == ("编号", "服务事项", "承办部门", "状态")
    assert {row[0] for row in requests[1:]} == {march[x].number for x in "ABCDEFG"}
    cells = " ".join(
        str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row
    )
    for secret in (talent.phone, talent.id_number, talent.real_name):
        assert secret not in cells
    assert "李*" in cells and "138****2688" in cells
    zjj = next(r for r in book["按部门汇总"].iter_rows(values_only=True) if r[0] == "ZJJ")
    assert zjj[2:8] == (7, 4, 3, 3, 2, 0.5)
    assert AuditEvent.objects.filter(action="sla.export", actor=admin_user).count() == 1


def test_the_csv_exports(march, client_for, admin_user, talent):
    client = client_for(admin_user)
    with time_machine.travel(NOW, tick=False):
        requests = client.get("/api/v1/sla/export/?from=2026-03-01&to=2026-03-31&format=csv")
        summary = client.get(
            "/api/v1/sla/export/?from=2026-03-01&to=2026-03-31&format=csv&kind=summary"
        )
    text = b"".join(requests.streaming_content).decode("utf-8-sig")
    assert requests["Content-Type"].startswith("text/csv") and len(text.strip().splitlines()) == 8
    assert talent.phone not in text and talent.id_number not in text and "138****2688" in text
    assert "ZJJ,区住房和城乡建设局,7,4,3,3,2,0.5" in b"".join(summary.streaming_content).decode(
        "utf-8-sig"
    )
    assert AuditEvent.objects.filter(action="sla.export").count() == 2


@pytest.mark.parametrize("persona", ["lead", "handler", "talent", "auditor"])
def test_only_admins_export(client_for, request, persona):
    assert (
        client_for(request.getfixturevalue(persona)).get("/api/v1/sla/export/").status_code == 403
    )


def test_a_leads_service_table_lists_their_services_and_what_reached_them(march, departments):
    zwj = dashboard.summary(MARCH, "service_type", department=departments["ZWJ"], now=NOW)
    # ZWJ offers 政务服务代办 (no activity) and received a transferred 人才公寓 request.
    assert [(r["key"], r["total"], r["resolved"]) for r in zwj] == [
        ("HOUSING", 1, 1),
        ("GOV_AGENT", 0, 0),
    ]
    zjj = dashboard.summary(MARCH, "service_type", department=departments["ZJJ"], now=NOW)
    assert [r["key"] for r in zjj] == ["HOUSING"]


def test_the_headline_and_the_tables_count_the_same_backlog(march):
    early = dashboard.Period.parse("2026-03-01", "2026-03-09")  # before D (03-10) and E (03-30)
    figures = dashboard.headline(early, now=NOW)
    rows = dashboard.summary(early, "department", now=NOW)
    assert figures["open"] == sum(r["open"] for r in rows) == 1  # C only
    assert figures["open_overdue"] == sum(r["open_overdue"] for r in rows) == 1
    resolved = sum(r["resolved"] for r in rows)
    on_time = sum(r["resolved_on_time"] for r in rows)
    assert (figures["resolved"], figures["resolved_on_time"]) == (resolved, on_time) == (3, 3)
    assert figures["on_time_rate"] == 0.75  # 3 / (3 + 1), as the only busy department shows
    assert rows_by_key(rows)["ZJJ"]["on_time_rate"] == pytest.approx(2 / 3, abs=0.0001)
