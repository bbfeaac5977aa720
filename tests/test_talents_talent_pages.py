"""人才信息 and 我的联系服务, the talent's pages of the talents layer, in Chinese and English,
through HTTP. The card's facts are shown and never changed here; the industry chain,
specialties and research outputs go through talents.profiles.profile_update (errors next to
the fields, nothing typed lost); the liaison page lists the visits and concerns with the
requests filed for the talent, and a concern that needs the talent's own consent is confirmed
(the request filed with a ConsentRecord) or declined. Nobody else reaches these pages (404,
as every talent page), a visitor is sent to sign in; the pages cost the same number of queries
for one row as for many."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import ConsentRecord, Notification
from services.models import ServiceRequest
from services.seed import seed_service_types
from talents.liaisons import liaison_assign
from talents.models import Concern, ConcernStatus, ResearchOutput, TalentProfile
from talents.visits import visit_record
from tests.cards_support import submitted
from tests.requests_support import HOUSING

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria", "departments")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
COOKIE = settings.LANGUAGE_COOKIE_NAME
PROFILE = {
    "education": "全日制博士研究生",
    "professional_title": "正高级工程师（正高）",
    "employer": "巴州区人民医院",
    "position": "主任医师",
    "arrival_date": "2024-03-01",
}
MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


@pytest.fixture(autouse=True)
def _catalogue_and_clock(departments):
    seed_service_types()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def holder(client_for, talent, admin_user):
    """The talent with a C card granted from an application with the facts above."""
    app = submitted(client_for(talent), ("D02", "C03"), **PROFILE)
    response = client_for(admin_user).post(f"/api/v1/card-applications/{app['id']}/approve/")
    assert response.status_code == 200, response.content
    return talent


@pytest.fixture
def liaison(holder, handler, admin_user):
    from cards.models import Card

    card = Card.objects.get(holder=holder)
    made, created = liaison_assign(
        card=card,
        leader="区委副书记 张某",
        officer=handler.username,
        visit_every_days=90,
        actor=admin_user,
    )
    assert created
    return made


@pytest.fixture
def visited(liaison, handler):
    """A visit with three concerns: one noted, one filed at once (housing), one waiting for
    the talent's consent (medical)."""
    return visit_record(
        liaison=liaison,
        actor=handler,
        visited_on=datetime.date(2026, 12, 1),
        mode="in_person",
        summary="到单位走访，了解科研和生活情况。",
        concerns=[
            {"text": "希望园区增开通勤班车。"},
            {"text": "希望解决人才公寓。", "service_type": "HOUSING", "fields": dict(HOUSING)},
            {"text": "希望安排年度体检。", "service_type": "MEDICAL", "fields": dict(MEDICAL)},
        ],
    )


def concern(visit, n) -> Concern:
    return Concern.objects.get(visit=visit, n=n)


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def chinese_in(html: str) -> set[str]:
    return set(CJK.findall(re.sub(r"<!--.*?-->", "", main_of(html), flags=re.S)))


def checked(html: str) -> list[str]:
    """The industry chains ticked in the form."""
    return re.findall(r'name="industry_chain" value="(\w+)"[^>]*checked', html)


def get(client, path, lang="zh-hans"):
    client.cookies[COOKIE] = lang
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def profile_post(client, *, chain="", specialties="", outputs=(), initial=0, lang="zh-hans"):
    """The profile form as a browser sends it: ``outputs`` are dicts of the rows' fields."""
    client.cookies[COOKIE] = lang
    data = {
        "industry_chain": chain,
        "specialties": specialties,
        "outputs-TOTAL_FORMS": str(len(outputs)),
        "outputs-INITIAL_FORMS": str(initial),
        "outputs-MIN_NUM_FORMS": "0",
        "outputs-MAX_NUM_FORMS": "53",
    }
    for i, row in enumerate(outputs):
        for key, value in row.items():
            data[f"outputs-{i}-{key}"] = value
    return client.post("/talents/profile/", data)


PAPER = {
    "kind": "paper",
    "title": "川东北森林康养旅游发展路径研究",
    "year": "2025",
    "ref": "《四川旅游》",
}
PATENT = {"kind": "patent", "title": "一种康养监测装置", "year": "2024", "ref": "ZL202410000001.X"}


