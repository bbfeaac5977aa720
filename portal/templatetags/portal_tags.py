from django import template

from portal import audit
from portal.timefmt import deadline_text

register = template.Library()


@register.filter
def deadline(moment) -> str:
    """A deadline as every page writes it: ``2026-12-21 24:00`` (portal.timefmt)."""
    return deadline_text(moment)


@register.filter
def action_label(action: str) -> str:
    """``auth.login_failed`` → ``登录失败`` (the code itself when no label is known)."""
    return audit.action_label(action)
