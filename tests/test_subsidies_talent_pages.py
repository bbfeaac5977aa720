"""我的待遇 (issue 15 point 6): the talent's list and one benefit's page, in Chinese and English,
through HTTP. The talent confirms or corrects the bank account (shown masked, never in full),
declines; nobody else reaches these pages (404), a visitor is sent to sign in; the list costs
the same number of queries for one benefit as for four."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Role
from subsidies.entitlements import entitlement_approve, entitlement_return, entitlement_suspend
from subsidies.models import (
    Entitlement,
    EntitlementStatus,
    Instalment,
    InstalmentStatus,
    Policy,
)
from subsidies.payments import instalment_fail, instalment_pay
from tests.factories import UserFactory
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria", "departments")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
COOKIE = settings.LANGUAGE_COOKIE_NAME
FULL_NUMBER = "6222020200112233445"
MASKED = "6222 **** **** 3445"
ZG_EN = "Settlement and work allowance for senior (full) professional titles"

# Chinese characters and CJK punctuation (tests/test_i18n.py's pattern, with the
# compatibility ideographs).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


@pytest.fixture(autouse=True)
def _policies_and_clock(departments):
    seed_policies()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def holder(client_for, talent, admin_user):
    """The talent with a card: SETTLE-ZG (RSJ) and RENT-36 (CZJ) offered."""
    card_holder(client_for(talent), client_for(admin_user))
    return talent


@pytest.fixture
def rsj(departments):
    return UserFactory(username="rsj", role=Role.STAFF, department=departments["RSJ"])


@pytest.fixture
def page(client, holder):
    """The talent's browser, signed in; ``page(path, lang)`` → the HTML of a 200 page."""
    client.force_login(holder)

    def get(path, lang="zh-hans"):
        client.cookies[COOKIE] = lang
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.content.decode()

    return get


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def chinese_in(html: str) -> set[str]:
    return set(CJK.findall(re.sub(r"<!--.*?-->", "", main_of(html), flags=re.S)))


def detail_url(ent) -> str:
    return f"/benefits/{ent.pk}/"


def confirm(client, ent, lang="zh-hans", form_key=None, **account):
    client.cookies[COOKIE] = lang
    data = {"action": "confirm", **{f"account-{k}": v for k, v in {**ACCOUNT, **account}.items()}}
    if form_key:
        data["form_key"] = form_key
    return client.post(detail_url(ent), data)


def approved(ent, payer):
    """Confirm (through the page is tested elsewhere) and approve ``ent`` in the domain."""
    ent.refresh_from_db()
    return entitlement_approve(entitlement=ent, actor=payer)


# --- the list -----------------------------------------------------------------------------------
def test_the_list_in_chinese_shows_each_benefit_with_its_call_to_action(page, holder):
    html = page("/benefits/")
    zg, rent = entitlement_of(holder, "SETTLE-ZG"), entitlement_of(holder, "RENT-36")
    assert "正高级职称人才安家补助和工作补贴" in html and "人才租房补贴" in html
    assert "322,000.00 元" in html and "36,000.00 元" in html
    assert html.count("待确认") >= 2  # the status of both
    for ent in (zg, rent):
        assert f'href="/benefits/{ent.pk}/#account">确认收款账户</a>' in html
    assert "审核通过后按计划发放" in html
    # Phone-first: a card stack whose cells say what they are.
    assert 'class="compact-head stack benefits"' in html and 'data-label="下一期"' in html


def test_the_list_in_english(page):
    html = page("/benefits/", "en")
    for words in [
        "My benefits",
        ZG_EN,
        "Rent subsidy for talents",
        "CNY 322,000.00",
        "Confirm bank account",
        "Awaiting your confirmation",
    ]:
        assert words in html, words
    assert chinese_in(html) == set()


