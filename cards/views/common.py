"""Helpers shared by the card pages: the cards' role gates and the translation of domain
errors (the page helpers every app uses — role_page, error_dict, actor_label — live in
portal.pages)."""

from django.contrib import messages
from django.core.exceptions import ValidationError

from cards.actions import ApplicationEventAction, CardEventAction
from cards.models import ApplicationStatus
from portal.models import Role
from portal.pages import actor_label, error_dict, role_page

PAGE_SIZE = 20

# Names of the steps an application and a card go through, as the talent reads them.
EVENT_LABELS = dict(ApplicationEventAction.choices)
CARD_EVENT_LABELS = dict(CardEventAction.choices)


talent_page = role_page(Role.TALENT)
admin_page = role_page(Role.ADMIN)
verifier_page = role_page(Role.VERIFIER)
owner_or_admin_page = role_page(Role.TALENT, Role.ADMIN)


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
