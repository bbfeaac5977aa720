"""Submitting once: a creating request carries a one-time key, and the same key from the same
user within 24 hours answers the first outcome again and creates nothing (API.md
"Submitting once").

The key is claimed by inserting its row *inside the transaction that creates the object*. A
duplicate that races the first submission blocks on the unique constraint
``idempotency_key_unique`` until the first one commits, then fails to insert and reads the
stored outcome; if the first one fails, its claim rolls back with it and the duplicate goes
ahead as if it were the first. So there is no window in which both create.

Two callers: DRF views through ``portal.api.idempotency.idempotent`` (the ``Idempotency-Key``
header, the stored answer is the response body) and pages through ``form_once`` (a hidden
``form_key`` made when the form is rendered, the stored answer is the object's page).
"""

import datetime
import uuid
from contextlib import contextmanager
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone

from portal.models import IdempotencyKey

WINDOW = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length
MAX_SCOPE_LENGTH = IdempotencyKey._meta.get_field("scope").max_length
FORM_KEY_FIELD = "form_key"
REPEAT_MESSAGE = "您已提交过，本次未重复提交。以下是已提交的内容。"


def scope_of(request) -> str:
    """What a key is used for: the method and path (``POST /api/v1/service-requests/``), so
    that one key cannot answer for another operation or another request's comments."""
    return f"{request.method} {request.path}"[:MAX_SCOPE_LENGTH]


def key_claim(*, user, scope: str, key: str) -> tuple[IdempotencyKey | None, IdempotencyKey | None]:
    """Claim ``key`` for ``user`` and ``scope``; call inside the creating transaction.

    Returns ``(claim, None)`` when this is the first use: the caller creates, then records its
    outcome on ``claim`` before the transaction commits. Returns ``(None, stored)`` when the
    key was used within the window: the caller answers ``stored`` and creates nothing.
    """
    # A used key whose 24 hours are over is free again, even before the hourly purge.
    IdempotencyKey.objects.filter(
        user=user, scope=scope, key=key, created_at__lte=timezone.now() - WINDOW
    ).delete()
    try:
        # A savepoint: a lost race leaves the outer transaction usable for reading the winner.
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, scope=scope, key=key), None
    except IntegrityError:
        # The insert waited for the other transaction and it committed: its row is visible
        # to this new statement (READ COMMITTED), with the outcome it recorded.
        return None, IdempotencyKey.objects.get(user=user, scope=scope, key=key)


def keys_purge(now=None) -> int:
    """Delete keys older than 24 hours (index ``idempotency_created_idx``); the number deleted."""
    cutoff = (now or timezone.now()) - WINDOW
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


# --- pages ----------------------------------------------------------------------------------
def new_form_key() -> str:
    """A fresh one-time key for a form being rendered (``{% form_key %}``)."""
    return uuid.uuid4().hex


class FormAlreadySubmitted(Exception):
    """The form's key was used already: answer with ``response`` (the object's page)."""

    def __init__(self, response):
        super().__init__("form key already used")
        self.response = response


def _form_key(request) -> str:
    return (request.POST.get(FORM_KEY_FIELD) or "").strip()[:MAX_KEY_LENGTH]


def _replay(request, stored: IdempotencyKey):
    messages.info(request, REPEAT_MESSAGE)
    return redirect(stored.location or "/")


class _Claim:
    """What the creating block tells ``form_once``: where the new object's page is."""

    location = ""


def form_used(request) -> None:
    """Raise FormAlreadySubmitted when the POSTed form key was used within the window.

    For views that check other things (an open application, for instance) before the
    creating call: a repeat then gets the gentle answer, not a refusal. ``form_once`` makes
    the same check again, under the constraint, so it is the one that guarantees a single
    creation."""
    key = _form_key(request)
    if not key or not request.user.is_authenticated:
        return
    stored = IdempotencyKey.objects.filter(
        user=request.user,
        scope=scope_of(request),
        key=key,
        created_at__gt=timezone.now() - WINDOW,
    ).first()
    if stored is not None:
        raise FormAlreadySubmitted(_replay(request, stored))


@contextmanager
def form_once(request):
    """Run the block that creates something once per form key, in one transaction.

    The block sets ``claim.location`` to the page of what it created. A repeat of the same
    key (a double tap, a reload that posts again, a race) raises FormAlreadySubmitted, whose
    response redirects to that page with a gentle message (``answers_repeats`` on the view
    returns it). A form without a key (an old page, a
    script) is served as before, unprotected. An exception in the block (a validation error)
    rolls the claim back, so correcting the form and sending it again works.
    """
    key = _form_key(request)
    with transaction.atomic():
        claim = _Claim()
        row = None
        if key:
            row, stored = key_claim(user=request.user, scope=scope_of(request), key=key)
            if stored is not None:
                raise FormAlreadySubmitted(_replay(request, stored))
        yield claim
        if row is not None:
            row.status_code = 302
            row.location = claim.location[: IdempotencyKey._meta.get_field("location").max_length]
            row.save(update_fields=["status_code", "location"])


def answers_repeats(view):
    """Decorate a page view that uses ``form_once``: a repeated form key is answered with the
    redirect to what the first submission created."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except FormAlreadySubmitted as repeat:
            return repeat.response

    return wrapped