def test_the_list_shows_what_was_paid_and_what_comes_next(page, holder, rsj, client):
    ent = entitlement_of(holder, "SETTLE-ZG")
    assert confirm(client, ent).status_code == 302
    approved(ent, rsj)
    first, second = Instalment.objects.filter(entitlement=ent).order_by("n")[:2]
    instalment_pay(instalment=first, actor=rsj, voucher="RSJ-2026-0001")
    html = page("/benefits/")
    row = html.split(f'href="/benefits/{ent.pk}/"', 1)[1].split("</tr>", 1)[0]
    assert "兑现中" in row
    assert f"{first.amount:,.2f} 元" in row  # paid so far
    assert second.due_on.isoformat() in row and f"{second.amount:,.2f} 元" in row  # next
    assert "确认收款账户" not in row and "更正收款账户" not in row


def test_an_empty_list_explains_that_benefits_come_without_applying(client, talent):
    client.force_login(talent)
    html = client.get("/benefits/").content.decode()
    assert "您目前没有待遇" in html and "无需申请" in html and "<table" not in main_of(html)
    client.cookies[COOKIE] = "en"
    html = client.get("/benefits/").content.decode()
    assert "no application" in html.lower()
    assert chinese_in(html) == set()


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/benefits/").status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_one_benefit_and_for_four(
    client, holder, rsj, django_assert_num_queries
):
    client.force_login(holder)
    Entitlement.objects.filter(talent=holder, policy__code="RENT-36").delete()
    assert Entitlement.objects.filter(talent=holder).count() == 1
    one = _page_queries(client)
    zg = entitlement_of(holder, "SETTLE-ZG")
    for code in ("SETTLE-FG", "SETTLE-BS", "SETTLE-SS"):
        policy = Policy.objects.get(code=code)
        Entitlement.objects.create(
            policy=policy,
            talent=holder,
            card=zg.card,
            department=policy.department,
            amount_total=policy.amount_total,
        )
    # One of them being paid: its paid sum and next instalment come from the same query.
    confirm(client, zg)
    approved(zg, rsj)
    instalment_pay(
        instalment=Instalment.objects.filter(entitlement=zg).order_by("n").first(),
        actor=rsj,
        voucher="V1",
    )
    assert Entitlement.objects.filter(talent=holder).count() == 4
    four = _page_queries(client)
    assert one == four
    with django_assert_num_queries(four):
        html = client.get("/benefits/").content.decode()
    assert html.count("/#account") == 3  # the three offered ones call for an account


def test_the_list_is_paginated_newest_first(client, holder):
    client.force_login(holder)
    zg, rent = entitlement_of(holder, "SETTLE-ZG"), entitlement_of(holder, "RENT-36")
    Entitlement.objects.filter(pk=zg.pk).update(offered_at=NOW - datetime.timedelta(days=1))
    html = client.get("/benefits/").content.decode()
    assert html.index(f"/benefits/{rent.pk}/") < html.index(f"/benefits/{zg.pk}/")
    assert client.get("/benefits/?page=99").status_code == 200  # the last page, not an error


# --- one benefit --------------------------------------------------------------------------------
def test_the_detail_in_chinese(page, holder):
    ent = entitlement_of(holder, "SETTLE-ZG")
    html = page(detail_url(ent))
    for words in [
        "正高级职称人才安家补助和工作补贴",
        "巴中市引才安家补助和工作补贴政策（演示）",  # 文件号
        "专业技术职称包含任一关键词 正高",  # the rules
        "分三年发放",  # the description
        "322,000.00 元",
        "待确认",
        "无需申请，确认收款账户即可",
        "审核通过后第 1 个月",  # the plan before approval
        "区人力资源和社会保障局",
        "系统推送待遇",  # the timeline
        "确认收款账户",
        "只有兑现部门为发放待遇可以查看完整账号",
        "放弃本项待遇",
    ]:
        assert words in html, words
    assert 'name="account-account_name" value="李明"' in html  # the talent's own name


def test_the_detail_in_english(page, holder):
    ent = entitlement_of(holder, "SETTLE-ZG")
    html = page(detail_url(ent), "en")
    for words in [
        ZG_EN,
        "paid in three yearly instalments",  # description_en
        "CNY 322,000.00",
        "Confirm bank account",
        "Decline this benefit",
        "District Bureau of Human Resources and Social Security",
        "Professional title",
        "Benefit offered",
    ]:
        assert words in html, words
    # The offer's step names the policy in English, with its document reference.
    assert f"{ZG_EN} (巴中市引才安家补助和工作补贴政策（演示）)" in html
    # Only data without English: the policy's document reference, a rule's keyword, the
    # talent's own name in the form.
    assert chinese_in(html) <= {"巴中市引才安家补助和工作补贴政策（演示）", "正高", "李明"}


