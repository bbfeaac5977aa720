"""The retention period of bank accounts (registered with portal.retention).

《个人信息处理规则》 part 四: 银行账户信息 is kept until 3 years after the last payment (the day
the entitlement ended: completed, declined or suspended), for financial checks, then deleted:
the bank, the account holder's name, the encrypted number and its masked copy, and the
timeline notes that named the account. The entitlement, its instalments, amounts, dates and
voucher numbers stay (accounting records; the dashboard's figures count them).
"""

from portal.retention import Period, Rule, register
from subsidies.actions import Step
from subsidies.models import Entitlement, EntitlementEvent
from subsidies.models.entitlements import TERMINAL


def due_accounts(cutoff):
    """Entitlements that ended before ``cutoff``, their account not erased yet (index
    entitlement_retention_idx)."""
    return (
        Entitlement.objects.filter(
            status__in=TERMINAL, account_erased_at__isnull=True, ended_at__lt=cutoff
        )
        .order_by("ended_at", "id")
        .only("pk")
    )


def account_erase(row, now) -> int:
    ent = (
        Entitlement.objects.select_for_update()
        .filter(pk=row.pk, status__in=TERMINAL, account_erased_at__isnull=True)
        .first()
    )
    if ent is None:
        return 0
    EntitlementEvent.objects.filter(
        entitlement=ent, action__in=(Step.CONFIRMED, Step.ACCOUNT_CHANGED)
    ).update(note="")
    Entitlement.objects.filter(pk=ent.pk).update(
        bank_name="",
        account_name="",
        account_number_encrypted="",
        account_number_masked="",
        account_erased_at=now,
    )
    return 1


def register_rules() -> None:
    """The subsidies layer's rule (SubsidiesConfig.ready)."""
    register(
        Rule(
            name="subsidies.bank_accounts",
            label="银行账户信息",
            period=Period(years=3),
            due=due_accounts,
            handle=account_erase,
            row_label=lambda row: f"待遇 #{row.pk}",
        )
    )
