"""Models of the green-channel layer."""

from services.models.calendar import CalendarDay, DaySource
from services.models.catalogue import Datatype, Sensitivity, ServiceType

__all__ = ["CalendarDay", "Datatype", "DaySource", "Sensitivity", "ServiceType"]
