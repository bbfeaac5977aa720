"""The organization department's pages: review queue, application review, card registry."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from cards import applications as domain
from cards import issuance
from cards import reveal as reveal_domain
from cards.forms import (
    ApproveForm,
    CardFilterForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    RejectForm,
    ReturnForm,
)
from cards.hooks import card_sections
from cards.models import (
    ApplicationEvent,
    ApplicationStatus,
    Card,
    CardApplication,
    CardEvent,
    CardScan,
    CardStatus,
    Tier,
)
from cards.models.applications import REVIEW_OPEN_STATUSES
from cards.permissions import APPLICATIONS, CARDS
from cards.qr import REASON_LABELS
from cards.review_clock import review_sla
from cards.search import card_search
from cards.views.common import (
    CARD_EVENT_LABELS,
    PAGE_SIZE,
    add_errors,
    admin_page,
    flash_domain_error,
    timeline,
)
from cards.views.talent import document_lists, evidence_checklist, labelled, review_context
from portal.audit import client_ip
from portal.errors import DomainError
from portal.idempotency import FormAlreadySubmitted, form_once
from portal.identity import mask_name
from portal.views.reveal import never_cached, reveal_panel, reveal_post

RECENT_SCANS = 20


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- review queue ---------------------------------------------------------------------------
@admin_page
@require_safe
def review_queue(request):
    """优才卡审核: applications by status (submitted by default). Undecided ones come nearest
    review deadline first (审核时限, cards.review_clock), overdue ones marked; the others
    oldest submission first."""
    params = request.GET.copy()
    params.setdefault("status", ApplicationStatus.SUBMITTED)
    form = QueueFilterForm(params)
    valid = form.is_valid()
    status = form.cleaned_data["status"] if valid else ApplicationStatus.SUBMITTED
    overdue_only = valid and form.cleaned_data["overdue"]
    now = timezone.now()
    queryset = (
        CardApplication.objects.visible_to(request.user)
        .select_related("talent")
        .prefetch_related("criteria")
    )
    if status == QueueFilterForm.OPEN:
        queryset = queryset.filter(status__in=REVIEW_OPEN_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if overdue_only:
        queryset = queryset.filter(status__in=REVIEW_OPEN_STATUSES, review_due_at__lte=now)
    by_deadline = overdue_only or status in (ApplicationStatus.SUBMITTED, QueueFilterForm.OPEN)
    if by_deadline:
        # Served by index cardapp_review_due_idx (status, review_due_at); returned in time
        # (the clock stands still, no deadline) after the running ones.
        order = (F("review_due_at").asc(nulls_last=True), "submitted_at", "id")
    else:
        # Served by index cardapp_queue_idx (status, submitted_at).
        order = (F("submitted_at").asc(nulls_last=True), "created_at", "id")
    page = Paginator(queryset.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    for app in page.object_list:
        app.talent_name_masked = mask_name(app.talent.real_name)
        app.criteria_codes = [c.code for c in app.criteria.all()]
        app.review = review_sla(app, now)
    return render(
        request,
        "cards/manage/queue.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "overdue_only": overdue_only,
            "by_deadline": by_deadline,
            "waiting": status == ApplicationStatus.SUBMITTED,
            "query": _query_without_page(request),
        },
    )


# --- one application ------------------------------------------------------------------------
def _application(request, pk: int) -> CardApplication:
    queryset = (
        CardApplication.objects.visible_to(request.user)
        .select_related("talent", "card")
        .prefetch_related(
            "criteria",
            "documents",
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
        )
    )
    return get_object_or_404(queryset, pk=pk)


def _approve_initial(app: CardApplication) -> dict:
    criteria = list(app.criteria.all())
    highest = Tier.highest(c.tier for c in criteria)
    return {"tier": highest or "", "accepted": [c.code for c in criteria]}


def wait_ended_at(app):
    """When the application stopped waiting for the office: its decision, or the return for
    correction (退回补正) that handed it back to the talent; None while it is submitted (the
    page counts 已等待 on) or was never submitted."""
    if app.submitted_at is None or app.status == ApplicationStatus.SUBMITTED:
        return None
    if app.decided_at:
        return app.decided_at
    returns = app.events.filter(action="returned", at__gte=app.submitted_at)
    return returns.order_by("-at").values_list("at", flat=True).first()


def render_review(
    request,
    app,
    *,
    approve_form=None,
    return_form=None,
    reject_form=None,
    reveal=None,
    status=200,
):
    """The review page (also re-rendered with a form's errors after a refused decision, or
    with the 查看完整信息 panel after a reveal)."""
    initial = _approve_initial(app)
    documents, replaced = document_lists(app)
    approve_form = approve_form or ApproveForm(prefix="approve", initial=initial)
    accepted = approve_form["accepted"].value() if approve_form.is_bound else initial["accepted"]
    return render(
        request,
        "cards/manage/application_detail.html",
        {
            "app": app,
            "talent_name_masked": mask_name(app.talent.real_name),
            "reveal": reveal
            or reveal_panel(
                allowed=reveal_domain.can_reveal(request.user, app),
                url=reverse("cards:review-reveal", args=[app.pk]),
            ),
            "criteria": labelled(app.criteria.all()),
            "documents": documents,
            # What the applicant replaced after a return, kept on record (已替换).
            "replaced": replaced,
            "checklist": evidence_checklist(app),
            "events": timeline(app.events.all()),
            # Approve, return and reject share their from-state (cards.permissions).
            "reviewable": APPLICATIONS.allowed(request.user, "approve", app),
            "approve_form": approve_form,
            "return_form": return_form or ReturnForm(prefix="return"),
            "reject_form": reject_form or RejectForm(prefix="reject"),
            "accepted": set(accepted or []),
            "highest": initial["tier"],
            "wait_ended_at": wait_ended_at(app),
            **review_context(app),
        },
        status=status,
    )


@admin_page
@require_safe
def review_detail(request, pk: int):
    return render_review(request, _application(request, pk))


def _review_action(request, pk: int, form_class, form_name: str, act, done: str):
    """Run one review decision, once per form key (a double tap on 认定通过 is answered with
    the review page, not with "不能认定"); errors go next to the form's fields, refusals to
    a message."""
    app = _application(request, pk)
    form = form_class(request.POST, prefix=form_name.removesuffix("_form"))
    if form.is_valid():
        try:
            with form_once(request) as claim:
                act(app, form)
                claim.location = reverse("cards:review", args=[pk])
        except FormAlreadySubmitted as repeat:
            return repeat.response
        except ValidationError as exc:
            for message in add_errors(form, exc):
                form.add_error(None, message)
        except DomainError as exc:
            flash_domain_error(request, exc)
            return redirect("cards:review", pk=pk)
        else:
            messages.success(request, done)
            return redirect("cards:review", pk=pk)
    return render_review(request, app, **{form_name: form}, status=200)


@admin_page
@require_POST
def review_approve(request, pk: int):
    def act(app, form):
        domain.application_approve(
            application=app,
            actor=request.user,
            tier=form.cleaned_data["tier"],
            note=form.cleaned_data["note"],
            accepted=form.cleaned_data["accepted"],
            ip=client_ip(request),
        )

    return _review_action(request, pk, ApproveForm, "approve_form", act, "已认定通过并发卡。")


@admin_page
@require_POST
def review_return(request, pk: int):
    def act(app, form):
        domain.application_return(
            application=app,
            actor=request.user,
            items=form.items_list(),
            note=form.cleaned_data["note"],
            ip=client_ip(request),
        )

    return _review_action(
        request, pk, ReturnForm, "return_form", act, "已退回补正，并已一次性告知申请人。"
    )


@admin_page
@require_POST
def review_reject(request, pk: int):
    def act(app, form):
        domain.application_reject(
            application=app,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        )

    return _review_action(request, pk, RejectForm, "reject_form", act, "已作出不予认定决定。")


@admin_page
@require_POST
def review_reveal(request, pk: int):
    """POST 查看完整信息: the review page again with the applicant's full name, phone and ID
    number in a marked box (or the purpose's error, or the daily limit's message), never
    cached. cards.reveal.application_reveal decides and records; nothing keeps the values."""
    app = _application(request, pk)
    panel = reveal_post(
        request,
        lambda purpose, ip: reveal_domain.application_reveal(
            application=app, actor=request.user, purpose=purpose, ip=ip
        ),
        url=reverse("cards:review-reveal", args=[pk]),
    )
    return never_cached(render_review(request, app, reveal=panel))


# --- card registry --------------------------------------------------------------------------
@admin_page
@require_safe
def card_list(request):
    """优才卡登记簿: every card, filtered by status and tier, searched by number prefix or the
    holder's full name (cards.search, as the API)."""
    form = CardFilterForm(request.GET)
    queryset = Card.objects.visible_to(request.user).select_related("holder")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["tier"]:
            queryset = queryset.filter(tier=data["tier"])
        queryset = card_search(queryset, data["q"])
    page = Paginator(queryset.order_by("-issued_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for card in page.object_list:
        card.holder_name_masked = mask_name(card.holder.real_name)
        card.status_label = CardStatus(card.effective_status()).label
    return render(
        request,
        "cards/manage/card_list.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


def _card(request, number: str) -> Card:
    queryset = Card.objects.visible_to(request.user).select_related("holder")
    return get_object_or_404(queryset, number=number)


def render_card(
    request, card, *, suspend_form=None, revoke_form=None, reinstate_form=None, status=200
):
    events = CardEvent.objects.filter(card=card).select_related("actor")
    scans = (
        CardScan.objects.filter(card=card)
        .select_related("verifier")
        # Served by index cardscan_card_at_idx (card, -at).
        .order_by("-at", "-id")[:RECENT_SCANS]
    )
    effective = card.effective_status()
    return render(
        request,
        "cards/manage/card_detail.html",
        {
            "card": card,
            # The buttons offered: exactly what cards.permissions allows now.
            "actions": CARDS.offered(request.user, card),
            "holder_name_masked": mask_name(card.holder.real_name),
            "status_label": CardStatus(effective).label,
            "effective_status": effective,
            "events": timeline(events, labels=CARD_EVENT_LABELS, statuses=CardStatus),
            "scans": [
                {
                    "at": scan.at,
                    "verifier": scan.verifier.username,
                    "valid": scan.valid,
                    "reason": REASON_LABELS.get(scan.reason or None, scan.reason),
                    "ip": scan.ip,
                }
                for scan in scans
            ],
            "applications": CardApplication.objects.filter(card=card).order_by("-created_at"),
            "suspend_form": suspend_form or ReasonForm(prefix="suspend"),
            "revoke_form": revoke_form or ReasonForm(prefix="revoke"),
            "reinstate_form": reinstate_form or NoteForm(prefix="reinstate"),
            "Status": CardStatus,
            # What layers above show of the holder (talents: profile and liaison).
            "sections": card_sections(card, request.user),
        },
        status=status,
    )


@admin_page
@require_safe
def card_detail(request, number: str):
    return render_card(request, _card(request, number))


def _card_action(request, number, form, form_name, act, done):
    card = _card(request, number)
    if form.is_valid():
        try:
            act(card, form.cleaned_data)
        except ValidationError as exc:
            for message in add_errors(form, exc):
                form.add_error(None, message)
        except DomainError as exc:
            flash_domain_error(request, exc)
            return redirect("cards:card", number=card.number)
        else:
            messages.success(request, done)
            return redirect("cards:card", number=card.number)
    return render_card(request, card, **{form_name: form}, status=200)


@admin_page
@require_POST
def card_suspend(request, number: str):
    form = ReasonForm(request.POST, prefix="suspend")

    def act(card, data):
        issuance.card_suspend(
            card=card, actor=request.user, reason=data["reason"], ip=client_ip(request)
        )

    return _card_action(request, number, form, "suspend_form", act, "优才卡已暂停使用。")


@admin_page
@require_POST
def card_revoke(request, number: str):
    form = ReasonForm(request.POST, prefix="revoke")

    def act(card, data):
        issuance.card_revoke(
            card=card, actor=request.user, reason=data["reason"], ip=client_ip(request)
        )

    return _card_action(request, number, form, "revoke_form", act, "优才卡已注销。")


@admin_page
@require_POST
def card_reinstate(request, number: str):
    form = NoteForm(request.POST, prefix="reinstate")

    def act(card, data):
        issuance.card_reinstate(
            card=card, actor=request.user, note=data["note"], ip=client_ip(request)
        )

    return _card_action(request, number, form, "reinstate_form", act, "优才卡已恢复使用。")
