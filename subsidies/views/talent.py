"""The talent's pages of 政策直达快享: 我的待遇 (every benefit the portal offered, with what was
paid and what comes next) and one benefit (its policy, schedule, masked account and
timeline), where the talent confirms or corrects the bank account, or declines.

Views stay thin: what may be done is subsidies.permissions' table, what is done is
subsidies.entitlements'; these only fetch (through ``Entitlement.objects.visible_to``),
shape the facts for display and turn domain errors into messages."""

from decimal import Decimal

from django.contrib import messages
from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from portal.audit import client_ip
from portal.idempotency import answers_repeats, form_once
from portal.localized import localized
from portal.models import Role
from portal.pages import actor_label, role_page
from portal.paging import CountedPaginator
from services.views.common import perform
from subsidies import clocks
from subsidies.actions import Step
from subsidies.entitlements import entitlement_confirm, entitlement_decline
from subsidies.forms import AccountForm, DeclineForm
from subsidies.models import (
    Entitlement,
    EntitlementEvent,
    EntitlementStatus,
    Instalment,
    InstalmentStatus,
)
from subsidies.models.entitlements import OWED
from subsidies.permissions import ENTITLEMENTS
from subsidies.rules import rules_text

PAGE_SIZE = 20
# A long schedule shows the instalments settled and the next few; the rest fold away unless
# only a couple would.
SHOWN_AHEAD = 3
FOLD_MORE_THAN = 2

talent_page = role_page(Role.TALENT)


def yuan(amount) -> str:
    """``322000`` → ``322,000.00 元`` (``CNY 322,000.00`` in English)."""
    return gettext("%(amount)s 元") % {"amount": f"{Decimal(amount or 0):,.2f}"}


# --- 我的待遇 -----------------------------------------------------------------------------------
def listing(user):
    """The user's entitlements with what the list shows, in one query: what was paid so far,
    the next owed instalment (date and amount) and whether one failed (subqueries per row
    of the page, not a query per row)."""
    instalments = Instalment.objects.filter(entitlement=OuterRef("pk"))
    paid = (
        instalments.filter(status=InstalmentStatus.PAID)
        .order_by()
        .values("entitlement")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    owed = instalments.filter(status__in=OWED).order_by("n")
    money = DecimalField(max_digits=12, decimal_places=2)
    return (
        Entitlement.objects.visible_to(user)
        .select_related("policy")
        .annotate(
            paid_total=Coalesce(
                Subquery(paid, output_field=money), Value(Decimal(0)), output_field=money
            ),
            next_due_on=Subquery(owed.values("due_on")[:1]),
            next_amount=Subquery(owed.values("amount")[:1], output_field=money),
            has_failed=Exists(instalments.filter(status=InstalmentStatus.FAILED)),
        )
    )


def call_to_action(user, ent) -> str:
    """What the talent should do now: ``confirm`` (an offer, or a return to fix), ``correct``
    (a payment failed: the account must be corrected) or ``""``. Whether it may be done at
    all is the permission table's answer."""
    if not ENTITLEMENTS.allowed(user, "confirm", ent):
        return ""
    if ent.status == EntitlementStatus.APPROVED:
        return "correct" if ent.has_failed else ""
    return "confirm"


@talent_page
@require_safe
def mine(request):
    """我的待遇: newest offer first (index entitlement_talent_idx), each with its total, what
    was paid so far, what comes next and what the talent should do."""
    queryset = listing(request.user).order_by("-offered_at", "-id")
    page = CountedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for ent in rows:
        ent.amount_label = yuan(ent.amount_total)
        ent.paid_label = yuan(ent.paid_total) if ent.paid_total else ""
        ent.next_label = yuan(ent.next_amount) if ent.next_amount is not None else ""
        ent.call = call_to_action(request.user, ent)
    page.object_list = rows
    return render(request, "subsidies/talent/mine.html", {"page": page})


# --- one entitlement ----------------------------------------------------------------------------
def entitlement_for(request, pk: int, *, detail: bool = False) -> Entitlement:
    """Entitlement ``pk`` if the user may see it, else 404; ``detail`` also loads the
    schedule, the timeline and the policy's rules and plan."""
    queryset = listing(request.user).select_related("department", "talent")
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("n")),
            Prefetch(
                "events",
                queryset=EntitlementEvent.objects.select_related(
                    "actor__department", "instalment"
                ).order_by("at", "id"),
            ),
            "policy__rules",
            "policy__instalments",
        )
    return get_object_or_404(queryset, pk=pk)


