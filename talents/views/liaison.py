"""联系服务 pages for service officers and the organization department (staff pages, Chinese
only): the holders one serves (the 人才办: all), one holder's liaison with its clock, visits,
concerns and timeline, assigning a liaison, recording a visit (concerns filed as requests for
the talent: 代办) and the coverage figures.

Every liaison through Liaison.objects.visible_to (an officer: their own; the 人才办: all);
what may be done is talents.permissions' answer, and the domain (talents.liaisons,
talents.visits) asks it again."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.models import Card
from portal.audit import client_ip
from portal.errors import DomainError
from portal.idempotency import answers_repeats, form_once
from portal.identity import mask_name
from portal.models import Role, User
from portal.pages import actor_label, error_dict, role_page
from portal.paging import CountedPaginator
from services.models import ServiceRequest, ServiceType
from services.views.common import perform, query_without_page
from talents import liaisons as assigning
from talents import visits as visiting
from talents.actions import LiaisonStep
from talents.coverage import report
from talents.forms_liaison import (
    CONCERN_ROWS,
    AssignForm,
    ConcernForm,
    LiaisonFilterForm,
    ResolveForm,
    VisitForm,
)
from talents.models import Concern, Liaison, LiaisonEvent, Visit
from talents.permissions import CONCERNS, LIAISONS

PAGE_SIZE = 20
VISITS_PAGE_SIZE = 10
OFFICER_ROLES = (Role.STAFF, Role.LEAD, Role.ADMIN)

# Anyone who may serve as an officer sees 联系服务 (visible_to narrows it to their own).
officer_page = role_page(*OFFICER_ROLES)
admin_page = role_page(Role.ADMIN)


# --- fetching -------------------------------------------------------------------------------
def visible_liaisons(user):
    """The one access path (Liaison.objects.visible_to) with what every page shows."""
    return Liaison.objects.visible_to(user).select_related("card", "talent", "officer")


def liaison_for(user, number: str) -> Liaison | None:
    """The liaison of card ``number`` if ``user`` may see it; None when the card has none and
    ``user`` is the organization department (who may assign one); else 404."""
    liaison = visible_liaisons(user).filter(card__number=number).first()
    if liaison is None and user.role != Role.ADMIN:
        raise Http404
    return liaison


def card_for(user, number: str) -> Card:
    """The card ``number`` through Card.objects.visible_to (the 人才办: every card)."""
    return get_object_or_404(Card.objects.visible_to(user).select_related("holder"), number=number)


def eligible_officers():
    """The accounts that may be named a service officer (talents.permissions.serves)."""
    return (
        User.objects.filter(is_active=True, role__in=OFFICER_ROLES)
        .select_related("department")
        .order_by("department__code", "role", "username")
    )


def _url(number: str) -> str:
    return reverse("talents:liaison", args=[number])


def _mark(liaison: Liaison, today: datetime.date, now) -> Liaison:
    liaison.talent_name_masked = mask_name(liaison.talent.real_name)
    liaison.overdue = liaison.due_on < today
    liaison.due_soon = not liaison.overdue and liaison.remind_at <= now
    liaison.escalated = liaison.escalate_at <= now
    return liaison


# --- the list -------------------------------------------------------------------------------
def _filtered(user, data: dict, now):
    """The liaisons ``user`` sees, narrowed by the filters, nearest due first:
    liaison_due_idx (due_on, id), an officer's liaison_officer_due_idx (officer, due_on, id)."""
    today = timezone.localdate(now)
    rows = visible_liaisons(user)
    if data.get("officer"):
        rows = rows.filter(officer_id=int(data["officer"]))
    if data.get("show") == "overdue":
        rows = rows.filter(due_on__lt=today)
    elif data.get("show") == "soon":
        # Reminded (the 5th working day before the due day has begun), not yet overdue.
        rows = rows.filter(due_on__gte=today, remind_at__lte=now)
    return rows.order_by("due_on", "id")


