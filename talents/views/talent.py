"""The talent's pages of the talents layer: 人才信息 (the card's facts, read-only, and what the
talent keeps: industry chain, specialties, research outputs) and 我的联系服务 (the liaison
leader and officer, the visits, what was raised at them and the requests filed for the
talent; a concern that needs the talent's own consent is confirmed or declined here).

Views stay thin: what may be done is talents.permissions' tables, what is done is
talents.profiles' and talents.visits'; these only fetch (through the ``visible_to``
querysets), shape the facts for display and turn domain errors into messages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.models import Tier
from portal.audit import client_ip
from portal.errors import DomainError
from portal.idempotency import answers_repeats, form_once
from portal.localized import localized
from portal.models import Role
from portal.pages import error_dict, role_page
from portal.paging import CountedPaginator
from services.views.catalogue import SENSITIVITY_NOTICES
from services.views.common import field_rows
from talents.forms_talent import ConsentForm, OutputFormSet, ProfileForm
from talents.models import (
    Concern,
    ConcernStatus,
    Liaison,
    ResearchOutput,
    TalentProfile,
    Visit,
)
from talents.permissions import CONCERNS
from talents.profiles import profile_update
from talents.retention import UNANSWERED
from talents.visits import concern_confirm as confirm_concern
from talents.visits import concern_decline as decline_concern
from talents.visits import concern_resolved

talent_page = role_page(Role.TALENT)

VISITS_PER_PAGE = 10
# The concerns waiting for the talent are few (an officer notes one at a visit); the box shows
# at most this many, oldest first, the rest after those are answered.
AWAITING_SHOWN = 10


# --- 人才信息 -----------------------------------------------------------------------------------
def profile_for(user) -> TalentProfile:
    """The user's profile with its card and outputs (two queries), or an empty one not saved
    (a talent who never opened the page nor held a card: saved on the first change)."""
    profile = (
        TalentProfile.objects.visible_to(user)
        .select_related("card")
        .prefetch_related("outputs")
        .first()
    )
    if profile is None:
        profile = TalentProfile(holder=user)
        profile.current_outputs = []
    else:
        profile.current_outputs = list(profile.outputs.all())
    return profile


def current_liaison(user) -> Liaison | None:
    """The talent's liaison: the one of the latest card (a card has at most one)."""
    return (
        Liaison.objects.visible_to(user)
        .select_related("officer")
        .order_by("-assigned_at", "-id")
        .first()
    )


def card_facts(profile: TalentProfile) -> list[tuple[str, str]]:
    """The facts copied from the card's application, as the page lists them."""
    tier = Tier(profile.tier).label if profile.tier in Tier.values else profile.tier
    arrival = str(profile.arrival_year) if profile.arrival_year else ""
    return [
        (gettext("人才层次"), tier),
        (gettext("持卡状态"), profile.get_standing_display()),
        (gettext("工作单位"), profile.employer),
        (gettext("职务/岗位"), profile.position),
        (gettext("最高学历"), profile.education),
        (gettext("职称"), profile.professional_title),
        (gettext("来巴年份"), arrival),
    ]


def output_initial(outputs: list[ResearchOutput]) -> list[dict]:
    return [{"kind": o.kind, "title": o.title, "year": str(o.year), "ref": o.ref} for o in outputs]


def profile_forms(profile: TalentProfile, data=None):
    initial = {
        "industry_chain": profile.industry_chain,
        "specialties": "\n".join(profile.specialties or []),
    }
    form = ProfileForm(data, initial=initial)
    outputs = OutputFormSet(data, prefix="outputs", initial=output_initial(profile.current_outputs))
    return form, outputs