def test_confirming_the_account_shows_it_masked_only(client, page, holder):
    ent = entitlement_of(holder, "SETTLE-ZG")
    response = confirm(client, ent)
    assert response.status_code == 302 and response.url == detail_url(ent)
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.CONFIRMED
    assert ent.account_number_masked == MASKED
    html = page(detail_url(ent))
    assert "收款账户已确认" in html and "待审核" in html and "10 个工作日内审核" in html
    for shown in (html, page("/benefits/"), page(detail_url(ent), "en")):
        assert FULL_NUMBER not in shown and "0011 2233" not in shown and "00112233" not in shown
    assert MASKED in page(detail_url(ent))
    assert "等待兑现部门审核" in page("/benefits/")


def test_a_wrong_account_is_answered_next_to_its_fields_in_chinese(client, holder):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    response = confirm(client, ent, bank_name="", account_number="12ab")
    assert response.status_code == 200
    html = response.content.decode()
    assert "请填写开户银行。" in html and "银行账号应为 10 至 30 位数字。" in html
    assert 'id="id_account-account_number_error"' in html
    assert "12ab" not in main_of(html)  # what was typed is not written back
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.OFFERED


def test_a_wrong_account_is_answered_in_english(client, holder):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    html = confirm(client, ent, "en", account_number="123").content.decode()
    assert "The account number must be 10 to 30 digits." in html
    html = confirm(client, ent, "en", account_name="王五").content.decode()
    assert "must be your own name" in html
    assert FULL_NUMBER not in html


def test_an_account_in_another_name_is_refused(client, holder):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    html = confirm(client, ent, account_name="王五").content.decode()
    assert "户名须为本人姓名，待遇只能发放到本人账户。" in html
    assert 'id="id_account-account_name_error"' in html
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.OFFERED and not ent.account_number_masked


def test_declining(client, holder):
    client.force_login(holder)
    ent = entitlement_of(holder, "RENT-36")
    html = client.get(detail_url(ent)).content.decode()
    assert 'data-confirm="确定放弃“人才租房补贴”吗？放弃后不能恢复。"' in html
    response = client.post(detail_url(ent), {"action": "decline", "decline-reason": "已有住房"})
    assert response.status_code == 302
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.DECLINED and ent.decline_reason == "已有住房"
    html = client.get(detail_url(ent)).content.decode()
    assert "您已放弃该项待遇。" in html and "原因：已有住房" in html
    assert 'name="action" value="decline"' not in html
    assert 'name="action" value="confirm"' not in html
    # Sent again (an old tab): the state refuses it with a message, no error page.
    response = client.post(detail_url(ent), {"action": "decline"}, follow=True)
    assert response.status_code == 200
    assert "当前为“已放弃”状态，不能放弃" in response.content.decode()


def test_a_returned_benefit_lists_every_item_and_is_confirmed_again(client, holder, rsj):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    confirm(client, ent)
    ent.refresh_from_db()
    entitlement_return(entitlement=ent, actor=rsj, items=["开户银行请写到支行", "请使用一类账户"])
    html = client.get(detail_url(ent)).content.decode()
    assert "兑现部门退回修改（一次性告知，共 2 项）" in html
    assert "<li>开户银行请写到支行</li>" in html and "<li>请使用一类账户</li>" in html
    # What is on file, to correct (the number only masked: typed again).
    assert re.search(r'<input[^>]*name="account-bank_name"[^>]*value="中国工商银行巴中分行"', html)
    assert not re.search(r'<input[^>]*name="account-account_number"[^>]*value=', html)
    response = confirm(client, ent, bank_name="中国工商银行巴中江北支行")
    assert response.status_code == 302
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.CONFIRMED and ent.returned_items == []


