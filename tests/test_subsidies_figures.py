"""政策兑现 on the 督查看板 and GET /api/v1/sla/summary/?group_by=policy (subsidies.figures):
committed, paid and overdue amounts per policy and paying department, the payment on-time rate,
entitlements by status, overdue reviews, the overdue payments; who sees which; a fixed number
of queries whatever the rows.

The world (2026): 李明 and 王五 hold cards and were offered SETTLE-ZG (RSJ, 322,000 in three
yearly instalments, the first 107,334) and RENT-36 (CZJ, 1,000 a month). 李明's two were
confirmed 03-02 and approved 03-03 (the first instalments dated 04-03); CZJ paid RENT-36's
first on its day and its second after its deadline; RSJ has not paid SETTLE-ZG's first
(overdue). 王五 confirmed RENT-36 on 03-02 and was never reviewed (overdue since 03-10).
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.models import Role
from services.calendar import calendar_sync
from services.dashboard import Period
from subsidies import figures
from subsidies.models import Entitlement, Instalment, InstalmentStatus
from tests.factories import TalentFactory, UserFactory
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=SH)
PERIOD = "from=2026-04-01&to=2026-05-31"
DASHBOARD = f"/manage/dashboard/?{PERIOD}"
SUMMARY = f"/api/v1/sla/summary/?{PERIOD}&group_by=policy"


def at(*args):
    return datetime(*args, tzinfo=SH)


def post(client, moment, url, data=None):
    with time_machine.travel(moment, tick=False):
        response = client.post(url, data or {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def desks(departments):
    def desk(name, role, code):
        return UserFactory(username=name, role=role, department=departments[code])

    return {
        "rsj_staff": desk("rsj_staff", Role.STAFF, "RSJ"),
        "rsj_lead": desk("rsj_lead", Role.LEAD, "RSJ"),
        "czj_staff": desk("czj_staff", Role.STAFF, "CZJ"),
        "czj_lead": desk("czj_lead", Role.LEAD, "CZJ"),
    }


@pytest.fixture
def world(criteria, departments, talent, other_talent, admin_user, desks, client_for):
    calendar_sync(year=2026)
    seed_policies()
    admin = client_for(admin_user)
    with time_machine.travel(at(2026, 2, 2, 10, 0), tick=False):
        card_holder(client_for(talent), admin)
        card_holder(client_for(other_talent), admin)
    mine, theirs = client_for(talent), client_for(other_talent)
    settle, rent = entitlement_of(talent, "SETTLE-ZG"), entitlement_of(talent, "RENT-36")
    for ent in (settle, rent):
        post(mine, at(2026, 3, 2, 10, 0), f"/api/v1/entitlements/{ent.pk}/confirm/", ACCOUNT)
    post(
        client_for(desks["rsj_staff"]),
        at(2026, 3, 3, 10, 0),
        f"/api/v1/entitlements/{settle.pk}/approve/",
    )
    post(
        client_for(desks["czj_staff"]),
        at(2026, 3, 3, 10, 0),
        f"/api/v1/entitlements/{rent.pk}/approve/",
    )
    waiting = entitlement_of(other_talent, "RENT-36")
    other_account = {**ACCOUNT, "account_name": "王五"}
    post(
        theirs, at(2026, 3, 2, 10, 0), f"/api/v1/entitlements/{waiting.pk}/confirm/", other_account
    )
    czj = client_for(desks["czj_staff"])
    first, second = (Instalment.objects.get(entitlement=rent, n=n) for n in (1, 2))
    paid_on = datetime.combine(first.due_on, datetime.min.time(), tzinfo=SH).replace(hour=10)
    post(czj, paid_on, f"/api/v1/instalments/{first.pk}/pay/", {"voucher": "CZ-0001"})
    post(
        czj, at(2026, 5, 15, 10, 0), f"/api/v1/instalments/{second.pk}/pay/", {"voucher": "CZ-0002"}
    )
    first, second = fresh(first), fresh(second)
    return {"settle": settle, "rent": rent, "waiting": waiting, "first": first, "second": second}


def fresh(obj):
    obj.refresh_from_db()
    return obj


def by_key(rows):
    return {row["key"]: row for row in rows}


# --- the figures (API) ----------------------------------------------------------------------
def test_the_policy_summary_counts_committed_paid_and_overdue(world, admin_user, client_for):
    assert world["first"].paid_on_time is True and world["second"].paid_on_time is False
    with time_machine.travel(NOW, tick=False):
        response = client_for(admin_user).get(SUMMARY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["card_reviews"]) == ("2026-04-01", "2026-05-31", None)
    rows = by_key(body["rows"])
    assert set(rows) == {"SETTLE-ZG", "SETTLE-FG", "SETTLE-BS", "SETTLE-SS", "RENT-36"}
    settle, rent = rows["SETTLE-ZG"], rows["RENT-36"]
    assert settle["department"] == {"code": "RSJ", "name": settle["department"]["name"]}
    assert settle["committed_amount"] == "322000.00"
    assert settle["paid_amount"] == settle["paid_amount_total"] == "0.00"
    assert settle["overdue_amount"] == "107334.00" and settle["overdue_instalments"] == 1
    assert settle["on_time_rate"] == 0.0  # nothing paid, one overdue
    assert settle["entitlements"]["approved"] == 1 and settle["entitlements"]["offered"] == 1
    assert settle["entitlements"]["total"] == 2 and settle["review_overdue"] == 0
    assert rent["department"]["code"] == "CZJ"
    assert rent["committed_amount"] == "36000.00"
    assert rent["paid_amount"] == rent["paid_amount_total"] == "2000.00"
    assert (rent["paid_instalments"], rent["paid_on_time"]) == (2, 1)
    assert rent["overdue_amount"] == "0.00" and rent["on_time_rate"] == 0.5
    assert rent["entitlements"]["approved"] == 1 and rent["entitlements"]["confirmed"] == 1
    assert rent["review_overdue"] == 1  # 王五's, due end of 03-09
    nothing = rows["SETTLE-FG"]
    assert nothing["committed_amount"] == "0.00" and nothing["on_time_rate"] is None


def test_the_period_limits_the_paid_figures_only(world, admin_user, client_for):
    with time_machine.travel(NOW, tick=False):
        body = client_for(admin_user).get(
            "/api/v1/sla/summary/?from=2026-05-01&to=2026-05-31&group_by=policy"
        )
    rent = by_key(body.json()["rows"])["RENT-36"]
    assert rent["paid_amount"] == "1000.00" and rent["paid_amount_total"] == "2000.00"
    assert (rent["paid_instalments"], rent["paid_on_time"], rent["on_time_rate"]) == (1, 0, 0.0)
    assert rent["committed_amount"] == "36000.00"


def test_a_suspension_stops_the_unpaid_instalments_from_counting(world, admin_user, client_for):
    admin = client_for(admin_user)
    post(admin, at(2026, 5, 18, 9, 0), f"/api/v1/entitlements/{world['rent'].pk}/suspend/",
         {"reason": "已调离巴州区"})  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        rent = by_key(admin.get(SUMMARY).json()["rows"])["RENT-36"]
    # The two paid stay committed (they were paid); the 34 stopped do not.
    assert rent["committed_amount"] == "2000.00" and rent["paid_amount_total"] == "2000.00"
    assert rent["entitlements"]["suspended"] == 1 and rent["entitlements"]["approved"] == 0


def test_a_lead_reads_their_own_departments_policies(world, desks, lead, client_for):
    with time_machine.travel(NOW, tick=False):
        rsj = client_for(desks["rsj_lead"]).get(SUMMARY)
        zjj = client_for(lead).get(SUMMARY)
    assert set(by_key(rsj.json()["rows"])) == {"SETTLE-ZG", "SETTLE-FG", "SETTLE-BS", "SETTLE-SS"}
    assert zjj.status_code == 200 and zjj.json()["rows"] == []  # ZJJ pays nothing


@pytest.mark.parametrize("who", ["talent", "other_talent", "handler", "auditor", "verifier"])
def test_others_may_not_read_the_policy_summary(world, who, request, client_for, desks):
    user = desks["rsj_staff"] if who == "handler" else request.getfixturevalue(who)
    assert client_for(user).get(SUMMARY).status_code == 403


def test_an_unknown_group_is_refused(world, admin_user, client_for):
    response = client_for(admin_user).get("/api/v1/sla/summary/?group_by=colour")
    assert response.status_code == 400
    assert "policy" in str(response.json())


# --- the dashboard section ------------------------------------------------------------------
def dashboard(client, user):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(DASHBOARD)


def test_the_admin_sees_the_section_with_amounts_and_overdue_payments(world, client, admin_user):
    response = dashboard(client, admin_user)
    assert response.status_code == 200
    page = response.content.decode()
    assert "政策兑现" in page
    # Committed: 322,000 + 36,000; the headline figures read in 万元, as budgets are written,
    # the tables in 元.
    assert "承诺兑现金额（万元）" in page and ">35.80<" in page
    assert "322,000.00" in page and "36,000.00" in page
    assert "107,334.00" in page and "2,000.00" in page
    section = response.context["sections"][0]["context"]
    assert section["totals"]["rate_text"] == "33.3%"  # 1 on time ÷ (2 paid + 1 overdue)
    assert section["totals"]["review_overdue"] == 1
    [overdue] = section["overdue"]
    settle = world["settle"]
    assert overdue["entitlement"] == settle.pk and overdue["n"] == 1
    assert overdue["link"] == f"/subsidies/{settle.pk}/"
    assert overdue["talent"] == "李*"
    assert overdue["working_days_overdue"] > 20 and overdue["escalated"] is True
    assert f'href="/subsidies/{settle.pk}/"' in page
    assert "李明" not in page and "王五" not in page
    assert "/subsidies/export/?from=2026-04-01&amp;to=2026-05-31&amp;format=csv" in page


def test_a_paying_departments_lead_sees_their_own(world, client, desks):
    response = dashboard(client, desks["rsj_lead"])
    section = response.context["sections"][0]["context"]
    assert section["scope"].code == "RSJ"
    assert [row["key"] for row in section["by_department"]] == ["RSJ"]
    assert "人才租房补贴" not in response.content.decode()
    [overdue] = section["overdue"]
    assert overdue["link"] == f"/subsidies/desk/{world['settle'].pk}/"
    czj = dashboard(client, desks["czj_lead"]).context["sections"][0]["context"]
    assert czj["overdue"] == [] and czj["totals"]["paid_total_text"] == "2,000.00"


def test_a_lead_of_a_department_that_pays_nothing_sees_no_section(world, client, lead):
    response = dashboard(client, lead)
    assert response.status_code == 200
    assert response.context["sections"] == []
    assert 'id="subsidies"' not in response.content.decode()


@pytest.mark.parametrize("who", ["talent", "other_talent", "handler", "auditor", "verifier"])
def test_others_do_not_see_the_dashboard(world, who, request, client):
    assert dashboard(client, request.getfixturevalue(who)).status_code == 404


def more_overdue(world, n: int) -> None:
    """``n`` more approved entitlements with an overdue instalment (rows, not a story)."""
    settle = fresh(world["settle"])
    first = Instalment.objects.get(entitlement=settle, n=1)
    for i in range(n):
        person = TalentFactory(username=f"more{i}", real_name=f"赵{i}")
        ent = Entitlement.objects.create(
            policy=settle.policy,
            talent=person,
            card=settle.card,
            department=settle.department,
            status="approved",
            amount_total=settle.amount_total,
            bank_name="银行",
            account_name=person.real_name,
            account_number_encrypted=settle.account_number_encrypted,
            account_number_masked=settle.account_number_masked,
        )
        Instalment.objects.create(
            entitlement=ent,
            department=settle.department,
            policy=settle.policy,
            n=1,
            amount=Decimal(1000 + i),
            scheduled_on=first.scheduled_on,
            due_on=first.due_on,
            status=InstalmentStatus.DUE,
            due_at=first.due_at,
            escalate_at=first.escalate_at,
        )


def test_the_section_and_the_summary_run_a_fixed_number_of_queries(
    world, client, admin_user, client_for, django_assert_max_num_queries
):
    api = client_for(admin_user)
    with django_assert_max_num_queries(80) as page_few:
        dashboard(client, admin_user)
    with django_assert_max_num_queries(30) as api_few, time_machine.travel(NOW, tick=False):
        api.get(SUMMARY)
    more_overdue(world, 6)
    with django_assert_max_num_queries(len(page_few)):
        response = dashboard(client, admin_user)
    assert len(response.context["sections"][0]["context"]["overdue"]) == 7
    with django_assert_max_num_queries(len(api_few)), time_machine.travel(NOW, tick=False):
        api.get(SUMMARY)


def test_the_figures_take_seven_queries_whatever_the_rows(
    world, admin_user, django_assert_num_queries
):
    """Policies; entitlements grouped (with their committed and paid amounts), the period's
    daily payment cells, the overdue instalments grouped; departments; the overdue payments
    and the calendar for their working days."""
    period = Period(date(2026, 4, 1), date(2026, 5, 31))
    with django_assert_num_queries(7):
        figures.dashboard_section(admin_user, period, NOW)
    more_overdue(world, 5)
    with django_assert_num_queries(7):
        section = figures.dashboard_section(admin_user, period, NOW)
    assert len(section["context"]["overdue"]) == 6


def test_the_rollups_agree_with_the_instalments_and_rebuild_to_the_same(world, admin_user):
    """The amounts the transitions keep (committed, paid, the daily cells) are what adding up
    the instalments gives; ``rebuild`` (a bulk load's last step) recomputes the same."""
    from django.db.models import Sum

    from subsidies import rollups
    from subsidies.models import Entitlement, Instalment, PaidDay

    def kept():
        return (
            sorted(Entitlement.objects.values_list("pk", "committed_amount", "paid_amount")),
            sorted(
                PaidDay.objects.values_list(
                    "day", "policy", "department", "amount", "paid", "on_time"
                )
            ),
        )

    before = kept()
    for ent in Entitlement.objects.all():
        rows = Instalment.objects.filter(entitlement=ent)
        committed = rows.exclude(status="stopped").aggregate(s=Sum("amount"))["s"] or 0
        paid = rows.filter(status="paid").aggregate(s=Sum("amount"))["s"] or 0
        assert (ent.committed_amount, ent.paid_amount) == (committed, paid), ent
    assert sum(cell[4] for cell in before[1]) == Instalment.objects.filter(status="paid").count()
    assert sum(cell[4] for cell in before[1]) > 0
    PaidDay.objects.all().delete()
    Entitlement.objects.update(committed_amount=0, paid_amount=0)
    rollups.rebuild()
    assert kept() == before
