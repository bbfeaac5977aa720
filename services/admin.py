from django.contrib import admin

from portal.audit import audit_record
from services.models import ServiceType


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    """The catalogue, edited by the organization department."""

    list_display = ["code", "name", "department", "eligible_tiers", "promised_days", "is_active"]
    list_filter = ["is_active", "department", "sensitivity"]
    list_select_related = ["department"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # Requests keep pointing at their service type; deactivate instead.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="service_type.change" if change else "service_type.create",
            actor=request.user,
            obj=obj,
            request=request,
            fields=list(form.changed_data),
        )
