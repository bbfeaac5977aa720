"""The paying department's desk pages (issue 15 point 3): who sees which entitlements, the
tabs and their order, review (approve, return with every item at once), 登记兑现 / 登记失败
per instalment, the 409 answer as a message, the bank account revealed with a purpose, and a
constant number of queries per list.

The domain is tested through the API elsewhere; here the pages drive the same functions."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cards.models import Card
from portal.models import AccessLog, Role
from subsidies.entitlements import entitlement_approve, entitlement_confirm
from subsidies.models import (
    Entitlement,
    EntitlementStatus,
    Instalment,
    InstalmentStatus,
    Policy,
)
from subsidies.payments import instalment_fail
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import give_card
from tests.subsidies_support import seed_policies

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday: the review clock of 10 working days runs to 24:00 of 2026-03-16.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
ACCOUNT_NUMBER = "6222020200112233445"
MASKED = "6222 **** **** 3445"


# --- helpers (also used by tests/test_subsidies_manage_pages.py) -----------------------------
def offered(talent, code: str = "SETTLE-ZG") -> Entitlement:
    """An ``offered`` entitlement of ``talent`` to policy ``code`` (as subsidies.offers makes
    it), on the talent's card (given one if they have none)."""
    card = Card.objects.filter(holder=talent).first() or give_card(talent, tier="C")
    policy = Policy.objects.get(code=code)
    return Entitlement.objects.create(
        policy=policy,
        talent=talent,
        card=card,
        department=policy.department,
        amount_total=policy.amount_total,
    )


def confirmed(talent, code: str = "SETTLE-ZG") -> Entitlement:
    return entitlement_confirm(
        entitlement=offered(talent, code),
        actor=talent,
        bank_name="中国工商银行巴中分行",
        account_number=ACCOUNT_NUMBER,
        account_name=talent.real_name,
    )


def approved(talent, payer, code: str = "SETTLE-ZG") -> Entitlement:
    return entitlement_approve(entitlement=confirmed(talent, code), actor=payer)


def messages_of(html: str) -> str:
    block = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return block.group(1) if block else ""


def field_error(html: str, field_id: str) -> str:
    found = re.findall(
        rf'<small class="field-error" id="{re.escape(field_id)}_error">([^<]+)', html
    )
    return " ".join(found)


def shown(html: str) -> list[int]:
    """The entitlements a list links to, in order (each once)."""
    found = []
    for pk in re.findall(r"待遇 #(\d+)</a>", html):
        if int(pk) not in found:
            found.append(int(pk))
    return found


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def policies(departments):
    seed_policies()


@pytest.fixture
def rsj_staff(departments):
    return UserFactory(username="rsj_staff", role=Role.STAFF, department=departments["RSJ"])


@pytest.fixture
def rsj_lead(departments):
    return UserFactory(username="rsj_lead", role=Role.LEAD, department=departments["RSJ"])


@pytest.fixture
def czj_staff(departments):
    return UserFactory(username="czj_staff", role=Role.STAFF, department=departments["CZJ"])


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def two(talent, monday):
    """The talent's SETTLE-ZG (paid by RSJ) and RENT-36 (paid by CZJ), both confirmed."""
    return confirmed(talent, "SETTLE-ZG"), confirmed(talent, "RENT-36")


def desk(client, user, query: str = "") -> str:
    client.force_login(user)
    return get(client, f"/subsidies/desk/{query}")


def detail_url(ent) -> str:
    return f"/subsidies/desk/{ent.pk}/"


# --- who sees what --------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["rsj_staff", "rsj_lead"])
def test_the_paying_department_sees_its_own_entitlements_only(client, request, two, who):
    zg, rent = two
    user = request.getfixturevalue(who)
    html = desk(client, user)
    assert shown(html) == [zg.pk]
    assert '待审核 <span class="count">1</span>' in html
    assert shown(desk(client, user, "?tab=all")) == [zg.pk]
    page = get(client, detail_url(zg))
    assert "正高级职称人才安家补助和工作补贴" in page and "审核通过" in page
    get(client, detail_url(rent), 404)


