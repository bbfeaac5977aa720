"""Keeping the card (cards.keep): the holder's PDF e-certificate and phone image, and the
public verification page the QR code on both points at."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cards import keep
from cards.card_image import CardImageUnavailable, card_png
from cards.certificate import certificate_pdf
from cards.views.common import talent_page
from portal.audit import client_ip
from portal.errors import InvalidTransition, NotFound
from portal.ratelimit import allow


def file_response(body: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A generated file of the holder's own, as an attachment nobody keeps a copy of."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def certificate_filename(card) -> str:
    return f"巴州优才卡电子证书-{card.number}.pdf"


def _refused(request, detail: str, status: int):
    return render(request, "cards/keep_refused.html", {"detail": detail}, status=status)


def _card(request, kind: str):
    try:
        return keep.card_to_keep(request.user, kind)
    except NotFound:
        raise Http404 from None


@talent_page
@require_safe
def card_certificate(request):
    """GET /cards/mine/certificate.pdf: the holder's e-certificate (证照 style, one A4 page)."""
    try:
        card = _card(request, "certificate")
    except InvalidTransition as exc:
        return _refused(request, exc.detail, 409)
    body = certificate_pdf(card)
    keep.record_download(card, "certificate", actor=request.user, ip=client_ip(request))
    return file_response(body, content_type="application/pdf", filename=certificate_filename(card))


@talent_page
@require_safe
def card_image(request):
    """GET /cards/mine/card.png: the card as a phone-sized image to keep in the photo album."""
    try:
        card = _card(request, "image")
    except InvalidTransition as exc:
        return _refused(request, exc.detail, 409)
    try:
        body = card_png(card)
    except CardImageUnavailable:
        return _refused(
            request,
            gettext("暂时无法生成优才卡图片，请下载 PDF 电子证书保存到手机。"),
            503,
        )
    keep.record_download(card, "image", actor=request.user, ip=client_ip(request))
    return file_response(body, content_type="image/png", filename=f"巴州优才卡-{card.number}.png")


@never_cache
@require_safe
def public_verify(request, ref: str):
    """GET /v/<ref>/: anyone who scans a certificate's QR code reads whether the card is
    valid now, its tier and its end date; nothing about the holder. Throttled per address;
    every lookup counted (CardPublicCheck, without the address)."""
    ip = client_ip(request) or "unknown"
    if not allow(
        f"public-verify:{ip}",
        limit=settings.PUBLIC_VERIFY_RATE_LIMIT,
        window_seconds=60,
    ):
        response = render(request, "cards/public_verify_limited.html", status=429)
        response["Retry-After"] = "60"
        response["Referrer-Policy"] = "no-referrer"
        return response
    answer = keep.public_check(ref)
    if answer is None:
        raise Http404
    response = render(request, "cards/public_verify.html", {"answer": answer})
    # The page's own address is the card's reference: no link on it passes it on.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
