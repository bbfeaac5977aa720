"""The organization department's pages (政策兑现): every entitlement, filtered by status,
policy, paying department and overdue review or payment; one entitlement read-only (the
account masked: the organization department supervises, it never reads the account), with
suspension when a talent leaves."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from portal.audit import client_ip
from portal.idempotency import answers_repeats, form_once
from portal.models import Department
from portal.paging import CountedPaginator
from portal.views.reveal import never_cached, reveal_panel, reveal_post
from services.views.common import perform, query_without_page
from subsidies import entitlements as domain
from subsidies.desk_forms import ManageFilterForm, SuspendForm
from subsidies.models import EntitlementStatus, Instalment, Policy
from subsidies.models.entitlements import OWED
from subsidies.permissions import ENTITLEMENTS
from subsidies.reveal import account_reveal, can_reveal
from subsidies.views.common import (
    PAGE_SIZE,
    admin_page,
    entitlement_for,
    facts,
    instalment_overdue,
    mark_entitlements,
    timeline,
    visible_entitlements,
)


def _filtered(user, data: dict, now):
    """The entitlements ``user`` sees (visible_to), narrowed by the list's filters."""
    rows = visible_entitlements(user)
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("policy"):
        rows = rows.filter(policy__code=data["policy"])
    if data.get("department"):
        rows = rows.filter(department__code=data["department"])
    if data.get("overdue") == "review":
        rows = rows.filter(status=EntitlementStatus.CONFIRMED, review_due_at__lte=now)
    elif data.get("overdue") == "payment":
        # Owed instalments past their deadline: instalment_owed_due_idx (due_at) WHERE owed.
        late = Instalment.objects.filter(status__in=OWED, due_at__lte=now)
        rows = rows.filter(pk__in=late.values("entitlement_id"))
    # entitlement_status_idx (status, -offered_at) when a status is chosen.
    return rows.order_by("-offered_at", "-id")


@admin_page
@require_safe
def entitlements(request):
    """政策兑现: every entitlement, newest offer first, filtered; paginated with a count capped
    by portal.paging, in a constant number of queries."""
    now = timezone.now()
    form = ManageFilterForm(
        request.GET,
        policies=Policy.objects.order_by("code"),
        departments=Department.objects.filter(subsidy_policies__isnull=False)
        .distinct()
        .order_by("code"),
    )
    data = form.cleaned_data if form.is_valid() else {}
    page = CountedPaginator(_filtered(request.user, data, now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = mark_entitlements(page.object_list, now)
    return render(
        request,
        "subsidies/manage/entitlement_list.html",
        {"form": form, "page": page, "query": query_without_page(request)},
    )


def _url(ent) -> str:
    """The organization department's page of ``ent``."""
    return reverse("subsidies:manage-entitlement", args=[ent.pk])


def render_detail(request, ent, *, form=None, reveal=None, status=200):
    """The read-only page of ``ent`` with the suspend form when ENTITLEMENTS allows it."""
    user = request.user
    now = timezone.now()
    can_suspend = ENTITLEMENTS.allowed(user, "suspend", ent)
    url = _url(ent)
    context = {
        "ent": ent,
        **facts(ent, now),
        "list_url": reverse("subsidies:manage"),
        "url": url,
        "can_suspend": can_suspend,
        "suspend_form": form or (SuspendForm(prefix="suspend") if can_suspend else None),
        "schedule": [
            {"inst": inst, "overdue": instalment_overdue(inst, now), "allowed": {}}
            for inst in ent.instalments.all()
        ],
        "events": timeline(ent),
        # Never offered to the organization department (subsidies.permissions: reveal is the
        # paying department's); asked all the same, so the table stays the one place.
        "reveal": reveal or reveal_panel(allowed=can_reveal(user, ent), url=f"{url}?action=reveal"),
    }
    return render(request, "subsidies/manage/entitlement.html", context, status=status)


def _post(request, pk: int):
    """POST suspend (once per form key), or a reveal, which the domain refuses here."""
    user = request.user
    ent = entitlement_for(user, pk)
    action = request.POST.get("action") or request.GET.get("action")
    if action == "reveal":
        # The domain refuses the organization department (403): the panel is never shown
        # here, a hand-made POST gets the refusal.
        panel = reveal_post(
            request,
            lambda purpose, ip: account_reveal(entitlement=ent, actor=user, purpose=purpose, ip=ip),
            url=f"{_url(ent)}?action=reveal",
        )
        ent = entitlement_for(user, pk, detail=True)
        return never_cached(render_detail(request, ent, reveal=panel))
    if action != "suspend":
        messages.error(request, "未知的操作，请刷新页面后重试。")
        return redirect(_url(ent))
    form = SuspendForm(request.POST, prefix="suspend")

    def once(data):
        with form_once(request) as claim:
            domain.entitlement_suspend(
                entitlement=ent, actor=user, reason=data["reason"], ip=client_ip(request)
            )
            claim.location = _url(ent)
        return "已中止该待遇，尚未兑现的分期已全部停发，并通知人才。"

    outcome = perform(request, form, once)
    if outcome.done:
        messages.success(request, outcome.result)
    if outcome.done or outcome.refused:
        return redirect(_url(ent))
    return render_detail(request, entitlement_for(user, pk, detail=True), form=form)


@admin_page
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def entitlement(request, pk: int):
    """One entitlement for the organization department: facts, masked account, schedule,
    timeline; suspension (reason required) while it may still be suspended."""
    if request.method == "POST":
        return _post(request, pk)
    return render_detail(request, entitlement_for(request.user, pk, detail=True))
