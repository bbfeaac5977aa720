"""The talents API (API.md "人才信息库 and 一对一联系服务"), through HTTP: the talent's own
profile (what they keep, what only a card change changes), 人才画像's counts against a
manual count, and the liaisons (assigned by the organization department, read by the officer
and the holder, listed nearest due first in a fixed number of queries), for every role.

Visits, concerns, coverage and requests filed for the talent: tests/test_talents_api_visits.py
(its fixtures are these).
"""

import datetime
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cards.issuance import card_revoke
from portal.models import AuditEvent, Notification, Role
from talents.models import Liaison, Standing, TalentProfile
from tests.talents_support import holder, liaison_for, officer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("departments")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)  # a Monday
TALENT_NAME, TALENT_PHONE = "李明", "13800002688"
OTHER_NAME, OTHER_PHONE = "王五", "13800003333"


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(talent, other_talent, handler, lead, admin_user, auditor, verifier):
    """Everyone, by the part they play for ``talent``'s card (B) and its liaison."""
    return {
        "owner": talent,
        "other_talent": other_talent,
        "officer": officer("officer"),
        "staff": handler,  # ZJJ staff, serves nobody
        "lead": lead,  # ZJJ lead, serves nobody
        "admin": admin_user,
        "auditor": auditor,
        "verifier": verifier,
    }


@pytest.fixture
def as_(client_for, people):
    """``as_("officer")``: an API client of that person (one per person, made once);
    ``as_("anonymous")`` one without credentials."""
    clients = {}

    def make(who):
        if who not in clients:
            clients[who] = APIClient() if who == "anonymous" else client_for(people[who])
        return clients[who]

    return make


@pytest.fixture
def card(people):
    """``talent``'s active B card, and the other talent's."""
    _, mine = holder("B", user=people["owner"])
    holder("C", user=people["other_talent"])
    return mine


@pytest.fixture
def liaison(card, people):
    return liaison_for(card, people["officer"], people["admin"])


def masked(response):
    """No talent's name or phone in full in any answer."""
    text = response.content.decode()
    for secret in (TALENT_NAME, TALENT_PHONE, OTHER_NAME, OTHER_PHONE):
        assert secret not in text, (secret, text[:500])
    return response


def call(client, method, path, body=None, status=200):
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == status, (method, path, response.status_code, response.content)
    masked(response)
    return response.json()


# --- the profile -------------------------------------------------------------------------------


def test_the_talent_reads_the_profile_the_card_wrote(as_, card):
    body = call(as_("owner"), "get", "/api/v1/me/profile/")
    assert body == {
        "industry_chain": "",
        "industry_chain_name": "",
        "specialties": [],
        "outputs": [],
        "employer": "巴州区人民医院",
        "position": "主任医师",
        "education": "全日制博士研究生",
        "professional_title": "正高级工程师（正高）",
        "tier": "B",
        "standing": "active",
        "arrival_year": None,
        "card_number": card.number,
    }


def test_a_talent_without_a_card_has_an_empty_profile(as_, people):
    body = call(as_("owner"), "get", "/api/v1/me/profile/")
    assert body["card_number"] is None and body["tier"] == "" and body["standing"] == ""
    assert TalentProfile.objects.filter(holder=people["owner"]).count() == 1


def test_the_talent_keeps_chain_specialties_and_outputs(as_, card, people):
    change = {
        "industry_chain": "biomedicine",
        "specialties": ["中药材种植", " 药物分析 ", "中药材种植"],
        "outputs": [
            {"kind": "patent", "title": "一种川明参提取方法", "year": 2024, "ref": "ZL2024..."},
            {"kind": "paper", "title": "巴中道地药材研究", "year": "2025"},
        ],
        # Echoed unchanged, as a form sending the whole profile does: ignored.
        "employer": "巴州区人民医院",
    }
    body = call(as_("owner"), "patch", "/api/v1/me/profile/", change)
    assert body["industry_chain"] == "biomedicine" and body["industry_chain_name"] == "生物医药"
    assert body["specialties"] == ["中药材种植", "药物分析"]  # trimmed, once each
    assert body["outputs"] == [
        {
            "kind": "patent",
            "kind_name": "专利",
            "title": "一种川明参提取方法",
            "year": 2024,
            "ref": "ZL2024...",
        },
        {
            "kind": "paper",
            "kind_name": "论文",
            "title": "巴中道地药材研究",
            "year": 2025,
            "ref": "",
        },
    ]
    assert call(as_("owner"), "get", "/api/v1/me/profile/") == body
    event = AuditEvent.objects.get(action="talent_profile.update")
    assert event.actor == people["owner"]
    # Replaced as a whole: one output left.
    body = call(as_("owner"), "patch", "/api/v1/me/profile/", {"outputs": change["outputs"][1:]})
    assert [o["title"] for o in body["outputs"]] == ["巴中道地药材研究"]