def test_a_failed_instalment_asks_to_correct_the_account_and_is_due_again(client, holder, rsj):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    confirm(client, ent)
    approved(ent, rsj)
    first = Instalment.objects.filter(entitlement=ent).order_by("n").first()
    instalment_fail(instalment=first, actor=rsj, reason="户名与账号不符")
    listing = client.get("/benefits/").content.decode()
    assert f'href="/benefits/{ent.pk}/#account">更正收款账户</a>' in listing
    html = client.get(detail_url(ent)).content.decode()
    assert "有 1 期发放失败" in html and "发放失败：户名与账号不符" in html
    assert "更正收款账户" in html and MASKED in html
    response = confirm(client, ent, account_number="6217 0000 1111 2222 333")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == InstalmentStatus.DUE and first.due_at is not None
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.APPROVED and ent.account_number_masked.endswith("2333")
    html = client.get(detail_url(ent)).content.decode()
    assert "收款账户已更正，发放失败的分期将在 5 个工作日内重新发放。" in html
    assert "更正收款账户" in html  # the timeline's step; still correctable while being paid
    assert "重新兑现（第 1 期）" in html


def test_the_schedule_after_approval_and_a_payment(client, holder, rsj):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    confirm(client, ent)
    approved(ent, rsj)
    rows = list(Instalment.objects.filter(entitlement=ent).order_by("n"))
    instalment_pay(instalment=rows[0], actor=rsj, voucher="RSJ-2026-0001")
    html = client.get(detail_url(ent)).content.decode()
    assert "已发放（2026-12-07）" in html and "凭证号 RSJ-2026-0001" in html
    assert rows[1].due_on.isoformat() in html and "未到期" in html
    assert f"{rows[0].amount:,.2f} 元" in html
    assert "分期已兑现（第 1 期）" in html
    client.cookies[COOKIE] = "en"
    english = client.get(detail_url(ent)).content.decode()
    assert "Voucher RSJ-2026-0001" in english and "Correct bank account" in english


# --- who may see it -----------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["other_talent", "admin_user", "auditor", "verifier"])
def test_nobody_else_sees_a_benefit(client, holder, request, persona):
    ent = entitlement_of(holder, "SETTLE-ZG")
    client.force_login(request.getfixturevalue(persona))
    assert client.get(detail_url(ent)).status_code == 404
    assert client.post(detail_url(ent), {"action": "decline"}).status_code == 404
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.OFFERED


@pytest.mark.parametrize("payer", [True, False])
def test_staff_get_404_even_of_their_own_departments_benefit(client, holder, departments, payer):
    ent = entitlement_of(holder, "SETTLE-ZG")
    department = departments["RSJ" if payer else "ZJJ"]
    client.force_login(UserFactory(role=Role.STAFF, department=department))
    assert client.get("/benefits/").status_code == 404
    assert client.get(detail_url(ent)).status_code == 404
    assert client.post(detail_url(ent), {"action": "confirm", **ACCOUNT}).status_code == 404


def test_other_talent_has_an_empty_list(client, holder, other_talent):
    client.force_login(other_talent)
    html = client.get("/benefits/").content.decode()
    assert "正高级职称人才安家补助和工作补贴" not in html and "您目前没有待遇" in html


