"""The paying department's desk (待遇兑现), for its staff and leads: the work by tab (待审核,
待兑现, 退回修改, 兑现失败, 全部), and the page of one entitlement where it is reviewed, paid
instalment by instalment, and its bank account revealed with a stated purpose."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, F, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from portal.audit import client_ip
from portal.idempotency import answers_repeats, form_once
from portal.paging import CountedPaginator
from portal.views.reveal import never_cached, reveal_panel, reveal_post
from services.views.common import perform
from subsidies import entitlements as domain
from subsidies import payments
from subsidies.desk_forms import ApproveForm, DeskFilterForm, FailForm, PayForm, ReturnForm
from subsidies.models import EntitlementStatus, InstalmentStatus, Policy
from subsidies.models.entitlements import OWED
from subsidies.permissions import ENTITLEMENTS, INSTALMENTS
from subsidies.reveal import account_reveal, can_reveal
from subsidies.views.common import (
    PAGE_SIZE,
    entitlement_for,
    facts,
    instalment_of,
    instalment_overdue,
    mark_entitlements,
    mark_instalments,
    payer_page,
    timeline,
    visible_entitlements,
    visible_instalments,
)

S = EntitlementStatus
# (key, label, what the rows are): entitlements, or instalments of the department.
TABS = [
    ("review", "待审核", "entitlements"),
    ("payments", "待兑现", "instalments"),
    ("returned", "退回修改", "entitlements"),
    ("failed", "兑现失败", "instalments"),
    ("all", "全部", "entitlements"),
]
TAB_NOTES = {
    "review": "人才已确认收款账户、等待本部门审核的待遇，审核期限最近的在前。",
    "payments": "已审核通过、已到期或 45 天内到期的分期，应兑现日期最近的在前；"
    "更远的分期在待遇详情的兑现计划中。",
    "returned": "已退回人才修改收款信息、等待人才重新确认的待遇。",
    "failed": "登记为兑现失败的分期：人才更正收款账户后自动转为应兑现。",
    "all": "本部门负责兑现的全部待遇，最新推送的在前。",
}


# The 待兑现 tab shows what is due now and in the next 45 days (the first payment of a policy
# falls a month after approval): a 36-month schedule would otherwise fill it with payments
# years ahead, and cost a count of them on every page.
HORIZON_DAYS = 45
# A tab's count is counted up to this (a bounded index scan on every page); past it the tab
# reads "999+" and its list is paged by portal.paging's own capped count.
TAB_CAP = 999


def _payable(now) -> Q:
    horizon = timezone.localdate(now) + datetime.timedelta(days=HORIZON_DAYS)
    return Q(status__in=OWED, due_on__lte=horizon)


def _rows(user, tab: str, data: dict, now):
    """The queryset of ``tab`` for ``user``'s department, in the order an index serves."""
    department = user.department_id
    if tab == "review":
        # The nearest review deadline first (each policy has its own review_days, so the
        # deadline, not the confirmation time, orders the work).
        return (
            visible_entitlements(user)
            .filter(status=S.CONFIRMED)
            .order_by(F("review_due_at").asc(nulls_last=True), "id")
        )
    if tab == "returned":
        # entitlement_department_idx (department, status, offered_at).
        return visible_entitlements(user).filter(status=S.RETURNED).order_by("offered_at", "id")
    if tab in ("payments", "failed"):
        # instalment_department_idx (department, status, due_on): the instalment carries its
        # entitlement's department, the same rows visible_to gives through the entitlement.
        wanted = _payable(now) if tab == "payments" else Q(status=InstalmentStatus.FAILED)
        return (
            visible_instalments(user)
            .filter(wanted, department_id=department)
            .order_by("due_on", "id")
        )
    rows = visible_entitlements(user)
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("policy"):
        rows = rows.filter(policy__code=data["policy"])
    if data.get("q"):
        rows = rows.filter(card__number=data["q"])
    return rows.order_by("-offered_at", "-id")