def test_a_changed_card_fact_is_refused_with_where_to_change_it(as_, card):
    body = call(
        as_("owner"),
        "patch",
        "/api/v1/me/profile/",
        {
            "employer": "巴中市中心医院",
            "education": "硕士研究生",
            "industry_chain": "food_beverage",
        },
        status=400,
    )
    assert set(body) == {"employer", "education"}
    assert "信息变更" in body["employer"][0]
    # Nothing was written, not even the valid part.
    assert call(as_("owner"), "get", "/api/v1/me/profile/")["industry_chain"] == ""


def test_profile_errors_are_keyed_by_field_and_output(as_, card):
    body = call(
        as_("owner"),
        "patch",
        "/api/v1/me/profile/",
        {
            "industry_chain": "steel",
            "specialties": ["x" * 31],
            "outputs": [
                {"kind": "paper", "title": "好", "year": 2024},
                {"kind": "poem", "title": "", "year": 1900},
            ],
            "hobby": "钓鱼",
        },
        status=400,
    )
    assert set(body) == {
        "industry_chain",
        "specialties",
        "outputs.1.kind",
        "outputs.1.title",
        "outputs.1.year",
        "hobby",
    }
    assert body["outputs.1.year"] == ["年份应为1950至2026年之间的整数。"]
    assert body["industry_chain"] == ["请从给定的产业链中选择。"]


def test_a_body_that_is_not_an_object_is_a_400(as_, card):
    body = call(as_("owner"), "patch", "/api/v1/me/profile/", ["biomedicine"], status=400)
    assert list(body) == ["non_field_errors"]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("other_talent", 200),  # their own profile, never the owner's
        ("officer", 403),
        ("staff", 403),
        ("lead", 403),
        ("admin", 403),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_only_a_talent_has_a_profile_here(as_, card, who, code):
    for method, body in (("get", None), ("patch", {"industry_chain": "other"})):
        answer = call(as_(who), method, "/api/v1/me/profile/", body, status=code)
        if code == 200:
            assert answer["tier"] == "C" and answer["card_number"] != card.number
    # Nobody but talents got a profile from asking.
    assert set(TalentProfile.objects.values_list("holder__role", flat=True)) == {Role.TALENT}


# --- 人才画像 ----------------------------------------------------------------------------------


def manual(dimension: str) -> dict[str, dict[str, int]]:
    """What the rows must say, counted from the profiles themselves (card holders only)."""
    rows: dict[str, Counter] = {}
    for profile in TalentProfile.objects.filter(card__isnull=False):
        key = getattr(profile, dimension)
        key = "" if key is None else str(key)
        row = rows.setdefault(key, Counter())
        row["talents"] += 1
        row["active_cards"] += profile.standing == Standing.ACTIVE
        row["departed"] += profile.standing == Standing.DEPARTED
        row["arrived_this_year"] += profile.arrival_year == 2026
    return {key: dict(row) for key, row in rows.items()}


def stats(client, group_by) -> dict:
    body = call(client, "get", f"/api/v1/talent-stats/?group_by={group_by}")
    assert body["group_by"] == group_by and body["year"] == 2026
    return body


def as_counts(body) -> dict[str, dict[str, int]]:
    fields = ("talents", "active_cards", "departed", "arrived_this_year")
    return {row["key"]: {f: row[f] for f in fields} for row in body["rows"]}


def test_stats_equal_a_manual_count_after_profile_changes_and_a_revoke(
    as_, client_for, card, people
):
    arrived = datetime.date(2026, 3, 1)
    for tier, chain in (("A", "biomedicine"), ("B", "food_beverage"), ("C", "")):
        user, _ = holder(tier, arrival_date=arrived, employer="巴中市中心医院")
        if chain:
            call(client_for(user), "patch", "/api/v1/me/profile/", {"industry_chain": chain})
    call(as_("owner"), "patch", "/api/v1/me/profile/", {"industry_chain": "biomedicine"})
    card_revoke(card=card, actor=people["admin"], reason="调离本地")

    for dimension in ("industry_chain", "tier", "education", "arrival_year", "employer"):
        body = stats(as_("admin"), dimension)
        expected = manual(dimension)
        assert as_counts(body) == {k: {**dict.fromkeys(v, 0), **v} for k, v in expected.items()}
        assert body["total"]["talents"] == TalentProfile.objects.filter(card__isnull=False).count()
    chains = as_counts(stats(as_("admin"), "industry_chain"))
    # The owner left (revoked) but is still counted, as departed.
    assert chains["biomedicine"] == {
        "talents": 2,
        "active_cards": 1,
        "departed": 1,
        "arrived_this_year": 1,
    }
    names = {r["key"]: r["name"] for r in stats(as_("admin"), "industry_chain")["rows"]}
    assert names["biomedicine"] == "生物医药" and names[""] == "未填写"