def test_the_other_paying_department_sees_the_other_one(client, two, czj_staff):
    zg, rent = two
    assert shown(desk(client, czj_staff)) == [rent.pk]
    get(client, detail_url(zg), 404)


def test_a_handler_of_a_department_paying_nothing_sees_none_and_an_explanation(
    client, two, handler
):
    zg, _ = two
    html = desk(client, handler)
    assert shown(html) == []
    assert "本部门目前没有负责兑现的政策" in html
    assert shown(desk(client, handler, "?tab=all")) == []
    get(client, detail_url(zg), 404)
    response = client.post(detail_url(zg), {"action": "approve"})
    assert response.status_code == 404
    assert Entitlement.objects.get(pk=zg.pk).status == EntitlementStatus.CONFIRMED


def test_a_paying_department_is_not_told_it_pays_nothing(client, two, rsj_staff):
    assert "没有负责兑现的政策" not in desk(client, rsj_staff)


def test_the_desk_exports_this_years_instalments_masked(client, two, rsj_staff, handler):
    import re

    html = desk(client, rsj_staff)
    links = re.findall(r'href="(/subsidies/export/\?[^"]+)"', html)
    assert [link.rsplit("format=", 1)[1] for link in links] == ["csv", "xlsx"]
    response = client.get(links[0].replace("&amp;", "&"))
    assert response.status_code == 200 and "text/csv" in response["Content-Type"]
    # A department that pays nothing has nothing to export and no button.
    assert "/subsidies/export/" not in desk(client, handler)


@pytest.mark.parametrize("who", ["talent", "other_talent", "admin_user", "auditor", "verifier"])
def test_nobody_else_has_a_desk(client, request, two, who):
    zg, _ = two
    client.force_login(request.getfixturevalue(who))
    get(client, "/subsidies/desk/", 404)
    get(client, detail_url(zg), 404)
    assert client.post(detail_url(zg), {"action": "approve"}).status_code == 404
    assert Entitlement.objects.get(pk=zg.pk).status == EntitlementStatus.CONFIRMED


def test_a_visitor_is_sent_to_sign_in(client, two):
    zg, _ = two
    for url in ("/subsidies/desk/", detail_url(zg)):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


# --- tabs -----------------------------------------------------------------------------------
def test_the_review_tab_puts_the_nearest_deadline_first_and_marks_the_overdue(
    client, talent, other_talent, rsj_staff, monday
):
    first = confirmed(talent)  # due 2026-03-16 24:00
    monday.move_to(datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI))
    later = confirmed(other_talent, "SETTLE-ZG")  # due 2026-03-18 24:00
    html = desk(client, rsj_staff)
    assert shown(html) == [first.pk, later.pk]
    assert "2026-03-16 24:00" in html and "2026-03-18 24:00" in html
    assert "已超期" not in html
    monday.move_to(datetime(2026, 3, 17, 0, 0, 1, tzinfo=SHANGHAI))
    html = desk(client, rsj_staff)
    assert html.count("badge-flag overdue") == 1
    row = html.split(f"待遇 #{first.pk}</a>")[1].split("</tr>")[0]
    assert "已超期" in row
    assert "审核已超期" in get(client, detail_url(first))


def test_the_payments_tab_lists_owed_instalments_by_date(
    client, talent, other_talent, rsj_staff, monday
):
    zg = approved(talent, rsj_staff)
    monday.move_to(datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI))
    other = approved(other_talent, rsj_staff)
    html = desk(client, rsj_staff, "?tab=payments")
    # Three yearly instalments each, dated from approval: 2026-04-02 comes before 04-09; the
    # later ones (2027, 2028) are beyond the tab's 45 days and stay on the entitlement's page.
    rows = re.findall(r"待遇 #(\d+)</a></td>\s*<td[^>]*>第(\d)期</td>", html)
    assert rows == [(str(zg.pk), "1"), (str(other.pk), "1")]
    assert "2027-" not in html
    assert "107334.00" in html  # 322000 in three: the cents on the first
    assert "2026-04-02" in html and "李*" in html and "李明" not in html
    assert "已超期" not in html
    monday.move_to(datetime(2026, 4, 3, 0, 0, 1, tzinfo=SHANGHAI))
    html = desk(client, rsj_staff, "?tab=payments")
    assert html.count("badge-flag overdue") == 1


