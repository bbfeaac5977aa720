"""Open311 GeoReport v2 requests (API.md "Open311 GeoReport v2"): the requests a partner
filed through its key (list and one), and filing one for a card holder (POST requests).

Answers never carry personal data: no name, phone, form fields or description; only the
request's number, service, department, status and times."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_lazy

from cards.models import Card, CardStatus
from cards.models.cards import LIVE_STATUSES
from open311.models import FiledRequest, Partner
from portal.errors import NotAllowed
from portal.localized import localized
from services.filing import clean_fields, request_file
from services.models import OPEN_STATUSES, Datatype, RequestEvent, RequestStatus, ServiceType

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# GeoReport v2: without dates, the last 90 days; a query may span at most 90 days.
WINDOW = datetime.timedelta(days=90)
# GeoReport v2 lets a server cap a list; ours answers at most 1000 requests, newest first.
MAX_RESULTS = 1000
FILED_VIA = "open311"
# One answer for a card that is unknown, not valid or not of an eligible tier.
NO_CARD = gettext_lazy("account_id: 未找到可申请本事项的有效巴州优才卡。")


class BadQuery(Exception):
    """A query or form the partner must correct (400, one Open311 error per message)."""

    def __init__(self, messages: list[str]):
        messages = [str(m) for m in messages]  # lazy texts rendered in the call's language
        super().__init__(messages)
        self.messages = messages


def _iso(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _parse_when(name: str, text: str) -> datetime.datetime:
    text = text.strip()
    # A "+08:00" sent unencoded in a query string arrives as " 08:00".
    if len(text) > 19 and text[-6] == " ":
        text = text[:-6] + "+" + text[-5:]
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise BadQuery(
            [
                gettext("%(name)s 应为 W3C 日期时间（如 2026-12-01T00:00:00+08:00）。")
                % {"name": name}
            ]
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=SHANGHAI)
    if not 1900 <= value.year <= 2100:  # the window arithmetic stays in range
        raise BadQuery([gettext("%(name)s 应在 1900 年至 2100 年之间。") % {"name": name}])
    return value


def window(start_text: str | None, end_text: str | None, now=None) -> tuple:
    """(start, end): given dates, or the 90 days before ``end`` (now); at most 90 days."""
    now = now or timezone.now()
    start = _parse_when("start_date", start_text) if start_text else None
    end = _parse_when("end_date", end_text) if end_text else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise BadQuery([gettext("end_date 不能早于 start_date。")])
    if end - start > WINDOW:
        raise BadQuery([gettext("start_date 与 end_date 相隔不能超过 90 天。")])
    return start, end


def _rows():
    latest = RequestEvent.objects.filter(request=OuterRef("request")).order_by("-at", "-id")
    return (
        FiledRequest.objects.select_related("request__service_type", "request__department")
        .annotate(updated=Subquery(latest.values("at")[:1]))
        .order_by("-at", "-id")
    )


def as_open311(row: FiledRequest) -> dict:
    req = row.request
    return {
        "service_request_id": req.number,
        "status": "open" if req.status in OPEN_STATUSES else "closed",
        "status_notes": str(RequestStatus(req.status).label),
        "service_name": localized(req.service_type, "name"),
        "service_code": req.service_type.code,
        "agency_responsible": localized(req.department, "name"),
        "service_notice": "",
        "requested_datetime": _iso(req.submitted_at),
        "updated_datetime": _iso(row.updated or req.submitted_at),
        "expected_datetime": _iso(req.promised_due_at or req.resolve_due_at),
        "address": "",
    }


def partner_requests(partner: Partner, query) -> list[dict]:
    """The partner's requests matching ``query`` (service_code, start_date, end_date,
    status), newest first, at most MAX_RESULTS."""
    start, end = window(query.get("start_date"), query.get("end_date"))
    rows = _rows().filter(partner=partner, at__gte=start, at__lte=end)
    codes = [c.strip() for c in (query.get("service_code") or "").split(",") if c.strip()]
    if codes:
        rows = rows.filter(request__service_type__code__in=codes)
    # GeoReport v2: a comma-delimited list of open and closed.
    statuses = {w.strip() for w in (query.get("status") or "").split(",") if w.strip()}
    if statuses - {"open", "closed"}:
        raise BadQuery([gettext("status 应为 open 或 closed。")])
    if statuses == {"open"}:
        rows = rows.filter(request__status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        rows = rows.exclude(request__status__in=OPEN_STATUSES)
    return [as_open311(row) for row in rows[:MAX_RESULTS]]


def partner_request(partner: Partner, number: str) -> dict | None:
    """One request the partner filed, by number (None for any other)."""
    row = _rows().filter(partner=partner, request__number=number).first()
    return None if row is None else as_open311(row)


# --- filing -------------------------------------------------------------------------------


def _convert(definition: dict, values: list[str]):
    kind = definition["datatype"]
    if kind == Datatype.MULTI:
        return values
    value = values[-1] if values else ""
    if kind == Datatype.BOOLEAN:
        word = value.strip().lower()
        return {"true": True, "false": False}.get(word, value)
    if kind == Datatype.NUMBER:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    if kind == Datatype.DATE:
        # An Open311 datetime: its date in Bazhou is the field's value (a plain date as is).
        text = value.strip()
        try:
            moment = parse_datetime(text) if "T" in text else None
        except ValueError:
            moment = None
        if moment is not None and not timezone.is_naive(moment):
            return moment.astimezone(SHANGHAI).date().isoformat()
        return text[:10]
    return value


def attributes(service: ServiceType, form) -> dict:
    """``attribute[code]=value`` (``attribute[code][]`` repeated for a multivaluelist) as
    the type's typed field values; unknown codes are kept, for the form's checks to name."""
    raw: dict[str, list[str]] = {}
    for key in form:
        if not key.startswith("attribute["):
            continue
        rest = key[len("attribute[") :]
        if rest.endswith("][]"):
            code = rest[:-3]
        elif rest.endswith("]"):
            code = rest[:-1]
        else:
            continue
        if code:
            raw.setdefault(code, []).extend(form.getlist(key))
    known = {d["code"]: d for d in service.fields}
    return {
        code: _convert(known[code], values) if code in known else values[-1]
        for code, values in raw.items()
    }


def _field_name(key: str) -> str:
    if key.startswith("fields."):
        return f"attribute[{key[len('fields.') :]}]"
    return {"service_type": "service_code", "__all__": "request"}.get(key, key)


def file_for_partner(partner: Partner, form, ip: str | None = None) -> dict:
    """File the request the form describes for the holder of card ``account_id``.

    Raises BadQuery (400): no such service, a sensitive type (its consent is given by the
    talent), the form's errors (``field: message`` each), then a card that is unknown, not
    valid or not of an eligible tier (one message for all three)."""
    code = (form.get("service_code") or "").strip()
    service = ServiceType.objects.active().filter(code=code).first() if code else None
    if service is None:
        raise BadQuery([gettext("service_code: 服务事项不存在或已停止受理。")])
    if service.sensitivity:
        raise BadQuery(
            [
                gettext(
                    "service_code: 本事项涉及敏感个人信息，须由人才本人在巴州优才卡平台"
                    "单独同意后提交，或当面办理，合作系统不能代为提交。"
                )
            ]
        )
    # The form is checked before the card is looked up, and a card that is unknown, not
    # valid or not of an eligible tier gets one answer: a partner cannot probe card numbers
    # (or a card's tier) by the errors it gets.
    values = attributes(service, form)
    description = form.get("description") or ""
    if "\x00" in description or "\x00" in repr(values):
        raise BadQuery([gettext("request: 内容不能包含空字符。")])
    try:
        clean_fields(service, values)
    except ValidationError as exc:
        raise BadQuery(
            [
                f"{_field_name(key)}: {message}"
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from None
    number = (form.get("account_id") or "").strip()
    card = (
        Card.objects.select_related("holder")
        .filter(number=number, status__in=LIVE_STATUSES)
        .first()
        if number
        else None
    )
    if (
        card is None
        or card.effective_status() != CardStatus.ACTIVE
        or card.tier not in service.eligible_tiers
    ):
        raise BadQuery([NO_CARD])
    try:
        with transaction.atomic():
            req = request_file(
                talent=card.holder,
                service_type=service.code,
                fields=values,
                description=description,
                ip=ip,
                filed_via=FILED_VIA,
                filed_via_label=partner.name,
            )
            FiledRequest.objects.create(request=req, partner=partner, at=req.submitted_at)
    except ValidationError as exc:
        raise BadQuery(
            [
                f"{_field_name(key)}: {message}"
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from None
    except NotAllowed:
        # Not the reason's text: it would tell a card's tier to whoever holds its number.
        raise BadQuery([NO_CARD]) from None
    return {"service_request_id": req.number, "service_notice": "", "account_id": card.number}
