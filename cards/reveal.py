"""Revealing a card applicant's full personal information (API.md "Reveal, with a reason"):
the organization department may, for a stated purpose; portal.reveal does the rest."""

from cards.models import CardApplication
from portal.errors import NotAllowed
from portal.models import Role
from portal.reveal import personal_info_reveal


def can_reveal(user, application: CardApplication) -> bool:
    """Only the organization department (admins), who review every application."""
    return bool(user.is_authenticated and user.is_active and user.role == Role.ADMIN)


def application_reveal(
    *, application: CardApplication, actor, purpose: str, ip: str | None = None
) -> dict:
    """Show ``actor`` the full name, phone and ID number of ``application``'s applicant, for
    ``purpose``. NotAllowed (403) for anyone but an admin; the purpose and the daily limit are
    portal.reveal's. Returns ``{real_name, phone, id_number}``."""
    if not can_reveal(actor, application):
        raise NotAllowed("只有组织部人才办可以查看申请人的完整信息。")
    return personal_info_reveal(
        actor=actor,
        subject=application.talent,
        purpose=purpose,
        obj=application,
        object_label=f"优才卡申请 #{application.pk}",
        ip=ip,
    )
