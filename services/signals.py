"""Keeping the catalogue consistent with the departments of the portal layer."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from portal.audit import audit_record
from portal.models import Department
from services.actions import ServiceTypeAction
from services.models import ServiceType


@receiver(post_save, sender=Department, dispatch_uid="services.department_deactivated")
def withdraw_services_of_deactivated_department(sender, instance, **kwargs):
    """A service cannot be active without an active department (DESIGN.md): deactivating a
    department withdraws its services from the catalogue, with an audit event for each."""
    if instance.is_active:
        return
    for service in ServiceType.objects.filter(department=instance, is_active=True):
        ServiceType.objects.filter(pk=service.pk).update(is_active=False)
        audit_record(
            action=ServiceTypeAction.DEACTIVATE, obj=service, reason="department_deactivated"
        )
