"""The retention period of card applications and cards (registered with portal.retention).

《个人信息处理规则》 part 四: application materials and card information are kept 3 years from
the day the card expired (the day after ``valid_until``) or was revoked (its revocation
event), or the application was rejected (``decided_at``). Then their content is erased: every
document of the card's applications (the rows and the stored files, the 证件照 included),
the applications' employer, position, industry, education, title, arrival date, criteria,
notes and returned items, the card's status note and its timeline notes are erased, the
inbox messages about the applications and the QR tokens deleted, and ``erased_at`` set. The
bare card (number, tier, status, dates) and the bare applications (kind, status, dates,
review verdicts) stay: green-channel requests point at the card, and the 优才卡审核 figures
count the applications' review clocks. A document that a live card still shows as its photo
is never deleted. Files go inside the row's transaction (see services.retention for why).
"""

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from cards.models import (
    ApplicationDocument,
    ApplicationEvent,
    Card,
    CardApplication,
    CardEvent,
    CardStatus,
    QrToken,
)
from cards.models.applications import ApplicationStatus
from cards.models.cards import LIVE_STATUSES, TERMINAL_STATUSES
from portal.models import Notification
from portal.retention import ERASED_TEXT, Period, Rule, register
from portal.uploads import delete_upload


def due_cards(cutoff):
    """Ended cards whose 3 years are over at ``cutoff`` (expired: ``valid_until`` before the
    cutoff's day; revoked: revoked before it), not erased yet."""
    revoked_before = CardEvent.objects.filter(
        card=OuterRef("pk"), to_status=CardStatus.REVOKED, at__lt=cutoff
    )
    return (
        Card.objects.filter(erased_at__isnull=True, status__in=TERMINAL_STATUSES)
        .filter(
            Q(status=CardStatus.EXPIRED, valid_until__lt=timezone.localdate(cutoff))
            | Q(Exists(revoked_before), status=CardStatus.REVOKED)
        )
        .order_by("valid_until", "id")
        .only("pk", "number")
    )


def due_applications(cutoff):
    """Rejected applications decided before ``cutoff``, not erased yet."""
    return (
        CardApplication.objects.filter(
            status=ApplicationStatus.REJECTED, erased_at__isnull=True, decided_at__lt=cutoff
        )
        .order_by("decided_at", "id")
        .only("pk")
    )


def _application_erase(application: CardApplication, now) -> None:
    live_photos = Card.objects.filter(status__in=LIVE_STATUSES, photo__isnull=False).values(
        "photo_id"
    )
    documents = ApplicationDocument.objects.filter(application=application).exclude(
        pk__in=live_photos
    )
    for storage_name in documents.values_list("storage_name", flat=True):
        delete_upload(storage_name)
    documents.delete()
    application.criteria.clear()
    # The inbox messages about the application (a return's items and note, the decision).
    Notification.objects.filter(
        link__in=[
            reverse("cards:application", args=[application.pk]),
            reverse("cards:review", args=[application.pk]),
        ]
    ).delete()
    ApplicationEvent.objects.filter(application=application).update(note="", items=[])
    fields = {
        "employer": "",
        "position": "",
        "industry": "",
        "education": "",
        "professional_title": "",
        "arrival_date": None,
        "returned_items": [],
        "return_note": "",
        "decision_note": "",
        "erased_at": now,
    }
    if application.status == ApplicationStatus.REJECTED:
        fields["reject_reason"] = ERASED_TEXT  # a rejection keeps a (non-empty) reason
    else:
        fields["reject_reason"] = ""
    CardApplication.objects.filter(pk=application.pk).update(**fields)


def application_erase(row, now) -> int:
    application = (
        CardApplication.objects.select_for_update()
        .filter(pk=row.pk, status=ApplicationStatus.REJECTED, erased_at__isnull=True)
        .first()
    )
    if application is None:
        return 0
    _application_erase(application, now)
    return 1


def card_erase(row, now) -> int:
    """Erase one ended card and its applications (locked; nothing if it lives again)."""
    card = (
        Card.objects.select_for_update()
        .filter(pk=row.pk, status__in=TERMINAL_STATUSES, erased_at__isnull=True)
        .first()
    )
    if card is None:
        return 0
    for application in CardApplication.objects.select_for_update().filter(
        card=card, erased_at__isnull=True
    ):
        _application_erase(application, now)
    QrToken.objects.filter(card=card).delete()
    CardEvent.objects.filter(card=card).update(note="")
    Card.objects.filter(pk=card.pk).update(status_reason="", photo=None, erased_at=now)
    return 1


def register_rules() -> None:
    """The cards layer's rules (CardsConfig.ready)."""
    register(
        Rule(
            name="cards.cards",
            label="优才卡信息和申请材料",
            period=Period(years=3),
            due=due_cards,
            handle=card_erase,
            row_label=lambda row: row.number,
        )
    )
    register(
        Rule(
            name="cards.rejected_applications",
            label="不予认定的优才卡申请材料",
            period=Period(years=3),
            due=due_applications,
            handle=application_erase,
            row_label=lambda row: f"申请 #{row.pk}",
        )
    )
