"""Issue 11 item 4: the header's 待办 count for staff and leads, the lead's 差评回访 tab on the
desk, and what the talent is told after a bad rating (pages and API)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from portal.models import Notification
from services.feedback import followup_close, request_rate
from services.models import FollowUp, ServiceRequest
from services.seed import seed_service_types
from services.todo import todo_count
from services.workflow import request_accept, request_resolve, request_transfer
from tests.factories import TalentFactory
from tests.requests_support import file_housing, give_card, request_in

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def catalogue(departments, talent, other_talent):
    seed_service_types()
    give_card(talent)
    give_card(other_talent)


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def todo_in_header(html: str) -> tuple[str, int] | None:
    """(link, count) of the header's 待办, or None when the header has none."""
    header = html.split("</header>", 1)[0]
    found = re.search(
        r'<a href="([^"]+)" class="todo"[^>]*>待办 <span class="badge"[^>]*>(\d+)</span>', header
    )
    return (found.group(1), int(found.group(2))) if found else None


# --- 待办 -----------------------------------------------------------------------------------
@pytest.fixture
def workload(talent, other_talent, handler, lead, other_handler):
    """ZJJ: 2 待受理, 办理中 one each for handler, lead and nobody, 1 待补正 (handler's),
    1 已办结; JYJ: 1 待受理 (transferred there)."""
    file_housing(talent)
    file_housing(other_talent)
    request_accept(req=file_housing(talent), actor=handler)
    request_accept(req=file_housing(talent), actor=lead)
    nobodys = request_accept(req=file_housing(talent), actor=handler)
    # An accepted request whose handler was taken off it (e.g. left the department).
    ServiceRequest.objects.filter(pk=nobodys.pk).update(assignee=None)
    request_in("awaiting_talent", talent, handler)
    request_in("resolved", talent, handler)
    request_transfer(
        req=file_housing(other_talent), actor=handler, department="JYJ", reason="涉及子女入学"
    )


def test_the_todo_count_is_what_waits_for_each_handler_now(
    workload, client, handler, lead, other_handler
):
    # 2 待受理 + their own 办理中 + the unassigned 办理中; never 待补正 or another's work.
    client.force_login(handler)
    assert todo_in_header(page(client, "/desk/")) == ("/desk/", 4)
    client.force_login(lead)
    assert todo_in_header(page(client, "/desk/")) == ("/desk/", 4)
    client.force_login(other_handler)
    assert todo_in_header(page(client, "/services/")) == ("/desk/", 1)


def test_the_todo_count_follows_the_work(client, talent, handler):
    req = file_housing(talent)
    client.force_login(handler)
    assert todo_in_header(page(client, "/services/")) == ("/desk/", 1)
    request_accept(req=req, actor=handler)
    assert todo_in_header(page(client, "/services/")) == ("/desk/", 1)  # now in progress
    request_resolve(req=req, actor=handler, note="已配租")
    assert todo_in_header(page(client, "/services/")) == ("/desk/", 0)


def test_only_staff_and_leads_have_a_todo_count(
    workload, client, talent, admin_user, auditor, verifier
):
    for user in (talent, admin_user, auditor, verifier):
        client.force_login(user)
        assert todo_in_header(page(client, "/")) is None, user.role
    client.logout()
    assert todo_in_header(page(client, "/")) is None


def test_the_todo_count_is_one_query_served_by_an_index(
    workload, handler, django_assert_num_queries
):
    with django_assert_num_queries(1) as one:
        assert todo_count(handler) == 4
    sql = one.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row) for row in cursor.fetchall())
    # servicerequest_open_idx (department, status, due_at, …) on PostgreSQL; SQLite may prefer
    # the plain department index. Either way an index search, never a scan of the table.
    if connection.vendor == "postgresql":
        assert "Index" in plan and "Seq Scan" not in plan, plan
    else:
        assert "SEARCH services_servicerequest USING" in plan, plan
        assert "SCAN services_servicerequest" not in plan, plan