def schedule(ent: Entitlement) -> list[dict]:
    """The instalments as the talent reads them; before approval (none scheduled yet) the
    policy's plan: so much, so many months after approval."""
    labels = dict(InstalmentStatus.choices)
    rows = list(ent.instalments.all())
    if not rows:
        return [
            {
                "n": plan.n,
                "planned": True,
                "months": plan.months_after_start,
                "amount": yuan(plan.amount),
            }
            for plan in ent.policy.instalments.all()
        ]
    return [
        {
            "n": inst.n,
            "planned": False,
            "due_on": inst.due_on,
            "amount": yuan(inst.amount),
            "status": inst.status,
            "status_label": labels.get(inst.status, inst.status),
            "paid_at": inst.paid_at,
            "voucher": inst.voucher,
            "fail_reason": inst.fail_reason if inst.status == InstalmentStatus.FAILED else "",
            "failed_at": inst.failed_at,
        }
        for inst in rows
    ]


def split_schedule(rows: list[dict], upcoming: int = SHOWN_AHEAD) -> tuple[list, list]:
    """The rows a phone shows at once (every one paid, failed, due or stopped, and the next
    ``upcoming``) and the rest, folded away: a rent subsidy has 36."""
    settled = [
        i
        for i, row in enumerate(rows)
        if not row["planned"] and row["status"] != InstalmentStatus.SCHEDULED
    ]
    cut = (settled[-1] + 1 if settled else 0) + upcoming
    if len(rows) - cut <= FOLD_MORE_THAN:
        return rows, []
    return rows[:cut], rows[cut:]


def _event_note(ent, event) -> str:
    """An event's note in the page's language. Some are stored in Chinese (the record: the
    offer's "政策名称（文件号）", a payment's "凭证号 …"): those are composed again here from
    the policy and the instalment."""
    if event.action == Step.OFFERED:
        return gettext("%(policy)s（%(ref)s）") % {
            "policy": localized(ent.policy, "name"),
            "ref": ent.policy.policy_ref,
        }
    if event.action == Step.PAID and event.instalment is not None and event.instalment.voucher:
        return gettext("凭证号 %(voucher)s") % {"voucher": event.instalment.voucher}
    return event.note


def timeline(ent: Entitlement) -> list[dict]:
    """The entitlement's events for cards/includes/timeline.html: an instalment's step says
    which instalment, the talent appears as 本人."""
    steps = dict(Step.choices)
    statuses = dict(EntitlementStatus.choices)
    instalment_statuses = dict(InstalmentStatus.choices)
    rows = []
    for event in ent.events.all():
        action = steps.get(event.action, event.action)
        to_status = ""
        if event.to_status != event.from_status:
            to_status = (instalment_statuses if event.instalment_id else statuses).get(
                event.to_status, ""
            )
        if event.instalment is not None:
            action = gettext("%(step)s（第 %(n)s 期）") % {"step": action, "n": event.instalment.n}
        if event.actor_id and event.actor_id == ent.talent_id:
            actor = gettext("本人")
        else:
            actor = actor_label(event.actor)
        rows.append(
            {
                "at": event.at,
                "actor": actor,
                "action": action,
                "to_status": to_status,
                "note": _event_note(ent, event),
                "items": event.items or [],
            }
        )
    return rows


def account_initial(ent: Entitlement) -> dict:
    """The account form filled with what is on file (never the number: only its masked
    copy is shown), or the talent's own name for a first confirmation."""
    return {
        "bank_name": ent.bank_name,
        "account_name": ent.account_name or ent.talent.real_name,
    }


