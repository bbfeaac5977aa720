"""The talent's pages: my card with its live QR code, apply, the application and its documents."""

from itertools import groupby

import segno
from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from cards import applications as domain
from cards.forms import ApplyForm, DocumentForm, ProfileForm, ResubmitForm
from cards.issuance import live_card
from cards.models import (
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    Card,
    CardApplication,
    CardStatus,
    Category,
    Criterion,
    DocumentKind,
    Tier,
)
from cards.models.applications import OPEN_STATUSES
from cards.permissions import APPLICATIONS
from cards.photos import photo_limit_label
from cards.qr import qr_issue
from cards.review_clock import review_limit_days, review_sla
from cards.views.common import (
    add_errors,
    error_dict,
    flash_domain_error,
    owner_or_admin_page,
    talent_page,
    timeline,
)
from portal.audit import client_ip
from portal.errors import DomainError
from portal.idempotency import answers_repeats, form_once, form_used
from portal.identity import mask_name
from portal.models import Role
from portal.uploads import serve_upload


# --- my card --------------------------------------------------------------------------------
def talent_home(user) -> str:
    """Where a talent lands after signing in: 我的优才卡 when they hold a card or have never
    applied; the open application when that is what they are waiting for."""
    if not Card.objects.visible_to(user).exists():
        open_application = (
            CardApplication.objects.visible_to(user)
            .filter(status__in=OPEN_STATUSES)
            .order_by("-created_at")
            .first()
        )
        if open_application:
            return reverse("cards:application", args=[open_application.pk])
    return reverse("cards:home")


@talent_page
@require_safe
def card_home(request):
    """我的优才卡: the card and its live QR code, or how to get one."""
    card = (
        Card.objects.visible_to(request.user)
        .select_related("holder")
        .order_by("-issued_at", "-id")
        .first()
    )
    applications = list(
        CardApplication.objects.visible_to(request.user)
        .select_related("card")
        .order_by("-created_at", "-id")[:5]
    )
    open_application = next((a for a in applications if a.status in OPEN_STATUSES), None)
    status = card.effective_status() if card else None
    return render(
        request,
        "cards/card_home.html",
        {
            "card": card,
            "card_status": status,
            "card_status_label": CardStatus(status).label if status else "",
            "card_active": status == CardStatus.ACTIVE,
            "holder_name_masked": mask_name(card.holder.real_name) if card else "",
            "open_application": open_application,
            "applications": applications,
        },
    )


def _json_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


@never_cache
@require_POST
def card_qr(request):
    """A fresh single-use token for the card page's QR code, drawn server-side as an SVG.

    JSON for the page's script (static/js/card-qr.js), so a refused request answers JSON too.
    """
    if not request.user.is_authenticated:
        return _json_error(_("登录已失效，请重新登录。"), 401)
    if request.user.role != Role.TALENT:
        return _json_error(_("未找到。"), 404)
    try:
        token, expires_at = qr_issue(holder=request.user)
    except DomainError as exc:
        return _json_error(exc.detail, exc.status_code)
    svg = segno.make(token, error="m").svg_data_uri(scale=5)
    return JsonResponse(
        {
            "token": token,
            "expires_at": timezone.localtime(expires_at).isoformat(),
            # Seconds left by the server's clock: the page counts down from its own clock.
            "expires_in": max(0, int((expires_at - timezone.now()).total_seconds())),
            "svg": svg,
        }
    )


# --- apply ----------------------------------------------------------------------------------
def labelled(criteria) -> list[Criterion]:
    """Criteria with their category and evidence kinds as Chinese labels, for display."""
    categories = dict(Category.choices)
    kinds = dict(DocumentKind.choices)
    rows = []
    for criterion in criteria:
        criterion.category_label = categories.get(criterion.category, criterion.category)
        criterion.evidence_labels = [kinds.get(k, k) for k in criterion.evidence]
        rows.append(criterion)
    return rows


def criteria_by_tier(chosen=None) -> list[dict]:
    """The current criteria catalogue grouped by tier, with labels for display. Given the
    codes already ``chosen`` (if any), only the tiers holding one of them start unfolded."""
    criteria = labelled(Criterion.objects.current().order_by("tier", "sort_order", "code"))
    groups = []
    for tier, items in groupby(criteria, key=lambda c: c.tier):
        items = list(items)
        unfold = not chosen or any(c.code in chosen for c in items)
        groups.append({"tier": tier, "label": Tier(tier).label, "criteria": items, "open": unfold})
    return groups


def _open_application(user):
    return CardApplication.objects.visible_to(user).filter(status__in=OPEN_STATUSES).first()


