"""Helpers for request tests: a card for a talent, and a request walked into any status."""

from datetime import date

from cards.models import Card
from services.feedback import request_rate
from services.filing import request_file
from services.models import ServiceRequest
from services.workflow import (
    request_accept,
    request_ask_info,
    request_reject,
    request_resolve,
    request_withdraw,
)

HOUSING = {
    "family_size": 3,
    "room_type": "两室一厅",
    "move_in_date": "2026-12-01",
    "current_housing": "租房",
    "no_own_house": True,
}
_numbers = iter(range(1, 10**6))


def give_card(talent, tier="C") -> Card:
    return Card.objects.create(
        number=f"BZYC-2026-{next(_numbers):06d}",
        holder=talent,
        tier=tier,
        valid_until=date(2035, 1, 1),
    )


def file_housing(talent, **extra) -> ServiceRequest:
    return request_file(talent=talent, service_type="HOUSING", fields=dict(HOUSING), **extra)


def request_in(status: str, talent, handler) -> ServiceRequest:
    """A housing request of ``talent`` in ``status``, worked by ``handler`` (ZJJ staff)."""
    req = file_housing(talent)
    if status == "submitted":
        return req
    if status == "rejected":
        return request_reject(req=req, actor=handler, reason="不符合条件")
    if status == "withdrawn":
        return request_withdraw(req=req, actor=talent)
    req = request_accept(req=req, actor=handler)
    if status == "accepted":
        return req
    if status == "awaiting_talent":
        return request_ask_info(req=req, actor=handler, items=["补充无房证明"])
    req = request_resolve(req=req, actor=handler, note="已配租")
    if status == "resolved":
        return req
    assert status == "closed"
    request_rate(req=req, actor=talent, score=5)
    return ServiceRequest.objects.get(pk=req.pk)