def render_entitlement(request, ent, *, account_form=None, decline_form=None, status=200):
    """One entitlement's page (also re-rendered with a form's errors after a POST)."""
    user = request.user
    can = ENTITLEMENTS.offered(user, ent, ["confirm", "decline"])
    failed = sum(1 for inst in ent.instalments.all() if inst.status == InstalmentStatus.FAILED)
    rows, rest = split_schedule(schedule(ent))
    context = {
        "ent": ent,
        "policy_name": localized(ent.policy, "name"),
        "description": localized(ent.policy, "description"),
        "rules_text": rules_text(ent.policy),
        "amount_label": yuan(ent.amount_total),
        "paid_label": yuan(ent.paid_total),
        "next_label": yuan(ent.next_amount) if ent.next_amount is not None else "",
        "schedule": rows,
        "schedule_rest": rest,
        "events": timeline(ent),
        "failed": failed,
        "call": call_to_action(user, ent),
        "can_confirm": can["confirm"],
        "can_decline": can["decline"],
        "correcting": ent.status == EntitlementStatus.APPROVED,
        "repay_days": clocks.REPAY_DAYS,
        "account_form": account_form or AccountForm(prefix="account", initial=account_initial(ent)),
        "decline_form": decline_form or DeclineForm(prefix="decline"),
        "Status": EntitlementStatus,
    }
    return render(request, "subsidies/talent/detail.html", context, status=status)


@talent_page
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def detail(request, pk: int):
    """One entitlement; a POST confirms (or corrects) the account, or declines."""
    if request.method != "POST":
        return render_entitlement(request, entitlement_for(request, pk, detail=True))
    action = request.POST.get("action")
    if action == "confirm":
        return _confirm(request, pk)
    if action == "decline":
        return _decline(request, pk)
    return HttpResponseBadRequest()


def _act(request, pk, form, form_name, act, done):
    """Run ``act`` once per form key with a valid form: a ValidationError → next to the
    fields (the page again), a refusal (403/409) → a message; ``done(result)`` is the success
    message."""
    ent = entitlement_for(request, pk)

    def once(data):
        with form_once(request) as claim:
            result = act(ent, data)
            claim.location = reverse("subsidies:detail", args=[pk])
        return result

    outcome = perform(request, form, once)
    if outcome.done:
        messages.success(request, done(outcome.result))
    if outcome.done or outcome.refused:
        return redirect("subsidies:detail", pk=pk)
    return render_entitlement(
        request, entitlement_for(request, pk, detail=True), **{form_name: form}
    )


def _confirm(request, pk):
    """确认收款账户 (or 更正 while being paid): the message says what happens next."""
    form = AccountForm(request.POST, prefix="account")

    def act(ent, data):
        was = ent.status
        failed = ent.has_failed
        entitlement_confirm(
            entitlement=ent,
            actor=request.user,
            bank_name=data["bank_name"],
            account_number=data["account_number"],
            account_name=data["account_name"],
            ip=client_ip(request),
        )
        return was, failed

    def done(result):
        was, failed = result
        if was != EntitlementStatus.APPROVED:
            return gettext("收款账户已确认，兑现部门审核通过后按计划发放。")
        if failed:
            return gettext("收款账户已更正，发放失败的分期将在 %(days)s 个工作日内重新发放。") % {
                "days": clocks.REPAY_DAYS
            }
        return gettext("收款账户已更正，以后各期发放到新账户。")

    return _act(request, pk, form, "account_form", act, done)


def _decline(request, pk):
    """放弃待遇 with its optional reason (the page asked to confirm first, in the browser)."""
    form = DeclineForm(request.POST, prefix="decline")

    def act(ent, data):
        entitlement_decline(
            entitlement=ent, actor=request.user, reason=data["reason"], ip=client_ip(request)
        )

    return _act(
        request, pk, form, "decline_form", act, lambda _result: gettext("您已放弃该项待遇。")
    )