def _tab_counts(user, now) -> dict[str, int]:
    """The four work tabs' counts in three queries, each bounded by a partial index: the
    entitlements under review or returned, the owed instalments within the horizon
    (instalment_owed_department_idx), the failed ones."""
    ents = (
        visible_entitlements(user)
        .filter(status__in=(S.CONFIRMED, S.RETURNED))
        .order_by()
        .aggregate(
            review=Count("pk", filter=Q(status=S.CONFIRMED)),
            returned=Count("pk", filter=Q(status=S.RETURNED)),
        )
    )
    mine = visible_instalments(user).filter(department_id=user.department_id).order_by()
    payments = mine.filter(_payable(now))[: TAB_CAP + 1].count()
    failed = mine.filter(status=InstalmentStatus.FAILED)[: TAB_CAP + 1].count()
    return {**ents, "payments": payments, "failed": failed}


def _count_text(n) -> str | None:
    return None if n is None else (f"{TAB_CAP}+" if n > TAB_CAP else str(n))


def _year_exports(now) -> dict:
    today = timezone.localdate(now)
    query = urlencode({"from": today.replace(month=1, day=1), "to": today})
    url = reverse("subsidies:export")
    return {"csv": f"{url}?{query}&format=csv", "xlsx": f"{url}?{query}&format=xlsx"}


@payer_page
@require_safe
def queue(request):
    """待遇兑现: the department's entitlements and instalments of one tab, paginated, in a
    constant number of queries; the 全部 tab filtered by status, policy or card number. A
    department that pays no policy is told so."""
    user = request.user
    now = timezone.now()
    policies = list(Policy.objects.filter(department_id=user.department_id).order_by("code"))
    tab = request.GET.get("tab")
    if tab not in {key for key, _, _ in TABS}:
        tab = "review"
    form = DeskFilterForm(request.GET if tab == "all" else None, policies=policies)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    counts = _tab_counts(user, now)
    kind = {key: k for key, _, k in TABS}[tab]
    # The work tabs' counts are known up to TAB_CAP; past it, and on the 全部 tab, the list is
    # counted up to portal.paging's cap.
    known = counts.get(tab)
    known = known if known is not None and known <= TAB_CAP else None
    page = CountedPaginator(_rows(user, tab, data, now), PAGE_SIZE, count=known).get_page(
        request.GET.get("page")
    )
    mark = mark_instalments if kind == "instalments" else mark_entitlements
    page.object_list = mark(page.object_list, now)
    filters = {k: v for k, v in data.items() if v} if tab == "all" else {}
    return render(
        request,
        "subsidies/desk/queue.html",
        {
            "page": page,
            "tab": tab,
            "kind": kind,
            "note": TAB_NOTES[tab],
            "tabs": [
                {
                    "key": key,
                    "label": label,
                    "count": _count_text(counts.get(key)),
                    "active": key == tab,
                    "url": "?" + urlencode({"tab": key}),
                }
                for key, label, _ in TABS
            ],
            "form": form,
            "policies": policies,
            # Finance's export of this year's instalments (subsidies.exports: masked).
            "exports": _year_exports(now) if policies else None,
            "query": urlencode({"tab": tab, **filters}),
        },
    )


# --- one entitlement ------------------------------------------------------------------------
def _url(ent) -> str:
    """The desk's page of ``ent`` (where every form of the page posts)."""
    return reverse("subsidies:desk-entitlement", args=[ent.pk])


def _schedule(ent, user, now, bound=None) -> list[dict]:
    """The instalments with the forms the viewer may use on each (INSTALMENTS.allowed);
    ``bound`` = (action, instalment id, form) after a POST with errors."""
    rows = []
    # The forms of the next instalment to pay are unfolded (or those of the one just posted
    # with errors); the later ones stay folded.
    unfold = bound[1] if bound and bound[1] is not None else None
    for inst in ent.instalments.all():
        allowed = INSTALMENTS.offered(user, inst)
        if unfold is None and any(allowed.values()):
            unfold = inst.pk
        row = {
            "inst": inst,
            "overdue": instalment_overdue(inst, now),
            "allowed": allowed,
            "open": inst.pk == unfold,
        }
        for action, form_class in (("pay", PayForm), ("fail", FailForm)):
            form = None
            if allowed[action]:
                form = form_class(prefix=f"{action}-{inst.pk}")
            if bound and bound[0] == action and bound[1] == inst.pk:
                form = bound[2]
            row[f"{action}_form"] = form
        rows.append(row)
    return rows


