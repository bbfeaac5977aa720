"""Revealing a card applicant's full personal information (API.md "Reveal, with a reason"):
the organization department may, for a stated purpose; portal.reveal does the rest."""

from cards.models import CardApplication
from cards.permissions import APPLICATIONS
from portal.reveal import personal_info_reveal


def can_reveal(user, application: CardApplication) -> bool:
    """Only the organization department (admins), who review every application
    (cards.permissions: reveal)."""
    return APPLICATIONS.allowed(user, "reveal", application)


def application_reveal(
    *, application: CardApplication, actor, purpose: str, ip: str | None = None
) -> dict:
    """Show ``actor`` the full name, phone and ID number of ``application``'s applicant, for
    ``purpose``. NotAllowed (403) for anyone but an admin; the purpose and the daily limit are
    portal.reveal's. Returns ``{real_name, phone, id_number}``."""
    APPLICATIONS.require(actor, "reveal", application)
    return personal_info_reveal(
        actor=actor,
        subject=application.talent,
        purpose=purpose,
        obj=application,
        object_label=f"优才卡申请 #{application.pk}",
        ip=ip,
    )
