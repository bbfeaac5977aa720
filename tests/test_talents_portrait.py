"""人才画像 (/talents/portrait/), its drill-down 人才名录 (/talents/registry/) and its export
(/talents/portrait/export/): the organization department only; the figures equal a count of
the profiles; every count leads to a list of exactly the profiles it counted, names masked;
exports carry the counts (CSV and XLSX) and an audit event; constant queries.

The world (2026-06-15): five card holders, their facts copied from an application as the card
layer's hook does (talents.profiles.profile_refresh), the chain kept by the talent:
- 张三丰: A, 生物医药, 2026, 巴州区人民医院, 博士研究生, 正高级
- 李四光: B, 生物医药, 2024, 巴州区人民医院, 硕士研究生, 副高级
- 王五常: C, 食品饮料, 2026, 巴中食品公司, 硕士研究生, (no title)
- 赵六甲: D, (no chain), (no year), 巴中食品公司, 本科; card revoked → 已离开
- 钱七星: C, 文旅康养, 2025, 光雾山旅游公司, 本科, 中级; card suspended
and 孙八无 with no card (not counted).
"""

import csv
import io
import re
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.issuance import card_issue, card_revoke, card_suspend
from portal.models import AuditEvent, Role
from talents.models import Dimension, Standing, TalentProfile
from talents.profiles import profile_of, profile_refresh, profile_update
from tests.factories import TalentFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=SH)
PORTRAIT = "/talents/portrait/"
REGISTRY = "/talents/registry/"
EXPORT = "/talents/portrait/export/"
COUNTS = ("talents", "active_cards", "arrived_this_year", "departed")

PEOPLE = [
    # name, tier, chain, arrival, employer, education, title, what happens to the card
    ("张三丰", "A", "biomedicine", 2026, "巴州区人民医院", "博士研究生", "正高级", None),
    ("李四光", "B", "biomedicine", 2024, "巴州区人民医院", "硕士研究生", "副高级", None),
    ("王五常", "C", "food_beverage", 2026, "巴中食品公司", "硕士研究生", "", None),
    ("赵六甲", "D", "", None, "巴中食品公司", "本科", "", "revoke"),
    ("钱七星", "C", "culture_tourism_health", 2025, "光雾山旅游公司", "本科", "中级", "suspend"),
]


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def holder(
    admin, name, tier, chain="", arrival=None, employer="", education="", title="", end=None
):
    """A talent whose card was issued (the hook refreshes the profile) and approved with these
    facts (as application_approve's on_card_granted does), the chain set by the talent."""
    user = TalentFactory(real_name=name)
    card = card_issue(holder=user, tier=tier, actor=admin)
    application = SimpleNamespace(
        employer=employer,
        position="",
        education=education,
        professional_title=title,
        arrival_date=date(arrival, 3, 1) if arrival else None,
    )
    profile_refresh(user.pk, application=application)
    if chain:
        profile_update(user=user, data={"industry_chain": chain})
    if end == "revoke":
        card_revoke(card=card, actor=admin, reason="调离本区")
    elif end == "suspend":
        card_suspend(card=card, actor=admin, reason="核查中")
    return user


@pytest.fixture
def world(criteria, admin_user):
    people = {p[0]: holder(admin_user, *p) for p in PEOPLE}
    profile_of(TalentFactory(real_name="孙八无"))  # a profile without a card: not counted
    return people


def get(client, user, url):
    client.force_login(user)
    response = client.get(url)
    return response


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def registry_names(html: str) -> list[str]:
    return re.findall(r'<td class="nowrap" data-label="姓名">([^<]*)</td>', html)


def counted(**filters) -> int:
    """A count of the profiles themselves (not the rollup)."""
    return TalentProfile.objects.filter(card__isnull=False, **filters).exclude(standing="").count()


# --- who ------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [PORTRAIT, REGISTRY, f"{EXPORT}?format=csv"])
def test_only_the_organization_department_sees_the_portrait(
    client, url, admin_user, talent, handler, lead, auditor, verifier
):
    assert get(client, admin_user, url).status_code == 200
    for user in (talent, handler, lead, auditor, verifier):
        client.logout()
        assert get(client, user, url).status_code == 404, user.role  # the portal's convention
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or "login" in response["Location"]
    assert (
        not AuditEvent.objects.filter(action="talent_profile.export")
        .exclude(actor=admin_user)
        .exists()
    )


def test_the_export_function_refuses_anyone_but_an_admin(world, handler):
    from portal.errors import NotAllowed
    from talents.exports import portrait_export

    with pytest.raises(NotAllowed):
        portrait_export(user=handler, group_by="tier", fmt="csv")


