"""Models of the portal layer."""

from portal.models.access import AccessLog
from portal.models.audit import AppendOnlyError, AuditEvent
from portal.models.codes import CodePurpose, VerificationCode
from portal.models.consent import ConsentRecord
from portal.models.delivery import Channel, Delivery, DeliveryStatus, SmsOutbox
from portal.models.departments import Department
from portal.models.idempotency import IdempotencyKey
from portal.models.jobs import TERMINAL_JOB_STATUSES, Job, JobStatus
from portal.models.notifications import Notification
from portal.models.throttle import LoginFailure, LoginLockout
from portal.models.users import DEPARTMENT_ROLES, Role, User

__all__ = [
    "DEPARTMENT_ROLES",
    "TERMINAL_JOB_STATUSES",
    "AccessLog",
    "AppendOnlyError",
    "AuditEvent",
    "Channel",
    "CodePurpose",
    "ConsentRecord",
    "Delivery",
    "DeliveryStatus",
    "Department",
    "IdempotencyKey",
    "Job",
    "JobStatus",
    "LoginFailure",
    "LoginLockout",
    "Notification",
    "Role",
    "SmsOutbox",
    "User",
    "VerificationCode",
]