def test_the_returned_and_failed_tabs(client, talent, other_talent, rsj_staff, monday):
    zg = approved(talent, rsj_staff)
    first = zg.instalments.order_by("n").first()
    instalment_fail(instalment=first, actor=rsj_staff, reason="户名与账号不符")
    returned = confirmed(other_talent)
    client.force_login(rsj_staff)
    client.post(detail_url(returned), {"action": "return", "return-items": "开户行有误"})
    html = desk(client, rsj_staff, "?tab=failed")
    assert shown(html) == [zg.pk] and "户名与账号不符" in html
    assert '兑现失败 <span class="count">1</span>' in html
    assert shown(desk(client, rsj_staff, "?tab=returned")) == [returned.pk]


def test_the_all_tab_filters_by_status_policy_and_card_number(
    client, talent, other_talent, rsj_staff, monday
):
    zg = approved(talent, rsj_staff)
    fg = offered(other_talent, "SETTLE-FG")
    assert shown(desk(client, rsj_staff, "?tab=all")) == [fg.pk, zg.pk]
    assert shown(desk(client, rsj_staff, "?tab=all&status=approved")) == [zg.pk]
    assert shown(desk(client, rsj_staff, "?tab=all&policy=SETTLE-FG")) == [fg.pk]
    number = fg.card.number
    assert shown(desk(client, rsj_staff, f"?tab=all&q={number.lower()}")) == [fg.pk]
    assert shown(desk(client, rsj_staff, "?tab=all&q=BZYC-2000-000000")) == []
    # A filter the form does not know is ignored, never an error page.
    assert shown(desk(client, rsj_staff, "?tab=all&status=nonsense")) == [fg.pk, zg.pk]


# --- review ---------------------------------------------------------------------------------
def test_approving_through_the_page_schedules_the_instalments(client, talent, rsj_staff, monday):
    zg = confirmed(talent)
    client.force_login(rsj_staff)
    response = client.post(
        detail_url(zg), {"action": "approve", "approve-note": "账户核对无误"}, follow=True
    )
    html = response.content.decode()
    assert "已审核通过" in messages_of(html)
    zg.refresh_from_db()
    assert zg.status == EntitlementStatus.APPROVED
    assert zg.instalments.count() == 3
    assert "登记兑现：第1期" in html and "账户核对无误" in html
    # The review forms are gone: approving again is refused with the current status (409).
    assert 'value="approve"' not in html
    again = client.post(detail_url(zg), {"action": "approve"}, follow=True)
    assert "待遇当前为“兑现中”状态，不能审核通过。" in messages_of(again.content.decode())


def test_returning_lists_every_item_at_once(client, talent, rsj_lead, monday):
    zg = confirmed(talent)
    client.force_login(rsj_lead)
    response = client.post(detail_url(zg), {"action": "return", "return-items": "  \n"})
    assert response.status_code == 200
    assert field_error(response.content.decode(), "id_return-items") == "请逐条列出需要修改的事项。"
    assert Entitlement.objects.get(pk=zg.pk).status == EntitlementStatus.CONFIRMED
    response = client.post(
        detail_url(zg),
        {"action": "return", "return-items": "户名应与身份证一致\n\n开户行请写到支行"},
        follow=True,
    )
    html = response.content.decode()
    assert "已退回修改" in messages_of(html)
    zg.refresh_from_db()
    assert zg.status == EntitlementStatus.RETURNED
    assert zg.returned_items == ["户名应与身份证一致", "开户行请写到支行"]
    assert "已退回人才修改的事项" in html and "开户行请写到支行" in html


# --- paying ---------------------------------------------------------------------------------
def pay(client, inst, voucher="GK2026-0001", **extra):
    return client.post(
        detail_url(inst.entitlement),
        {"action": "pay", "instalment": inst.pk, f"pay-{inst.pk}-voucher": voucher, **extra},
        follow=True,
    )