# --- the figures ----------------------------------------------------------------------------
def test_the_headline_and_every_table_equal_a_count_of_the_profiles(client, world, admin_user):
    response = get(client, admin_user, PORTRAIT)
    assert response.status_code == 200
    total = response.context["total"]
    assert total == {"talents": 5, "active_cards": 3, "arrived_this_year": 2, "departed": 1}
    assert total == {
        "talents": counted(),
        "active_cards": counted(standing=Standing.ACTIVE),
        "arrived_this_year": counted(arrival_year=2026),
        "departed": counted(standing=Standing.DEPARTED),
    }
    sections = {s["dimension"]: s for s in response.context["sections"]}
    assert list(sections) == list(Dimension)
    by = {d: {r["key"]: r for r in s["rows"]} for d, s in sections.items()}
    assert by[Dimension.INDUSTRY_CHAIN]["biomedicine"]["talents"] == 2
    assert by[Dimension.INDUSTRY_CHAIN]["biomedicine"]["arrived_this_year"] == 1
    assert by[Dimension.INDUSTRY_CHAIN][""]["departed"] == 1  # 赵六甲: no chain, left
    assert by[Dimension.TIER]["C"]["talents"] == 2
    assert by[Dimension.TIER]["C"]["active_cards"] == 1  # 钱七星's card is suspended
    assert by[Dimension.EMPLOYER]["巴中食品公司"]["talents"] == 2
    assert by[Dimension.EMPLOYER]["巴中食品公司"]["departed"] == 1
    assert {k: r["talents"] for k, r in by[Dimension.ARRIVAL_YEAR].items()} == {
        "2024": 1,
        "2025": 1,
        "2026": 2,
        "": 1,
    }
    # Every row of every dimension against the profiles themselves.
    columns = {
        Dimension.INDUSTRY_CHAIN: "industry_chain",
        Dimension.TIER: "tier",
        Dimension.EDUCATION: "education",
        Dimension.PROFESSIONAL_TITLE: "professional_title",
        Dimension.EMPLOYER: "employer",
    }
    for dimension, column in columns.items():
        for key, row in by[dimension].items():
            assert row["talents"] == counted(**{column: key}), (dimension, key)
            assert row["active_cards"] == counted(**{column: key}, standing=Standing.ACTIVE)
            assert row["departed"] == counted(**{column: key}, standing=Standing.DEPARTED)
            assert row["arrived_this_year"] == counted(**{column: key}, arrival_year=2026)
        assert sections[dimension]["total"] == total
    html = response.content.decode()
    assert html.count('<svg class="chart"') == len(Dimension)
    assert 'href="/talents/coverage/"' in html
    assert "人才画像" in html and "生物医药" in html and "2026年" in html
    # Counts only: no name on the page, masked or not.
    for name in world:
        assert name not in html and name[0] + "*" * (len(name) - 1) not in html


def test_every_count_leads_to_the_profiles_it_counted(client, world, admin_user):
    response = get(client, admin_user, PORTRAIT)
    html = response.content.decode()
    links = re.findall(r'<a href="(/talents/registry/[^"]*)">(\d+)</a>', html)
    assert len(links) > 40  # six tables of rows and totals, and the headline (its own markup)
    for url, figure in links:
        page = get(client, admin_user, url.replace("&amp;", "&"))
        assert page.status_code == 200, url
        assert page.context["page"].paginator.count == int(figure), url
    figures = re.findall(
        r'<a class="figure[^"]*" href="([^"]+)">\s*<span class="figure-label">([^<]+)</span>\s*'
        r'<strong class="figure-value">(\d+)</strong>',
        html,
    )
    assert [label for _, label, _ in figures] == ["人才总数", "持有效卡", "本年来巴", "已离开"]
    for url, _, figure in figures:
        page = get(client, admin_user, url.replace("&amp;", "&"))
        assert page.context["page"].paginator.count == int(figure), url


def test_a_revoked_card_moves_its_holder_to_departed(client, world, admin_user):
    before = get(client, admin_user, PORTRAIT).context["total"]
    card = world["张三丰"].cards.get()
    card_revoke(card=card, actor=admin_user, reason="调离本区")
    after = get(client, admin_user, PORTRAIT).context["total"]
    assert after["talents"] == before["talents"]
    assert after["active_cards"] == before["active_cards"] - 1
    assert after["departed"] == before["departed"] + 1


