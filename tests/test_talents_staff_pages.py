"""联系服务 pages for officers and the organization department: the list (all for the 人才办,
own for an officer, filters, constant queries), one liaison (clock, visits, concerns, the
requests filed for the talent by number and status, resolve, timeline), assigning, the visit
form's two steps (a typed service type's fields, then the visit recorded and the request
filed by the officer; a sensitive type left for the talent), coverage, and the card page's
section."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Role
from services.models import ServiceRequest
from services.seed import seed_service_types
from services.workdays import SHANGHAI
from talents.actions import LiaisonStep
from talents.liaisons import liaison_assign
from talents.models import (
    Concern,
    ConcernStatus,
    Liaison,
    LiaisonEvent,
    ResearchOutput,
    TalentProfile,
    Visit,
)
from talents.profiles import profile_refresh
from talents.visits import visit_record
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
TODAY = MONDAY.date()
HOUSING_FIELDS = {
    "field_family_size": "3",
    "field_room_type": "两室一厅",
    "field_move_in_date": "2026-04-01",
    "field_current_housing": "租房",
    "field_no_own_house": "true",
}
MEDICAL_FIELDS = {"field_service": "年度健康体检", "field_hospital": "巴州区人民医院"}


# --- helpers --------------------------------------------------------------------------------
def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def messages_of(html: str) -> str:
    block = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return block.group(1) if block else ""


def field_error(html: str, field_id: str) -> str:
    found = re.findall(
        rf'<small class="field-error" id="{re.escape(field_id)}_error">([^<]+)', html
    )
    return " ".join(found)


def listed(html: str) -> list[str]:
    """The card numbers the list links to, in order."""
    return re.findall(r'href="/talents/liaisons/([A-Z0-9-]+)/" class="card-number"', html)


def assign(card, officer, admin, days=90, leader="区委副书记 张某") -> Liaison:
    liaison, _ = liaison_assign(
        card=card, leader=leader, officer=officer.username, visit_every_days=days, actor=admin
    )
    return liaison


def visit_post(**extra) -> dict:
    data = {
        "visit-visited_on": TODAY.isoformat(),
        "visit-mode": "in_person",
        "visit-summary": "到单位走访，了解科研和生活情况。",
    }
    data.update(extra)
    return data


def row(i: int, **fields) -> dict:
    return {f"concern-{i}-{k}": v for k, v in fields.items()}


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def card(talent):
    return give_card(talent, tier="B")


@pytest.fixture
def other_card(other_talent):
    return give_card(other_talent, tier="D")


@pytest.fixture
def liaison(card, handler, admin_user):
    """李明 (B) served by handler (ZJJ staff), every 90 days."""
    return assign(card, handler, admin_user)


@pytest.fixture
def other_liaison(other_card, other_handler, admin_user):
    """王五 (D) served by other_handler (JYJ staff), every 30 days."""
    return assign(other_card, other_handler, admin_user, days=30, leader="区人大副主任 李某")


# --- the list -------------------------------------------------------------------------------
def test_the_admin_sees_every_liaison_nearest_due_first(
    client, admin_user, liaison, other_liaison, card, other_card
):
    client.force_login(admin_user)
    html = get(client, "/talents/liaisons/")
    assert listed(html) == [other_card.number, card.number]
    assert "李*" in html and "王*" in html
    assert "李明" not in html and "王五" not in html
    assert "区委副书记 张某" in html and "区人大副主任 李某" in html
    assert "/talents/coverage/" in html and "/manage/cards/" in html
    assert "2026-04-01" in html and "2026-05-31" in html  # 30 and 90 days after assignment


def test_an_officer_sees_only_the_holders_they_serve(
    client, handler, other_handler, liaison, other_liaison, card, other_card
):
    client.force_login(handler)
    html = get(client, "/talents/liaisons/")
    assert listed(html) == [card.number]
    assert "/talents/coverage/" not in html
    assert 'name="officer"' not in html  # the officer filter is the 人才办's
    client.force_login(other_handler)
    assert listed(get(client, "/talents/liaisons/")) == [other_card.number]


def test_staff_serving_nobody_get_a_friendly_empty_state(client, lead, liaison):
    client.force_login(lead)
    html = get(client, "/talents/liaisons/")
    assert listed(html) == []
    assert "您目前没有负责联系服务的人才" in html


@pytest.mark.parametrize("who", ["talent", "verifier", "auditor"])
def test_other_roles_do_not_have_the_pages(client, request, who, liaison, card):
    client.force_login(request.getfixturevalue(who))
    get(client, "/talents/liaisons/", 404)
    get(client, f"/talents/liaisons/{card.number}/", 404)
    get(client, f"/talents/liaisons/{card.number}/visit/", 404)
    get(client, "/talents/coverage/", 404)


def test_a_visitor_is_sent_to_sign_in(client, liaison, card):
    response = client.get(f"/talents/liaisons/{card.number}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_filters_overdue_due_soon_and_by_officer(
    client, monday, admin_user, other_handler, liaison, other_liaison, card, other_card
):
    # 2026-04-03: 王五's visit (due 2026-04-01) is overdue; 李明's (due 2026-05-31) is not.
    monday.move_to(datetime.datetime(2026, 4, 3, 10, 0, tzinfo=SHANGHAI))
    client.force_login(admin_user)
    assert listed(get(client, "/talents/liaisons/?show=overdue")) == [other_card.number]
    html = get(client, "/talents/liaisons/")
    assert "已超期" in html
    assert listed(get(client, "/talents/liaisons/?show=soon")) == []
    # 2026-05-26 (Tuesday): within the 5 working days before 2026-05-31 (a Sunday).
    monday.move_to(datetime.datetime(2026, 5, 26, 10, 0, tzinfo=SHANGHAI))
    client.force_login(admin_user)  # a session ends after weeks
    assert listed(get(client, "/talents/liaisons/?show=soon")) == [card.number]
    assert listed(get(client, f"/talents/liaisons/?officer={other_handler.pk}")) == [
        other_card.number
    ]


def test_the_list_costs_the_same_queries_whatever_its_length(client, admin_user, handler):
    def holders(n):
        for _ in range(n):
            assign(give_card(TalentFactory(), tier="C"), handler, admin_user)

    def count(user):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            get(client, "/talents/liaisons/")
        return len(ctx)

    holders(2)
    count(admin_user)  # the first page view fills caches (the calendar banner's)
    admin_few, officer_few = count(admin_user), count(handler)
    holders(6)
    assert count(admin_user) == admin_few
    assert count(handler) == officer_few
    client.force_login(admin_user)
    assert len(listed(get(client, "/talents/liaisons/"))) == 8


# --- one liaison ----------------------------------------------------------------------------
def test_the_officer_reads_the_liaison_and_may_record_a_visit(client, handler, liaison, card):
    client.force_login(handler)
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert "区委副书记 张某" in html and "每 90 天" in html
    assert "2026-05-31" in html  # due
    assert "2026-05-25 00:00" in html  # reminded from the 5th working day before
    assert "2026-06-12 24:00" in html  # escalated 10 working days after
    assert f'href="/talents/liaisons/{card.number}/visit/"' in html
    assert 'name="assign-leader"' not in html
    assert "确定联系服务" in html  # the timeline's first step
    assert "李*" in html and "李明" not in html


def test_the_admin_gets_the_assign_form_on_the_liaison_page(client, admin_user, liaison, card):
    client.force_login(admin_user)
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert 'name="assign-leader"' in html and 'value="区委副书记 张某"' in html
    assert '<option value="handler" selected>' in html


@pytest.mark.parametrize("who", ["other_handler", "lead"])
def test_another_staff_gets_404_on_someone_elses_liaison(client, request, who, liaison, card):
    client.force_login(request.getfixturevalue(who))
    get(client, f"/talents/liaisons/{card.number}/", 404)
    get(client, f"/talents/liaisons/{card.number}/visit/", 404)
    response = client.post(f"/talents/liaisons/{card.number}/visit/", visit_post())
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_card_without_liaison_is_the_admins_assign_form_and_404_for_others(
    client, admin_user, handler, card
):
    client.force_login(handler)
    get(client, f"/talents/liaisons/{card.number}/", 404)
    client.force_login(admin_user)
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert "确定联系服务" in html and 'name="assign-officer"' in html
    get(client, "/talents/liaisons/BZYC-2026-999999/", 404)


def test_the_admin_assigns_and_then_changes_a_liaison(
    client, admin_user, handler, other_handler, card
):
    client.force_login(admin_user)
    url = f"/talents/liaisons/{card.number}/assign/"
    response = client.post(
        url,
        {
            "assign-leader": "区委副书记 张某",
            "assign-officer": "handler",
            "assign-visit_every_days": "60",
        },
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/talents/liaisons/{card.number}/"
    )
    liaison = Liaison.objects.get(card=card)
    assert (liaison.officer, liaison.visit_every_days) == (handler, 60)
    assert liaison.due_on == TODAY + datetime.timedelta(days=60)
    assert "已确定联系领导和服务专员" in messages_of(get(client, response["Location"]))
    response = client.post(
        url,
        {
            "assign-leader": "区委副书记 张某",
            "assign-officer": "other_handler",
            "assign-visit_every_days": "30",
        },
    )
    assert response.status_code == 302
    liaison.refresh_from_db()
    assert (liaison.officer, liaison.visit_every_days) == (other_handler, 30)
    assert list(LiaisonEvent.objects.filter(liaison=liaison).values_list("action", flat=True)) == [
        LiaisonStep.ASSIGNED,
        LiaisonStep.CHANGED,
    ]
    # The former officer no longer sees it; the new one does.
    client.force_login(handler)
    get(client, f"/talents/liaisons/{card.number}/", 404)
    client.force_login(other_handler)
    get(client, f"/talents/liaisons/{card.number}/")


def test_assign_errors_stay_at_their_inputs(client, admin_user, card):
    client.force_login(admin_user)
    response = client.post(
        f"/talents/liaisons/{card.number}/assign/",
        {"assign-leader": "", "assign-officer": "talent", "assign-visit_every_days": "3"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写联系领导" in field_error(html, "id_assign-leader")
    assert "走访周期应为7至366天" in field_error(html, "id_assign-visit_every_days")
    assert "服务专员须为" in field_error(html, "id_assign-officer")
    assert not Liaison.objects.exists()


def test_only_the_admin_may_assign(client, handler, card):
    client.force_login(handler)
    response = client.post(
        f"/talents/liaisons/{card.number}/assign/",
        {"assign-leader": "张某", "assign-officer": "handler", "assign-visit_every_days": "60"},
    )
    assert response.status_code == 404
    assert not Liaison.objects.exists()


# --- recording a visit ----------------------------------------------------------------------
def test_the_visit_form_offers_the_tiers_types_and_today(client, handler, liaison, card):
    client.force_login(handler)
    html = get(client, f"/talents/liaisons/{card.number}/visit/")
    assert f'value="{TODAY.isoformat()}"' in html
    assert '<option value="HOUSING">人才公寓</option>' in html
    assert "医疗保健（体检/就医绿色通道/家庭医生）（需本人确认后提交）" in html
    assert html.count('name="concern-4-text"') == 1 and 'name="concern-5-text"' not in html


def test_a_typed_concern_asks_for_its_fields_then_files_the_request_for_the_talent(
    client, handler, talent, liaison, card
):
    client.force_login(handler)
    url = f"/talents/liaisons/{card.number}/visit/"
    first = visit_post(**row(0, text="希望申请人才公寓。", service_type="HOUSING"))
    response = client.post(url, first)
    html = response.content.decode()
    assert response.status_code == 200
    assert "请补充代办所需信息" in html
    assert 'name="concern-0-field_family_size"' in html
    assert 'name="concern-0-shown" value="HOUSING"' in html
    assert "希望申请人才公寓。" in html and "到单位走访，了解科研和生活情况。" in html
    assert not Visit.objects.exists() and not ServiceRequest.objects.exists()

    second = {**first, "concern-0-shown": "HOUSING", **row(0, **HOUSING_FIELDS)}
    response = client.post(url, second)
    assert response.status_code == 302, response.content.decode()[:2000]
    concern = Concern.objects.get()
    req = concern.request
    assert concern.status == ConcernStatus.FILED
    assert (req.talent, req.filed_by, req.service_type.code) == (talent, handler, "HOUSING")
    assert req.fields["family_size"] == 3 and req.fields["room_type"] == "两室一厅"
    liaison.refresh_from_db()
    assert liaison.last_visit_on == TODAY
    assert liaison.due_on == TODAY + datetime.timedelta(days=90)
    html = get(client, response["Location"])
    assert "已代人才提交 1 项服务申请" in messages_of(html)
    # ZJJ's own request: its desk page is the officer's to open.
    assert f'href="/desk/requests/{req.number}/"' in html


def test_a_sensitive_concern_waits_for_the_talent(client, handler, liaison, card):
    client.force_login(handler)
    url = f"/talents/liaisons/{card.number}/visit/"
    first = visit_post(**row(0, text="希望安排年度体检。", service_type="MEDICAL"))
    html = client.post(url, first).content.decode()
    assert "需本人确认后提交" in html and 'name="concern-0-field_hospital"' in html
    response = client.post(url, {**first, "concern-0-shown": "MEDICAL", **row(0, **MEDICAL_FIELDS)})
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.status == ConcernStatus.AWAITING_CONSENT and concern.request is None
    assert concern.fields == {"service": "年度健康体检", "hospital": "巴州区人民医院"}
    assert not ServiceRequest.objects.exists()
    html = get(client, response["Location"])
    assert "1 项涉及敏感个人信息" in messages_of(html)
    assert "待本人确认" in html


def test_errors_keep_what_was_typed(client, handler, liaison, card):
    client.force_login(handler)
    url = f"/talents/liaisons/{card.number}/visit/"
    data = visit_post(
        **{"visit-summary": ""},
        **row(0, text="希望增开通勤班车。"),
        **row(1, text="希望申请人才公寓。", service_type="HOUSING", shown="HOUSING"),
        **row(1, field_room_type="三室一厅"),
    )
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写走访情况" in field_error(html, "id_visit-summary")
    assert "请填写入住人数" in field_error(html, "id_concern-1-field_family_size")
    assert "希望增开通勤班车。" in html and "希望申请人才公寓。" in html
    assert '<option value="三室一厅" selected>' in html
    assert not Visit.objects.exists()
    # A concern's type without its text: the message at the row's text.
    response = client.post(url, visit_post(**row(2, service_type="", text=""), **row(0, text=" ")))
    assert response.status_code == 302  # blank rows are not concerns
    assert Visit.objects.count() == 1 and not Concern.objects.exists()


def test_a_visit_in_the_future_is_refused_at_the_date(client, handler, liaison, card):
    client.force_login(handler)
    response = client.post(
        f"/talents/liaisons/{card.number}/visit/",
        visit_post(**{"visit-visited_on": "2026-03-03"}),
    )
    assert "走访日期不能晚于今天" in field_error(response.content.decode(), "id_visit-visited_on")
    assert not Visit.objects.exists()


def test_another_departments_request_shows_by_number_and_status_only(
    client, other_handler, admin_user, talent, card
):
    assign(card, other_handler, admin_user)  # JYJ staff serves; HOUSING is ZJJ's
    liaison = Liaison.objects.get(card=card)
    visit_record(
        liaison=liaison,
        actor=other_handler,
        visited_on=TODAY,
        mode="phone",
        summary="电话联系。",
        concerns=[{"text": "人才公寓", "service_type": "HOUSING", "fields": dict(HOUSING_RAW)}],
    )
    req = ServiceRequest.objects.get()
    client.force_login(other_handler)
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert req.number in html and "待受理" in html
    assert f"/requests/{req.number}/" not in html
    client.force_login(admin_user)
    assert f'href="/manage/requests/{req.number}/"' in get(
        client, f"/talents/liaisons/{card.number}/"
    )


HOUSING_RAW = {
    "family_size": 3,
    "room_type": "两室一厅",
    "move_in_date": "2026-04-01",
    "current_housing": "租房",
    "no_own_house": True,
}


# --- resolving a concern --------------------------------------------------------------------
@pytest.fixture
def noted(liaison, handler):
    visit_record(
        liaison=liaison,
        actor=handler,
        visited_on=TODAY,
        mode="in_person",
        summary="走访。",
        concerns=[{"text": "希望园区增开通勤班车。"}],
    )
    return Concern.objects.get()


def test_the_officer_resolves_a_concern(client, handler, noted, card):
    client.force_login(handler)
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert f'action="/talents/concerns/{noted.pk}/resolve/"' in html
    response = client.post(f"/talents/concerns/{noted.pk}/resolve/", {})
    assert response.status_code == 200
    assert "请填写解决情况" in field_error(
        response.content.decode(), f"id_resolve-{noted.pk}-resolution"
    )
    response = client.post(
        f"/talents/concerns/{noted.pk}/resolve/",
        {f"resolve-{noted.pk}-resolution": "已协调增开班车。"},
    )
    assert response.status_code == 302
    noted.refresh_from_db()
    assert (noted.status, noted.resolution) == (ConcernStatus.RESOLVED, "已协调增开班车。")
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert "已协调增开班车。" in html
    assert f'action="/talents/concerns/{noted.pk}/resolve/"' not in html
    # Resolved already: the state refuses it (409), said on the page.
    response = client.post(
        f"/talents/concerns/{noted.pk}/resolve/", {f"resolve-{noted.pk}-resolution": "再次"}
    )
    assert response.status_code == 302
    assert "不能标记为已解决" in messages_of(get(client, f"/talents/liaisons/{card.number}/"))


def test_another_staff_cannot_resolve(client, other_handler, noted):
    client.force_login(other_handler)
    response = client.post(
        f"/talents/concerns/{noted.pk}/resolve/", {f"resolve-{noted.pk}-resolution": "好"}
    )
    assert response.status_code == 404
    noted.refresh_from_db()
    assert noted.status == ConcernStatus.NOTED


def test_the_admin_may_resolve_too(client, admin_user, noted):
    client.force_login(admin_user)
    response = client.post(
        f"/talents/concerns/{noted.pk}/resolve/", {f"resolve-{noted.pk}-resolution": "已办"}
    )
    assert response.status_code == 302
    noted.refresh_from_db()
    assert noted.status == ConcernStatus.RESOLVED


# --- coverage -------------------------------------------------------------------------------
def test_coverage_counts_holders_visits_and_concerns(
    client, admin_user, handler, liaison, noted, other_card
):
    give_card(TalentFactory(), tier="A")  # an A holder without a liaison
    client.force_login(admin_user)
    html = get(client, "/talents/coverage/")

    def figure(name):
        return re.search(rf'id="{name}">([^<]+)<', html).group(1)

    assert figure("holders") == "3" and figure("with-liaison") == "1"
    assert figure("coverage-rate") == "33.3%"
    assert figure("key-holders") == "2" and figure("key-with-liaison") == "1"
    assert figure("key-coverage-rate") == "50.0%"
    assert figure("on-time") == "1" and figure("overdue") == "0"
    assert figure("visits") == "1" and figure("concerns-raised") == "1"
    assert figure("concerns-resolved") == "0" and figure("resolved-rate") == "0.0%"
    assert handler.display_name in html


def test_only_the_admin_reads_coverage(client, handler, lead):
    for user in (handler, lead):
        client.force_login(user)
        get(client, "/talents/coverage/", 404)


# --- the card page --------------------------------------------------------------------------
def test_the_card_page_shows_the_profile_and_liaison_to_the_admin(
    client, admin_user, talent, liaison, card
):
    profile = profile_refresh(talent.pk)
    TalentProfile.objects.filter(pk=profile.pk).update(
        industry_chain="biomedicine", specialties=["中药材种植", "质量检测"]
    )
    ResearchOutput.objects.create(
        profile=profile, n=1, kind="patent", title="一种银耳保鲜方法", year=2025
    )
    client.force_login(admin_user)
    html = get(client, f"/manage/cards/{card.number}/")
    assert "生物医药" in html and "中药材种植、质量检测" in html
    assert "专利：一种银耳保鲜方法（2025）" in html
    assert "区委副书记 张某" in html and "2026-05-31" in html
    assert f'href="/talents/liaisons/{card.number}/"' in html


def test_the_card_page_offers_assigning_when_there_is_no_liaison(client, admin_user, card):
    client.force_login(admin_user)
    html = get(client, f"/manage/cards/{card.number}/")
    assert "尚未确定联系领导和服务专员" in html
    assert f'href="/talents/liaisons/{card.number}/"' in html


def test_the_card_section_is_the_admins_only(handler, card):
    from talents.card_section import card_section

    assert card_section(card, handler) is None


def test_officer_role_lead_may_serve(client, admin_user, departments, card):
    zjj_lead = UserFactory(username="zjj_lead2", role=Role.LEAD, department=departments["ZJJ"])
    assign(card, zjj_lead, admin_user)
    client.force_login(zjj_lead)
    assert listed(get(client, "/talents/liaisons/")) == [card.number]


# --- the pages' rules: CSP, query counts, an ended card ----------------------------------------
def test_every_page_carries_the_policies_and_nothing_inline(
    client, admin_user, handler, noted, card, other_card
):
    from tests.test_csp import check_page

    visit_url = f"/talents/liaisons/{card.number}/visit/"
    client.force_login(handler)
    for url in ("/talents/liaisons/", f"/talents/liaisons/{card.number}/", visit_url):
        check_page(client.get(url), url)
    step = client.post(visit_url, visit_post(**row(0, text="公寓", service_type="HOUSING")))
    assert 'name="concern-0-field_family_size"' in step.content.decode()
    check_page(step, visit_url)
    client.force_login(admin_user)
    for url in (
        "/talents/liaisons/?show=overdue",
        f"/talents/liaisons/{card.number}/",
        f"/talents/liaisons/{other_card.number}/",  # no liaison: the assign page
        "/talents/coverage/",
        f"/manage/cards/{card.number}/",
    ):
        check_page(client.get(url), url)


def test_the_liaison_page_costs_the_same_queries_whatever_its_visits(
    client, handler, liaison, card
):
    def visits(n):
        for i in range(n):
            visit_record(
                liaison=liaison,
                actor=handler,
                visited_on=TODAY - datetime.timedelta(days=i),
                mode="phone",
                summary=f"第{i}次",
                concerns=[
                    {"text": "班车"},
                    {"text": "公寓", "service_type": "HOUSING", "fields": dict(HOUSING_RAW)},
                ],
            )

    def count():
        with CaptureQueriesContext(connection) as ctx:
            html = get(client, f"/talents/liaisons/{card.number}/")
        return len(ctx), html

    client.force_login(handler)
    visits(1)
    count()
    few, _ = count()
    visits(3)
    many, html = count()
    assert many == few
    assert html.count('class="visit"') == 4 and html.count("/desk/requests/FW-") == 4


def test_an_ended_card_takes_no_visit(client, handler, liaison, card):
    card.status = "revoked"
    card.save(update_fields=["status"])
    client.force_login(handler)
    html = get(client, f"/talents/liaisons/{card.number}/")
    assert f'href="/talents/liaisons/{card.number}/visit/"' not in html
    response = client.get(f"/talents/liaisons/{card.number}/visit/")
    assert response.status_code == 302
    assert "不能记录走访" in messages_of(get(client, response["Location"]))
    response = client.post(f"/talents/liaisons/{card.number}/visit/", visit_post())
    assert response.status_code == 302 and not Visit.objects.exists()