def put_profile_errors(form, outputs, sent: list[int], exc: ValidationError) -> None:
    """The domain's messages next to the fields: ``outputs.<i>.<field>`` on the row that
    sent the i-th output (``sent`` maps the domain's index to the formset's row)."""
    for key, errors in error_dict(exc).items():
        parts = key.split(".")
        if parts[0] == "outputs" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            row = outputs.forms[sent[index]] if index < len(sent) else None
            field = parts[2] if len(parts) > 2 else None
            for error in errors:
                if row is None:
                    form.add_error(None, error)
                else:
                    row.add_error(field if field in row.fields else None, error)
            continue
        name = key if key in form.fields else None
        for error in errors:
            form.add_error(name, error)


def render_profile(request, profile, form, outputs, *, status=200):
    liaison_exists = (
        profile.card_id is not None and Liaison.objects.visible_to(request.user).exists()
    )
    context = {
        "profile": profile,
        "has_card": profile.card_id is not None,
        "facts": card_facts(profile) if profile.card_id is not None else [],
        "form": form,
        "outputs": outputs,
        "output_rows": [
            {"form": row, "existing": i < outputs.initial_form_count()}
            for i, row in enumerate(outputs.forms)
        ],
        "has_liaison": liaison_exists,
    }
    return render(request, "talents/talent/profile.html", context, status=status)


@talent_page
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def my_profile(request):
    """人才信息: the card's facts (changed only through a card change application) and the
    form of what the talent keeps, saved through talents.profiles.profile_update."""
    profile = profile_for(request.user)
    if request.method != "POST":
        form, outputs = profile_forms(profile)
        return render_profile(request, profile, form, outputs)
    form, outputs = profile_forms(profile, request.POST)
    if form.is_valid() and outputs.is_valid():
        sent, rows = [], []
        for i, row in enumerate(outputs.forms):
            if row.cleaned_data.get("remove") or row.is_blank():
                continue
            sent.append(i)
            rows.append(row.value())
        data = {
            "industry_chain": form.cleaned_data["industry_chain"],
            "specialties": form.specialties_list(),
            "outputs": rows,
        }
        try:
            with form_once(request) as claim:
                profile_update(user=request.user, data=data, ip=client_ip(request))
                claim.location = reverse("talents:my-profile")
        except ValidationError as exc:
            put_profile_errors(form, outputs, sent, exc)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("talents:my-profile")
        else:
            messages.success(request, gettext("人才信息已保存。"))
            return redirect("talents:my-profile")
    return render_profile(request, profile, form, outputs)


# --- 我的联系服务 -------------------------------------------------------------------------------
def concerns_of(user):
    """The concerns the talent may see, with what their rows show (no query per row)."""
    return Concern.objects.visible_to(user).select_related("service_type", "request")


def shape_concern(user, concern: Concern) -> Concern:
    """A concern as its row shows it: the status in the page's language (a filed one whose
    request is done reads 已解决) and the service's name."""
    status = (
        ConcernStatus.RESOLVED
        if concern.status == ConcernStatus.FILED and concern_resolved(concern)
        else concern.status
    )
    concern.status_shown = status
    concern.status_label = ConcernStatus(status).label
    concern.service_name = localized(concern.service_type, "name") if concern.service_type else ""
    concern.awaiting = concern.status == ConcernStatus.AWAITING_CONSENT
    if concern.resolution == UNANSWERED:  # stored in Chinese by the retention rule
        concern.resolution = gettext(UNANSWERED)
    return concern