def test_paying_an_instalment_and_paying_it_again(client, talent, rsj_staff, monday):
    zg = approved(talent, rsj_staff)
    first = zg.instalments.order_by("n").first()
    client.force_login(rsj_staff)
    html = pay(client, first).content.decode()
    assert "第1期已登记兑现" in messages_of(html)
    first.refresh_from_db()
    assert first.status == InstalmentStatus.PAID and first.voucher == "GK2026-0001"
    assert "凭证号 GK2026-0001" in html
    assert f'name="pay-{first.pk}-voucher"' not in html
    # The same instalment again (another tab, an old page): 409 as the status message.
    html = pay(client, first, voucher="GK2026-0002").content.decode()
    assert "兑现分期当前为“已兑现”状态，不能登记兑现。" in messages_of(html)
    first.refresh_from_db()
    assert first.voucher == "GK2026-0001"


def test_a_voucher_is_required(client, talent, rsj_staff, monday):
    zg = approved(talent, rsj_staff)
    first = zg.instalments.order_by("n").first()
    client.force_login(rsj_staff)
    response = pay(client, first, voucher=" ")
    html = response.content.decode()
    assert field_error(html, f"id_pay-{first.pk}-voucher") == "请填写支付凭证号。"
    assert Instalment.objects.get(pk=first.pk).status == InstalmentStatus.SCHEDULED


def test_marking_an_instalment_failed(client, talent, rsj_staff, monday):
    zg = approved(talent, rsj_staff)
    second = zg.instalments.get(n=2)
    client.force_login(rsj_staff)
    url = detail_url(zg)
    body = {"action": "fail", "instalment": second.pk}
    html = client.post(url, {**body, f"fail-{second.pk}-reason": ""}).content.decode()
    assert field_error(html, f"id_fail-{second.pk}-reason") == "请填写失败原因。"
    html = client.post(
        url, {**body, f"fail-{second.pk}-reason": "账户已注销"}, follow=True
    ).content.decode()
    assert "第2期已登记兑现失败" in messages_of(html)
    second.refresh_from_db()
    assert second.status == InstalmentStatus.FAILED and second.fail_reason == "账户已注销"
    assert "待人才更正收款账户后重新兑现" in html


def test_an_instalment_of_another_entitlement_is_not_found(
    client, talent, other_talent, rsj_staff, monday
):
    zg = approved(talent, rsj_staff)
    other = approved(other_talent, rsj_staff)
    theirs = other.instalments.get(n=1)
    client.force_login(rsj_staff)
    for raw in (theirs.pk, "x", ""):
        response = client.post(
            detail_url(zg), {"action": "pay", "instalment": raw, f"pay-{raw}-voucher": "V1"}
        )
        assert response.status_code == 404
    assert Instalment.objects.get(pk=theirs.pk).status == InstalmentStatus.SCHEDULED


def test_a_double_submitted_form_pays_once(client, talent, rsj_staff, monday):
    zg = approved(talent, rsj_staff)
    first = zg.instalments.order_by("n").first()
    client.force_login(rsj_staff)
    pay(client, first, form_key="k-pay-1")
    html = pay(client, first, form_key="k-pay-1").content.decode()
    assert "兑现分期当前为" not in messages_of(html)  # answered as the first, not refused
    assert zg.events.filter(instalment=first, action="paid").count() == 1


# --- the bank account -----------------------------------------------------------------------
def test_the_account_is_masked_and_revealed_once_with_a_purpose(client, talent, rsj_staff, monday):
    zg = confirmed(talent)
    client.force_login(rsj_staff)
    html = get(client, detail_url(zg))
    assert MASKED in html and ACCOUNT_NUMBER not in html and "李明" not in html
    assert "查看完整信息" in html
    reveal = f"{detail_url(zg)}?action=reveal"
    response = client.post(reveal, {"reveal-purpose": ""})
    html = response.content.decode()
    assert response.status_code == 200 and ACCOUNT_NUMBER not in html
    assert "请填写查看目的" in field_error(html, "id_reveal-purpose")
    assert not AccessLog.objects.exists()
    response = client.post(reveal, {"reveal-purpose": "核对收款账户后审核"})
    html = response.content.decode()
    assert response.status_code == 200 and ACCOUNT_NUMBER in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert log.subject_id == talent.pk and log.actor_id == rsj_staff.pk
    assert log.fields == ["bank_account"] and log.purpose == "核对收款账户后审核"
    # Once: the next view of the page is masked again.
    assert ACCOUNT_NUMBER not in get(client, detail_url(zg))


