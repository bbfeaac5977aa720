"""Models of the card layer."""

from cards.models.applications import (
    ApplicationDocument,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    CardApplication,
)
from cards.models.cards import (
    Card,
    CardEvent,
    CardNumberSequence,
    CardPublicCheck,
    CardScan,
    CardStatus,
    QrToken,
)
from cards.models.criteria import Category, Criterion, DocumentKind, Tier
from cards.models.review import CardReviewNotice, ReviewLevel, ReviewLimit

__all__ = [
    "ApplicationDocument",
    "ApplicationEvent",
    "ApplicationKind",
    "ApplicationStatus",
    "Card",
    "CardApplication",
    "CardEvent",
    "CardNumberSequence",
    "CardPublicCheck",
    "CardReviewNotice",
    "CardScan",
    "CardStatus",
    "Category",
    "Criterion",
    "DocumentKind",
    "QrToken",
    "ReviewLevel",
    "ReviewLimit",
    "Tier",
]
