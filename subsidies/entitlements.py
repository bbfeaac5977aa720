"""Transitions of an entitlement (STYLE.md "Transitions are functions that tell a story"):
lock the row, ask the table (subsidies.permissions: 403 for the person, 409 for the state),
write the new state, append the event, audit, tell the people concerned after commit.

The talent confirms a bank account or declines; the paying department approves (the
instalments are scheduled) or returns (一次告知); the organization department suspends an
entitlement when the talent leaves (the remaining instalments stop).
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import crypto
from portal.audit import audit_record
from portal.localized import localized_lazy
from portal.models import Role, User
from portal.notify import notification_create
from subsidies import clocks
from subsidies.actions import EntitlementAction, Step
from subsidies.models import (
    Entitlement,
    EntitlementEvent,
    EntitlementStatus,
    Instalment,
    InstalmentStatus,
    PolicyInstalment,
)
from subsidies.models.entitlements import OWED
from subsidies.permissions import ENTITLEMENTS

ACCOUNT_DIGITS = re.compile(r"^\d{10,30}$")
MAX_ITEMS = 20


def mask_account(number: str) -> str:
    """``6222020200112233445`` → ``6222 **** **** 3445``."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]} **** **** {number[-4:]}"


def _lock(ent: Entitlement) -> Entitlement:
    return (
        Entitlement.objects.select_for_update(of=("self",))
        .select_related("policy", "talent", "department")
        .get(pk=ent.pk)
    )


def _event(ent, actor, action, from_status, note="", items=(), instalment=None) -> None:
    EntitlementEvent.objects.create(
        entitlement=ent,
        instalment=instalment,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=instalment.status if instalment is not None else ent.status,
        note=note,
        items=list(items),
    )


def notify_talent(ent: Entitlement, kind: str, title, body="") -> None:
    """Tell the talent (lazy texts: written in the talent's language), inbox and SMS."""
    notification_create(
        recipient=ent.talent,
        kind=kind,
        title=title,
        body=body,
        link=reverse("subsidies:detail", args=[ent.pk]),
        urgent=True,
    )


def _policy_name(ent):
    return localized_lazy(ent.policy, "name")


def notify_desk(ent: Entitlement, kind: str, title: str, body: str = "") -> None:
    """Tell the paying department's staff and leads (in Chinese: staff pages are)."""
    people = User.objects.filter(
        is_active=True, department_id=ent.department_id, role__in=(Role.STAFF, Role.LEAD)
    )
    for person in people:
        notification_create(
            recipient=person,
            kind=kind,
            title=title,
            body=body,
            link=reverse("subsidies:desk-entitlement", args=[ent.pk]),
        )


def clean_account(*, bank_name: str, account_number: str, account_name: str, talent) -> dict:
    """The account as given, normalised; ValidationError naming each field that is wrong."""
    errors = {}
    bank_name = (bank_name or "").strip()
    account_name = (account_name or "").strip()
    number = re.sub(r"[\s-]", "", account_number or "")
    if not bank_name:
        errors["bank_name"] = [gettext("请填写开户银行。")]
    elif len(bank_name) > 60:
        errors["bank_name"] = [gettext("开户银行不能超过 60 个字。")]
    if not ACCOUNT_DIGITS.match(number):
        errors["account_number"] = [gettext("银行账号应为 10 至 30 位数字。")]
    own_name = re.sub(r"\s", "", talent.real_name or "").casefold()
    if not account_name:
        errors["account_name"] = [gettext("请填写户名。")]
    elif re.sub(r"\s", "", account_name).casefold() != own_name:
        errors["account_name"] = [gettext("户名须为本人姓名，待遇只能发放到本人账户。")]
    if errors:
        raise ValidationError(errors)
    return {"bank_name": bank_name, "account_number": number, "account_name": account_name}


