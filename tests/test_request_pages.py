"""The green-channel request pages: catalogue, filing, the talent's requests, the department's
desk, the organization department's list (issue 4 point 6).

The API is tested elsewhere; here the same domain functions are driven through the pages, and
the pages are checked for what they show, whom they refuse, and how many queries they run.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import Role
from services.filing import CONSENT_MESSAGES, request_file
from services.models import (
    DepartmentStint,
    FollowUp,
    RequestComment,
    RequestStatus,
    Sensitivity,
    ServiceRequest,
    ServiceType,
)
from services.seed import SERVICE_TYPES, seed_service_types
from services.workflow import request_accept, request_ask_info, request_transfer
from tests.cards_support import png_bytes
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import HOUSING, file_housing, give_card, request_in

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

HOUSING_POST = {
    "field_family_size": "3",
    "field_room_type": "两室一厅",
    "field_move_in_date": "2026-12-01",
    "field_current_housing": "租房",
    "field_no_own_house": "true",
    "field_remarks": "希望靠近学校",
    "description": "夫妻二人带一个孩子。",
}
MEDICAL_POST = {
    "field_service": "年度健康体检",
    "field_hospital": "巴州区人民医院",
    "field_notes": "有高血压病史，需要空腹项目安排在上午",
}


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def carded(talent):
    give_card(talent, tier="C")
    return talent


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def field_error(html: str, field_id: str) -> str:
    """The text of the errors shown under field ``field_id`` (services/includes/field.html)."""
    found = re.findall(
        rf'<small class="field-error" id="{re.escape(field_id)}_error">([^<]+)', html
    )
    return " ".join(found)


def messages_of(html: str) -> str:
    block = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return block.group(1) if block else ""


def nav_labels(html: str) -> list[str]:
    header = html.split("<main", 1)[0]
    return re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', header)


def numbers_on(html: str) -> list[str]:
    """Request numbers in the order a list shows them (first link of each row)."""
    return re.findall(
        r'<td class="nowrap row-head"><a href="[^"]+" class="card-number">(FW-[\d-]+)</a>', html
    )


def section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


# --- catalogue and 办事指南 ------------------------------------------------------------------
def test_the_catalogue_lists_every_active_service_for_visitors(client):
    ServiceType.objects.filter(code="HUKOU").update(is_active=False)
    html = page(client, "/services/")
    for spec in SERVICE_TYPES:
        listed = spec["name"] in html
        assert listed == (spec["code"] != "HUKOU"), spec["code"]
    housing = html.split('href="/services/HOUSING/"', 1)[1].split("</article>", 1)[0]
    assert "区住房和城乡建设局" in housing
    assert "A、B、C、D类人才" in housing
    assert "受理 1 个工作日" in housing and "承诺办结 15 个工作日" in housing
    assert 'href="/services/HOUSING/apply/"' in housing
    medical = html.split('href="/services/MEDICAL/"', 1)[1].split("</article>", 1)[0]
    assert "A、B、C类人才" in medical and "涉及医疗健康信息" in medical
    assert client.get("/services/HUKOU/").status_code == 404
    assert "服务事项" in nav_labels(html)


def test_the_guide_lists_every_material_once_with_the_form_and_time_limits(client):
    housing = ServiceType.objects.get(code="HOUSING")
    housing.materials = [*housing.materials, {"name": "劳动合同或聘用证明", "required": True}]
    housing.legal_days = 20
    housing.save()
    html = page(client, "/services/HOUSING/")
    assert "可申请入住人才公寓" in html  # the guide text
    materials = html.split('<ol class="materials">', 1)[1].split("</ol>", 1)[0]
    assert materials.count("劳动合同或聘用证明") == 1
    assert materials.count("<li>") == 4
    assert re.search(r"共同居住家庭成员身份证明 <span[^>]*>视情况提供", materials)
    assert re.search(r"劳动合同或聘用证明 <span[^>]*>必需", materials)
    for label in ("入住人数", "意向户型", "期望入住日期", "本人及配偶在巴州区无自有住房"):
        assert f"<strong>{label}</strong>" in html
    assert "一室一厅、两室一厅、三室一厅" in html
    assert "1 个工作日" in html and "受理后 15 个工作日" in html and "20 个工作日" in html
    assert 'href="/services/HOUSING/apply/"' in html and "我要申请" in html
    assert "个人信息提示" not in html

    medical = page(client, "/services/MEDICAL/")
    assert "个人信息提示" in medical and "单独同意" in medical
    school = page(client, "/services/SCHOOL/")
    assert "个人信息提示" in school and "监护人同意" in school


# --- filing through the form ----------------------------------------------------------------
def test_the_apply_form_is_built_from_the_field_definitions(client, carded):
    client.force_login(carded)
    html = page(client, "/services/HOUSING/apply/")
    assert re.search(r'<input type="number" name="field_family_size"[^>]*step="any"', html)
    room = html.split('name="field_room_type"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected>请选择</option>' in room and "两室一厅" in room
    assert re.search(r'<input type="date" name="field_move_in_date"', html)
    assert re.search(r'type="radio" name="field_no_own_house" value="true"[^>]*> 是', html)
    assert re.search(r'type="radio" name="field_no_own_house" value="false"[^>]*> 否', html)
    assert re.search(r'<textarea name="field_remarks"', html)
    assert re.search(r'<textarea name="description"', html)
    assert 'name="consent"' not in html
    assert html.count("劳动合同或聘用证明") == 1  # the materials, once

    spouse = page(client, "/services/SPOUSE_JOB/apply/")
    assert spouse.count('type="checkbox" name="field_desired_fields"') == 6
    assert re.search(r'<input type="text" name="field_spouse_name"', spouse)


def test_the_talent_files_a_housing_request_through_the_form(client, carded):
    client.force_login(carded)
    response = client.post("/services/HOUSING/apply/", HOUSING_POST)
    req = ServiceRequest.objects.get(talent=carded)
    assert response.status_code == 302 and response.url == f"/requests/{req.number}/"
    assert req.fields == {
        "family_size": 3,
        "room_type": "两室一厅",
        "move_in_date": "2026-12-01",
        "current_housing": "租房",
        "no_own_house": True,
        "remarks": "希望靠近学校",
    }
    assert req.description == "夫妻二人带一个孩子。"
    assert req.department.code == "ZJJ" and req.status == RequestStatus.SUBMITTED

    html = page(client, response.url)
    assert f"申请已提交，编号 {req.number}" in messages_of(html)
    assert "待受理" in html and "区住房和城乡建设局" in html and "尚未确定" in html
    assert "受理期限" in html and "24:00" in html and "承诺办结时间" in html
    assert "两室一厅" in html and "<dd>是</dd>" in html  # the boolean, in words
    assert "提交申请" in html and "申请人" in html  # the timeline, with its actor


def test_invalid_input_is_refused_with_chinese_messages_next_to_the_fields(client, carded):
    client.force_login(carded)
    data = dict(
        HOUSING_POST,
        field_family_size="三个",
        field_move_in_date="2026-13-45",
        field_room_type="五室两厅",
        field_no_own_house="",
    )
    response = client.post("/services/HOUSING/apply/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "入住人数应为数字" in field_error(html, "id_field_family_size")
    assert "期望入住日期应为日期" in field_error(html, "id_field_move_in_date")
    assert "意向户型须从给定选项中选择" in field_error(html, "id_field_room_type")
    assert "请填写本人及配偶在巴州区无自有住房" in field_error(html, "id_field_no_own_house")
    assert field_error(html, "id_field_current_housing") == ""
    assert "提交的信息有误" in html
    # What was typed is kept.
    assert 'value="三个"' in html and "希望靠近学校" in html
    assert not ServiceRequest.objects.exists()


def test_a_medical_request_without_consent_is_refused_with_the_consent_message(client, carded):
    client.force_login(carded)
    form = page(client, "/services/MEDICAL/apply/")
    assert 'type="checkbox" name="consent"' in form and "单独同意" in form
    assert "监护人" not in form.split('name="consent"', 1)[1].split("</fieldset>", 1)[0]
    school = page(client, "/services/SCHOOL/apply/")
    assert "监护人同意" in school.split('name="consent"', 1)[1].split("</fieldset>", 1)[0]

    response = client.post("/services/MEDICAL/apply/", MEDICAL_POST)
    html = response.content.decode()
    assert response.status_code == 200
    assert CONSENT_MESSAGES[Sensitivity.MEDICAL] in field_error(html, "id_consent")
    assert not ServiceRequest.objects.exists()

    response = client.post("/services/MEDICAL/apply/", dict(MEDICAL_POST, consent="on"))
    req = ServiceRequest.objects.get()
    assert response.status_code == 302 and req.consent_at is not None
    assert req.department.code == "WJJ"


def test_filing_without_a_card_or_an_eligible_tier_says_why(client, talent, other_talent):
    client.force_login(talent)
    response = client.post("/services/HOUSING/apply/", HOUSING_POST)
    assert response.status_code == 200  # said on the page, next to the form
    assert "您需要持有有效的巴州优才卡" in response.content.decode()
    give_card(other_talent, tier="D")
    client.force_login(other_talent)
    response = client.post("/services/MEDICAL/apply/", dict(MEDICAL_POST, consent="on"))
    assert response.status_code == 200
    assert "面向A、B、C类人才，您的优才卡为D类" in response.content.decode()
    assert not ServiceRequest.objects.exists()


# --- the talent's requests ------------------------------------------------------------------
def test_my_requests_newest_first_with_status_and_promised_date(client, carded, other_talent):
    give_card(other_talent)
    theirs = file_housing(other_talent)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        first = file_housing(carded)  # Monday: accept 1 + promise 15 working days
    second = file_housing(carded)
    client.force_login(carded)
    html = page(client, "/requests/")
    assert numbers_on(html) == [second.number, first.number]
    assert theirs.number not in html
    row = html.split(first.number, 2)[2].split("</tr>", 1)[0]
    assert "待受理" in row and "人才公寓" in row and "区住房和城乡建设局" in row
    # 03-02 + 16 working days (no calendar rows: Monday–Friday) = 2026-03-24.
    assert "2026-03-24" in row


def test_my_requests_are_paginated(client, carded):
    for _ in range(21):
        file_housing(carded)
    client.force_login(carded)
    html = page(client, "/requests/")
    assert len(numbers_on(html)) == 20 and "第 1 / 2 页，共 21 条" in html
    assert len(numbers_on(page(client, "/requests/?page=2"))) == 1


def test_the_talent_comments_supplies_info_and_sees_no_internal_note(client, carded, handler):
    req = request_in("accepted", carded, handler)
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    client.post(
        url + "comment/", {"comment-body": "内部：需核查不动产登记", "comment-internal": "on"}
    )
    client.post(url + "comment/", {"comment-body": "您好，我们正在核查住房情况。"})
    assert RequestComment.objects.filter(internal=True).count() == 1

    client.force_login(carded)
    detail = f"/requests/{req.number}/"
    response = client.post(detail + "comment/", {"comment-body": ""})
    assert response.status_code == 200
    assert "请填写内容" in field_error(response.content.decode(), "id_comment-body")
    response = client.post(detail + "comment/", {"comment-body": "请问大概什么时候有结果？"})
    assert response.status_code == 302
    html = page(client, detail)
    comments = section(html, "comments")
    assert "请问大概什么时候有结果？" in comments and "我们正在核查住房情况" in comments
    assert "需核查不动产登记" not in html and "内部备注" not in html
    assert "区住房和城乡建设局经办人" in comments  # who answered

    request_ask_info(
        req=req, actor=handler, items=["无房证明原件扫描件", "租房合同"], note="请一周内补齐"
    )
    html = page(client, detail)
    asked = html.split('id="asked"', 1)[1].split("</article>", 1)[0]
    # Every item, as a checklist in the supply form.
    ticks = re.findall(r'<input type="checkbox" name="supply-items" value="([^"]+)"', asked)
    assert "共 2 项" in asked and ticks == ["无房证明原件扫描件", "租房合同"]
    assert "请一周内补齐" in asked and "待补正" in html and "暂停计时" in html
    response = client.post(detail + "supply-info/", {"supply-note": "已上传无房证明和租房合同"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.ACCEPTED
    html = page(client, detail)
    assert "补正已提交" in messages_of(html) and 'id="asked"' not in html
    assert "已上传无房证明和租房合同" in html  # the timeline
    # Supplying again is a 409 in the domain: a message, nothing changes.
    response = client.post(detail + "supply-info/", {"supply-note": "再次"}, follow=True)
    assert "不能提交补正" in messages_of(response.content.decode())


def test_the_talent_withdraws_with_a_confirmation(client, carded):
    req = file_housing(carded)
    client.force_login(carded)
    detail = f"/requests/{req.number}/"
    html = page(client, detail)
    withdraw = section(html, "withdraw")
    assert "<details" in withdraw and "data-confirm=" in withdraw and "确认撤回" in withdraw
    assert "js/confirm-submit.js" in html
    response = client.post(detail + "withdraw/", {"withdraw-reason": "已自行解决"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    html = page(client, detail)
    assert "已撤回" in html and 'id="withdraw"' not in html and "已自行解决" in html
    assert "comment-body" not in html  # no more comments on a withdrawn request
    response = client.post(detail + "withdraw/", {}, follow=True)
    assert "不能撤回" in messages_of(response.content.decode())


def test_the_talent_rates_a_resolved_request_once(client, carded, handler):
    req = request_in("resolved", carded, handler)
    client.force_login(carded)
    detail = f"/requests/{req.number}/"
    html = page(client, detail)
    rate = section(html, "rate")
    for n, label in enumerate(["非常不满意", "不满意", "基本满意", "满意", "非常满意"], 1):
        assert re.search(rf'value="{n}"[^>]*> {n}星 {label}', rate)
    assert "已配租" in html  # the result of the handling

    response = client.post(detail + "rate/", {"rate-score": "", "rate-comment": "x"})
    assert response.status_code == 200
    assert "请选择评价：从1星（非常不满意）到5星（非常满意）。" in field_error(
        response.content.decode(), "id_rate-score"
    )
    response = client.post(detail + "rate/", {"rate-score": "5", "rate-comment": "很及时"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.CLOSED and req.rating.score == 5
    html = page(client, detail)
    assert 'id="rate"' not in html and "5星 非常满意" in html and "很及时" in html
    response = client.post(detail + "rate/", {"rate-score": "1"}, follow=True)
    assert "办结后才能评价，且只能评价一次" in messages_of(response.content.decode())
    assert not FollowUp.objects.exists()


# --- the department's desk ------------------------------------------------------------------
def test_the_handler_accepts_asks_for_info_and_resolves(client, carded, handler):
    req = file_housing(carded)
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    html = page(client, url)
    assert "李*" in html and "李明" not in html and "138****2688" in html
    assert "两室一厅" in html  # the form values
    assert f'action="{url}accept/"' in html
    assert f'action="{url}assign/"' not in html  # staff do not assign
    assert f'action="{url}resolve/"' not in html  # not before acceptance

    assert client.post(url + "accept/").status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.ACCEPTED and req.assignee == handler
    html = page(client, url)
    assert "已受理" in messages_of(html) and "办理中" in html
    assert f'action="{url}accept/"' not in html
    response = client.post(url + "accept/", follow=True)
    assert "不能受理" in messages_of(response.content.decode())

    response = client.post(url + "request-info/", {"ask-items": " \n ", "ask-note": ""})
    assert response.status_code == 200
    assert "请逐条列出" in field_error(response.content.decode(), "id_ask-items")
    response = client.post(
        url + "request-info/", {"ask-items": "无房证明\n\n租房合同\n", "ask-note": "请尽快"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.AWAITING_TALENT
    assert req.events.get(action="info_requested").items == ["无房证明", "租房合同"]
    html = page(client, url)
    assert "暂停计时" in html and f'action="{url}resolve/"' not in html

    client.force_login(carded)
    client.post(f"/requests/{req.number}/supply-info/", {"supply-note": "已补"})
    client.force_login(handler)
    response = client.post(url + "resolve/", {"resolve-note": ""})
    assert response.status_code == 200
    assert "请填写办理结果" in field_error(response.content.decode(), "id_resolve-note")
    response = client.post(url + "resolve/", {"resolve-note": "已配租 3 号楼 2 单元"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.RESOLVED and req.resolved_on_time is True
    html = page(client, url)
    assert "已配租 3 号楼 2 单元" in html and "按时办结" in html


def test_the_handler_rejects_with_a_reason(client, carded, handler):
    req = file_housing(carded)
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    response = client.post(url + "reject/", {"reject-reason": ""})
    assert response.status_code == 200
    assert "请填写不予办理的理由" in field_error(response.content.decode(), "id_reject-reason")
    assert client.post(url + "reject/", {"reject-reason": "已有自有住房"}).status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    client.force_login(carded)
    html = page(client, f"/requests/{req.number}/")
    assert "不予办理" in html and "已有自有住房" in html


def test_the_lead_assigns_and_closes_the_follow_up_of_a_bad_rating(
    client, carded, handler, lead, departments
):
    UserFactory(username="gone", role=Role.STAFF, department=departments["ZJJ"], is_active=False)
    req = file_housing(carded)
    client.force_login(lead)
    url = f"/desk/requests/{req.number}/"
    html = page(client, url)
    select = html.split('name="assign-assignee"', 1)[1].split("</select>", 1)[0]
    assert 'value="handler"' in select and 'value="lead"' in select
    assert 'value="gone"' not in select and 'value="other_handler"' not in select
    response = client.post(url + "assign/", {"assign-assignee": "other_handler"})
    assert response.status_code == 200
    assert "在职经办人或负责人" in field_error(response.content.decode(), "id_assign-assignee")
    assert client.post(url + "assign/", {"assign-assignee": "handler"}).status_code == 302
    req.refresh_from_db()
    assert req.assignee == handler
    assert "已指派给" in messages_of(page(client, url))

    # Staff may not assign: no form, and a POST is refused by the domain.
    client.force_login(handler)
    assert 'name="assign-assignee"' not in page(client, url)
    response = client.post(url + "assign/", {"assign-assignee": "lead"}, follow=True)
    assert "只有承办部门负责人" in messages_of(response.content.decode())
    req.refresh_from_db()
    assert req.assignee == handler

    client.post(url + "accept/")
    client.post(url + "resolve/", {"resolve-note": "已配租"})
    client.force_login(carded)
    client.post(f"/requests/{req.number}/rate/", {"rate-score": "2", "rate-comment": "太慢"})
    followup = FollowUp.objects.get(request=req)
    assert followup.closed_at is None

    client.force_login(handler)
    html = page(client, url)
    assert "2星 不满意" in html and "差评回访整改" in html and "待回访" in html
    assert 'name="followup-note"' not in html  # staff do not close follow-ups
    client.force_login(lead)
    html = page(client, url)
    assert 'name="followup-note"' in html
    response = client.post(url + "followup/", {"followup-note": ""})
    assert "请填写回访及整改情况" in field_error(response.content.decode(), "id_followup-note")
    response = client.post(url + "followup/", {"followup-note": "已电话回访，优化了配租流程"})
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.closed_at is not None and followup.closed_by == lead
    html = page(client, url)
    assert "已电话回访，优化了配租流程" in html and 'name="followup-note"' not in html


def test_internal_notes_are_marked_on_the_desk_and_never_on_talent_pages(client, carded, handler):
    req = request_in("accepted", carded, handler)
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    html = page(client, url)
    assert 'name="comment-internal"' in html and "内部备注" in html
    client.post(
        url + "comment/", {"comment-body": "机密：申请人曾有违约记录", "comment-internal": "on"}
    )
    html = page(client, url)
    note = html.split("机密：申请人曾有违约记录", 1)[0].rsplit("<li", 1)[1]
    assert 'class="comment internal"' in note and "内部备注" in note

    client.force_login(carded)
    for path in (f"/requests/{req.number}/", "/requests/"):
        assert "机密" not in page(client, path)
    request_ask_info(req=req, actor=handler, items=["补充材料"])
    assert "机密" not in page(client, f"/requests/{req.number}/")


def test_a_staff_member_transfers_and_the_request_leaves_the_desk(
    client, carded, handler, other_handler
):
    req = file_housing(carded)
    client.force_login(handler)
    url = f"/desk/requests/{req.number}/"
    options = page(client, url).split('name="transfer-department"', 1)[1].split("</select>", 1)[0]
    assert 'value="JYJ"' in options and 'value="ZJJ"' not in options
    response = client.post(url + "transfer/", {"transfer-department": "JYJ", "transfer-reason": ""})
    assert response.status_code == 200
    assert "请填写转办理由" in field_error(response.content.decode(), "id_transfer-reason")
    response = client.post(
        url + "transfer/", {"transfer-department": "JYJ", "transfer-reason": "涉及子女入学"}
    )
    assert response.status_code == 302 and response.url == "/desk/"
    assert "已转至区教育科技局办理" in messages_of(page(client, "/desk/"))
    assert client.get(url).status_code == 404
    client.force_login(other_handler)
    assert req.number in page(client, "/desk/")


# --- the organization department ------------------------------------------------------------
def test_the_admin_lists_filters_and_transfers(client, carded, handler, admin_user, other_talent):
    give_card(other_talent)
    housing = request_in("accepted", carded, handler)
    medical = request_file(
        talent=carded,
        service_type="MEDICAL",
        fields={"service": "年度健康体检", "hospital": "巴州区人民医院"},
        consent=True,
    )
    withdrawn = request_in("withdrawn", other_talent, handler)
    client.force_login(admin_user)
    html = page(client, "/manage/requests/")
    assert set(numbers_on(html)) == {housing.number, medical.number, withdrawn.number}
    assert "李*" in html and "王*" in html and "李明" not in html and "王五" not in html
    assert numbers_on(page(client, "/manage/requests/?status=withdrawn")) == [withdrawn.number]
    assert numbers_on(page(client, "/manage/requests/?service_type=MEDICAL")) == [medical.number]
    assert numbers_on(page(client, "/manage/requests/?department=WJJ")) == [medical.number]
    assert numbers_on(page(client, "/manage/requests/?overdue=1")) == []
    ServiceRequest.objects.filter(pk=housing.pk).update(
        due_at=datetime(2026, 1, 1, tzinfo=SHANGHAI)
    )
    overdue = page(client, "/manage/requests/?overdue=1")
    assert numbers_on(overdue) == [housing.number] and "已超期" in overdue

    url = f"/manage/requests/{housing.number}/"
    html = page(client, url)
    for action in ("transfer", "request-info", "resolve", "reject", "assign"):
        assert f'action="{url}{action}/"' in html, action
    assert f'action="{url}accept/"' not in html  # accepting is the department's
    response = client.post(
        url + "transfer/", {"transfer-department": "RSJ", "transfer-reason": "属于就业补贴"}
    )
    assert response.status_code == 302 and response.url == url
    housing.refresh_from_db()
    assert housing.department.code == "RSJ" and housing.status == RequestStatus.SUBMITTED
    assert housing.assignee is None
    html = page(client, url)
    stints = html.split("承办部门及时长", 1)[1].split("</table>", 1)[0]
    assert "区住房和城乡建设局" in stints and "区人力资源和社会保障局" in stints
    assert "（当前）" in stints
    assert DepartmentStint.objects.filter(request=housing).count() == 2
    assert "由区住房和城乡建设局转至区人力资源和社会保障局：属于就业补贴" in html
    assert "组织部人才办" in html  # the actor on the timeline


def test_medical_values_are_hidden_from_the_admin_but_not_the_routed_department(
    client, carded, admin_user, departments
):
    req = request_file(
        talent=carded,
        service_type="MEDICAL",
        fields={"service": "年度健康体检", "hospital": "巴州区人民医院", "notes": "有高血压病史"},
        consent=True,
    )
    client.force_login(admin_user)
    html = page(client, f"/manage/requests/{req.number}/")
    assert "高血压" not in html and "巴州区人民医院" not in html
    assert "表单内容、诉求说明和附件仅申请人和承办部门可见" in html
    wjj = UserFactory(username="wjj", role=Role.STAFF, department=departments["WJJ"])
    client.force_login(wjj)
    assert "有高血压病史" in page(client, f"/desk/requests/{req.number}/")
    client.force_login(carded)
    assert "有高血压病史" in page(client, f"/requests/{req.number}/")


# --- attachments ----------------------------------------------------------------------------
def test_attachments_upload_and_download_with_the_request_s_visibility(
    client, carded, handler, other_handler, other_talent, admin_user
):
    req = request_in("accepted", carded, handler)
    client.force_login(carded)
    detail = f"/requests/{req.number}/"
    bad = SimpleUploadedFile("证明.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png")
    response = client.post(detail + "attach/", {"attach-file": bad})
    assert response.status_code == 200
    assert "只能上传 PDF、JPG 或 PNG" in field_error(response.content.decode(), "id_attach-file")
    good = SimpleUploadedFile("无房证明.png", png_bytes(), "image/png")
    assert client.post(detail + "attach/", {"attach-file": good}).status_code == 302
    attachment = req.attachments.get()
    link = f"/requests/{req.number}/attachments/{attachment.pk}/"
    assert link in page(client, detail)
    assert client.get(link).status_code == 200

    client.force_login(handler)
    assert link in page(client, f"/desk/requests/{req.number}/")
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    client.force_login(admin_user)
    assert client.get(link).status_code == 200
    for outsider in (other_talent, other_handler):
        client.force_login(outsider)
        assert client.get(link).status_code == 404
    client.logout()
    assert client.get(link).status_code == 302


# --- who sees what --------------------------------------------------------------------------
def test_another_talent_and_another_department_get_404(
    client, carded, handler, other_talent, other_handler
):
    req = request_in("accepted", carded, handler)
    client.force_login(other_talent)
    base = f"/requests/{req.number}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "comment/", {"comment-body": "x"}).status_code == 404
    assert client.post(base + "withdraw/").status_code == 404
    client.force_login(other_handler)
    desk = f"/desk/requests/{req.number}/"
    assert client.get(desk).status_code == 404
    assert client.post(desk + "resolve/", {"resolve-note": "x"}).status_code == 404
    assert req.number not in page(client, "/desk/?tab=accepted")
    req.refresh_from_db()
    assert req.status == RequestStatus.ACCEPTED and not req.comments.exists()


@pytest.mark.parametrize("persona", ["auditor", "verifier"])
def test_auditors_and_verifiers_see_no_request_page(client, request, persona, carded, handler):
    req = file_housing(carded)
    client.force_login(request.getfixturevalue(persona))
    for url in [
        "/services/HOUSING/apply/",
        "/requests/",
        f"/requests/{req.number}/",
        "/desk/",
        f"/desk/requests/{req.number}/",
        "/manage/requests/",
        f"/manage/requests/{req.number}/",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/desk/requests/{req.number}/accept/").status_code == 404
    assert client.get("/services/").status_code == 200


def test_each_role_sees_only_its_own_pages(client, carded, handler, lead, admin_user):
    req = file_housing(carded)
    talent_pages = ["/requests/", f"/requests/{req.number}/", "/services/HOUSING/apply/"]
    desk_pages = ["/desk/", f"/desk/requests/{req.number}/"]
    manage_pages = ["/manage/requests/", f"/manage/requests/{req.number}/"]
    for user, allowed in [
        (carded, talent_pages),
        (handler, desk_pages),
        # A lead also reads the full list (their department only), where the dashboard links.
        (lead, [*desk_pages, "/manage/requests/"]),
        (admin_user, manage_pages),
    ]:
        client.force_login(user)
        for url in talent_pages + desk_pages + manage_pages:
            expected = 200 if url in allowed else 404
            assert client.get(url).status_code == expected, (user.username, url)
    client.force_login(carded)
    assert client.post(f"/desk/requests/{req.number}/accept/").status_code == 404
    client.force_login(handler)
    assert client.post(f"/manage/requests/{req.number}/accept/").status_code == 404
    assert client.post(f"/desk/requests/{req.number}/nonsense/").status_code == 404
    req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED


def test_visitors_are_sent_to_the_login_page(client, carded):
    req = file_housing(carded)
    for url in [
        "/services/HOUSING/apply/",
        "/requests/",
        f"/requests/{req.number}/",
        "/desk/",
        f"/desk/requests/{req.number}/",
        "/manage/requests/",
        f"/manage/requests/{req.number}/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"/accounts/login/?next={url}"
    assert client.get("/services/").status_code == 200
    assert client.get("/services/HOUSING/").status_code == 200


@pytest.mark.parametrize(
    ("persona", "labels"),
    [
        (None, ["服务事项"]),
        ("talent", ["服务事项", "我的申请"]),
        ("handler", ["服务事项", "办件工作台"]),
        ("lead", ["服务事项", "办件工作台"]),
        ("admin_user", ["服务事项", "全部申请"]),
        ("auditor", ["服务事项"]),
        ("verifier", ["服务事项"]),
    ],
)
def test_navigation_shows_the_request_pages_by_role(client, request, persona, labels):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    shown = nav_labels(page(client, "/"))
    ours = {"服务事项", "我的申请", "办件工作台", "全部申请"}
    assert [label for label in shown if label in ours] == labels


# --- the queue ------------------------------------------------------------------------------
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def _filed_at(moment, talent):
    with time_machine.travel(moment, tick=False):
        return file_housing(talent)


def test_the_queue_tabs_hold_the_right_requests_nearest_deadline_first(
    client, carded, handler, other_talent
):
    give_card(other_talent)
    # No calendar rows: Monday–Friday. Filed Monday → accept due end of Tuesday 03-03.
    late = _filed_at(MONDAY, carded)  # due 03-03 24:00
    today = _filed_at(datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI), carded)  # due 03-04 24:00
    later = _filed_at(datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI), other_talent)  # 03-05
    with time_machine.travel(datetime(2026, 3, 4, 9, 30, tzinfo=SHANGHAI), tick=False):
        working = request_accept(req=file_housing(other_talent), actor=handler)
        waiting = request_ask_info(
            req=request_accept(req=file_housing(carded), actor=handler),
            actor=handler,
            items=["补充"],
        )
    elsewhere = request_transfer(
        req=file_housing(carded), actor=handler, department="JYJ", reason="误派"
    )
    client.force_login(handler)
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=SHANGHAI), tick=False):
        submitted = page(client, "/desk/")
        assert numbers_on(submitted) == [late.number, today.number, later.number]
        assert elsewhere.number not in submitted
        assert numbers_on(page(client, "/desk/?tab=accepted")) == [working.number]
        assert numbers_on(page(client, "/desk/?tab=awaiting_talent")) == [waiting.number]
        due_soon = page(client, "/desk/?tab=due_soon")
        assert today.number in numbers_on(due_soon)
        assert later.number not in due_soon and working.number not in due_soon
        overdue = page(client, "/desk/?tab=overdue")
        assert numbers_on(overdue) == [late.number]
        row = overdue.split(late.number, 2)[2].split("</tr>", 1)[0]
        assert "2026-03-03 24:00" in row and "已超期" in row and "李*" in row
        assert "已督办" not in row
        # The tab counts: 3 submitted, 1 accepted, 1 waiting, 2 due by tonight, 1 overdue.
        for key, count in [
            ("submitted", 3),
            ("accepted", 1),
            ("awaiting_talent", 1),
            ("due_soon", 2),
            ("overdue", 1),
        ]:
            assert re.search(rf'class="tab tab-{key}">[^<]+<span class="count">{count}<', overdue)
    # Two working days after its deadline the late one is escalated (督办).
    with time_machine.travel(datetime(2026, 3, 6, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        row = page(client, "/desk/?tab=overdue").split(late.number, 2)[2].split("</tr>", 1)[0]
        assert "已督办" in row


def test_the_mine_filter_shows_what_is_assigned_to_me(client, carded, handler, lead):
    mine = request_in("accepted", carded, handler)
    theirs = request_accept(req=file_housing(carded), actor=lead)
    client.force_login(handler)
    everyone = numbers_on(page(client, "/desk/?tab=accepted"))
    assert set(everyone) == {mine.number, theirs.number}
    html = page(client, "/desk/?tab=accepted&mine=1")
    assert numbers_on(html) == [mine.number]
    assert "只看我的" not in html and "显示本部门全部" in html


def test_the_queue_runs_a_constant_number_of_queries(
    client, handler, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            talent = TalentFactory()
            give_card(talent)
            file_housing(talent)

    add(1)
    client.force_login(handler)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/desk/").status_code == 200
    add(24)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, "/desk/")
    assert len(numbers_on(html)) == 20 and "第 1 / 2 页，共 25 条" in html


def test_the_admin_list_runs_a_constant_number_of_queries(
    client, admin_user, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            talent = TalentFactory()
            give_card(talent)
            file_housing(talent)

    add(1)
    client.force_login(admin_user)
    with django_assert_max_num_queries(14) as few:
        assert client.get("/manage/requests/").status_code == 200
    add(24)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(numbers_on(page(client, "/manage/requests/"))) == 20


# --- personal data --------------------------------------------------------------------------
def test_no_request_page_shows_an_unmasked_phone_or_id_number(
    client, carded, handler, lead, admin_user
):
    req = request_in("accepted", carded, handler)
    secrets = [carded.id_number, carded.id_number.lower(), carded.phone, carded.real_name]
    pages = []
    client.force_login(carded)
    pages += [page(client, url) for url in ["/requests/", f"/requests/{req.number}/"]]
    for user, urls in [
        (handler, ["/desk/?tab=accepted", f"/desk/requests/{req.number}/"]),
        (lead, ["/desk/?tab=accepted"]),
        (admin_user, ["/manage/requests/", f"/manage/requests/{req.number}/"]),
    ]:
        client.force_login(user)
        pages += [page(client, url) for url in urls]
    for html in pages:
        for secret in secrets[:3]:
            assert secret not in html
    # The name is masked on every staff and admin page.
    for html in pages[2:]:
        assert carded.real_name not in html and "李*" in html


def test_the_housing_fixture_matches_the_form():
    """The form posts the same values the domain helpers use (a guard for this file)."""
    assert {f"field_{k}" for k in HOUSING} <= set(HOUSING_POST)