def render_detail(request, ent, *, bound=None, reveal=None, status=200):
    """The desk's page of ``ent`` (loaded with entitlement_for(detail=True)); ``bound`` =
    (action, instalment id or None, form) shows that form's errors; ``reveal`` the panel after
    a reveal."""
    user = request.user
    now = timezone.now()
    allowed = ENTITLEMENTS.offered(user, ent, ("approve", "return"))
    forms = {
        "approve": ApproveForm(prefix="approve") if allowed["approve"] else None,
        "return": ReturnForm(prefix="return") if allowed["return"] else None,
    }
    if bound and bound[1] is None:
        forms[bound[0]] = bound[2]
    url = _url(ent)
    context = {
        "ent": ent,
        **facts(ent, now),
        "list_url": reverse("subsidies:desk"),
        "url": url,
        "allowed": allowed,
        "forms": forms,
        "schedule": _schedule(ent, user, now, bound),
        "events": timeline(ent),
        "reveal": reveal or reveal_panel(allowed=can_reveal(user, ent), url=f"{url}?action=reveal"),
    }
    return render(request, "subsidies/desk/entitlement.html", context, status=status)


def _act(action, ent, inst, user, form, ip) -> str:
    """Call the domain function of ``action``; return the success message."""
    data = form.cleaned_data
    if action == "approve":
        domain.entitlement_approve(entitlement=ent, actor=user, note=data["note"], ip=ip)
        return "已审核通过，已按政策生成兑现计划，并通知人才。"
    if action == "return":
        domain.entitlement_return(
            entitlement=ent, actor=user, items=form.items_list(), note=data["note"], ip=ip
        )
        return "已退回修改，需修改的事项已一次告知人才。"
    if action == "pay":
        payments.instalment_pay(instalment=inst, actor=user, voucher=data["voucher"], ip=ip)
        return f"第{inst.n}期已登记兑现，并通知人才。"
    payments.instalment_fail(instalment=inst, actor=user, reason=data["reason"], ip=ip)
    return f"第{inst.n}期已登记兑现失败，已通知人才更正收款账户。"


FORMS = {"approve": ApproveForm, "return": ReturnForm, "pay": PayForm, "fail": FailForm}


def _post(request, pk: int):
    """POST one action of the page (``action``: approve, return, pay, fail; reveal in the
    query string, as the shared reveal panel posts no field of ours), once per form key."""
    user = request.user
    action = request.POST.get("action") or request.GET.get("action")
    ent = entitlement_for(user, pk)
    if action == "reveal":
        panel = reveal_post(
            request,
            lambda purpose, ip: account_reveal(entitlement=ent, actor=user, purpose=purpose, ip=ip),
            url=f"{_url(ent)}?action=reveal",
        )
        ent = entitlement_for(user, pk, detail=True)
        return never_cached(render_detail(request, ent, reveal=panel))
    if action not in FORMS:
        messages.error(request, "未知的操作，请刷新页面后重试。")
        return redirect(_url(ent))
    inst = instalment_of(ent, request.POST.get("instalment")) if action in ("pay", "fail") else None
    prefix = f"{action}-{inst.pk}" if inst is not None else action
    form = FORMS[action](request.POST, prefix=prefix)

    def once(_data):
        with form_once(request) as claim:
            done = _act(action, ent, inst, user, form, client_ip(request))
            claim.location = _url(ent)
        return done

    outcome = perform(request, form, once)
    if outcome.done:
        messages.success(request, outcome.result)
    if outcome.done or outcome.refused:
        return redirect(_url(ent))
    ent = entitlement_for(user, pk, detail=True)
    return render_detail(request, ent, bound=(action, inst.pk if inst else None, form))


@payer_page
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def entitlement(request, pk: int):
    """One entitlement on the desk: its facts (names and account masked), the full account
    on request with a purpose (the paying department only), review (approve / return with
    every item at once), the schedule with 登记兑现 / 登记失败 per instalment, the timeline.
    Which forms appear is subsidies.permissions' answer; the domain asks it again."""
    if request.method == "POST":
        return _post(request, pk)
    return render_detail(request, entitlement_for(request.user, pk, detail=True))