def test_stats_by_tier_name_the_tiers(as_, card):
    body = stats(as_("admin"), "tier")
    assert [(r["key"], r["name"], r["talents"]) for r in body["rows"]] == [
        ("B", "B类", 1),
        ("C", "C类", 1),
    ]
    assert body["total"] == {"talents": 2, "active_cards": 2, "arrived_this_year": 0, "departed": 0}


def test_stats_default_to_the_industry_chain_and_refuse_another_dimension(as_, card):
    assert call(as_("admin"), "get", "/api/v1/talent-stats/")["group_by"] == "industry_chain"
    body = call(as_("admin"), "get", "/api/v1/talent-stats/?group_by=real_name", status=400)
    assert list(body) == ["group_by"] and "industry_chain" in body["group_by"][0]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("owner", 403),
        ("officer", 403),
        ("staff", 403),
        ("lead", 403),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_only_the_organization_department_reads_the_stats(as_, card, who, code):
    call(as_(who), "get", "/api/v1/talent-stats/?group_by=tier", status=code)


# --- assigning a liaison -----------------------------------------------------------------------

ASSIGN = {"leader": "区委副书记 张某", "officer": "officer", "visit_every_days": 60}


def liaison_url(card) -> str:
    return f"/api/v1/cards/{card.number}/liaison/"


def test_the_organization_department_assigns_a_liaison(as_, card, people):
    body = call(as_("admin"), "put", liaison_url(card), ASSIGN)
    officer_user = people["officer"]
    assert body == {
        "card_number": card.number,
        "talent": {"real_name_masked": "李*"},
        "tier": "B",
        "leader": "区委副书记 张某",
        "officer": {"username": "officer", "name": officer_user.real_name},
        "visit_every_days": 60,
        "last_visit_on": None,
        "next_visit_due": "2027-02-05",  # 60 days after the assignment
        "overdue": False,
        "assigned_at": body["assigned_at"],
    }
    assert datetime.datetime.fromisoformat(body["assigned_at"]) == NOW
    liaison = Liaison.objects.get(card=card)
    assert (liaison.officer, liaison.talent) == (officer_user, people["owner"])
    told = Notification.objects.filter(kind__in=["liaison_assigned", "liaison_assigned_talent"])
    assert sorted(told.values_list("recipient__username", flat=True)) == ["officer", "talent"]
    assert AuditEvent.objects.filter(action="liaison.assign", actor=people["admin"]).count() == 1
    # Changed: the interval; nothing new for the talent.
    body = call(as_("admin"), "put", liaison_url(card), {**ASSIGN, "visit_every_days": 30})
    assert body["visit_every_days"] == 30 and body["next_visit_due"] == "2027-01-06"
    assert AuditEvent.objects.filter(action="liaison.change").count() == 1
    assert told.count() == 2


def test_assignment_errors_are_keyed_by_field(as_, card):
    body = call(
        as_("admin"),
        "put",
        liaison_url(card),
        {"leader": " ", "officer": "other_talent", "visit_every_days": 400},
        status=400,
    )
    assert set(body) == {"leader", "officer", "visit_every_days"}
    assert body["visit_every_days"] == ["走访周期应为7至366天。"]
    assert not Liaison.objects.exists()


def test_a_card_not_live_gets_no_liaison(as_, card, people):
    card_revoke(card=card, actor=people["admin"], reason="调离本地")
    body = call(as_("admin"), "put", liaison_url(card), ASSIGN, status=409)
    assert body["status"] == "ended" and body["code"] == "invalid_transition"
    assert not Liaison.objects.exists()


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("owner", 403),  # sees the card, may not assign
        ("officer", 403),  # serves the holder, may not assign
        ("other_talent", 404),
        ("staff", 404),
        ("lead", 404),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_only_the_organization_department_assigns(as_, liaison, who, code):
    call(as_(who), "put", liaison_url(liaison.card), {**ASSIGN, "visit_every_days": 14}, code)
    assert Liaison.objects.get(pk=liaison.pk).visit_every_days == 90