@officer_page
@require_safe
def liaison_list(request):
    """联系服务: the holders the officer serves (the 人才办: all, by officer), nearest visit due
    first, paginated in a constant number of queries."""
    user = request.user
    now = timezone.now()
    is_admin = user.role == Role.ADMIN
    officers = None
    if is_admin:
        # The accounts that serve someone (an officer's liaisons: liaison_officer_due_idx).
        officers = list(
            User.objects.filter(pk__in=Liaison.objects.values("officer_id"))
            .select_related("department")
            .order_by("username")
        )
    form = LiaisonFilterForm(request.GET, officers=officers)
    data = form.cleaned_data if form.is_valid() else {}
    page = CountedPaginator(_filtered(user, data, now), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate(now)
    page.object_list = [_mark(liaison, today, now) for liaison in page.object_list]
    serves_anyone = bool(page.object_list) or (
        not is_admin and Liaison.objects.visible_to(user).exists()
    )
    return render(
        request,
        "talents/liaison/list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "is_admin": is_admin,
            "filtered": any(data.values()),
            "serves_anyone": serves_anyone or is_admin,
        },
    )


# --- one liaison ----------------------------------------------------------------------------
def _visits(user, liaison, page_number):
    """A page of the liaison's visits (visit_liaison_idx), each with its concerns, their
    types and requests (two queries more, whatever the page holds)."""
    rows = (
        Visit.objects.visible_to(user)
        .filter(liaison=liaison)
        .select_related("recorded_by__department")
        .prefetch_related(
            Prefetch(
                "concerns",
                queryset=Concern.objects.select_related("service_type", "request").order_by("n"),
            )
        )
        .order_by("-visited_on", "-id")
    )
    page = CountedPaginator(rows, VISITS_PAGE_SIZE).get_page(page_number)
    visits = list(page.object_list)
    for visit in visits:
        visit.liaison = liaison  # the permission table reads concern.visit.liaison
    page.object_list = visits
    return page


def _concern_rows(user, visits, bound=None) -> None:
    """Each concern with what the viewer may do (resolve) and whether its request's page is
    theirs to open (ServiceRequest.visible_to: an officer may not read another department's
    request, only its number and status); ``bound`` = (concern id, form) after a POST with
    errors."""
    concerns = [c for visit in visits for c in visit.concerns.all()]
    request_ids = [c.request_id for c in concerns if c.request_id]
    readable = set()
    if request_ids:
        readable = set(
            ServiceRequest.objects.visible_to(user)
            .filter(pk__in=request_ids)
            .values_list("pk", flat=True)
        )
    # The staff page of a request: the 人才办's, or the department desk's.
    page_name = "services:manage-request" if user.role == Role.ADMIN else "services:desk-request"
    for concern in concerns:
        concern.resolved = visiting.concern_resolved(concern)
        concern.request_url = None
        if concern.request_id in readable:
            concern.request_url = reverse(page_name, args=[concern.request.number])
        concern.can_resolve = CONCERNS.allowed(user, "resolve", concern)
        concern.resolve_form = None
        if concern.can_resolve:
            concern.resolve_form = ResolveForm(prefix=f"resolve-{concern.pk}")
        if bound and bound[0] == concern.pk:
            concern.resolve_form = bound[1]


def _timeline(liaison) -> list[dict]:
    steps = dict(LiaisonStep.choices)
    events = (
        LiaisonEvent.objects.filter(liaison=liaison)
        .select_related("actor__department")
        .order_by("at", "id")
    )
    return [
        {
            "at": e.at,
            "actor": actor_label(e.actor),
            "action": str(steps.get(e.action, e.action)),
            "to_status": "",
            "note": e.note,
            "items": [],
        }
        for e in events
    ]


def _assign_form(liaison, data=None) -> AssignForm:
    initial = {}
    if liaison is not None:
        initial = {
            "leader": liaison.leader,
            "officer": liaison.officer.username,
            "visit_every_days": liaison.visit_every_days,
        }
    else:
        initial = {"visit_every_days": 90}
    return AssignForm(data, initial=initial, prefix="assign", officers=eligible_officers())