def test_one_dimension_in_focus(client, world, admin_user):
    response = get(client, admin_user, f"{PORTRAIT}?group_by=tier")
    assert [s["dimension"] for s in response.context["sections"]] == [Dimension.TIER]
    assert response.context["total"]["talents"] == 5
    assert 'aria-current="page">人才层次' in response.content.decode()
    # An unknown dimension is ignored: every dimension is shown.
    response = get(client, admin_user, f"{PORTRAIT}?group_by=salary")
    assert response.status_code == 200
    assert len(response.context["sections"]) == len(Dimension)


# --- the drill-down -------------------------------------------------------------------------
def test_the_registry_filters_by_a_dimension_and_masks_names(client, world, admin_user):
    html = get(
        client, admin_user, f"{REGISTRY}?dimension=industry_chain&key=biomedicine"
    ).content.decode()
    # Newest first: 李四光's profile was made after 张三丰's.
    assert registry_names(html) == ["李**", "张**"]
    assert "张三丰" not in html and "李四光" not in html
    card = world["李四光"].cards.get()
    assert f'href="/manage/cards/{card.number}/"' in html
    assert "产业链：生物医药" in html and "巴州区人民医院" in html and "B类" in html

    html = get(client, admin_user, f"{REGISTRY}?dimension=tier&key=C&standing=suspended")
    assert registry_names(html.content.decode()) == ["钱**"]
    html = get(client, admin_user, f"{REGISTRY}?dimension=arrival_year&key=2026").content
    assert registry_names(html.decode()) == ["王**", "张**"]
    # "" is 未填写: 赵六甲 has no arrival year and no chain.
    html = get(client, admin_user, f"{REGISTRY}?dimension=arrival_year&key=").content.decode()
    assert registry_names(html) == ["赵**"] and "来巴年份：未填写" in html and "已离开" in html
    html = get(client, admin_user, f"{REGISTRY}?dimension=industry_chain&key=").content.decode()
    assert registry_names(html) == ["赵**"]
    html = get(client, admin_user, f"{REGISTRY}?standing=departed").content.decode()
    assert registry_names(html) == ["赵**"]
    # Everyone counted, never the talent without a card.
    html = get(client, admin_user, REGISTRY).content.decode()
    assert len(registry_names(html)) == 5 and "孙*" not in html


@pytest.mark.parametrize(
    "query",
    [
        "dimension=salary&key=1",
        "dimension=arrival_year&key=twenty",
        "standing=gone",
        "year=26x",
    ],
)
def test_a_filter_that_names_nothing_is_a_400_page(client, world, admin_user, query):
    response = get(client, admin_user, f"{REGISTRY}?{query}")
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()


# --- exports --------------------------------------------------------------------------------
def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_export_of_all_dimensions(client, world, admin_user):
    response = get(client, admin_user, f"{EXPORT}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(body(response))
    assert rows[0] == ["维度", "代码", "名称", "人才数", "持有效卡", "本年来巴", "已离开"]
    assert {r[0] for r in rows[1:]} == {str(d.label) for d in Dimension}
    tier = {r[1]: r[3:] for r in rows[1:] if r[0] == "人才层次" and r[2] != "合计"}
    assert tier == {
        "A": ["1", "1", "1", "0"],
        "B": ["1", "1", "0", "0"],
        "C": ["2", "1", "1", "0"],
        "D": ["1", "0", "0", "1"],
    }
    totals = [r for r in rows if r[2] == "合计"]
    assert len(totals) == len(Dimension)
    assert all(r[3:] == ["5", "3", "2", "1"] for r in totals)
    # Counts only: no person's name in the file.
    text = body(get(client, admin_user, f"{EXPORT}?format=csv")).decode("utf-8-sig")
    assert not any(name in text or name[0] + "*" in text for name in world)
    event = AuditEvent.objects.filter(action="talent_profile.export").latest("id")
    assert event.actor == admin_user
    assert event.detail == {"group_by": "all", "format": "csv"}


def test_the_csv_export_of_one_dimension(client, world, admin_user):
    response = get(client, admin_user, f"{EXPORT}?group_by=industry_chain&format=csv")
    rows = csv_rows(body(response))
    assert {r[0] for r in rows[1:]} == {"产业链"}
    chain = {r[2]: r[3] for r in rows[1:]}
    assert chain == {"文旅康养": "1", "食品饮料": "1", "生物医药": "2", "未填写": "1", "合计": "5"}
    assert "industry_chain" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="talent_profile.export")
    assert event.detail == {"group_by": "industry_chain", "format": "csv"}