def test_the_todo_count_does_not_grow_with_the_work(
    client, talent, handler, django_assert_max_num_queries
):
    file_housing(talent)
    client.force_login(handler)
    with django_assert_max_num_queries(10) as few:
        page(client, "/services/")
    for _ in range(10):
        file_housing(talent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert todo_in_header(page(client, "/services/")) == ("/desk/", 11)


# --- the lead's 差评回访 tab -----------------------------------------------------------------
def rated(talent, handler, score, moment):
    """A request resolved and then rated ``score`` at ``moment``."""
    with time_machine.travel(moment, tick=False):
        req = request_in("resolved", talent, handler)
        request_rate(req=req, actor=talent, score=score, comment="太慢")
    return ServiceRequest.objects.get(pk=req.pk)


def followup_numbers(html: str) -> list[str]:
    return re.findall(r'href="/desk/requests/(FW-[\d-]+)/#rating"', html)


def test_the_lead_sees_the_open_bad_rating_follow_ups_nearest_deadline_first(
    client, talent, other_talent, handler, lead, other_handler
):
    later = rated(talent, handler, 2, at(2026, 3, 3, 10, 0))  # due end of 03-10
    sooner = rated(other_talent, handler, 1, at(2026, 3, 2, 10, 0))  # due end of 03-09
    rated(talent, handler, 4, at(2026, 3, 2, 11, 0))  # a good rating: nothing to follow up
    # A bad rating of another department is that department's lead's business.
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        elsewhere = file_housing(other_talent)
        request_transfer(req=elsewhere, actor=handler, department="JYJ", reason="涉及子女入学")
        request_accept(req=elsewhere, actor=other_handler)
        request_resolve(req=elsewhere, actor=other_handler, note="已协调")
        request_rate(req=elsewhere, actor=other_talent, score=1)

    client.force_login(lead)
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        html = page(client, "/desk/?tab=followups")
    assert followup_numbers(html) == [sooner.number, later.number]
    assert re.search(r'class="tab tab-followups">差评回访 <span class="count">2</span>', html)
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    first, second = rows.split("</tr>")[:2]
    assert "2026-03-09 24:00" in first and "已超期" in first and "1星 非常不满意" in first
    assert "2026-03-10 24:00" in second and "已超期" not in second and "2星 不满意" in second
    assert "王*" in first and "王五" not in rows  # the talent's name masked, as everywhere

    # Closed where the link leads; then it leaves the tab.
    response = client.post(
        f"/desk/requests/{sooner.number}/followup/", {"followup-note": "已电话回访致歉"}
    )
    assert response.status_code == 302
    html = page(client, "/desk/?tab=followups")
    assert followup_numbers(html) == [later.number]


def test_the_follow_up_tab_is_the_leads_and_takes_the_search(
    client, talent, other_talent, handler, lead
):
    mine = rated(talent, handler, 1, at(2026, 3, 2, 10, 0))
    other = rated(other_talent, handler, 2, at(2026, 3, 2, 10, 0))
    client.force_login(lead)
    html = page(client, "/desk/?tab=followups&q=" + "王五")
    assert followup_numbers(html) == [other.number]
    assert 'class="tab tab-followups">差评回访 <span class="count">1</span>' in html
    assert followup_numbers(page(client, f"/desk/?tab=followups&q={mine.number}")) == [mine.number]
    # Staff close no follow-ups: no tab, and asking for it shows their queue.
    client.force_login(handler)
    html = page(client, "/desk/?tab=followups")
    assert "tab-followups" not in html and followup_numbers(html) == []
    assert re.search(r'aria-current="page" class="tab tab-submitted"', html)


def test_the_follow_up_tab_runs_a_constant_number_of_queries(
    client, handler, lead, django_assert_max_num_queries
):
    first = TalentFactory()
    give_card(first)
    rated(first, handler, 1, at(2026, 3, 2, 10, 0))
    client.force_login(lead)
    with django_assert_max_num_queries(16) as few:
        assert len(followup_numbers(page(client, "/desk/?tab=followups"))) == 1
    for day in range(3, 9):
        someone = TalentFactory()
        give_card(someone)
        rated(someone, handler, 2, at(2026, 3, day, 10, 0))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(followup_numbers(page(client, "/desk/?tab=followups"))) == 7


# --- what the talent is told ----------------------------------------------------------------
def messages_of(html: str) -> str:
    block = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return block.group(1) if block else ""


def test_a_bad_rating_on_the_page_tells_the_talent_who_calls_back_by_when(
    client, talent, handler, lead
):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        req = request_in("resolved", talent, handler)
    client.force_login(talent)
    detail = f"/requests/{req.number}/"
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        response = client.post(detail + "rate/", {"rate-score": "2"}, follow=True)
    html = response.content.decode()
    promise = "部门负责人将在 2026-03-09 24:00 前回访。"
    assert "感谢您的评价！" + promise in messages_of(html)
    # The request page says it while the follow-up is open ...
    html = page(client, detail)
    assert promise in html and messages_of(html) == ""
    # ... and no longer once the lead has closed it.
    followup_close(followup=FollowUp.objects.get(request=req), actor=lead, note="已回访")
    assert "前回访" not in page(client, detail)
    # The lead's notification writes the deadline the same way.
    body = Notification.objects.get(recipient=lead, kind="followup_opened").body
    assert "2026-03-09 24:00" in body


def test_a_fair_rating_promises_no_follow_up(client, talent, handler):
    req = request_in("resolved", talent, handler)
    client.force_login(talent)
    response = client.post(f"/requests/{req.number}/rate/", {"rate-score": "3"}, follow=True)
    assert messages_of(response.content.decode()).strip().endswith("感谢您的评价！</li>")
    assert "前回访" not in page(client, f"/requests/{req.number}/")


def test_the_api_rate_answer_carries_the_follow_up_promise(client_for, talent, handler, lead):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        bad = request_in("resolved", talent, handler)
        fair = request_in("resolved", talent, handler)
    client = client_for(talent)
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        answer = client.post(f"/api/v1/service-requests/{bad.number}/rate/", {"score": 1}).json()
        fair_answer = client.post(
            f"/api/v1/service-requests/{fair.number}/rate/", {"score": 3}
        ).json()
    assert answer["followup_promise"] == {
        "due_at": "2026-03-10T00:00:00+08:00",
        "text": "部门负责人将在 2026-03-09 24:00 前回访。",
    }
    assert answer["followup"] is None  # what the department changes is not the talent's
    assert fair_answer["followup_promise"] is None
    # The request reads the same while open, and without the promise once closed.
    url = f"/api/v1/service-requests/{bad.number}/"
    assert client.get(url).json()["followup_promise"]["text"].startswith("部门负责人将在")
    client_for(lead).post(url + "followup/close/", {"note": "已回访"})
    assert client.get(url).json()["followup_promise"] is None


def test_the_follow_up_tab_is_served_by_its_index(talent, handler, lead):
    from services.views.desk import open_followups

    rated(talent, handler, 1, at(2026, 3, 2, 10, 0))
    sql, params = open_followups(lead).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    # (department, due_at) WHERE closed_at IS NULL: the department's rows in the tab's order.
    assert "followup_dept_open_due_idx" in plan, plan