def render_liaison(request, *, consent_forms=None, status=200):
    """我的联系服务 (also re-rendered with a consent form's error after a POST)."""
    user = request.user
    liaison = current_liaison(user)
    page, awaiting = None, []
    if liaison is not None:
        # Newest visit first (index visit_liaison_idx), each with its concerns: one query
        # for the page of visits and one for all their concerns.
        visits = (
            Visit.objects.visible_to(user)
            .filter(liaison=liaison)
            .prefetch_related(
                Prefetch("concerns", queryset=concerns_of(user).order_by("n"), to_attr="shown")
            )
            .order_by("-visited_on", "-id")
        )
        page = CountedPaginator(visits, VISITS_PER_PAGE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        for visit in rows:
            for concern in visit.shown:
                shape_concern(user, concern)
        page.object_list = rows
        # What waits for the talent, whichever page its visit is on (index concern_open_idx).
        awaiting = list(
            concerns_of(user)
            .filter(status=ConcernStatus.AWAITING_CONSENT, visit__liaison=liaison)
            .select_related("visit__liaison")
            .order_by("visit__visited_on", "id")[:AWAITING_SHOWN]
        )
        consent_forms = consent_forms or {}
        for concern in awaiting:
            shape_concern(user, concern)
            sensitivity = concern.service_type.sensitivity
            if not sensitivity:  # the type no longer needs a consent: nothing to confirm
                concern.consent_form, concern.can = None, {"confirm": False, "decline": False}
                continue
            concern.consent_form = consent_forms.get(concern.pk) or ConsentForm(
                prefix=f"concern-{concern.pk}", sensitivity=sensitivity
            )
            concern.notice = SENSITIVITY_NOTICES.get(sensitivity, "")
            # What the officer typed: the talent consents to these values, so sees them.
            concern.field_rows = field_rows(concern.service_type, concern.fields)
            concern.can = CONCERNS.offered(user, concern, ["confirm", "decline"])
    context = {"liaison": liaison, "page": page, "awaiting": awaiting}
    return render(request, "talents/talent/liaison.html", context, status=status)


@talent_page
@require_safe
def my_liaison(request):
    """我的联系服务: who serves the talent, the visits and what came of them."""
    return render_liaison(request)


def concern_for(request, pk: int) -> Concern:
    """Concern ``pk`` if the user may see it, else 404."""
    return get_object_or_404(
        Concern.objects.visible_to(request.user).select_related("service_type", "visit__liaison"),
        pk=pk,
    )


@talent_page
@require_POST
@answers_repeats
def concern_confirm(request, pk: int):
    """同意并提交: the talent files the concern with their own separate consent; the new
    request's page follows. Without the consent ticked: the page again, the box saying so."""
    concern = concern_for(request, pk)
    if concern.service_type is None or not concern.service_type.sensitivity:
        # Not a concern awaiting consent (the permission table refuses it below, 409).
        form = None
    else:
        form = ConsentForm(
            request.POST, prefix=f"concern-{pk}", sensitivity=concern.service_type.sensitivity
        )
    consent = bool(form is not None and form.is_valid() and form.cleaned_data["consent"])
    try:
        with form_once(request) as claim:
            concern = confirm_concern(
                concern=concern, talent=request.user, consent=consent, ip=client_ip(request)
            )
            claim.location = reverse("services:request", args=[concern.request.number])
    except ValidationError as exc:
        if form is None:
            for error in exc.messages:
                messages.error(request, error)
            return redirect("talents:my-liaison")
        for key, errors in error_dict(exc).items():
            for error in errors:
                form.add_error("consent" if key == "consent" else None, error)
        return render_liaison(request, consent_forms={concern.pk: form})
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("talents:my-liaison")
    req = concern.request
    messages.success(
        request,
        gettext("已提交服务申请 %(number)s，%(department)s将在%(days)s个工作日内受理。")
        % {
            "number": req.number,
            "department": localized(req.department, "name"),
            "days": req.accept_days,
        },
    )
    return redirect("services:request", number=req.number)


@talent_page
@require_POST
@answers_repeats
def concern_decline(request, pk: int):
    """不同意代办: the concern stays with the officer, who is told and follows it up."""
    concern = concern_for(request, pk)
    try:
        with form_once(request) as claim:
            decline_concern(concern=concern, talent=request.user, ip=client_ip(request))
            claim.location = reverse("talents:my-liaison")
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, gettext("您未同意代办，服务专员将与您联系，沟通后续办理方式。"))
    return redirect("talents:my-liaison")
