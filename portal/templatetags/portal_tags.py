from django import template

from portal.audit import ACTION_LABELS

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``auth.login_failed`` → ``登录失败`` (the code itself when no label is known)."""
    return ACTION_LABELS.get(action, action)


@register.filter
def pairs(detail) -> list[tuple[str, str]]:
    """A detail dict as (key, value) pairs for display."""
    if not isinstance(detail, dict):
        return []
    return [(str(k), "" if v is None else str(v)) for k, v in detail.items()]
