"""合作系统: the organization department registers the partner systems of the Open311 interface
(each with a key shown once, on the answer to the registration, and stored as a digest),
sees their calls and stops a key (issue 17 point 2). Admins only; anyone else gets a 404."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from open311.forms import PartnerForm, RevokeForm
from open311.keys import partner_create, partner_revoke
from open311.models import Partner, PartnerCall
from open311.permissions import PARTNERS
from portal.audit import client_ip
from portal.errors import DomainError
from portal.idempotency import answers_repeats, form_once
from portal.identity import mask_phone
from portal.models import Role
from portal.pages import role_page
from portal.paging import CountedPaginator
from services.views.common import put_errors

PAGE_SIZE = 20
RECENT_CALLS = 50

# A mobile number (11 digits from 1) or a landline (7+ digits, maybe with an area code).
_PHONE = re.compile(r"(?<!\d)(?:1\d{10}|(?:0\d{2,3}-?)?\d{7,8})(?!\d)")


def mask_contact(text: str) -> str:
    """The contact as the page shows it: every phone number in it masked."""

    def mask(match):
        number = match.group(0)
        if len(number) == 11 and number.startswith("1"):
            return mask_phone(number)
        digits = number.replace("-", "")
        return number[:3] + "*" * (len(number) - 5) + number[-2:] if len(digits) > 6 else number

    return _PHONE.sub(mask, text or "")


def _partners(user, now):
    """Every partner by name (the unique index on name), with its calls of the last 24 hours
    and its last call (subqueries on partnercall_partner_at_idx): one query per page."""
    calls = PartnerCall.objects.filter(partner=OuterRef("pk"))
    recent = (
        calls.filter(at__gte=now - timezone.timedelta(hours=24))
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Partner.objects.visible_to(user)
        .annotate(
            calls_24h=Coalesce(Subquery(recent, output_field=IntegerField()), 0),
            last_call_at=Subquery(calls.order_by("-at", "-id").values("at")[:1]),
        )
        .order_by("name")
    )


def _mark(rows, user) -> list[Partner]:
    rows = list(rows)
    for partner in rows:
        partner.contact_masked = mask_contact(partner.contact)
        partner.can_revoke = PARTNERS.allowed(user, "revoke", partner)
    return rows


def _render_list(request, form, *, new=None, key=None, status=200):
    page = CountedPaginator(_partners(request.user, timezone.now()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = _mark(page.object_list, request.user)
    discovery = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"}))
    return render(
        request,
        "open311/partners/list.html",
        {
            "page": page,
            "query": "",
            "form": form,
            "new_partner": new,
            "new_key": key,
            "discovery_url": discovery,
            "revoke_form": RevokeForm(),
        },
        status=status,
    )


@role_page(Role.ADMIN)
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@answers_repeats
def partners(request):
    """The list of partner systems and the registration form. The new key is on the answer to
    the POST only: never stored, never in a URL, a message or the session."""
    if request.method != "POST":
        return _render_list(request, PartnerForm())
    form = PartnerForm(request.POST)
    if form.is_valid():
        try:
            with form_once(request) as claim:
                partner, key = partner_create(
                    **form.cleaned_data, actor=request.user, ip=client_ip(request)
                )
                # A repeat of the form lands on the partner's page (the key is not shown
                # again: a key never seen is replaced by registering the system anew).
                claim.location = reverse("open311:partner", args=[partner.pk])
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            return _render_list(request, PartnerForm(), new=partner, key=key)
    return _render_list(request, form)


def _render_detail(request, partner, *, revoke_form=None, status=200):
    _mark([partner], request.user)
    calls = list(partner.calls.order_by("-at", "-id")[:RECENT_CALLS])
    return render(
        request,
        "open311/partners/detail.html",
        {
            "partner": partner,
            "calls": calls,
            "recent": RECENT_CALLS,
            "revoke_form": revoke_form or RevokeForm(),
        },
        status=status,
    )


@role_page(Role.ADMIN)
@never_cache
@require_http_methods(["GET", "HEAD"])
def partner(request, pk: int):
    """One partner: its facts and its last 50 calls (partnercall_partner_at_idx)."""
    return _render_detail(
        request, get_object_or_404(Partner.objects.visible_to(request.user), pk=pk)
    )


@role_page(Role.ADMIN)
@require_POST
def revoke(request, pk: int):
    """Stop the partner's key (reason required); a key already stopped is refused (409)."""
    obj = get_object_or_404(Partner.objects.visible_to(request.user), pk=pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            partner_revoke(obj, request.user, form.cleaned_data["reason"], client_ip(request))
        except ValidationError as exc:
            put_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("open311:partner", pk=obj.pk)
        else:
            messages.success(request, f"已停用合作系统“{obj.name}”的密钥，它的调用将被拒绝。")
            return redirect("open311:partner", pk=obj.pk)
    return _render_detail(request, obj, revoke_form=form)
