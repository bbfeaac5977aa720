"""Lists whose count never scans history (issue 12): an unfiltered list of staff, leads and
admins is counted from the rollups, a filtered one up to a cap (and says so past it), the
desk's tab counts read open rows only."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from portal import paging
from services.calendar import calendar_sync
from services.seed import seed_service_types
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(departments, talent, handler):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    made = [
        request_in(status, talent, handler)
        for status in ["submitted", "submitted", "accepted", "awaiting_talent", "resolved"]
        + ["closed"] * 4
        + ["withdrawn", "rejected"]
    ]
    return made


def _counts_servicerequest(queries) -> bool:
    return any(
        "COUNT(" in q["sql"].upper() and "services_servicerequest" in q["sql"] for q in queries
    )


@pytest.mark.parametrize("who", ["handler", "lead", "admin_user"])
def test_an_unfiltered_list_is_counted_from_the_rollups(work, client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/service-requests/").json()
    assert body["count"] == len(work)
    assert "count_capped" not in body
    assert not _counts_servicerequest(queries.captured_queries)
    # Page 2 of 5 a page: the same count, from the same place.
    body = client.get("/api/v1/service-requests/?page_size=5&page=3").json()
    assert body["count"] == len(work) and len(body["results"]) == 1 and body["next"] is None


def test_a_filtered_list_is_counted_up_to_a_cap(work, client_for, admin_user, monkeypatch):
    client = client_for(admin_user)
    body = client.get("/api/v1/service-requests/?status=closed").json()
    assert body["count"] == 4 and "count_capped" not in body
    monkeypatch.setattr(paging, "CAP", 3)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/service-requests/?status=closed&page_size=2").json()
    assert body["count"] == 3 and body["count_capped"] is True
    assert len(body["results"]) == 2 and body["next"]
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counting and all("LIMIT 4" in sql for sql in counting), counting


def test_the_talents_own_list_is_counted(work, client_for, talent):
    body = client_for(talent).get("/api/v1/service-requests/").json()
    assert body["count"] == len(work)


def test_the_manage_page_states_a_capped_count(work, client, admin_user, monkeypatch):
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/manage/requests/").context["page"]
    assert page.paginator.count == len(work) and not page.paginator.capped
    assert not _counts_servicerequest(queries.captured_queries)
    monkeypatch.setattr(paging, "CAP", 3)
    # Filtered past the cap: 4 closed requests, counted up to 3, and the pager says so.
    page = client.get("/manage/requests/?status=closed").context["page"]
    assert page.paginator.capped is True and page.paginator.count == 3
    html = render_to_string("includes/pagination.html", {"page": _Pretend(page)})
    assert "共 3 条以上（请用筛选或搜索缩小范围）" in html


class _Pretend:
    """The page as the pager sees it, with more than one page to draw."""

    def __init__(self, page):
        self.number, self.paginator = 1, page.paginator
        page.paginator.num_pages = 2

    def has_previous(self):
        return False

    def has_next(self):
        return True

    def next_page_number(self):
        return 2


def test_the_desk_counts_open_requests_only(work, client, handler):
    client.force_login(handler)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/desk/")
    tabs = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs["submitted"] == 2 and tabs["accepted"] == 1 and tabs["awaiting_talent"] == 1
    counting = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "services_servicerequest" in q["sql"]
    ]
    # One query for the tabs, limited to the open statuses; the page reuses its tab's count.
    tab_counts = [sql for sql in counting if "awaiting_talent" in sql]
    assert len(tab_counts) == 1
    assert "'closed'" not in tab_counts[0] and "'submitted'" in tab_counts[0]


def test_a_deep_page_fetches_keys_first_then_its_rows(work, client_for, admin_user, monkeypatch):
    """Past portal.paging.DEEP rows a page is a key lookup plus a fetch by key: same rows,
    same order, one more query, whatever the depth."""
    client = client_for(admin_user)
    shallow = [
        r["number"]
        for r in client.get("/api/v1/service-requests/?page_size=3&page=2").json()["results"]
    ]
    monkeypatch.setattr(paging, "DEEP", 1)
    with CaptureQueriesContext(connection) as queries:
        deep = [
            r["number"]
            for r in client.get("/api/v1/service-requests/?page_size=3&page=2").json()["results"]
        ]
    assert deep == shallow and len(deep) == 3
    keyed = [q["sql"] for q in queries.captured_queries if "services_servicerequest" in q["sql"]]
    assert any("OFFSET 3" in sql and '"id" AS "pk" FROM' in sql for sql in keyed), keyed
