"""Models of the green-channel layer."""

from services.models.calendar import CalendarDay, CalendarRecompute, DaySource, RecomputeStatus
from services.models.catalogue import Datatype, Sensitivity, ServiceType
from services.models.requests import (
    OPEN_STATUSES,
    DepartmentScope,
    DepartmentStint,
    FollowUp,
    Rating,
    RequestAttachment,
    RequestComment,
    RequestEvent,
    RequestNumberSequence,
    RequestPause,
    RequestStatus,
    ServiceRequest,
    department_scope,
)
from services.models.rollups import RequestDay, StintDay
from services.models.supervision import Clock, Level, SlaNotice

__all__ = [
    "OPEN_STATUSES",
    "CalendarDay",
    "CalendarRecompute",
    "Clock",
    "Datatype",
    "DaySource",
    "DepartmentScope",
    "DepartmentStint",
    "FollowUp",
    "Level",
    "Rating",
    "RecomputeStatus",
    "RequestAttachment",
    "RequestComment",
    "RequestDay",
    "RequestEvent",
    "RequestNumberSequence",
    "RequestPause",
    "RequestStatus",
    "Sensitivity",
    "ServiceRequest",
    "ServiceType",
    "SlaNotice",
    "StintDay",
    "department_scope",
]
