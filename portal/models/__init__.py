"""Models of the portal layer."""

from portal.models.audit import AppendOnlyError, AuditEvent
from portal.models.departments import Department
from portal.models.notifications import Notification
from portal.models.throttle import LoginFailure, LoginLockout
from portal.models.users import DEPARTMENT_ROLES, Role, User

__all__ = [
    "DEPARTMENT_ROLES",
    "AppendOnlyError",
    "AuditEvent",
    "Department",
    "LoginFailure",
    "LoginLockout",
    "Notification",
    "Role",
    "User",
]
