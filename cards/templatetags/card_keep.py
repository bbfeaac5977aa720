"""``{% card_keep_actions card %}``: the card page's 下载电子证书 / 保存图片到手机 buttons, each
shown only when the table allows it now (cards.permissions) and, for the image, when this
machine has a font to draw it (cards.card_image)."""

from django import template

from cards.card_image import image_available
from cards.models import CardStatus
from cards.permissions import CARDS

register = template.Library()


@register.inclusion_tag("cards/includes/keep_actions.html", takes_context=True)
def card_keep_actions(context, card):
    user = context["request"].user
    valid = card is not None and card.effective_status() == CardStatus.ACTIVE
    certificate = valid and CARDS.allowed(user, "download_certificate", card)
    image = valid and CARDS.allowed(user, "download_image", card) and image_available(card)
    return {"card": card, "certificate": certificate, "image": image}