@talent_page
@answers_repeats
def apply(request):
    """申请优才卡: choose criteria and kind, fill the profile; creates a draft (once per
    form key: a double tap lands on the draft the first tap created)."""
    if request.method == "POST":
        form_used(request)
    existing = _open_application(request.user)
    if existing is not None:
        messages.info(request, _("您已有一份未办结的申请，请在该申请上继续办理。"))
        return redirect("cards:application", pk=existing.pk)
    initial = {"kind": ApplicationKind.RENEWAL if live_card(request.user) else ApplicationKind.NEW}
    form = ApplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            with form_once(request) as claim:
                app = domain.application_create(talent=request.user, ip=client_ip(request), **data)
                claim.location = reverse("cards:application", args=[app.pk])
        except ValidationError as exc:
            for message in add_errors(form, exc):
                form.add_error(None, message)
        except DomainError as exc:
            # Another tab opened an application in the meantime: continue on that one.
            flash_domain_error(request, exc)
            other = getattr(exc, "extra", {}).get("id")
            return redirect("cards:application", pk=other) if other else redirect("cards:home")
        else:
            messages.success(request, _("申请已保存为草稿。请按清单上传证明材料，然后提交。"))
            return redirect("cards:application", pk=app.pk)
    return render(
        request,
        "cards/apply.html",
        {"form": form, "groups": criteria_by_tier(), "chosen": _chosen(form)},
    )


def _chosen(form) -> set[str]:
    value = form["criteria"].value() if form.is_bound else form.initial.get("criteria")
    return set(value or [])


# --- the application ------------------------------------------------------------------------
def visible_applications(user):
    return CardApplication.objects.visible_to(user).select_related("talent", "card")


def application_for(request, pk: int) -> CardApplication:
    """The application ``pk`` if the user may see it (with what its page shows), else 404."""
    queryset = visible_applications(request.user).prefetch_related(
        "criteria",
        "documents",
        Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
    )
    return get_object_or_404(queryset, pk=pk)


def evidence_checklist(app: CardApplication) -> list[dict]:
    """The documents the application needs (the photo, then what the chosen criteria name),
    each marked present or missing (the verdict is cards.applications.missing_evidence)."""
    missing = set(domain.missing_evidence(app))
    kinds = dict(DocumentKind.choices)
    return [
        {"kind": kind, "label": kinds.get(kind, kind), "present": kind not in missing}
        for kind in domain.required_evidence(app)
    ]


def upload_limit_label() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / 1024 / 1024:g} MB"


def document_lists(app: CardApplication) -> tuple[list, list]:
    """The application's documents (prefetched) as the pages show them: the current ones,
    each marked ``reviewed`` when the reviewer saw it before the last return (it can then
    only be replaced, not deleted), and the replaced ones (已替换), newest first, each with
    ``replacement``, the document that replaced it (and each current one ``replaces``)."""
    documents = list(app.documents.all())
    since = domain.returned_at(app) if app.status == ApplicationStatus.RETURNED else None
    by_id = {d.pk: d for d in documents}
    current = []
    for d in documents:
        if d.superseded_at is None:
            d.reviewed = since is not None and d.uploaded_at < since
            current.append(d)
    history = sorted(
        (d for d in documents if d.superseded_at is not None),
        key=lambda d: (d.superseded_at, d.pk),
        reverse=True,
    )
    for d in history:
        d.replacement = by_id.get(d.superseded_by_id)
    for d in current:
        d.replaces = [h for h in history if h.superseded_by_id == d.pk]
    return current, history


def resubmit_kinds(app: CardApplication) -> list[str]:
    """The kinds the 补正后重新提交 form offers a file for: what the application needs, and
    其他材料."""
    kinds = domain.required_evidence(app)
    return [*kinds, DocumentKind.OTHER] if DocumentKind.OTHER not in kinds else kinds


def _resubmit_form(app: CardApplication, data=None, files=None) -> ResubmitForm | None:
    if app.status != ApplicationStatus.RETURNED:
        return None
    return ResubmitForm(
        data,
        files,
        prefix="resubmit",
        returned=app.returned_items,
        kinds=resubmit_kinds(app),
    )


def _profile_form(app: CardApplication) -> ProfileForm:
    """The edit form, bound to the application's current values so that errors from a
    refused submit can be shown next to its fields."""
    data = QueryDict(mutable=True)
    for name, value in ProfileForm.data_of(app).items():
        if isinstance(value, list):
            data.setlist(name, value)
        else:
            data[name] = value
    form = ProfileForm(data)
    form.is_valid()
    return form


def render_application(
    request,
    app,
    *,
    profile_form=None,
    document_form=None,
    resubmit_form=None,
    submit_errors=(),
    status=200,
):
    """The application page (also re-rendered with errors after a refused POST)."""
    editable = APPLICATIONS.allowed(request.user, "edit", app)
    documents, replaced = document_lists(app)
    if editable and profile_form is None:
        profile_form = _profile_form(app)
    chosen = _chosen(profile_form) if profile_form else set()
    checklist = evidence_checklist(app)
    if document_form is None:
        # Offer the first missing kind, so that uploading in order needs no choosing.
        missing = [item["kind"] for item in checklist if not item["present"]]
        document_form = DocumentForm(initial={"kind": missing[0]} if missing else None)
    context = {
        "app": app,
        "editable": editable,
        "criteria": labelled(app.criteria.all()),
        "checklist": checklist,
        "documents": documents,
        "replaced": replaced,
        "events": timeline(app.events.all()),
        "profile_form": profile_form,
        "document_form": document_form,
        "resubmit_form": (resubmit_form or _resubmit_form(app)) if editable else None,
        "submit_errors": list(submit_errors),
        "upload_limit": upload_limit_label(),
        "photo_rules": photo_limit_label(),
        "groups": criteria_by_tier(chosen) if editable else [],
        "chosen": chosen,
        "Status": ApplicationStatus,
        **review_context(app),
    }
    return render(request, "cards/application_detail.html", context, status=status)