def render_detail(
    request, number, *, liaison=None, card=None, assign=None, resolve=None, status=200
):
    """The page of the liaison of card ``number``: facts and clock, visits with concerns,
    the timeline; the 人才办's assign form (the only content when there is no liaison yet)."""
    user = request.user
    now = timezone.now()
    is_admin = user.role == Role.ADMIN
    if liaison is None:
        card = card or card_for(user, number)
        return render(
            request,
            "talents/liaison/assign.html",
            {
                "card": card,
                "holder_name_masked": mask_name(card.holder.real_name),
                "can_assign": LIAISONS.allowed(user, "assign", Liaison(card=card)),
                "assign_form": assign or _assign_form(None),
                "url": reverse("talents:liaison-assign", args=[number]),
            },
            status=status,
        )
    _mark(liaison, timezone.localdate(now), now)
    visits = _visits(user, liaison, request.GET.get("page"))
    _concern_rows(user, visits.object_list, resolve)
    can_assign = is_admin and LIAISONS.allowed(user, "assign", liaison)
    return render(
        request,
        "talents/liaison/detail.html",
        {
            "liaison": liaison,
            "card": liaison.card,
            "is_admin": is_admin,
            "page": visits,
            "query": "",
            "events": _timeline(liaison),
            "can_visit": LIAISONS.allowed(user, "visit", liaison),
            "can_assign": can_assign,
            "assign_form": (assign or _assign_form(liaison)) if can_assign else None,
            "assign_url": reverse("talents:liaison-assign", args=[number]),
        },
        status=status,
    )


@officer_page
@require_safe
def liaison_detail(request, number: str):
    """One holder's liaison: leader, officer, interval and clock; the visits with what the
    talent raised (requests by number and status), 标记为已解决 on the open ones; the
    timeline; 记录走访 for the officer; the 人才办's assign form. A card without a liaison:
    the 人才办 gets the assign form, anyone else a 404."""
    liaison = liaison_for(request.user, number)
    return render_detail(request, number, liaison=liaison)


@admin_page
@require_POST
@answers_repeats
def liaison_assign(request, number: str):
    """确定 / 调整联系服务 (talents.liaisons.liaison_assign), then back to the liaison page."""
    user = request.user
    liaison = liaison_for(user, number)
    card = liaison.card if liaison is not None else card_for(user, number)
    form = _assign_form(liaison, request.POST)

    def once(data):
        with form_once(request) as claim:
            done, created = assigning.liaison_assign(
                card=card,
                leader=data["leader"],
                officer=data["officer"],
                visit_every_days=data["visit_every_days"],
                actor=user,
                ip=client_ip(request),
            )
            claim.location = _url(number)
        return done, created

    outcome = perform(request, form, once)
    if outcome.done:
        _, created = outcome.result
        if created:
            messages.success(request, "已确定联系领导和服务专员，并通知服务专员和人才本人。")
        elif liaison is not None and _unchanged(liaison, form.cleaned_data):
            messages.info(request, "联系服务没有变化。")
        else:
            messages.success(request, "已调整联系服务，下次走访日期已重新计算。")
    if outcome.done or outcome.refused:
        return redirect(_url(number))
    return render_detail(request, number, liaison=liaison, card=card, assign=form)


def _unchanged(liaison, data) -> bool:
    return (
        liaison.leader == (data.get("leader") or "").strip()
        and liaison.officer.username == data.get("officer")
        and str(liaison.visit_every_days) == str(data.get("visit_every_days") or "").strip()
    )


@officer_page
@require_POST
@answers_repeats
def concern_resolve(request, pk: int):
    """标记为已解决: a concern without a request (or one the talent declined to have filed),
    with what was done (talents.visits.concern_resolve)."""
    user = request.user
    concern = get_object_or_404(
        Concern.objects.visible_to(user).select_related("visit__liaison__card"), pk=pk
    )
    number = concern.visit.liaison.card.number
    form = ResolveForm(request.POST, prefix=f"resolve-{concern.pk}")

    def once(data):
        with form_once(request) as claim:
            visiting.concern_resolve(
                concern=concern, actor=user, resolution=data["resolution"], ip=client_ip(request)
            )
            claim.location = _url(number)

    outcome = perform(request, form, once)
    if outcome.done:
        messages.success(request, f"诉求 #{concern.pk} 已标记为已解决。")
    if outcome.done or outcome.refused:
        return redirect(f"{_url(number)}#concern-{concern.pk}")
    liaison = liaison_for(user, number)
    return render_detail(request, number, liaison=liaison, resolve=(concern.pk, form))


# --- recording a visit ----------------------------------------------------------------------
def _visit_forms(data, card, today):
    """The visit form and its concern rows (the types offered: active, for the card's tier)."""
    types = list(ServiceType.objects.for_tier(card.tier).order_by("sort_order", "code"))
    visit = VisitForm(data, initial={"visited_on": today.isoformat()}, prefix="visit")
    rows = [ConcernForm(data, prefix=f"concern-{i}", types=types) for i in range(CONCERN_ROWS)]
    return visit, rows


