"""Revealing an entitlement's full bank account to the paying department, with a stated
purpose (DESIGN.md "Personal information": bank accounts are masked everywhere and revealed
only with a permission, a purpose and an audit event; the talent sees who read it and why)."""

from django.db import transaction

from portal import crypto
from portal.reveal import values_reveal
from subsidies.actions import EntitlementAction
from subsidies.models import Entitlement
from subsidies.permissions import ENTITLEMENTS


def can_reveal(user, ent: Entitlement) -> bool:
    return ENTITLEMENTS.allowed(user, "reveal", ent)


def account_reveal(*, entitlement: Entitlement, actor, purpose: str, ip=None) -> dict:
    """``{bank_name, account_name, bank_account}`` in full for the paying department's staff
    or lead (403 for anyone else, 409 while no account is on file); the purpose and the daily
    limit are portal.reveal's."""
    ENTITLEMENTS.require_who(actor, "reveal", entitlement)
    with transaction.atomic():
        ent = (
            Entitlement.objects.select_for_update(of=("self",))
            .select_related("talent")
            .get(pk=entitlement.pk)
        )
        ENTITLEMENTS.require(actor, "reveal", ent)
        values = values_reveal(
            actor=actor,
            subject=ent.talent,
            purpose=purpose,
            obj=ent,
            object_label=ent.label,
            values=lambda: {"bank_account": crypto.unseal(ent.account_number_encrypted)},
            action=EntitlementAction.REVEAL,
            ip=ip,
        )
    return {"bank_name": ent.bank_name, "account_name": ent.account_name, **values}