def test_an_unknown_card_is_a_404(as_, card):
    call(as_("admin"), "put", "/api/v1/cards/BZYC-2026-999999/liaison/", ASSIGN, status=404)
    call(as_("admin"), "get", "/api/v1/cards/BZYC-2026-999999/liaison/", status=404)


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("admin", 200),
        ("officer", 200),
        ("owner", 200),
        ("other_talent", 404),
        ("staff", 404),
        ("lead", 404),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_who_reads_a_liaison(as_, liaison, who, code):
    body = call(as_(who), "get", liaison_url(liaison.card), status=code)
    if code == 200:
        assert body["card_number"] == liaison.card.number and body["leader"] == "区委副书记 张某"


def test_a_card_without_a_liaison_reads_404(as_, card):
    call(as_("admin"), "get", liaison_url(card), status=404)


# --- the list ----------------------------------------------------------------------------------


def liaisons(client, query="", status=200):
    return call(client, "get", f"/api/v1/liaisons/{query}", status=status)


def numbers(body) -> list[str]:
    return [row["card_number"] for row in body["results"]]


def spread(people, n, served_by=None) -> list[Liaison]:
    """``n`` holders served by the officer (or ``served_by``), assigned a day apart so that
    their visits fall due a day apart, the latest assigned due first (shorter interval)."""
    made = []
    for i in range(n):
        _, card = holder("C")
        made.append(liaison_for(card, served_by or people["officer"], people["admin"], 90 - i))
    return made


def test_admin_lists_all_nearest_due_first_and_an_officer_their_own(as_, people, liaison):
    mine = spread(people, 3)
    other_officer = officer("other_officer")
    theirs = spread(people, 2, served_by=other_officer)
    everyone = sorted([liaison, *mine, *theirs], key=lambda x: (x.due_on, x.pk))
    assert numbers(liaisons(as_("admin"))) == [x.card.number for x in everyone]
    own = [x.card.number for x in everyone if x.officer_id == people["officer"].pk]
    assert numbers(liaisons(as_("officer"))) == own
    assert numbers(liaisons(as_("admin"), "?officer=other_officer")) == [
        x.card.number for x in everyone if x.officer_id == other_officer.pk
    ]
    # An officer's filter cannot reach past their own.
    assert numbers(liaisons(as_("officer"), "?officer=other_officer")) == []
    assert liaisons(as_("staff"))["count"] == 0 and liaisons(as_("lead"))["count"] == 0


def test_overdue_filters_by_the_due_day(as_, client_for, people, liaison):
    _, card = holder("C")
    later = liaison_for(card, people["officer"], people["admin"], 89)  # the first: 90 days
    with time_machine.travel(NOW + datetime.timedelta(days=89, hours=14), tick=False):
        # 2027-03-07: the 89-day one is past due (due 03-06), the 90-day one due today.
        admin = client_for(people["admin"])  # a token of the day
        body = liaisons(admin, "?overdue=true")
        assert numbers(body) == [later.card.number] and body["results"][0]["overdue"] is True
        body = liaisons(admin, "?overdue=false")
        assert numbers(body) == [liaison.card.number] and body["results"][0]["overdue"] is False
    # A value that is neither (as the requests' list): no filter.
    assert liaisons(as_("admin"), "?overdue=maybe")["count"] == 2


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("owner", 403),
        ("other_talent", 403),
        ("auditor", 403),
        ("verifier", 403),
        ("anonymous", 401),
    ],
)
def test_talents_and_others_have_no_list(as_, liaison, who, code):
    liaisons(as_(who), status=code)


def queries(client, query="") -> int:
    with CaptureQueriesContext(connection) as context:
        liaisons(client, query)
    return len(context)


def test_a_list_page_reads_a_fixed_number_of_queries(as_, people, liaison):
    spread(people, 1)
    assert liaisons(as_("officer"))["count"] == 2
    few = {who: queries(as_(who)) for who in ("admin", "officer")}
    filtered = queries(as_("admin"), "?overdue=false&officer=officer")
    spread(people, 8)
    assert liaisons(as_("officer"))["count"] == 10
    assert {who: queries(as_(who)) for who in ("admin", "officer")} == few
    assert queries(as_("admin"), "?overdue=false&officer=officer") == filtered


def test_the_list_pages(as_, people, liaison):
    spread(people, 4)
    body = liaisons(as_("admin"), "?page_size=2&page=3")
    assert body["count"] == 5 and len(body["results"]) == 1 and body["next"] is None
    liaisons(as_("admin"), "?page=9", status=404)
