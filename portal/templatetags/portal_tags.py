from django import template

from portal import audit

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``auth.login_failed`` → ``登录失败`` (the code itself when no label is known)."""
    return audit.action_label(action)
