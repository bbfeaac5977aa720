"""Audit events for Django's own authentication signals.

Sign-outs are recorded here rather than in each view, so that every way out (the portal's
pages, the API, the Django admin's logout link) leaves the same trail.
"""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from portal.audit import AuthAction, audit_record, client_ip


@receiver(user_logged_out, dispatch_uid="portal.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is None:  # an anonymous session being flushed
        return
    via = getattr(request, "logout_via", "session") if request is not None else "session"
    audit_record(action=AuthAction.LOGOUT, actor=user, obj=user, ip=client_ip(request), via=via)
