"""Demo data beyond accounts (``seed_demo``, DEBUG only): a card for the demo talent, with a
drawn placeholder photo, so the green channel and verification can be tried at once."""

from cards.applications import application_approve
from cards.demo import demo_photo_attach
from cards.issuance import live_card
from cards.models import ApplicationStatus, Card, CardApplication, Criterion, DocumentKind
from portal.models import User


def seed_demo_card() -> str | None:
    """Give demo_talent a C-tier card through the real approval; return its number if new."""
    talent = User.objects.filter(username="demo_talent").first()
    admin = User.objects.filter(username="demo_admin").first()
    if talent is None or admin is None:
        return None
    card = live_card(talent)
    if card is not None:
        _photo_backfill(card)
        return None
    if CardApplication.objects.filter(talent=talent, status__in=["draft", "returned"]).exists():
        return None  # someone is trying the application pages with it; leave it alone
    app = CardApplication.objects.filter(talent=talent, status=ApplicationStatus.SUBMITTED).first()
    if app is None:
        app = CardApplication.objects.create(
            talent=talent,
            status=ApplicationStatus.SUBMITTED,
            employer="巴州区人民医院",
            position="主任医师",
            industry="医疗卫生",
            education="硕士研究生",
            professional_title="主任医师（正高级）",
        )
        app.criteria.set(Criterion.objects.filter(code="C03"))
    if not app.documents.filter(kind=DocumentKind.PHOTO).exists():
        demo_photo_attach(app)
    app = application_approve(application=app, actor=admin, note="演示数据")
    return app.card.number


def _photo_backfill(card: Card) -> None:
    """A demo card seeded before cards had photos gets the placeholder on its application."""
    if card.photo_id is not None:
        return
    app = card.applications.filter(status=ApplicationStatus.APPROVED).order_by("-id").first()
    if app is not None:
        photo = app.documents.filter(kind=DocumentKind.PHOTO).first() or demo_photo_attach(app)
        Card.objects.filter(pk=card.pk).update(photo=photo)