def test_the_xlsx_export_one_sheet_per_dimension(client, world, admin_user):
    response = get(client, admin_user, f"{EXPORT}?format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    assert book.sheetnames == [str(d.label) for d in Dimension]
    sheet = list(book["来巴年份"].iter_rows(values_only=True))
    assert list(sheet[0]) == ["代码", "名称", "人才数", "持有效卡", "本年来巴", "已离开"]
    years = {r[1]: r[2:] for r in sheet[1:]}
    assert years["2026年"] == (2, 2, 2, 0)
    assert years["未填写"] == (1, 0, 0, 1)
    assert years["合计"] == (5, 3, 2, 1)
    employers = {r[1]: r[2] for r in book["工作单位"].iter_rows(min_row=2, values_only=True)}
    assert employers == {"巴州区人民医院": 2, "巴中食品公司": 2, "光雾山旅游公司": 1, "合计": 5}
    event = AuditEvent.objects.get(action="talent_profile.export")
    assert event.detail == {"group_by": "all", "format": "xlsx"}


@pytest.mark.parametrize("query", ["group_by=salary&format=csv", "group_by=tier&format=pdf"])
def test_an_unknown_export_is_refused_and_not_audited(client, world, admin_user, query):
    assert get(client, admin_user, f"{EXPORT}?{query}").status_code == 400
    assert not AuditEvent.objects.filter(action="talent_profile.export").exists()


# --- queries --------------------------------------------------------------------------------
def _queries(client, user, url):
    client.force_login(user)
    client.get(url)  # the calendar banner's look-up is cached after the first page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries


@pytest.mark.parametrize(
    "url",
    [
        PORTRAIT,
        f"{PORTRAIT}?group_by=employer",
        REGISTRY,
        f"{REGISTRY}?dimension=tier&key=C&standing=active",
    ],
)
def test_constant_queries_whatever_the_number_of_talents(client, criteria, admin_user, url):
    def add(n):
        for i in range(n):
            holder(
                admin_user,
                f"人才{i}",
                "ABCD"[i % 4] if "tier" not in url else "C",
                ["biomedicine", "food_beverage", ""][i % 3],
                2020 + i % 7,
                f"单位{i}",
                "博士研究生",
                "正高级",
            )

    add(1)
    one_q = _queries(client, admin_user, url)
    add(19)
    twenty_q = _queries(client, admin_user, url)
    one, twenty = len(one_q), len(twenty_q)
    assert twenty == one, "\n".join(q["sql"] for q in twenty_q.captured_queries)
    assert one <= 12  # a handful: the session, the user, the menu, the rollup or the page
    if url.startswith(PORTRAIT):
        page = client.get(url)
        assert page.context["total"]["talents"] == 20
    else:
        assert client.get(url).context["page"].paginator.count == 20


def test_the_employers_fold_after_thirty_and_the_rest_has_no_link(client, criteria, admin_user):
    for i in range(32):
        holder(admin_user, f"人才{i}", "D", employer=f"单位{i:02d}", arrival=2026)
    response = get(client, admin_user, f"{PORTRAIT}?group_by=employer")
    rows = response.context["sections"][0]["rows"]
    assert len(rows) == 31
    assert rows[-1]["name"] == "其他单位（2家）及未填写" and rows[-1]["links"] == {}
    html = response.content.decode()
    other = html.split("其他单位（2家）及未填写</th>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td[^>]*>([^<]*)</td>", other) == ["2", "2", "2", "0"]  # no links
    assert sum(r["talents"] for r in rows) == 32
    # The chart draws the largest eight (two bars each), the table every row.
    chart = str(response.context["sections"][0]["chart"])
    assert chart.count('<rect class="bar-filed"') == 8 + 1  # and the legend's swatch
    assert "全部见下表" in html


def test_the_portrait_is_in_the_admins_menu_only(client, admin_user, handler):
    client.force_login(admin_user)
    html = client.get("/", follow=True).content.decode()
    assert f'<a href="{PORTRAIT}"' in html and "人才画像" in html
    client.logout()
    client.force_login(handler)
    html = client.get("/", follow=True).content.decode()
    assert handler.role == Role.STAFF and f'href="{PORTRAIT}"' not in html


def test_the_pages_carry_the_policies_and_nothing_inline(client, world, admin_user):
    from tests.test_csp import check_page, inline_content

    for url in (PORTRAIT, f"{PORTRAIT}?group_by=arrival_year", REGISTRY, f"{REGISTRY}?year=2026"):
        check_page(get(client, admin_user, url), url)
    bad = get(client, admin_user, f"{REGISTRY}?dimension=salary")
    assert bad.status_code == 400 and inline_content(bad.content.decode()) == []