def entitlement_confirm(
    *,
    entitlement: Entitlement,
    actor,
    bank_name: str,
    account_number: str,
    account_name: str,
    ip: str | None = None,
) -> Entitlement:
    """The talent confirms the bank account to be paid into: ``offered``/``returned`` →
    ``confirmed`` (the review clock starts); while ``approved`` it corrects the account, and
    every failed instalment is due again in REPAY_DAYS working days."""
    ENTITLEMENTS.require_who(actor, "confirm", entitlement)
    account = clean_account(
        bank_name=bank_name,
        account_number=account_number,
        account_name=account_name,
        talent=entitlement.talent,
    )
    now = timezone.now()
    with transaction.atomic():
        ent = _lock(entitlement)
        ENTITLEMENTS.require(actor, "confirm", ent)
        previous = ent.status
        ent.bank_name = account["bank_name"]
        ent.account_name = account["account_name"]
        ent.account_number_encrypted = crypto.encrypt(account["account_number"])
        ent.account_number_masked = mask_account(account["account_number"])
        fields = ["bank_name", "account_name", "account_number_encrypted", "account_number_masked"]
        masked = ent.account_number_masked
        if previous == EntitlementStatus.APPROVED:
            ent.save(update_fields=fields)
            _event(ent, actor, Step.ACCOUNT_CHANGED, previous, note=f"{ent.bank_name} {masked}")
            repaid = _repay_failed(ent, actor, now)
            audit_record(
                action=EntitlementAction.CONFIRM, actor=actor, obj=ent, ip=ip, account=masked
            )
            if repaid:
                notify_desk(
                    ent,
                    "entitlement_account_corrected",
                    f"待遇 #{ent.pk} 收款账户已更正，请重新兑现 {repaid} 期",
                    f"{ent.policy.name}；新账户：{ent.bank_name} {masked}。",
                )
            return ent
        ent.status = EntitlementStatus.CONFIRMED
        ent.confirmed_at = now
        ent.returned_items = []
        fields += ["status", "confirmed_at", "returned_items", *clocks.review_start(ent, now)]
        ent.save(update_fields=fields)
        _event(ent, actor, Step.CONFIRMED, previous, note=f"{ent.bank_name} {masked}")
        audit_record(action=EntitlementAction.CONFIRM, actor=actor, obj=ent, ip=ip, account=masked)
        notify_desk(
            ent,
            "entitlement_confirmed",
            f"待遇 #{ent.pk}（{ent.policy.name}）已确认收款账户，请审核",
            f"审核时限 {ent.policy.review_days} 个工作日。",
        )
    return ent


def _repay_failed(ent: Entitlement, actor, now) -> int:
    """Failed instalments of ``ent`` due again after the account was corrected."""
    failed = list(
        Instalment.objects.select_for_update()
        .filter(entitlement=ent, status=InstalmentStatus.FAILED)
        .order_by("n")
    )
    day = clocks.repay_day(now)
    for inst in failed:
        inst.status = InstalmentStatus.DUE
        fields = ["status", *clocks.instalment_clock(inst, day, now)]
        inst.save(update_fields=fields)
        _event(ent, actor, Step.REPAY, InstalmentStatus.FAILED, instalment=inst)
    return len(failed)


def entitlement_decline(
    *, entitlement: Entitlement, actor, reason: str = "", ip: str | None = None
) -> Entitlement:
    """The talent declines the benefit (final): ``offered``/``confirmed``/``returned`` →
    ``declined``."""
    ENTITLEMENTS.require_who(actor, "decline", entitlement)
    reason = (reason or "").strip()[:500]
    now = timezone.now()
    with transaction.atomic():
        ent = _lock(entitlement)
        ENTITLEMENTS.require(actor, "decline", ent)
        previous = ent.status
        ent.status = EntitlementStatus.DECLINED
        ent.decline_reason = reason
        ent.ended_at = now
        clock = clocks.review_stop(ent, now)
        ent.reviewed_on_time = None  # nothing was reviewed
        ent.save(update_fields=["status", "decline_reason", "ended_at", *clock])
        _event(ent, actor, Step.DECLINED, previous, note=reason)
        audit_record(action=EntitlementAction.DECLINE, actor=actor, obj=ent, ip=ip, reason=reason)
    return ent


def _schedule(ent: Entitlement, now) -> list[Instalment]:
    """The instalments of an approved entitlement, dated from the approval day."""
    start = timezone.localdate(now)
    rows = []
    for plan in PolicyInstalment.objects.filter(policy_id=ent.policy_id).order_by("n"):
        inst = Instalment(
            entitlement=ent,
            department_id=ent.department_id,
            policy_id=ent.policy_id,
            n=plan.n,
            amount=plan.amount,
            due_on=start,
        )
        clocks.instalment_clock(inst, clocks.add_months(start, plan.months_after_start), now)
        rows.append(inst)
    return Instalment.objects.bulk_create(rows)


