"""Models of the green-channel layer."""

from services.models.catalogue import Datatype, Sensitivity, ServiceType

__all__ = ["Datatype", "Sensitivity", "ServiceType"]