def _put_visit_errors(exc: ValidationError, visit: VisitForm, rows, posted: list[int]) -> None:
    """The domain's messages at their inputs: ``visited_on`` … on the visit form,
    ``concerns.<i>.<key>`` on the i-th concern sent (``posted`` maps it to its row)."""
    for key, errors in error_dict(exc).items():
        parts = key.split(".", 2)
        if parts[0] == "concerns" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            row = rows[posted[index]] if index < len(posted) else None
            if row is not None:
                form, name = row.error_field(parts[2] if len(parts) > 2 else "")
                for error in errors:
                    form.add_error(name, error)
                continue
        name = key if key in visit.fields else None
        for error in errors:
            visit.add_error(name, error)


@officer_page
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def visit_new(request, number: str):
    """记录走访: the day (today by default), the way, the summary and up to five concerns. A
    concern with a service type of typed fields first comes back with those fields under it
    (请补充代办所需信息), keeping what was typed; the final submit records the visit
    (talents.visits.visit_record), filing the typed concerns for the talent, or, for a
    sensitive type, leaving them for the talent to confirm."""
    user = request.user
    liaison = liaison_for(user, number)
    if liaison is None:
        raise Http404
    if not LIAISONS.allowed(user, "visit", liaison):
        try:
            LIAISONS.require(user, "visit", liaison)
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect(_url(number))
    card = liaison.card
    today = timezone.localdate()
    posted = request.method == "POST"
    visit, rows = _visit_forms(request.POST if posted else None, card, today)
    needs_fields = False
    if posted:
        visit.is_valid()
        for row in rows:
            row.is_valid()
            service = row.chosen()
            shown = (request.POST.get(f"{row.prefix}-shown") or "").strip()
            if service is None or not service.fields:
                continue
            if shown == service.code:
                row.show_fields(service, request.POST)
            else:
                # First time this type is chosen in the row: its fields, empty, to be filled.
                row.show_fields(service)
                needs_fields = True
        # Told on the page (needs_fields): nothing is recorded until the fields are seen.
        if not needs_fields:
            chosen = [i for i, row in enumerate(rows) if not row.is_blank()]
            try:
                with form_once(request) as claim:
                    visiting.visit_record(
                        liaison=liaison,
                        actor=user,
                        visited_on=visit.cleaned_data.get("visited_on"),
                        mode=visit.cleaned_data.get("mode"),
                        summary=visit.cleaned_data.get("summary"),
                        concerns=[rows[i].concern() for i in chosen],
                        ip=client_ip(request),
                    )
                    claim.location = _url(number)
            except ValidationError as exc:
                _put_visit_errors(exc, visit, rows, chosen)
            except DomainError as exc:
                messages.error(request, exc.detail)
                return redirect(_url(number))
            else:
                messages.success(request, _recorded_message(rows, chosen))
                return redirect(_url(number))
    return render(
        request,
        "talents/liaison/visit.html",
        {
            "liaison": _mark(liaison, today, timezone.now()),
            "card": card,
            "form": visit,
            "rows": rows,
            "needs_fields": needs_fields,
            "any_errors": visit.errors
            or any(r.errors or (r.typed and r.typed.errors) for r in rows),
        },
    )


def _recorded_message(rows, chosen) -> str:
    filed = sum(1 for i in chosen if rows[i].chosen() and not rows[i].chosen().sensitivity)
    waiting = sum(1 for i in chosen if rows[i].chosen() and rows[i].chosen().sensitivity)
    text = "走访已记录，下次走访日期已重新计算。"
    if filed:
        text += f"已代人才提交 {filed} 项服务申请，并通知人才。"
    if waiting:
        text += f"{waiting} 项涉及敏感个人信息，已请人才本人确认后提交。"
    return text


# --- coverage -------------------------------------------------------------------------------
def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@admin_page
@require_safe
def coverage_page(request):
    """覆盖情况: holders with a liaison (all live cards, A–C tiers), visits on time, visits
    and concerns this year with rates, and the same per officer (a few aggregate queries)."""
    figures = report()
    rates = {
        key: _percent(figures[key])
        for key in ("coverage_rate", "key_coverage_rate", "on_time_rate", "resolved_rate")
    }
    return render(
        request,
        "talents/liaison/coverage.html",
        {"c": figures, "rates": rates, "officers": figures["by_officer"]},
    )
