"""Helpers shared by the request pages: role gates, the one way a request is fetched, domain
errors turned into messages, and the request's facts made ready for display."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from portal.errors import DomainError
from portal.localized import localized, localized_choices
from portal.models import Role
from portal.pages import actor_label, error_dict, role_page
from services.actions import request_event_label
from services.clocks import sla
from services.feedback import SCORE_LABELS
from services.models import (
    Datatype,
    RequestAttachment,
    RequestComment,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
)
from services.permissions import allowed

PAGE_SIZE = 20

talent_page = role_page(Role.TALENT)
desk_page = role_page(Role.STAFF, Role.LEAD)
admin_page = role_page(Role.ADMIN)
# The supervision pages (dashboard, 督办 list): admins, and leads for their own department.
supervisor_page = role_page(Role.ADMIN, Role.LEAD)
# Everyone a request can be visible to (visible_to decides which ones).
request_page = role_page(Role.TALENT, Role.STAFF, Role.LEAD, Role.ADMIN)


# --- fetching -------------------------------------------------------------------------------
def visible_requests(user):
    """The one access path (ServiceRequest.objects.visible_to) with what every page shows."""
    return ServiceRequest.objects.visible_to(user).select_related(
        "service_type", "department", "assignee", "talent"
    )


def request_for(request, number: str, *, detail: bool = False) -> ServiceRequest:
    """The request ``number`` if the user may see it, else 404. ``detail`` also loads the
    timeline, comments (without the internal notes for whoever may not see them),
    attachments and rating."""
    queryset = visible_requests(request.user)
    if not detail:
        return get_object_or_404(queryset, number=number)
    req = get_object_or_404(
        queryset.prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("actor__department")),
            Prefetch(
                "attachments",
                queryset=RequestAttachment.objects.select_related("uploaded_by__department"),
            ),
            "rating",
        ),
        number=number,
    )
    comments = RequestComment.objects.select_related("author__department")
    if not allowed(request.user, "see_internal", req):
        # Internal notes never reach the talent: not even into the page's context.
        comments = comments.filter(internal=False)
    prefetch_related_objects([req], Prefetch("comments", queryset=comments))
    return req


# --- domain errors --------------------------------------------------------------------------
def put_errors(form, exc: ValidationError) -> None:
    """The domain's messages next to the form's fields (``fields.<code>`` next to that
    field of the request form); what names no field of the form goes on top of it."""
    locate = getattr(form, "error_field", None)
    for key, errors in error_dict(exc).items():
        name = locate(key) if locate else (key if key in form.fields else None)
        for error in errors:
            form.add_error(name, error)


@dataclass
class Outcome:
    done: bool = False
    refused: bool = False
    result: object = None


def perform(request, form, act) -> Outcome:
    """Run one domain call with a valid form: ValidationError → next to the fields (the
    caller re-renders the page); another domain refusal (403/409) → a message on the page the
    caller returns to."""
    if not form.is_valid():
        return Outcome()
    try:
        result = act(form.cleaned_data)
    except ValidationError as exc:
        put_errors(form, exc)
        return Outcome()
    except DomainError as exc:
        messages.error(request, exc.detail)
        return Outcome(refused=True)
    return Outcome(done=True, result=result)


# --- display --------------------------------------------------------------------------------
def clock(req: ServiceRequest, now=None) -> dict:
    """The request's SLA (services.clocks.sla). Pages write its deadlines (the request's
    ``*_due_at``) with the portal's ``deadline`` filter, as every deadline is written."""
    return sla(req, now or timezone.now())


def mark_rows(rows, now=None) -> list[ServiceRequest]:
    """Rows of a request list with their SLA for display (no query)."""
    now = now or timezone.now()
    rows = list(rows)
    for req in rows:
        req.clock = clock(req, now)
    return rows


def _event_note(req: ServiceRequest, event) -> str:
    """An event's note as the page's language says it. A rating's note is stored in Chinese
    (the record: "4星 满意：…"); its stars and words are composed again from the rating, and a
    request filed for the talent (代办) names its officer again."""
    if event.action == "filed" and req.filed_by_id and event.actor_id == req.filed_by_id:
        # 代办: the stored note is the record in Chinese; the page says it in its language.
        return gettext("由服务专员 %(name)s 代为提交（代办）") % {"name": req.filed_by.display_name}
    rating = getattr(req, "rating", None) if event.action == "rated" else None
    if rating is None or rating.score not in SCORE_LABELS:
        return event.note
    stars = gettext("{score}星 {label}").format(
        score=rating.score, label=gettext(SCORE_LABELS[rating.score])
    )
    if not rating.comment:
        return stars
    return gettext("%(rating)s：%(comment)s") % {"rating": stars, "comment": rating.comment}


