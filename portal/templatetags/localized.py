from django import template

from portal.localized import localized as localized_value

register = template.Library()


@register.filter
def localized(obj, field: str):
    """``{{ service_type|localized:"name" }}``: the English value on an English page when the
    row has one, else the Chinese (portal.localized)."""
    return localized_value(obj, field)
