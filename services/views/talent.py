"""The talent's pages: file a request, my requests, one request with its timeline,
comments, attachments, supply-info, withdrawal and rating."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.audit import client_ip
from portal.errors import DomainError
from portal.idempotency import answers_repeats, form_once
from portal.localized import localized
from portal.uploads import serve_upload
from services import conversation, feedback, filing, workflow
from services.forms import (
    AttachmentForm,
    CommentForm,
    RateForm,
    RequestForm,
    SupplyInfoForm,
    WithdrawForm,
)
from services.models import RequestStatus, ServiceType
from services.permissions import allowed
from services.views.catalogue import SENSITIVITY_NOTICES, materials, tiers_text
from services.views.common import (
    PAGE_SIZE,
    asked_items,
    attachments,
    clock,
    comments,
    form_values,
    mark_rows,
    outcome,
    perform,
    put_errors,
    rating_of,
    request_for,
    request_page,
    talent_page,
    timeline,
    visible_requests,
)


def upload_limit_label() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / 1024 / 1024:g} MB"


# --- file a request -------------------------------------------------------------------------
@talent_page
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def apply(request, code: str):
    """我要申请: the form built from the type's field definitions; services.filing decides.
    The form's one-time key files it once, however often it is sent (a double tap)."""
    service = get_object_or_404(
        ServiceType.objects.active().select_related("department"), code=code
    )
    form = RequestForm(request.POST if request.method == "POST" else None, service_type=service)
    if request.method == "POST" and form.is_valid():
        try:
            with form_once(request) as claim:
                req = filing.request_file(
                    talent=request.user,
                    service_type=service.code,
                    fields=form.values(),
                    description=form.cleaned_data["description"],
                    consent=form.cleaned_data.get("consent", False),
                    ip=client_ip(request),
                )
                claim.location = reverse("services:request", args=[req.number])
        except ValidationError as exc:
            put_errors(form, exc)
        except DomainError as exc:
            # No live card, or a tier the service is not for: said on top of the form.
            form.add_error(None, exc.detail)
        else:
            messages.success(
                request,
                _("申请已提交，编号 %(number)s。%(department)s将在%(days)s个工作日内受理。")
                % {
                    "number": req.number,
                    "department": localized(service.department, "name"),
                    "days": service.accept_days,
                },
            )
            return redirect("services:request", number=req.number)
    return render(
        request,
        "services/apply.html",
        {
            "service": service,
            "form": form,
            "type_fields": form.type_fields(),
            "materials": materials(service),
            "tiers_text": tiers_text(service.eligible_tiers),
            "sensitivity_notice": SENSITIVITY_NOTICES.get(service.sensitivity, ""),
        },
    )


