"""Role checks for API views. Object visibility is the querysets' ``visible_to(user)``."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from portal.models import Role


def role_permission(*roles: str) -> type[BasePermission]:
    """A permission class that admits active users of the given roles (403 for the rest)."""

    class HasRole(BasePermission):
        message = _("您的角色无权执行此操作。")

        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and user.is_active and user.role in roles)

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole


IsAuditor = role_permission(Role.AUDITOR)
IsAdmin = role_permission(Role.ADMIN)
