"""督办清单 (issue 6): the open overdue requests of the viewer's department scope (the
organization department: every department; a lead: their own), longest overdue first, and the
transfer (services.permissions ``supervise_transfer``) or comment made from it through the
request's own handling action. Below them, for whoever reviews card applications
(cards.permissions ``reviews``), the card reviews past their own limit (审核时限,
cards.review_clock), longest overdue first, each linking to its review page (issue 11)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from cards import permissions as card_permissions
from cards.models import CardApplication
from portal.errors import DomainError
from portal.identity import mask_name
from portal.models import Department
from services import dashboard, permissions
from services.forms import StaffCommentForm, TransferForm
from services.models import DepartmentScope, ServiceRequest, department_scope
from services.views.common import PAGE_SIZE, request_for, supervisor_page
from services.views.handling import allowed_actions, handling_action


def _scope(user) -> DepartmentScope:
    """Which departments the pages cover: those of the user's request lists
    (services.models.department_scope, the rule of ``visible_to``); to someone whose lists
    hold no department's requests the pages do not exist."""
    scope = department_scope(user)
    if scope is None:
        raise Http404
    return scope


def _back_query(data) -> str:
    """The list's own query (page, escalated) from untrusted input, for coming back to it."""
    query = {}
    if (data.get("page") or "").isdigit():
        query["page"] = data["page"]
    if data.get("escalated") == "1":
        query["escalated"] = "1"
    return urlencode(query)


@supervisor_page
@require_safe
def supervision_list(request):
    """督办清单: open overdue requests, longest overdue first, with the working days overdue
    and the escalation state; admins transfer or comment from here, leads comment."""
    user = request.user
    every_department = _scope(user).every_department
    now = timezone.now()
    escalated_only = request.GET.get("escalated") == "1"
    queryset = ServiceRequest.objects.visible_to(user)
    if escalated_only:
        queryset = queryset.filter(escalate_at__lte=now)
    page = Paginator(dashboard.overdue_requests(queryset, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = dashboard.with_working_days_overdue(page.object_list, now=now)
    departments = None  # read once, when the table first offers a transfer
    action_query = _back_query(
        {
            "page": str(page.number) if page.number > 1 else "",
            "escalated": request.GET.get("escalated"),
        }
    )
    for req in rows:
        req.talent_name_masked = mask_name(req.talent.real_name)
        allowed = allowed_actions(user, req, None)
        prefix = f"r{req.pk}_%s"
        req.transfer_form = None
        # Transfers from this list: what services.permissions allows (the organization
        # department; a lead transfers from the desk).
        if permissions.allowed(user, "supervise_transfer", req):
            if departments is None:
                departments = list(Department.objects.active().order_by("code"))
            req.transfer_form = TransferForm(
                prefix="transfer",
                auto_id=prefix,
                departments=[d for d in departments if d.pk != req.department_id],
            )
        req.comment_form = (
            StaffCommentForm(prefix="comment", auto_id=prefix, initial={"internal": True})
            if allowed["comment"]
            else None
        )
        req.action_urls = {
            action: reverse("services:supervision-action", args=[req.number, action])
            + (f"?{action_query}" if action_query else "")
            for action in ("transfer", "comment")
        }
    page.object_list = rows
    reviews = _overdue_reviews(request, now, escalated_only, requests_page=page.number)
    return render(
        request,
        "services/supervision/list.html",
        {
            "page": page,
            "rows": rows,
            "reviews": reviews,
            "every_department": every_department,
            "escalated_only": escalated_only,
            "query": "escalated=1" if escalated_only else "",
            "detail_url": "services:manage-request"
            if every_department
            else "services:desk-request",
        },
    )


def _overdue_reviews(request, now, escalated_only: bool, requests_page: int = 1):
    """The page of overdue card reviews (its own ``reviews_page``; its links keep the requests'
    page) with their working days overdue, or None for someone who does not review
    applications. A fixed number of queries: the count, the page with its talents, the
    calendar."""
    user = request.user
    if not card_permissions.reviews(user):
        return None
    queryset = CardApplication.objects.visible_to(user)
    if escalated_only:
        queryset = queryset.filter(review_escalate_at__lte=now)
    page = Paginator(dashboard.overdue_reviews(queryset, now=now), PAGE_SIZE).get_page(
        request.GET.get("reviews_page")
    )
    apps = dashboard.with_working_days_overdue(
        page.object_list, now=now, due="review_due_at", escalate="review_escalate_at"
    )
    for app in apps:
        app.talent_name_masked = mask_name(app.talent.real_name)
    page.object_list = apps
    query = {"escalated": "1"} if escalated_only else {}
    if requests_page > 1:
        query["page"] = requests_page
    if page.has_previous():
        page.previous_url = "?" + urlencode({**query, "reviews_page": page.previous_page_number()})
    if page.has_next():
        page.next_url = "?" + urlencode({**query, "reviews_page": page.next_page_number()})
    return page


@supervisor_page
@require_POST
def supervision_action(request, number: str, action: str):
    """Transfer (admins: services.permissions ``supervise_transfer``) or comment from the 督办
    list through the request's own handling action (same form, same domain call, same
    messages), then back to the list. A transfer the table refuses is refused with its reason
    on the list. A form with errors shows the request's page with them, as the handling action
    does."""
    if action not in ("transfer", "comment"):
        raise Http404
    every_department = _scope(request.user).every_department
    back = _back_query(request.GET)
    to_list = reverse("services:supervision") + (f"?{back}" if back else "")
    if action == "transfer":
        try:
            permissions.require(request.user, "supervise_transfer", request_for(request, number))
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect(to_list)
    area = "manage" if every_department else "desk"
    response = handling_action(request, number, action, area)
    if response.status_code != 302:
        return response
    return redirect(to_list)
