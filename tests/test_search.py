"""Finding things (issue 11 item 3, API.md "Finding things"): a request by its number (prefix),
the card it was filed with, or the applicant's exact full name; a card by its number (prefix)
or the holder's exact full name. The API and the pages (desk, all requests, card registry)
call the same functions, see only what the caller may see, keep every filter in their links,
run a constant number of queries, and are served by indexes.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.db import connection

from cards.models import Card
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve, request_transfer
from tests.factories import TalentFactory
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
API = "/api/v1/service-requests/"


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def world(talent, other_talent, handler):
    """Requests filed on two days (numbers FW-20260302-… and FW-20260303-…): 李明 (talent)
    two in ZJJ, 王五 (other_talent) one in ZJJ and one transferred to JYJ."""
    li_card = give_card(talent)
    wang_card = give_card(other_talent)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        li_1 = file_housing(talent)  # FW-20260302-0001
        wang_1 = file_housing(other_talent)  # FW-20260302-0002
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        li_2 = file_housing(talent)  # FW-20260303-0001
        wang_2 = file_housing(other_talent)  # FW-20260303-0002
        request_transfer(req=wang_2, actor=handler, department="JYJ", reason="涉及子女入学")
    return {
        "li_1": li_1.number,
        "li_2": li_2.number,
        "wang_1": wang_1.number,
        "wang_2": wang_2.number,
        "li_card": li_card.number,
        "wang_card": wang_card.number,
    }


def found(client, q, **params) -> list[str]:
    response = client.get(API, {"q": q, **params})
    assert response.status_code == 200, response.content
    return sorted(r["number"] for r in response.json()["results"])


# --- the API --------------------------------------------------------------------------------
def test_the_numbers_of_the_world_are_what_the_tests_assume(world):
    assert (world["li_1"], world["wang_1"]) == ("FW-20260302-0001", "FW-20260302-0002")
    assert (world["li_2"], world["wang_2"]) == ("FW-20260303-0001", "FW-20260303-0002")


def test_a_request_number_matches_by_prefix_in_any_case_with_or_without_letters(
    world, client_for, admin_user
):
    client = client_for(admin_user)
    assert found(client, "FW-20260302-0001") == ["FW-20260302-0001"]
    assert found(client, "FW-20260302") == ["FW-20260302-0001", "FW-20260302-0002"]
    assert found(client, " fw-20260303-000 ") == ["FW-20260303-0001", "FW-20260303-0002"]
    assert found(client, "20260303-0002") == ["FW-20260303-0002"]
    # A prefix, not a fragment from the middle of the number.
    assert found(client, "0302-0001") == []
    assert found(client, "FW-20260304") == []


def test_a_card_number_finds_the_requests_filed_with_that_card(world, client_for, admin_user):
    client = client_for(admin_user)
    assert found(client, world["li_card"]) == [world["li_1"], world["li_2"]]
    assert found(client, world["wang_card"].lower()) == [world["wang_1"], world["wang_2"]]
    assert found(client, "BZYC-2099-000001") == []


def test_a_name_matches_only_the_exact_full_name(world, client_for, admin_user):
    client = client_for(admin_user)
    assert found(client, "李明") == [world["li_1"], world["li_2"]]
    assert found(client, " 王五 ") == [world["wang_1"], world["wang_2"]]
    # Part of a name finds nothing: names are matched whole, through their index.
    assert found(client, "李") == []
    assert found(client, "明") == []


def test_search_stays_within_what_the_caller_may_see(
    world, client_for, talent, handler, other_handler, lead
):
    # The talent: only their own requests, whatever they type.
    assert found(client_for(talent), "王五") == []
    assert found(client_for(talent), "FW-20260302") == [world["li_1"]]
    assert found(client_for(talent), world["wang_card"]) == []
    # ZJJ staff: not the request that went to JYJ; JYJ staff: only that one.
    assert found(client_for(handler), "王五") == [world["wang_1"]]
    assert found(client_for(lead), world["wang_card"]) == [world["wang_1"]]
    assert found(client_for(other_handler), "王五") == [world["wang_2"]]
    assert found(client_for(other_handler), "李明") == []


def test_search_combines_with_the_other_filters(world, client_for, handler):
    request_accept(req=_req(world["li_1"]), actor=handler)
    client = client_for(handler)
    assert found(client, "李明", status="accepted") == [world["li_1"]]
    assert found(client, "李明", status="submitted") == [world["li_2"]]
    assert found(client, "李明", assignee="me") == [world["li_1"]]
    assert found(client, "FW-20260302", status="submitted") == [world["wang_1"]]
    # Nothing typed: the filter does nothing.
    assert len(found(client, "")) == 3


def test_an_overlong_search_is_a_400_not_a_500(client_for, handler):
    response = client_for(handler).get(API, {"q": "李" * 51})
    assert response.status_code == 400 and "q" in response.json()


def test_the_schema_describes_q(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in ("/api/v1/service-requests/", "/api/v1/cards/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert "q" in names, path


def test_the_api_search_runs_a_constant_number_of_queries(
    world, client_for, admin_user, django_assert_max_num_queries
):
    client = client_for(admin_user)
    with django_assert_max_num_queries(12) as few:
        assert found(client, "李明") == [world["li_1"], world["li_2"]]
    baseline = len(few.captured_queries)
    talent = _talent_named("李明")
    for _ in range(6):
        file_housing(talent)
    with django_assert_max_num_queries(baseline):
        assert len(found(client, "李明")) == 8


def _req(number):
    from services.models import ServiceRequest

    return ServiceRequest.objects.get(number=number)


def _talent_named(name):
    """Another person who happens to have the same name, with a card."""
    talent = TalentFactory(real_name=name)
    give_card(talent)
    return talent


# --- cards through the API ------------------------------------------------------------------
def _card_numbers(client, **params) -> list[str]:
    response = client.get("/api/v1/cards/", params)
    assert response.status_code == 200, response.content
    return sorted(c["number"] for c in response.json()["results"])


def test_cards_are_found_by_number_prefix_or_the_holders_exact_name(client_for, admin_user):
    li = TalentFactory(real_name="李明")
    wang = TalentFactory(real_name="王五")
    Card.objects.create(
        number="BZYC-2025-000007", holder=li, tier="C", valid_until=date(2028, 1, 1)
    )
    Card.objects.create(
        number="BZYC-2026-000007", holder=wang, tier="D", valid_until=date(2029, 1, 1)
    )
    client = client_for(admin_user)
    assert _card_numbers(client, q="BZYC-2026") == ["BZYC-2026-000007"]
    assert _card_numbers(client, q="bzyc-202") == ["BZYC-2025-000007", "BZYC-2026-000007"]
    assert _card_numbers(client, q="2025-0000") == ["BZYC-2025-000007"]
    assert _card_numbers(client, q="000007") == []  # a prefix, not a fragment
    assert _card_numbers(client, q="王五") == ["BZYC-2026-000007"]
    assert _card_numbers(client, q="王") == []
    assert _card_numbers(client, q="李明", tier="D") == []
    assert _card_numbers(client, q="李明", tier="C") == ["BZYC-2025-000007"]


def test_only_admins_search_cards(client_for, handler, talent):
    assert client_for(handler).get("/api/v1/cards/", {"q": "李明"}).status_code == 403
    assert client_for(talent).get("/api/v1/cards/", {"q": "李明"}).status_code == 403


# --- the pages ------------------------------------------------------------------------------
def numbers_on(html: str) -> list[str]:
    return re.findall(r'class="card-number">(FW-[\d-]+)</a>', html)


def page(client, url, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def tab_count(html: str, key: str) -> int:
    found_ = re.search(rf'class="tab tab-{key}">[^<]*<span class="count">(\d+)</span>', html)
    assert found_, key
    return int(found_.group(1))


def test_the_desk_searches_its_department_and_shows_every_status_while_searching(
    world, client, handler, talent
):
    li_1 = _req(world["li_1"])
    request_accept(req=li_1, actor=handler)
    request_resolve(req=li_1, actor=handler, note="已配租")
    client.force_login(handler)
    html = page(client, "/desk/", {"q": "李明"})
    # No tab chosen: 全部, finished requests included; other departments' never.
    assert sorted(numbers_on(html)) == [world["li_1"], world["li_2"]]
    assert tab_count(html, "all") == 2 and tab_count(html, "submitted") == 1
    assert tab_count(html, "accepted") == 0
    assert 'value="李明"' in html and "清除搜索" in html
    # Without a search there is no 全部 tab: the desk is a work queue.
    html = page(client, "/desk/")
    assert 'class="tab tab-all"' not in html
    assert numbers_on(page(client, "/desk/", {"q": "王五"})) == [world["wang_1"]]
    assert numbers_on(page(client, "/desk/", {"q": world["wang_card"]})) == [world["wang_1"]]
    assert numbers_on(page(client, "/desk/", {"q": "FW-20260303"})) == [world["li_2"]]


def test_the_desk_keeps_tab_mine_and_search_in_every_link(world, client, handler, talent):
    for _ in range(21):
        file_housing(talent)
    request_accept(req=_req(world["li_1"]), actor=handler)
    client.force_login(handler)
    html = page(client, "/desk/", {"q": "李明", "tab": "submitted"})
    assert tab_count(html, "submitted") == 22 and tab_count(html, "accepted") == 1
    # The tab links carry the search; the mine toggle carries tab and search.
    assert 'href="?tab=accepted&amp;q=%E6%9D%8E%E6%98%8E"' in html
    assert 'href="?tab=submitted&amp;mine=1&amp;q=%E6%9D%8E%E6%98%8E"' in html
    # Pagination keeps them too.
    assert 'href="?tab=submitted&amp;q=%E6%9D%8E%E6%98%8E&amp;page=2"' in html
    # The search form keeps the tab (and mine) as hidden fields.
    assert '<input type="hidden" name="tab" value="submitted">' in html
    html = page(client, "/desk/", {"q": "李明", "tab": "accepted", "mine": "1"})
    assert numbers_on(html) == [world["li_1"]]
    assert '<input type="hidden" name="mine" value="1">' in html
    assert 'href="?tab=submitted&amp;mine=1&amp;q=%E6%9D%8E%E6%98%8E"' in html
    # Clearing the search keeps the tab and mine.
    assert 'href="?tab=accepted&amp;mine=1">清除搜索' in html


def test_the_all_requests_list_searches_and_keeps_the_filters(world, client, admin_user, lead):
    client.force_login(admin_user)
    html = page(client, "/manage/requests/", {"q": "王五"})
    assert sorted(numbers_on(html)) == [world["wang_1"], world["wang_2"]]
    html = page(client, "/manage/requests/", {"q": "王五", "department": "JYJ"})
    assert numbers_on(html) == [world["wang_2"]]
    assert 'name="q"' in html and 'value="王五"' in html
    assert numbers_on(page(client, "/manage/requests/", {"q": "fw-20260302"})) == [
        world["wang_1"],
        world["li_1"],
    ]
    # A lead searches only their own department's requests there.
    client.force_login(lead)
    assert numbers_on(page(client, "/manage/requests/", {"q": "王五"})) == [world["wang_1"]]


def test_the_all_requests_list_paginates_with_the_search(world, client, admin_user, talent):
    for _ in range(21):
        file_housing(talent)
    client.force_login(admin_user)
    html = page(client, "/manage/requests/", {"q": "李明", "status": "submitted"})
    assert len(numbers_on(html)) == 20
    assert "q=%E6%9D%8E%E6%98%8E&amp;status=submitted" in html
    assert re.search(r'href="\?[^"]*q=%E6%9D%8E%E6%98%8E[^"]*&amp;page=2"', html)
    html = page(client, "/manage/requests/", {"q": "李明", "status": "submitted", "page": "2"})
    assert len(numbers_on(html)) == 3


def test_the_card_registry_searches_by_number_prefix_or_holder_name(client, admin_user):
    li = TalentFactory(real_name="李明")
    Card.objects.create(
        number="BZYC-2026-000001", holder=li, tier="C", valid_until=date(2029, 1, 1)
    )
    wang = TalentFactory(real_name="王五")
    Card.objects.create(
        number="BZYC-2026-000002", holder=wang, tier="D", valid_until=date(2029, 1, 1)
    )
    client.force_login(admin_user)
    html = page(client, "/manage/cards/", {"q": "王五"})
    assert "BZYC-2026-000002" in html and "BZYC-2026-000001" not in html
    html = page(client, "/manage/cards/", {"q": "2026-000001"})
    assert "BZYC-2026-000001" in html and "BZYC-2026-000002" not in html
    html = page(client, "/manage/cards/", {"q": "王五", "tier": "C"})
    assert "BZYC-2026-000002" not in html and "没有符合条件的优才卡" in html


def test_the_card_registry_paginates_with_the_search(client, admin_user):
    holder = TalentFactory(real_name="张三")
    for i in range(1, 23):
        Card.objects.create(
            number=f"BZYC-2026-{i:06d}",
            holder=holder if i == 1 else TalentFactory(),
            tier="D",
            status="active" if i == 1 else "expired",
            valid_until=date(2029, 1, 1),
        )
    client.force_login(admin_user)
    html = page(client, "/manage/cards/", {"q": "BZYC-2026", "status": "expired"})
    assert "共 21 条" in html
    assert 'href="?q=BZYC-2026&amp;status=expired&amp;page=2"' in html


@pytest.mark.parametrize(
    ("persona", "url", "q"),
    [
        ("handler", "/desk/", "李明"),
        ("handler", "/desk/", "FW-"),
        ("admin_user", "/manage/requests/", "李明"),
        ("admin_user", "/manage/requests/", "FW-"),
    ],
)
def test_searching_pages_run_a_constant_number_of_queries(
    request, persona, url, q, client, talent, django_assert_max_num_queries
):
    give_card(talent)
    file_housing(talent)
    client.force_login(request.getfixturevalue(persona))
    with django_assert_max_num_queries(16) as few:
        assert len(numbers_on(page(client, url, {"q": q}))) == 1
    for _ in range(5):
        other = _talent_named("李明")
        file_housing(other)
        file_housing(talent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(numbers_on(page(client, url, {"q": q}))) == 11


def cards_on(html: str) -> int:
    return len(re.findall(r'">BZYC-2026-\d{6}</a>', html))


def test_the_card_registry_search_runs_a_constant_number_of_queries(
    client, admin_user, django_assert_max_num_queries
):
    def add(n, start):
        for i in range(start, start + n):
            Card.objects.create(
                number=f"BZYC-2026-{i:06d}",
                holder=TalentFactory(real_name="李明"),
                tier="D",
                valid_until=date(2029, 1, 1),
            )

    add(1, 1)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12) as few:
        assert cards_on(page(client, "/manage/cards/", {"q": "李明"})) == 1
    add(10, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert cards_on(page(client, "/manage/cards/", {"q": "李明"})) == 11


# --- indexes --------------------------------------------------------------------------------
def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A tiny test table is cheaper to scan: ask whether an index *can* serve it.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_a_name_search_goes_through_the_real_name_index(world, admin_user):
    from services.models import ServiceRequest
    from services.search import request_search

    plan = _plan(request_search(ServiceRequest.objects.visible_to(admin_user), "李明"))
    assert "user_real_name_idx" in plan


@pytest.mark.postgres
def test_on_postgresql_every_kind_of_search_is_served_by_an_index(world, admin_user):
    from cards.search import card_search
    from services.models import ServiceRequest
    from services.search import request_search

    requests = ServiceRequest.objects.visible_to(admin_user)
    number = _plan(request_search(requests, "FW-20260302"))
    assert "Index" in number and "Seq Scan" not in number, number
    card = _plan(request_search(requests, world["li_card"]))
    assert "card_number" in card and "Seq Scan" not in card, card
    name = _plan(request_search(requests, "李明"))
    assert "user_real_name_idx" in name and "Seq Scan" not in name, name
    cards = Card.objects.visible_to(admin_user)
    prefix = _plan(card_search(cards, "BZYC-2026"))
    assert "Index" in prefix and "Seq Scan" not in prefix, prefix
    holder = _plan(card_search(cards, "李明"))
    assert "user_real_name_idx" in holder and "Seq Scan" not in holder, holder
