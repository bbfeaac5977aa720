from django import template
from django.utils.html import format_html

from portal.idempotency import FORM_KEY_FIELD, new_form_key

register = template.Library()


@register.simple_tag
def form_key() -> str:
    """The hidden one-time key of a form that creates something (portal.idempotency): made
    fresh each time the form is rendered, so a double tap sends the same key twice and the
    second is answered with what the first created."""
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_KEY_FIELD, new_form_key())