# --- who ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/talents/profile/", "/talents/liaison/"])
def test_a_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["handler", "lead", "admin_user", "auditor", "verifier"])
def test_staff_admin_and_others_do_not_reach_the_talent_pages(request, client, visited, who):
    client.force_login(request.getfixturevalue(who))
    waiting = concern(visited, 3)
    assert client.get("/talents/profile/").status_code == 404
    assert client.get("/talents/liaison/").status_code == 404
    assert client.post(f"/talents/concerns/{waiting.pk}/confirm/").status_code == 404
    assert client.post(f"/talents/concerns/{waiting.pk}/decline/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == ConcernStatus.AWAITING_CONSENT


def test_another_talent_sees_their_own_empty_pages_and_cannot_touch_the_concern(
    client, visited, other_talent, holder
):
    ResearchOutput.objects.create(
        profile=TalentProfile.objects.get(holder=holder), n=1, kind="paper", title="别人的论文",
        year=2020,
    )  # fmt: skip
    client.force_login(other_talent)
    html = get(client, "/talents/profile/")
    assert "别人的论文" not in html and "巴州区人民医院" not in html
    assert "您还没有优才卡" in html
    html = get(client, "/talents/liaison/")
    assert "尚未为您确定联系服务" in html and "张某" not in html
    waiting = concern(visited, 3)
    data = {f"concern-{waiting.pk}-consent": "on"}
    assert client.post(f"/talents/concerns/{waiting.pk}/confirm/", data).status_code == 404
    assert client.post(f"/talents/concerns/{waiting.pk}/decline/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == ConcernStatus.AWAITING_CONSENT and waiting.request is None


def test_the_pages_take_no_other_method(client, holder):
    client.force_login(holder)
    assert client.put("/talents/profile/").status_code == 405
    assert client.post("/talents/liaison/").status_code == 405
    assert client.get("/talents/concerns/1/confirm/").status_code == 405


# --- 人才信息 -----------------------------------------------------------------------------------
def test_the_profile_shows_the_card_facts_read_only_in_chinese(client, holder):
    client.force_login(holder)
    html = get(client, "/talents/profile/")
    facts = html.split('id="card-facts"', 1)[1].split("</section>", 1)[0]
    for words in [
        "C类 省级领军人才",
        "持有效卡",
        "巴州区人民医院",
        "主任医师",
        "全日制博士研究生",
        "正高级工程师（正高）",
        "2024",
        "“信息变更”申请",
    ]:
        assert words in facts, words
    assert 'href="/card/apply/"' in facts
    # None of them is a field of the form.
    for name in ("employer", "position", "education", "professional_title", "tier"):
        assert f'name="{name}"' not in html
    # The chain's five choices, the specialties and 3 empty output rows.
    for value in ("culture_tourism_health", "food_beverage", "biomedicine",
                  "new_energy_materials", "other"):  # fmt: skip
        assert f'value="{value}"' in html
    assert 'name="specialties"' in html
    assert 'name="outputs-TOTAL_FORMS" value="3"' in html
    assert 'class="compact-head stack labels-above outputs"' in html
    assert 'data-label="名称"' in html
    # No liaison yet: no box.
    assert 'href="/talents/liaison/"' not in main_of(html)


def test_the_profile_in_english(client, holder, liaison):
    client.force_login(holder)
    html = get(client, "/talents/profile/", "en")
    for words in [
        "Talent profile",
        "Culture, tourism and wellness",
        "Research outputs",
        "My liaison service",
        "Save",
        "Tier C",
    ]:
        assert words in html, words
    # Only the card's facts are data without English.
    assert chinese_in(html) <= {
        "巴州区人民医院", "主任医师", "全日制博士研究生", "正高级工程师（正高）", "省级领军人才",
    }  # fmt: skip


def test_editing_round_trip(client, holder):
    client.force_login(holder)
    response = profile_post(
        client,
        chain="biomedicine",
        specialties="中药材质量控制\n\n  康养旅游规划 \n",
        outputs=[PAPER, PATENT, {"kind": "", "title": "", "year": "", "ref": ""}],
    )
    assert response.status_code == 302 and response.url == "/talents/profile/"
    profile = TalentProfile.objects.get(holder=holder)
    assert profile.industry_chain == "biomedicine"
    assert profile.specialties == ["中药材质量控制", "康养旅游规划"]
    rows = list(profile.outputs.values_list("n", "kind", "title", "year", "ref"))
    assert rows == [
        (1, "paper", PAPER["title"], 2025, PAPER["ref"]),
        (2, "patent", PATENT["title"], 2024, PATENT["ref"]),
    ]
    html = get(client, "/talents/profile/")
    assert "人才信息已保存" in html
    assert checked(html) == ["biomedicine"]
    assert "中药材质量控制\n康养旅游规划" in html
    assert f'value="{PATENT["title"]}"' in html
    assert 'name="outputs-TOTAL_FORMS" value="5"' in html  # two on file, three empty
    # Removing the first, editing the second, adding one.
    response = profile_post(
        client,
        chain="biomedicine",
        specialties="中药材质量控制",
        outputs=[
            {**PAPER, "remove": "on"},
            {**PATENT, "year": "2023"},
            {"kind": "award", "title": "四川省科技进步奖", "year": "2022", "ref": ""},
        ],
        initial=2,
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.specialties == ["中药材质量控制"]
    rows = list(profile.outputs.values_list("n", "kind", "title", "year"))
    assert rows == [(1, "patent", PATENT["title"], 2023), (2, "award", "四川省科技进步奖", 2022)]


def test_errors_are_shown_next_to_the_fields_and_nothing_typed_is_lost(client, holder):
    client.force_login(holder)
    too_long = "很" * 31
    response = profile_post(
        client,
        chain="culture_tourism_health",
        specialties=f"康养旅游规划\n{too_long}",
        outputs=[
            PAPER,
            {"kind": "", "title": "没有类别的成果", "year": "1900", "ref": "某刊"},
            {"kind": "patent", "title": "", "year": "2024", "ref": ""},
        ],
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "每项专业特长不能超过30个字" in html
    assert "请选择成果类别" in html and "年份应为1950至2026年之间的整数" in html
    assert "请填写成果名称" in html
    # The errors sit in the rows that caused them (the 2nd and 3rd rows).
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert "请选择成果类别" in rows[1] and "请填写成果名称" in rows[2]
    assert "field-error" not in rows[0]
    # What was typed is still there.
    assert too_long in html and "没有类别的成果" in html and 'value="1900"' in html
    assert checked(html) == ["culture_tourism_health"]
    # Nothing was saved.
    profile = TalentProfile.objects.get(holder=holder)
    assert profile.industry_chain == "" and profile.specialties == []
    assert not profile.outputs.exists()


def test_errors_in_english(client, holder):
    client.force_login(holder)
    response = profile_post(
        client,
        specialties="\n".join(f"S{i}" for i in range(11)),
        outputs=[{"kind": "paper", "title": "", "year": "abc", "ref": ""}],
        lang="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "at most 10" in html.lower()
    assert 'value="abc"' in html
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)<', html)
    assert errors and not any(CJK.search(e) for e in errors), errors


def test_the_card_facts_cannot_be_changed_through_the_form(client, holder):
    client.force_login(holder)
    response = client.post(
        "/talents/profile/",
        {
            "industry_chain": "other",
            "employer": "别的单位",
            "tier": "A",
            "outputs-TOTAL_FORMS": "0",
            "outputs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    profile = TalentProfile.objects.get(holder=holder)
    assert profile.industry_chain == "other"
    assert profile.employer == "巴州区人民医院" and profile.tier == "C"


def test_a_talent_without_a_card_keeps_a_profile_not_yet_counted(client, other_talent):
    client.force_login(other_talent)
    html = get(client, "/talents/profile/")
    assert "您还没有优才卡" in html and "发放后计入人才信息库" in html
    assert not TalentProfile.objects.filter(holder=other_talent).exists()  # a GET writes nothing
    html = get(client, "/talents/profile/", "en")
    assert "counted" in html.lower()
    response = profile_post(client, chain="other", specialties="数据分析", outputs=[PAPER])
    assert response.status_code == 302
    profile = TalentProfile.objects.get(holder=other_talent)
    assert profile.card_id is None and profile.standing == ""
    assert profile.specialties == ["数据分析"] and profile.outputs.count() == 1


def test_a_double_submit_saves_once(client, holder):
    client.force_login(holder)
    data = {
        "industry_chain": "other",
        "specialties": "",
        "outputs-TOTAL_FORMS": "1",
        "outputs-INITIAL_FORMS": "0",
        "outputs-0-kind": "paper",
        "outputs-0-title": "一篇论文",
        "outputs-0-year": "2024",
        "form_key": "k-profile-1",
    }
    assert client.post("/talents/profile/", data).status_code == 302
    second = client.post("/talents/profile/", data)
    assert second.status_code == 302 and second.url == "/talents/profile/"
    assert TalentProfile.objects.get(holder=holder).outputs.count() == 1


def test_the_profile_links_the_liaison_when_there_is_one(client, holder, liaison):
    client.force_login(holder)
    html = get(client, "/talents/profile/")
    assert 'href="/talents/liaison/"' in main_of(html) and "我的联系服务" in html


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_profile_costs_the_same_queries_for_one_output_and_for_many(client, holder):
    client.force_login(holder)
    profile_post(client, chain="other", outputs=[PAPER])
    one = _queries(client, "/talents/profile/")
    profile_post(
        client,
        chain="other",
        outputs=[{**PAPER, "title": f"论文{i}"} for i in range(12)],
        initial=1,
    )
    assert TalentProfile.objects.get(holder=holder).outputs.count() == 12
    assert _queries(client, "/talents/profile/") == one


# --- 我的联系服务 -------------------------------------------------------------------------------
def test_no_liaison_says_so(client, holder):
    client.force_login(holder)
    html = get(client, "/talents/liaison/")
    assert "尚未为您确定联系服务" in html
    html = get(client, "/talents/liaison/", "en")
    assert chinese_in(html) == set()


def test_the_liaison_page_in_chinese(client, holder, visited):
    client.force_login(holder)
    html = get(client, "/talents/liaison/")
    for words in [
        "区委副书记 张某",
        "每 90 天走访一次",
        "2026-12-01",
        "上门走访",
        "到单位走访，了解科研和生活情况。",
        "希望园区增开通勤班车。",
        "跟进中",
        "已代办提交",
        "待本人确认",
        "需要您确认的代办",
        "敏感个人信息处理告知",
        "同意并提交",
        "不同意代办",
    ]:
        assert words in html, words
    housing = concern(visited, 2)
    assert f'href="/requests/{housing.request.number}/"' in html
    assert 'href="/privacy/sensitive/"' in html
    # The next visit: 90 days after the visit.
    assert "2027-03-01" in html
    assert 'class="compact-head stack concerns"' in html


def test_the_liaison_page_in_english(client, holder, visited, handler):
    client.force_login(holder)
    html = get(client, "/talents/liaison/", "en")
    for words in ["My liaison service", "In person", "Agree and submit", "Do not agree"]:
        assert words in html, words
    # Only what people typed (the leader, the officer's notes) and the catalogue's names
    # stay Chinese.
    data = {"区委副书记", "张某", "到单位走访，了解科研和生活情况。", "希望园区增开通勤班车。",
            "希望解决人才公寓。", "希望安排年度体检。"}  # fmt: skip
    assert chinese_in(html) <= data | set(CJK.findall(handler.display_name))
    assert "Medical care" in html and "Talent apartment" in html  # the services in English
    assert "Awaiting your consent" in html and "Filed on your behalf" in html


def test_confirming_without_the_consent_is_refused_on_the_page(client, holder, visited):
    client.force_login(holder)
    waiting = concern(visited, 3)
    response = client.post(f"/talents/concerns/{waiting.pk}/confirm/", {})
    assert response.status_code == 200
    html = response.content.decode()
    assert "单独同意《敏感个人信息处理告知》后提交" in html and "consent-error" in html
    waiting.refresh_from_db()
    assert waiting.status == ConcernStatus.AWAITING_CONSENT and waiting.request is None
    assert not ServiceRequest.objects.filter(service_type__code="MEDICAL").exists()
    # In English, the refusal too.
    client.cookies[COOKIE] = "en"
    html = client.post(f"/talents/concerns/{waiting.pk}/confirm/", {}).content.decode()
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)<', html)
    assert errors and "separate" in errors[0] and not CJK.search(errors[0]), errors


def test_confirming_with_the_consent_files_the_request_with_a_consent_record(
    client, holder, visited
):
    client.force_login(holder)
    waiting = concern(visited, 3)
    response = client.post(
        f"/talents/concerns/{waiting.pk}/confirm/",
        {f"concern-{waiting.pk}-consent": "on", "form_key": "k-confirm-1"},
    )
    waiting.refresh_from_db()
    req = waiting.request
    assert waiting.status == ConcernStatus.FILED and req is not None
    assert response.status_code == 302 and response.url == f"/requests/{req.number}/"
    assert req.talent == holder and req.filed_by is None and req.consent_at is not None
    assert req.fields["hospital"] == "巴州区人民医院"
    record = ConsentRecord.objects.get(object_type="services.servicerequest", object_id=str(req.pk))
    assert record.user == holder and record.document == "sensitive_notice"
    # A double tap files nothing more.
    again = client.post(
        f"/talents/concerns/{waiting.pk}/confirm/",
        {f"concern-{waiting.pk}-consent": "on", "form_key": "k-confirm-1"},
    )
    assert again.status_code == 302 and again.url == f"/requests/{req.number}/"
    assert ServiceRequest.objects.filter(service_type__code="MEDICAL").count() == 1
    # Once filed, it cannot be confirmed again (409 as a message).
    third = client.post(
        f"/talents/concerns/{waiting.pk}/confirm/", {f"concern-{waiting.pk}-consent": "on"}
    )
    assert third.status_code == 302 and third.url == "/talents/liaison/"
    assert ServiceRequest.objects.filter(service_type__code="MEDICAL").count() == 1
    html = get(client, "/talents/liaison/")
    assert "需要您确认的代办" not in html
    assert f'href="/requests/{req.number}/"' in html


def test_declining(client, holder, visited, handler):
    client.force_login(holder)
    waiting = concern(visited, 3)
    response = client.post(f"/talents/concerns/{waiting.pk}/decline/")
    assert response.status_code == 302 and response.url == "/talents/liaison/"
    waiting.refresh_from_db()
    assert waiting.status == ConcernStatus.DECLINED and waiting.request is None
    assert Notification.objects.filter(recipient=handler, kind="concern_declined").exists()
    html = get(client, "/talents/liaison/")
    assert "本人未同意代办" in html and "需要您确认的代办" not in html
    # Declined: neither confirm nor decline again.
    response = client.post(
        f"/talents/concerns/{waiting.pk}/confirm/", {f"concern-{waiting.pk}-consent": "on"}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == ConcernStatus.DECLINED


def test_the_request_filed_for_the_talent_says_who_filed_it(client, holder, visited, handler):
    client.force_login(holder)
    housing = concern(visited, 2).request
    html = get(client, f"/requests/{housing.number}/")
    assert f"由服务专员 {handler.display_name} 代为提交（代办）" in html
    html = get(client, f"/requests/{housing.number}/", "en")
    assert "on your behalf" in html
    own = client.post(
        f"/talents/concerns/{concern(visited, 3).pk}/confirm/",
        {f"concern-{concern(visited, 3).pk}-consent": "on"},
    )
    html = get(client, own.url)
    assert "代为提交（代办）" not in html


def test_the_liaison_page_costs_the_same_queries_for_one_visit_and_for_many(
    client, holder, liaison, handler
):
    client.force_login(holder)
    visit_record(
        liaison=liaison, actor=handler, visited_on=datetime.date(2026, 11, 1), mode="phone",
        summary="电话联系。", concerns=[{"text": "希望解决人才公寓。", "service_type": "HOUSING",
                                        "fields": dict(HOUSING)}],
    )  # fmt: skip
    one = _queries(client, "/talents/liaison/")
    for day in range(2, 8):
        visit_record(
            liaison=liaison, actor=handler, visited_on=datetime.date(2026, 11, day),
            mode="online", summary="线上联系。",
            concerns=[{"text": "诉求一"}, {"text": "诉求二", "service_type": "HOUSING",
                                          "fields": dict(HOUSING)},
                      {"text": "体检", "service_type": "MEDICAL", "fields": dict(MEDICAL)}],
        )  # fmt: skip
    many = _queries(client, "/talents/liaison/")
    assert many == one
    html = get(client, "/talents/liaison/")
    assert html.count('class="visit"') == 7 and html.count("同意并提交") == 6


def test_the_visits_are_paginated_newest_first(client, holder, liaison, handler):
    client.force_login(holder)
    for day in range(1, 13):
        visit_record(
            liaison=liaison, actor=handler, visited_on=datetime.date(2026, 11, day),
            mode="phone", summary=f"第{day}次电话联系。",
        )  # fmt: skip
    html = get(client, "/talents/liaison/")
    assert html.count('class="visit"') == 10
    assert html.index("2026-11-12") < html.index("2026-11-03")
    assert "2026-11-02" not in html
    html = get(client, "/talents/liaison/?page=2")
    assert html.count('class="visit"') == 2 and "2026-11-01" in html