def test_a_visitor_is_sent_to_sign_in(client, holder):
    ent = entitlement_of(holder, "SETTLE-ZG")
    for path in ("/benefits/", detail_url(ent)):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    response = client.post(detail_url(ent), {"action": "decline"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.OFFERED


def test_an_unknown_action_is_a_bad_request(client, holder):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    assert client.post(detail_url(ent), {"action": "approve"}).status_code == 400


def test_a_double_tap_confirms_once(client, holder):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    html = client.get(detail_url(ent)).content.decode()
    form = html.split('name="action" value="confirm"', 1)[0].rsplit("<form", 1)[1]
    key = re.search(r'name="form_key" value="([0-9a-f]{32})"', form).group(1)
    first = confirm(client, ent, form_key=key)
    second = confirm(client, ent, form_key=key)
    assert first.status_code == second.status_code == 302
    assert second.url == detail_url(ent)
    html = client.get(detail_url(ent)).content.decode()
    assert "不能确认收款账户" not in html
    assert ent.events.filter(action="confirmed").count() == 1


def _detail_queries(client, ent) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail_url(ent)).status_code == 200
    return len(queries)


def test_a_benefits_page_costs_the_same_queries_for_3_instalments_and_for_36(
    client, holder, rsj, departments
):
    client.force_login(holder)
    czj = UserFactory(role=Role.STAFF, department=departments["CZJ"])
    zg, rent = entitlement_of(holder, "SETTLE-ZG"), entitlement_of(holder, "RENT-36")
    for ent, payer, paid in ((zg, rsj, 1), (rent, czj, 3)):
        confirm(client, ent)
        approved(ent, payer)
        for inst in Instalment.objects.filter(entitlement=ent).order_by("n")[:paid]:
            instalment_pay(instalment=inst, actor=payer, voucher=f"V{inst.n}")
    assert Instalment.objects.filter(entitlement=rent).count() == 36
    # More instalments and more events of instalments: still the same queries.
    assert _detail_queries(client, zg) == _detail_queries(client, rent)


def test_a_suspended_benefit_says_why_and_what_stops(client, holder, rsj, admin_user):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    confirm(client, ent)
    approved(ent, rsj)
    first = Instalment.objects.filter(entitlement=ent).order_by("n").first()
    instalment_pay(instalment=first, actor=rsj, voucher="V1")
    ent.refresh_from_db()
    entitlement_suspend(entitlement=ent, actor=admin_user, reason="已调离巴州区")
    html = client.get(detail_url(ent)).content.decode()
    assert "本项待遇已中止兑现" in html and "原因：已调离巴州区" in html
    assert html.count("不再发放</td>") == 2 and "已发放（2026-12-07）" in html
    assert 'name="action"' not in html  # nothing left to confirm or decline
    listing = client.get("/benefits/").content.decode()
    row = listing.split(f'href="/benefits/{ent.pk}/"', 1)[1].split("</tr>", 1)[0]
    assert "已中止" in row and "/#account" not in row


def test_a_completed_benefit_is_paid_in_full(client, holder, rsj):
    client.force_login(holder)
    ent = entitlement_of(holder, "SETTLE-ZG")
    confirm(client, ent)
    approved(ent, rsj)
    for n, inst in enumerate(Instalment.objects.filter(entitlement=ent).order_by("n"), 1):
        instalment_pay(instalment=inst, actor=rsj, voucher=f"V{n}")
    html = client.get(detail_url(ent)).content.decode()
    assert "已兑现" in html and "已全部发放" in html and "322,000.00 元" in html
    assert "全部兑现" in html  # the timeline's last step
    row = client.get("/benefits/").content.decode().split(f'href="/benefits/{ent.pk}/"', 1)[1]
    assert "已全部发放" in row.split("</tr>", 1)[0]


def test_a_long_schedule_shows_what_is_settled_and_the_next_few(client, holder, departments):
    client.force_login(holder)
    rent = entitlement_of(holder, "RENT-36")
    html = client.get(detail_url(rent)).content.decode()
    shown, folded = html.split('<details class="schedule-rest">', 1)
    assert shown.count("审核通过后第") == 3 and "第 3 期" in shown and "第 4 期" not in shown
    assert "其余 33 期" in folded and "第 36 期" in folded
    czj = UserFactory(role=Role.STAFF, department=departments["CZJ"])
    confirm(client, rent)
    approved(rent, czj)
    rows = list(Instalment.objects.filter(entitlement=rent).order_by("n"))
    instalment_pay(instalment=rows[0], actor=czj, voucher="CZJ-1")
    instalment_fail(instalment=rows[1], actor=czj, reason="账户已冻结")
    shown, folded = client.get(detail_url(rent)).content.decode().split("<details", 1)
    assert "凭证号 CZJ-1" in shown and "账户已冻结" in shown and "第 5 期" in shown
    assert "第 6 期" not in shown and "其余 31 期" in folded
    client.cookies[COOKIE] = "en"
    assert "31 more instalments" in client.get(detail_url(rent)).content.decode()
