"""Bank accounts are deleted 3 years after the entitlement ended (《个人信息处理规则》 part 四,
银行账户信息; subsidies.retention): to the second, the amounts and vouchers kept."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal import retention
from portal.models import Role
from subsidies.entitlements import entitlement_approve, entitlement_confirm, entitlement_decline
from subsidies.models import Entitlement, EntitlementStatus
from subsidies.payments import instalment_pay
from tests.factories import UserFactory
from tests.subsidies_support import ACCOUNT, card_holder, entitlement_of, seed_policies

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
SH = ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SH)
SECOND = datetime.timedelta(seconds=1)


def run():
    (outcome,) = retention.run(names=["subsidies.bank_accounts"])
    return outcome


@pytest.fixture
def holder(departments, talent, admin_user, client_for):
    seed_policies()
    with time_machine.travel(START, tick=False):
        card_holder(client_for(talent), client_for(admin_user))
    return talent


def test_the_account_goes_three_years_after_the_last_payment(holder, departments):
    rsj = UserFactory(username="rsj", role=Role.STAFF, department=departments["RSJ"])
    with time_machine.travel(START, tick=False):
        ent = entitlement_confirm(
            entitlement=entitlement_of(holder, "SETTLE-ZG"), actor=holder, **ACCOUNT
        )
        entitlement_approve(entitlement=ent, actor=rsj)
    last = None
    for inst in ent.instalments.order_by("n"):
        last = datetime.datetime.combine(inst.due_on, datetime.time(9), tzinfo=SH)
        with time_machine.travel(last, tick=False):
            instalment_pay(instalment=inst, actor=rsj, voucher=f"V-{inst.n}")
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.COMPLETED and ent.ended_at == last

    with time_machine.travel(last.replace(year=last.year + 3) - SECOND, tick=False):
        assert run().handled == 0
    ent.refresh_from_db()
    assert ent.account_number_encrypted and ent.account_number_masked

    with time_machine.travel(last.replace(year=last.year + 3) + SECOND, tick=False):
        outcome = run()
    assert (outcome.due, outcome.handled) == (1, 1)
    ent.refresh_from_db()
    assert (ent.bank_name, ent.account_name, ent.account_number_encrypted) == ("", "", "")
    assert ent.account_number_masked == "" and ent.account_erased_at is not None
    assert not ent.events.filter(note__contains="****").exists()
    # What finance keeps: the amounts, dates and vouchers.
    assert list(ent.instalments.values_list("voucher", flat=True)) == ["V-1", "V-2", "V-3"]
    assert ent.amount_total == 322000
    with time_machine.travel(last.replace(year=last.year + 4), tick=False):
        assert run().due == 0  # never due again


def test_an_entitlement_still_paying_keeps_its_account(holder):
    with time_machine.travel(START, tick=False):
        entitlement_confirm(
            entitlement=entitlement_of(holder, "SETTLE-ZG"), actor=holder, **ACCOUNT
        )
    with time_machine.travel(START.replace(year=2031), tick=False):
        assert run().due == 0


def test_a_declined_one_after_confirmation_goes_too(holder):
    with time_machine.travel(START, tick=False):
        ent = entitlement_confirm(
            entitlement=entitlement_of(holder, "RENT-36"), actor=holder, **ACCOUNT
        )
        entitlement_decline(entitlement=ent, actor=holder)
    with time_machine.travel(START.replace(year=2029) + SECOND, tick=False):
        assert run().handled == 1
    assert Entitlement.objects.get(pk=ent.pk).account_number_encrypted == ""