# --- my requests ----------------------------------------------------------------------------
@talent_page
@require_safe
def my_requests(request):
    """我的申请: newest first, with the status and the promised date."""
    queryset = visible_requests(request.user).order_by("-submitted_at", "-id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = mark_rows(page.object_list)
    return render(request, "services/my_requests.html", {"page": page})


# --- one request ----------------------------------------------------------------------------
def render_request(
    request,
    req,
    *,
    comment_form=None,
    attachment_form=None,
    supply_form=None,
    withdraw_form=None,
    rate_form=None,
    status=200,
):
    """The talent's request page (also re-rendered with a form's errors after a POST)."""
    user = request.user
    followup = feedback.pending_followup(req, user)
    asked = asked_items(req) if req.status == RequestStatus.AWAITING_TALENT else None
    context = {
        "req": req,
        "sla": clock(req),
        "values": form_values(req, user),
        "events": timeline(req),
        "outcome": outcome(req),
        "asked": asked,
        "comments": comments(req),
        "attachments": attachments(req, request.user),
        "rating": rating_of(req),
        # After a bad rating: the lead will call back, and by when (until they have).
        "followup_promise": feedback.followup_promise(followup) if followup else "",
        "upload_limit": upload_limit_label(),
        # What the talent may do now: exactly what services.permissions allows (the domain
        # functions ask the same table before acting; these only pick the forms).
        "can_comment": allowed(user, "comment", req),
        "can_attach": allowed(user, "attach", req),
        "can_supply": allowed(user, "supply_info", req),
        "can_withdraw": allowed(user, "withdraw", req),
        "can_rate": allowed(user, "rate", req),
        "comment_form": comment_form or CommentForm(prefix="comment"),
        "attachment_form": attachment_form or AttachmentForm(prefix="attach"),
        "supply_form": supply_form
        or SupplyInfoForm(prefix="supply", asked=asked["items"] if asked else ()),
        "withdraw_form": withdraw_form or WithdrawForm(prefix="withdraw"),
        "rate_form": rate_form or RateForm(prefix="rate"),
        "Status": RequestStatus,
    }
    return render(request, "services/request_detail.html", context, status=status)


@talent_page
@require_safe
def request_detail(request, number: str):
    return render_request(request, request_for(request, number, detail=True))


def _talent_action(request, number, form, form_name, act, done):
    """Run ``act``; ``done`` is the success message, or makes it from what ``act`` returned."""
    req = request_for(request, number)

    def once(data):
        # Once per form key: a repeat answers with the request's page (portal.idempotency).
        with form_once(request) as claim:
            result = act(req, data)
            claim.location = reverse("services:request", args=[number])
        return result

    outcome = perform(request, form, once)
    if outcome.done:
        messages.success(request, done(outcome.result) if callable(done) else done)
    if outcome.done or outcome.refused:
        return redirect("services:request", number=number)
    req = request_for(request, number, detail=True)
    return render_request(request, req, **{form_name: form}, status=200)


@talent_page
@require_POST
@answers_repeats
def comment(request, number: str):
    def act(req, data):
        conversation.request_comment(
            req=req, actor=request.user, body=data["body"], ip=client_ip(request)
        )

    form = CommentForm(request.POST, prefix="comment")
    return _talent_action(request, number, form, "comment_form", act, _("留言已发送。"))


@talent_page
@require_POST
@answers_repeats
def attach(request, number: str):
    def act(req, data):
        return conversation.request_attach(
            req=req, actor=request.user, upload=data["file"], ip=client_ip(request)
        )

    form = AttachmentForm(request.POST, request.FILES, prefix="attach")
    return _talent_action(request, number, form, "attachment_form", act, _("附件已上传。"))


@talent_page
@require_POST
@answers_repeats
def supply_info(request, number: str):
    def act(req, data):
        workflow.request_supply_info(
            req=req,
            actor=request.user,
            note=data["note"],
            items=data["items"],
            uploads=data["files"],
            ip=client_ip(request),
        )

    asked = workflow.asked_items(request_for(request, number))
    form = SupplyInfoForm(request.POST, request.FILES, prefix="supply", asked=asked)
    return _talent_action(
        request, number, form, "supply_form", act, _("补正已提交，办理时限恢复计算。")
    )


@talent_page
@require_POST
@answers_repeats
def withdraw(request, number: str):
    def act(req, data):
        workflow.request_withdraw(
            req=req, actor=request.user, reason=data["reason"], ip=client_ip(request)
        )

    form = WithdrawForm(request.POST, prefix="withdraw")
    return _talent_action(request, number, form, "withdraw_form", act, _("申请已撤回。"))


@talent_page
@require_POST
@answers_repeats
def rate(request, number: str):
    form = RateForm(request.POST, prefix="rate")

    def act(req, data):
        feedback.request_rate(
            req=req,
            actor=request.user,
            score=form.score_value(),
            comment=data["comment"],
            ip=client_ip(request),
        )
        return feedback.pending_followup(req, request.user)

    def done(followup):
        # A bad rating opened a follow-up: the talent learns at once that a call will come.
        return str(_("感谢您的评价！")) + (feedback.followup_promise(followup) if followup else "")

    return _talent_action(request, number, form, "rate_form", act, done)


# --- attachments ----------------------------------------------------------------------------
@request_page
@require_safe
def attachment_download(request, number: str, pk: int):
    """A file of a request, for whoever may see the request (same visibility)."""
    req = request_for(request, number)
    if not allowed(request.user, "see_sensitive", req):
        raise Http404  # medical or minors' files: the talent and the routed department only
    attachment = get_object_or_404(req.attachments.all(), pk=pk)
    return serve_upload(
        attachment.storage_name,
        content_type=attachment.content_type,
        filename=attachment.name,
        inline=request.GET.get("inline") == "1",
    )
