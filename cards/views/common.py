"""Helpers shared by the card pages: role gates and the translation of domain errors."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404

from cards.actions import ApplicationEventAction, CardEventAction
from cards.models import ApplicationStatus
from portal.models import Role

PAGE_SIZE = 20

# Names of the steps an application and a card go through, as the talent reads them.
EVENT_LABELS = dict(ApplicationEventAction.choices)
CARD_EVENT_LABELS = dict(CardEventAction.choices)


def role_page(*roles):
    """Gate a page by role: visitors go to the login page; a signed-in user of another role
    gets a 404, because to them the page does not exist (the portal's convention, as on the
    audit page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


talent_page = role_page(Role.TALENT)
admin_page = role_page(Role.ADMIN)
verifier_page = role_page(Role.VERIFIER)
owner_or_admin_page = role_page(Role.TALENT, Role.ADMIN)


def error_dict(exc: ValidationError) -> dict[str, list[str]]:
    """A domain ValidationError as ``{field: [messages]}`` (``__all__`` when it names none)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def add_errors(form, exc: ValidationError, *, skip=()) -> list[str]:
    """Put the domain's messages next to the form's fields; return those that name no field
    of the form (the caller shows them where they belong)."""
    elsewhere = []
    for field, errors in error_dict(exc).items():
        if field in skip:
            continue
        if field in form.fields:
            for error in errors:
                form.add_error(field, error)
        elif field == "__all__":
            for error in errors:
                form.add_error(None, error)
        else:
            elsewhere.extend(errors)
    return elsewhere


def flash_domain_error(request, exc) -> None:
    """A refused action (409 and the like) as a message on the page the user returns to."""
    messages.error(request, exc.detail)


def actor_label(actor) -> str:
    """Who acted, as the talent reads it: the organization department acts as an office."""
    if actor is None:
        return "系统"
    return "申请人" if actor.role == Role.TALENT else actor.get_role_display()


def timeline(events, labels=EVENT_LABELS, statuses=ApplicationStatus) -> list[dict]:
    """Events (ApplicationEvent or CardEvent, actors selected) ready for display."""
    status_labels = dict(statuses.choices)
    return [
        {
            "at": event.at,
            "actor": actor_label(event.actor),
            "action": labels.get(event.action, event.action),
            "to_status": status_labels.get(event.to_status, ""),
            "note": event.note,
            "items": getattr(event, "items", None) or [],
        }
        for event in events
    ]
