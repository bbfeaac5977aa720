from django.contrib import admin

from portal.audit import audit_record
from services.actions import ServiceTypeAction
from services.calendar import calendar_set_day
from services.models import CalendarDay, ServiceType


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Single-day corrections; saved through calendar_set_day so that open deadlines are
    recomputed and the change is audited, exactly as through the API."""

    list_display = ["date", "is_workday", "note", "source", "updated_at"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "note"]

    def get_readonly_fields(self, request, obj=None):
        return ["date"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # Removing a day would silently fall back to Monday–Friday.

    def save_model(self, request, obj, form, change):
        calendar_set_day(
            day=obj.date,
            is_workday=obj.is_workday,
            note=obj.note,
            actor=request.user,
            request=request,
        )


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
            action=ServiceTypeAction.CHANGE if change else ServiceTypeAction.CREATE,
            actor=request.user,
            obj=obj,
            request=request,
            fields=list(form.changed_data),
        )