def test_no_reveal_before_an_account_is_on_file(client, talent, rsj_staff, monday):
    ent = offered(talent)
    client.force_login(rsj_staff)
    html = get(client, detail_url(ent))
    assert "查看完整信息" not in html and "尚无兑现计划" in html


def test_lists_never_show_a_full_name_or_account(client, talent, rsj_staff, monday):
    approved(talent, rsj_staff)
    for tab in ("review", "payments", "returned", "failed", "all"):
        html = desk(client, rsj_staff, f"?tab={tab}")
        assert "李明" not in html and ACCOUNT_NUMBER not in html


# --- queries --------------------------------------------------------------------------------
@pytest.mark.parametrize("tab", ["review", "payments", "returned", "failed", "all"])
def test_each_tab_runs_a_constant_number_of_queries(
    client, rsj_staff, monday, tab, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            talent = TalentFactory()
            if tab == "review":
                confirmed(talent)
            elif tab == "returned":
                ent = confirmed(talent)
                client.post(detail_url(ent), {"action": "return", "return-items": "开户行有误"})
            else:
                ent = approved(talent, rsj_staff)
                if tab == "failed":
                    first = ent.instalments.get(n=1)
                    instalment_fail(instalment=first, actor=rsj_staff, reason="账户已注销")

    client.force_login(rsj_staff)
    add(1)
    url = f"/subsidies/desk/?tab={tab}"
    with django_assert_max_num_queries(14) as few:
        html = get(client, url)
    # Counted now: the next request through the client empties the connection's query log.
    one_row = len(few)
    assert len(shown(html)) == 1
    add(4)
    with django_assert_max_num_queries(one_row):
        html = get(client, url)
    assert len(shown(html)) == 5


def test_the_entitlement_page_runs_a_constant_number_of_queries(
    client, talent, rsj_staff, monday, django_assert_max_num_queries
):
    zg = approved(talent, rsj_staff)
    client.force_login(rsj_staff)
    with django_assert_max_num_queries(16) as few:
        get(client, detail_url(zg))
    nothing_paid = len(few)
    for inst in zg.instalments.order_by("n")[:2]:
        pay(client, inst, voucher=f"V{inst.n}")
    with django_assert_max_num_queries(nothing_paid):
        html = get(client, detail_url(zg))
    assert html.count("· 凭证号 V") == 2


def test_only_the_next_instalment_s_forms_are_unfolded(client, talent, rsj_staff, monday):
    zg = approved(talent, rsj_staff)
    first, second = zg.instalments.order_by("n")[:2]
    client.force_login(rsj_staff)

    def unfolded(html: str) -> list[str]:
        return re.findall(r"<details open>\s*<summary>登记第(\d)期兑现结果", html)

    assert unfolded(get(client, detail_url(zg))) == ["1"]
    # The second posted with an error: its forms are open, with the message.
    html = pay(client, second, voucher="").content.decode()
    assert unfolded(html) == ["2"]
    assert field_error(html, f"id_pay-{second.pk}-voucher") == "请填写支付凭证号。"
    pay(client, first)
    assert unfolded(get(client, detail_url(zg))) == ["2"]


def test_a_tab_counts_up_to_its_cap(client, talent, other_talent, rsj_staff, monday, monkeypatch):
    """A department with thousands of owed payments is not counted in full on every page: the
    tab reads "N+" past the cap, and the list still pages."""
    import subsidies.views.desk as desk_views

    monkeypatch.setattr(desk_views, "TAB_CAP", 1)
    approved(talent, rsj_staff)
    approved(other_talent, rsj_staff)
    html = desk(client, rsj_staff, "?tab=payments")
    assert re.search(r'class="count">1\+</span>', html)
    assert len(re.findall(r"待遇 #\d+</a></td>", html)) == 2