def entitlement_approve(
    *, entitlement: Entitlement, actor, note: str = "", ip: str | None = None
) -> Entitlement:
    """The paying department approves: ``confirmed`` → ``approved``; the instalments are
    scheduled from today (the policy's months after approval), each on its payment clock."""
    ENTITLEMENTS.require_who(actor, "approve", entitlement)
    note = (note or "").strip()[:500]
    now = timezone.now()
    with transaction.atomic():
        ent = _lock(entitlement)
        ENTITLEMENTS.require(actor, "approve", ent)
        if not PolicyInstalment.objects.filter(policy_id=ent.policy_id).exists():
            raise ValidationError(gettext("该政策尚未设置兑现计划，请联系组织部人才办。"))
        previous = ent.status
        ent.status = EntitlementStatus.APPROVED
        ent.approved_at = now
        clock = clocks.review_stop(ent, now)
        instalments = _schedule(ent, now)
        # The figures' committed amount (subsidies.rollups): what was scheduled.
        ent.committed_amount = sum((i.amount for i in instalments), Decimal(0))
        ent.save(update_fields=["status", "approved_at", "committed_amount", *clock])
        _event(ent, actor, Step.APPROVED, previous, note=note)
        audit_record(
            action=EntitlementAction.APPROVE,
            actor=actor,
            obj=ent,
            ip=ip,
            policy=ent.policy.code,
            on_time=ent.reviewed_on_time,
        )
        first = instalments[0]
        notify_talent(
            ent,
            "entitlement_approved",
            format_lazy(_("您的“{policy}”已审核通过"), policy=_policy_name(ent)),
            format_lazy(
                _("共 {count} 期，第 1 期 {amount} 元将于 {day} 前发放到您的账户。"),
                count=len(instalments),
                amount=f"{first.amount:,.2f}",
                day=first.due_on.isoformat(),
            ),
        )
    return ent


def clean_items(items) -> list[str]:
    """The items to fix, stripped; at least one (一次告知: all at once)."""
    if isinstance(items, str):
        items = items.splitlines()
    cleaned = [str(item).strip()[:200] for item in (items or []) if str(item).strip()]
    if not cleaned:
        raise ValidationError({"items": [gettext("请逐条列出需要修改的事项。")]})
    if len(cleaned) > MAX_ITEMS:
        raise ValidationError({"items": [gettext("需要修改的事项不能超过 20 条。")]})
    return cleaned


def entitlement_return(
    *, entitlement: Entitlement, actor, items, note: str = "", ip: str | None = None
) -> Entitlement:
    """The paying department returns the confirmation with every item to fix at once
    (一次告知): ``confirmed`` → ``returned``; the review clock stops, the talent's next
    confirmation starts a new one."""
    ENTITLEMENTS.require_who(actor, "return", entitlement)
    items = clean_items(items)
    note = (note or "").strip()[:500]
    now = timezone.now()
    with transaction.atomic():
        ent = _lock(entitlement)
        ENTITLEMENTS.require(actor, "return", ent)
        previous = ent.status
        ent.status = EntitlementStatus.RETURNED
        ent.returned_items = items
        ent.return_note = note
        clock = clocks.review_stop(ent, now)
        ent.save(update_fields=["status", "returned_items", "return_note", *clock])
        _event(ent, actor, Step.RETURNED, previous, note=note, items=items)
        audit_record(action=EntitlementAction.RETURN, actor=actor, obj=ent, ip=ip, items=len(items))
        notify_talent(
            ent,
            "entitlement_returned",
            format_lazy(_("您的“{policy}”需要修改收款信息"), policy=_policy_name(ent)),
            format_lazy(
                "{}\n{}",
                _("请修改以下事项后重新确认："),
                "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1)),
            ),
        )
    return ent


def entitlement_suspend(
    *, entitlement: Entitlement, actor, reason: str, ip: str | None = None
) -> Entitlement:
    """The organization department suspends the entitlement (the talent left the district):
    every instalment not yet paid stops; paid ones stay paid."""
    ENTITLEMENTS.require_who(actor, "suspend", entitlement)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [gettext("请填写原因。")]})
    now = timezone.now()
    with transaction.atomic():
        ent = _lock(entitlement)
        ENTITLEMENTS.require(actor, "suspend", ent)
        previous = ent.status
        ent.status = EntitlementStatus.SUSPENDED
        ent.suspend_reason = reason[:500]
        ent.ended_at = now
        clock = clocks.review_stop(ent, now)
        if previous != EntitlementStatus.CONFIRMED:
            ent.reviewed_on_time = None
        # What stays committed is what was paid: the rest stops now.
        ent.committed_amount = ent.paid_amount
        ent.save(update_fields=["status", "suspend_reason", "ended_at", "committed_amount", *clock])
        stopped = list(
            Instalment.objects.select_for_update()
            .filter(entitlement=ent, status__in=(*OWED, InstalmentStatus.FAILED))
            .order_by("n")
        )
        for inst in stopped:
            was = inst.status
            inst.status = InstalmentStatus.STOPPED
            inst.save(update_fields=["status", *clocks.instalment_clock_stop(inst)])
            _event(ent, actor, Step.SUSPENDED, was, instalment=inst, note=reason)
        _event(ent, actor, Step.SUSPENDED, previous, note=reason)
        audit_record(
            action=EntitlementAction.SUSPEND,
            actor=actor,
            obj=ent,
            ip=ip,
            reason=reason,
            stopped=len(stopped),
        )
        notify_talent(
            ent,
            "entitlement_suspended",
            format_lazy(_("您的“{policy}”已中止兑现"), policy=_policy_name(ent)),
            format_lazy(_("原因：{reason}"), reason=reason),
        )
    return ent
