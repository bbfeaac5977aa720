"""Revealing a request's applicant's full personal information (API.md "Reveal, with a
reason"): the request's handlers may, for a stated purpose; portal.reveal does the rest."""

from django.db import transaction

from portal.reveal import personal_info_reveal
from services.models import ServiceRequest
from services.permissions import allowed, require


def can_reveal(user, req: ServiceRequest) -> bool:
    """The request's handlers: staff or lead of its *current* department, or an admin
    (services.permissions: reveal)."""
    return allowed(user, "reveal", req)


def request_reveal(*, req: ServiceRequest, actor, purpose: str, ip: str | None = None) -> dict:
    """Show ``actor`` the full name, phone and ID number of ``req``'s applicant, for
    ``purpose``. NotAllowed (403) for anyone but the request's handlers; the purpose and the
    daily limit are portal.reveal's. Returns ``{real_name, phone, id_number}``."""
    with transaction.atomic():
        # Lock the request as the transitions do: a transfer committing at the same moment
        # cannot leave the old department reading the applicant's details afterwards.
        req = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("talent")
            .get(pk=req.pk)
        )
        require(actor, "reveal", req)
        return personal_info_reveal(
            actor=actor,
            subject=req.talent,
            purpose=purpose,
            obj=req,
            object_label=f"服务申请 {req.number}",
            ip=ip,
        )