def timeline(req: ServiceRequest) -> list[dict]:
    statuses = dict(RequestStatus.choices)
    return [
        {
            "at": event.at,
            "actor": actor_label(event.actor),
            "action": request_event_label(event.action),
            "to_status": statuses.get(event.to_status, "")
            if event.to_status != event.from_status
            else "",
            "note": _event_note(req, event),
            "items": event.items or [],
        }
        for event in req.events.all()
    ]


def asked_items(req: ServiceRequest) -> dict | None:
    """What the handler asked for when the request was last put to 待补正."""
    asked = [e for e in req.events.all() if e.action == "info_requested"]
    if not asked:
        return None
    return {"items": asked[-1].items, "note": asked[-1].note, "at": asked[-1].at}


def outcome(req: ServiceRequest) -> dict | None:
    """The handling side's last word on a finished request: the result or the reason."""
    finals = [e for e in req.events.all() if e.action in ("resolved", "rejected")]
    if not finals:
        return None
    last = finals[-1]
    return {"rejected": last.action == "rejected", "note": last.note, "at": last.at}


def _display_value(definition: dict, value) -> str:
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    # A choice reads in the page's language; the value stored is the Chinese one.
    labels = dict(localized_choices(definition))
    if isinstance(value, list):
        return pgettext("list separator", "、").join(str(labels.get(v, v)) for v in value)
    if isinstance(value, str) and value in labels:
        return labels[value]
    if definition.get("datatype") == Datatype.NUMBER and isinstance(value, float):
        return f"{value:g}"
    return str(value)


def form_values(req: ServiceRequest, user) -> dict:
    """The form as filed, labelled; hidden (with a reason) from whoever may not see medical
    or minors' details (services.permissions: see_sensitive)."""
    if not allowed(user, "see_sensitive", req):
        return {"hidden": True, "rows": []}
    return {"hidden": False, "rows": field_rows(req.service_type, req.fields)}


def field_rows(service_type, values: dict) -> list[dict]:
    """``values`` of ``service_type``'s typed fields, labelled in the page's language (also
    what an officer typed for a talent's consent, talents)."""
    rows = []
    for definition in service_type.fields:
        value = values.get(definition["code"])
        if value is None or value == "" or value == []:
            continue
        rows.append(
            {"label": localized(definition, "label"), "value": _display_value(definition, value)}
        )
    # Values of fields the catalogue has since dropped are still what the talent filed.
    defined = {d["code"] for d in service_type.fields}
    for code, value in values.items():
        if code not in defined:
            # Its name went with the catalogue's field; its code means nothing to a person.
            label = gettext("其他填写内容（该项已从申请表移除）")
            rows.append({"label": label, "value": _display_value({}, value)})
    return rows


def comments(req: ServiceRequest) -> list[dict]:
    return [
        {
            "author": actor_label(c.author),
            "body": c.body,
            "internal": c.internal,
            "at": c.created_at,
        }
        for c in req.comments.all()
    ]


def attachments(req: ServiceRequest, user) -> list[dict]:
    """The request's files, or none for a viewer who may not see medical or minors' details."""
    if not allowed(user, "see_sensitive", req):
        return []
    return [
        {
            "pk": a.pk,
            "name": a.name,
            "size": a.size,
            "by": actor_label(a.uploaded_by),
            "at": a.uploaded_at,
            "is_image": a.content_type.startswith("image/"),
        }
        for a in req.attachments.all()
    ]


def rating_of(req: ServiceRequest) -> dict | None:
    rating = getattr(req, "rating", None)
    if rating is None:
        return None
    return {
        "score": rating.score,
        "label": gettext(SCORE_LABELS[rating.score]) if rating.score in SCORE_LABELS else "",
        "stars": "★" * rating.score + "☆" * (5 - rating.score),
        "comment": rating.comment,
        "at": rating.created_at,
    }


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
