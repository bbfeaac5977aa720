"""Links to the privacy texts, with their current version, for consent checkboxes."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from portal.privacy import TEXTS, consents_of

register = template.Library()


@register.simple_tag
def privacy_link(document: str):
    """``《个人信息处理规则》（第 1.0 版）`` linking to the text, opened beside the form so that
    what was typed stays."""
    text = TEXTS[document]
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>{}',
        reverse(text.url_name),
        gettext("《%(title)s》") % {"title": text.title},
        gettext("（第 %(version)s 版，在新窗口打开）") % {"version": text.version},
    )


@register.simple_tag
def consents_for(user) -> list[dict]:
    """The consents ``user`` gave (portal.privacy.consents_of)."""
    return consents_of(user) if user.is_authenticated else []
