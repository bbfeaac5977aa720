"""Paying instalments: mark paid with the voucher number (支付凭证号), mark failed with the
reason (the talent corrects the account and it is due again: subsidies.entitlements
``entitlement_confirm``). When every instalment is paid the entitlement is ``completed``.

``instalments_fall_due`` turns ``scheduled`` into ``due`` at the start of the due day (a step
of the supervision sweep), with an event each, once.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from subsidies import clocks
from subsidies.actions import EntitlementAction, Step
from subsidies.entitlements import _event, _policy_name, notify_talent
from subsidies.models import (
    Entitlement,
    EntitlementEvent,
    EntitlementStatus,
    Instalment,
    InstalmentStatus,
)
from subsidies.permissions import INSTALMENTS
from subsidies.rollups import paid_day_add

VOUCHER_MAX = Instalment._meta.get_field("voucher").max_length


def _lock(instalment: Instalment) -> tuple[Instalment, Entitlement]:
    """Lock the entitlement, then the instalment (always in this order: the entitlement's
    transitions lock it first too)."""
    ent = (
        Entitlement.objects.select_for_update(of=("self",))
        .select_related("policy", "talent")
        .get(pk=instalment.entitlement_id)
    )
    inst = Instalment.objects.select_for_update().get(pk=instalment.pk)
    return inst, ent


def instalment_pay(
    *, instalment: Instalment, actor, voucher: str, ip: str | None = None
) -> Instalment:
    """``scheduled``/``due`` → ``paid`` with the voucher number; the payment clock stops with
    its verdict (paid by 24:00 of the due day); the last one completes the entitlement."""
    INSTALMENTS.require_who(actor, "pay", instalment)
    voucher = (voucher or "").strip()
    if not voucher:
        raise ValidationError({"voucher": [gettext("请填写支付凭证号。")]})
    if len(voucher) > VOUCHER_MAX:
        raise ValidationError({"voucher": [gettext("支付凭证号不能超过 60 个字符。")]})
    now = timezone.now()
    with transaction.atomic():
        inst, ent = _lock(instalment)
        INSTALMENTS.require(actor, "pay", inst)
        previous = inst.status
        inst.status = InstalmentStatus.PAID
        inst.paid_at = now
        inst.voucher = voucher
        inst.paid_on_time = inst.due_at is None or now < inst.due_at
        fields = [
            "status",
            "paid_at",
            "voucher",
            "paid_on_time",
            *clocks.instalment_clock_stop(inst),
        ]
        inst.save(update_fields=fields)
        # The figures' bookkeeping (subsidies.rollups), in this transaction.
        ent.paid_amount += inst.amount
        ent.save(update_fields=["paid_amount"])
        paid_day_add(inst)
        _event(ent, actor, Step.PAID, previous, instalment=inst, note=f"凭证号 {voucher}")
        audit_record(
            action=EntitlementAction.PAY,
            actor=actor,
            obj=ent,
            ip=ip,
            instalment=inst.n,
            amount=str(inst.amount),
            voucher=voucher,
            on_time=inst.paid_on_time,
        )
        notify_talent(
            ent,
            "instalment_paid",
            format_lazy(
                _("“{policy}”第 {n} 期 {amount} 元已发放"),
                policy=_policy_name(ent),
                n=inst.n,
                amount=f"{inst.amount:,.2f}",
            ),
            format_lazy(
                _("已发放至 {bank} {account}，请留意到账。"),
                bank=ent.bank_name,
                account=ent.account_number_masked,
            ),
        )
        left = (
            Instalment.objects.filter(entitlement=ent)
            .exclude(status=InstalmentStatus.PAID)
            .exists()
        )
        if not left and ent.status == EntitlementStatus.APPROVED:
            ent.status = EntitlementStatus.COMPLETED
            ent.ended_at = now
            ent.save(update_fields=["status", "ended_at"])
            _event(ent, None, Step.COMPLETED, EntitlementStatus.APPROVED)
            audit_record(action=EntitlementAction.COMPLETE, actor=None, obj=ent)
    return inst


def instalment_fail(
    *, instalment: Instalment, actor, reason: str, ip: str | None = None
) -> Instalment:
    """``scheduled``/``due`` → ``failed`` with the reason (户名不符, 账户已注销 …); the clock
    stops until the talent corrects the account, who is told at once."""
    INSTALMENTS.require_who(actor, "fail", instalment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [gettext("请填写失败原因。")]})
    now = timezone.now()
    with transaction.atomic():
        inst, ent = _lock(instalment)
        INSTALMENTS.require(actor, "fail", inst)
        previous = inst.status
        inst.status = InstalmentStatus.FAILED
        inst.fail_reason = reason[:500]
        inst.failed_at = now
        inst.save(
            update_fields=[
                "status",
                "fail_reason",
                "failed_at",
                *clocks.instalment_clock_stop(inst),
            ]
        )
        _event(ent, actor, Step.FAILED, previous, instalment=inst, note=reason)
        audit_record(
            action=EntitlementAction.FAIL,
            actor=actor,
            obj=ent,
            ip=ip,
            instalment=inst.n,
            reason=reason,
        )
        notify_talent(
            ent,
            "instalment_failed",
            format_lazy(
                _("“{policy}”第 {n} 期发放失败，请更正收款账户"),
                policy=_policy_name(ent),
                n=inst.n,
            ),
            format_lazy(_("原因：{reason}"), reason=reason),
        )
    return inst


def instalments_fall_due(now=None, batch_size: int = 500) -> int:
    """``scheduled`` → ``due`` for instalments whose day has come (index
    instalment_status_due_idx), each with its event, in bounded batches; return how many.
    A compare-and-set per batch: a second run at the same moment changes nothing twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    moved = 0
    falling = Instalment.objects.filter(status=InstalmentStatus.SCHEDULED, due_on__lte=today)
    while True:
        # Most sweeps find nothing: one plain read, no transaction, before locking anything.
        if not falling.exists():
            break
        with transaction.atomic():
            rows = list(
                falling.select_for_update(skip_locked=True)
                .order_by("due_on", "pk")
                .values_list("pk", "entitlement_id")[:batch_size]
            )
            if not rows:
                break
            ids = [pk for pk, _ in rows]
            Instalment.objects.filter(pk__in=ids, status=InstalmentStatus.SCHEDULED).update(
                status=InstalmentStatus.DUE
            )
            EntitlementEvent.objects.bulk_create(
                EntitlementEvent(
                    entitlement_id=ent_id,
                    instalment_id=pk,
                    at=now,
                    action=Step.DUE,
                    from_status=InstalmentStatus.SCHEDULED,
                    to_status=InstalmentStatus.DUE,
                )
                for pk, ent_id in rows
            )
            moved += len(rows)
        if len(rows) < batch_size:
            break
    return moved
