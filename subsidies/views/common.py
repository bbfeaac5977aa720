"""Helpers shared by the subsidies staff pages (the paying department's desk, the organization
department's list): the gates, the one way an entitlement and its instalments are fetched,
rows and the timeline made ready for display, and a POSTed form run against a domain
function."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from portal.identity import mask_name
from portal.models import Role
from portal.pages import actor_label, role_page
from subsidies.actions import Step
from subsidies.models import (
    Entitlement,
    EntitlementEvent,
    EntitlementStatus,
    Instalment,
    InstalmentStatus,
)
from subsidies.models.entitlements import OWED
from subsidies.permissions import pays

PAGE_SIZE = 20

# The organization department's pages: every entitlement (visible_to gives admins all).
admin_page = role_page(Role.ADMIN)


def payer_page(view):
    """Gate a desk page by subsidies.permissions.pays (staff or lead of a department):
    visitors go to the login page, anyone else gets a 404 (the page does not exist to them,
    the portal's convention)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not pays(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


# --- fetching -------------------------------------------------------------------------------
def visible_entitlements(user):
    """The one access path (Entitlement.objects.visible_to) with what every list shows."""
    return Entitlement.objects.visible_to(user).select_related(
        "policy", "talent", "card", "department"
    )


def visible_instalments(user):
    """Instalments of the entitlements ``user`` may see (through the same visible_to), with
    what the payment lists show."""
    return Instalment.objects.visible_to(user).select_related(
        "entitlement__talent", "entitlement__card", "policy"
    )


def entitlement_for(user, pk: int, *, detail: bool = False) -> Entitlement:
    """The entitlement ``pk`` if ``user`` may see it, else 404; ``detail`` also loads the
    schedule and the timeline (two queries, whatever their length)."""
    queryset = visible_entitlements(user)
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("n")),
            Prefetch(
                "events",
                queryset=EntitlementEvent.objects.select_related(
                    "actor__department", "instalment"
                ).order_by("at", "id"),
            ),
        )
    return get_object_or_404(queryset, pk=pk)


def instalment_of(ent: Entitlement, raw) -> Instalment:
    """The instalment ``raw`` (a POSTed id) of ``ent``, else 404: an id of another
    entitlement's instalment is not this page's business."""
    if not str(raw or "").isdigit():
        raise Http404
    return get_object_or_404(Instalment.objects.filter(entitlement_id=ent.pk), pk=int(raw))


# --- display --------------------------------------------------------------------------------
def review_overdue(ent: Entitlement, now) -> bool:
    """The review clock ran out (only a confirmed entitlement has one running)."""
    return ent.review_due_at is not None and ent.review_due_at <= now


def review_escalated(ent: Entitlement, now) -> bool:
    return ent.review_escalate_at is not None and ent.review_escalate_at <= now


def instalment_overdue(inst: Instalment, now) -> bool:
    """An owed instalment past 24:00 of its day (its payment clock, ``due_at``)."""
    return inst.status in OWED and inst.due_at is not None and inst.due_at <= now


def instalment_escalated(inst: Instalment, now) -> bool:
    return inst.status in OWED and inst.escalate_at is not None and inst.escalate_at <= now


def mark_entitlements(rows, now=None) -> list[Entitlement]:
    """Rows of an entitlement list with the masked name and the review flags (no query)."""
    now = now or timezone.now()
    rows = list(rows)
    for ent in rows:
        ent.talent_name_masked = mask_name(ent.talent.real_name)
        ent.review_overdue = review_overdue(ent, now)
        ent.review_escalated = review_escalated(ent, now)
    return rows


def mark_instalments(rows, now=None) -> list[Instalment]:
    """Rows of an instalment list with the masked name and the payment flags (no query)."""
    now = now or timezone.now()
    rows = list(rows)
    for inst in rows:
        inst.talent_name_masked = mask_name(inst.entitlement.talent.real_name)
        inst.overdue = instalment_overdue(inst, now)
        inst.escalated = instalment_escalated(inst, now)
    return rows


def facts(ent: Entitlement, now=None) -> dict:
    """What a staff page says about ``ent`` besides its model fields: names masked (the
    account's holder is the talent), the review flags."""
    now = now or timezone.now()
    return {
        "talent_name_masked": mask_name(ent.talent.real_name),
        "account_name_masked": mask_name(ent.account_name),
        "review_overdue": review_overdue(ent, now),
        "review_escalated": review_escalated(ent, now),
        "reviewing": ent.status == EntitlementStatus.CONFIRMED,
    }


def timeline(ent: Entitlement) -> list[dict]:
    """The entitlement's events (and its instalments'), oldest first, as
    templates/cards/includes/timeline.html shows them."""
    steps = dict(Step.choices)
    statuses = dict(EntitlementStatus.choices)
    instalment_statuses = dict(InstalmentStatus.choices)
    rows = []
    for event in ent.events.all():
        label = str(steps.get(event.action, event.action))
        names = statuses
        if event.instalment_id is not None:
            label = f"第{event.instalment.n}期 {label}"
            names = instalment_statuses
        rows.append(
            {
                "at": event.at,
                "actor": actor_label(event.actor),
                "action": label,
                "to_status": names.get(event.to_status, "")
                if event.to_status != event.from_status
                else "",
                "note": event.note,
                "items": event.items or [],
            }
        )
    return rows
