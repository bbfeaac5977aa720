"""The verifier's page: check a card holder's QR token at a service point."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from cards.forms import VerifyForm
from cards.models import Tier
from cards.qr import qr_verify
from cards.views.common import verifier_page
from portal.audit import client_ip
from portal.headers import permissions_policy


@never_cache
@permissions_policy(camera=["self"])  # scanning the QR code (static/js/verify-scan.js)
@verifier_page
def verify(request):
    """优才卡核验: paste or scan a token; the answer is valid or not, why, and what the card
    unlocks, with the holder's photo when valid. Every check is logged by cards.qr.qr_verify
    (CardScan)."""
    form = VerifyForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        verification = qr_verify(
            token=form.cleaned_data["token"].strip(), verifier=request.user, ip=client_ip(request)
        )
        card = verification.card
        if card:
            card = {**card, "tier_label": Tier(card["tier"]).label}
        if verification.photo_token:
            card["photo_url"] = reverse("cards:verify-photo", args=[verification.photo_token])
        result = {"valid": verification.valid, "label": verification.label, "card": card}
        form = VerifyForm()  # a token is single-use: the next scan starts from an empty box
    return render(request, "cards/verify.html", {"form": form, "result": result})
