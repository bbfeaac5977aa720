"""The card holder's photo, streamed: to the holder and the organization department by
permission, to a verifier by the signed URL of a valid verification (cards.photos)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from cards.models import Card
from cards.photos import photo_for_token
from cards.views.common import owner_or_admin_page
from portal.uploads import serve_upload


def _serve(photo):
    return serve_upload(
        photo.storage_name,
        content_type=photo.content_type,
        filename=f"photo.{photo.content_type.rsplit('/', 1)[-1].replace('jpeg', 'jpg')}",
        inline=True,
    )


@owner_or_admin_page
@require_safe
def card_photo(request, number: str):
    """The photo on card ``number``, for its holder and admins; 404 for anyone else."""
    queryset = Card.objects.visible_to(request.user).select_related("photo")
    card = get_object_or_404(queryset, number=number)
    if card.photo is None:
        raise Http404
    return _serve(card.photo)


@require_safe
def signed_photo(request, token: str):
    """The photo a verification's ``photo_url`` points at: whoever holds the URL (a partner's
    scanner app need not sign in to the portal), for 120 seconds; then 404, as for a token
    that was altered."""
    photo = photo_for_token(token)
    if photo is None:
        raise Http404
    response = _serve(photo)
    response["Cache-Control"] = "no-store"  # the URL expires; no copy should outlive it
    return response