def review_context(app: CardApplication) -> dict:
    """The review clock (审核时限) as the pages show it: the limit copied at submission, or
    for a draft the one it will get."""
    days = app.review_days
    if days is None and app.status == ApplicationStatus.DRAFT:
        days = review_limit_days(app.kind)
    return {"review": review_sla(app, timezone.now()), "review_days": days}


@talent_page
@require_safe
def application_detail(request, pk: int):
    return render_application(request, application_for(request, pk))


@talent_page
@require_POST
def application_edit(request, pk: int):
    app = application_for(request, pk)
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            domain.application_update(
                application=app, actor=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except ValidationError as exc:
            for message in add_errors(form, exc):
                form.add_error(None, message)
        except DomainError as exc:
            flash_domain_error(request, exc)
            return redirect("cards:application", pk=pk)
        else:
            messages.success(request, _("申请信息已保存。"))
            return redirect("cards:application", pk=pk)
    app = application_for(request, pk)
    return render_application(request, app, profile_form=form, status=200)


@talent_page
@require_POST
@answers_repeats
def document_upload(request, pk: int):
    app = application_for(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with form_once(request) as claim:
                document = domain.application_add_document(
                    application=app,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    ip=client_ip(request),
                )
                claim.location = reverse("cards:application", args=[pk])
        except ValidationError as exc:
            for message in add_errors(form, exc):
                form.add_error(None, message)
        except DomainError as exc:
            flash_domain_error(request, exc)
            return redirect("cards:application", pk=pk)
        else:
            messages.success(
                request,
                _("已上传：%(name)s（%(kind)s）。")
                % {"name": document.name, "kind": document.get_kind_display()},
            )
            return redirect("cards:application", pk=pk)
    return render_application(request, app, document_form=form, status=200)


@talent_page
@require_POST
def document_delete(request, pk: int, doc_pk: int):
    app = application_for(request, pk)
    document = get_object_or_404(app.documents.all(), pk=doc_pk)
    try:
        domain.application_remove_document(
            document=document, actor=request.user, ip=client_ip(request)
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, _("已删除：%(name)s。") % {"name": document.name})
    return redirect("cards:application", pk=pk)


@talent_page
@require_POST
@answers_repeats
def application_submit(request, pk: int):
    """提交 / 补正后重新提交: after a return the form also carries the ticked items, new
    files (each replacing what the reviewer saw of its kind) and a note; the domain decides
    whether that answers the return."""
    app = application_for(request, pk)
    form = _resubmit_form(app, request.POST, request.FILES)
    if form is not None and not form.is_valid():
        return render_application(request, app, resubmit_form=form, status=200)
    data = form.cleaned_data if form is not None else {}
    try:
        with form_once(request) as claim:
            domain.application_submit(
                application=app,
                actor=request.user,
                note=data.get("note", ""),
                items=data.get("items", []),
                uploads=form.uploads() if form is not None else (),
                ip=client_ip(request),
            )
            claim.location = reverse("cards:application", args=[pk])
    except ValidationError as exc:
        app = application_for(request, pk)
        profile = _profile_form(app)
        elsewhere = []
        for key, errors in error_dict(exc).items():
            if key == "missing_evidence":
                continue  # the codes repeat the "documents" messages for API clients
            field = form.error_field(key) if form is not None else None
            if field:
                for error in errors:
                    form.add_error(field, error)
            elif key in profile.fields:
                for error in errors:
                    profile.add_error(key, error)
            else:
                elsewhere.extend(errors)
        return render_application(
            request,
            app,
            profile_form=profile,
            resubmit_form=form,
            submit_errors=elsewhere,
            status=200,
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, _("申请已提交，请等待区委组织部（人才办）审核。"))
    return redirect("cards:application", pk=pk)


@owner_or_admin_page
@require_safe
# The review page previews PDFs in an <iframe>: same-origin framing, in both headers.
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def document_download(request, pk: int, doc_pk: int):
    """An evidence file, for its owner and the organization department only."""
    app = get_object_or_404(CardApplication.objects.visible_to(request.user), pk=pk)
    document = get_object_or_404(app.documents.all(), pk=doc_pk)
    if not document.storage_name:
        raise Http404
    return serve_upload(
        document.storage_name,
        content_type=document.content_type,
        filename=document.name,
        inline=request.GET.get("inline") == "1",
    )
