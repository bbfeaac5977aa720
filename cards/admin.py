from django.contrib import admin

from cards.actions import CriterionAction, ReviewLimitAction
from cards.models import Card, CardScan, Criterion, ReviewLimit
from portal.audit import audit_record


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """The criteria catalogue, edited by the organization department."""

    list_display = ["code", "tier", "category", "title", "policy_ref", "is_active"]
    list_filter = ["tier", "category", "is_active"]
    search_fields = ["code", "title", "policy_ref"]

    def has_delete_permission(self, request, obj=None):
        return False  # Applications keep pointing at the criteria they claimed; deactivate.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=CriterionAction.CHANGE if change else CriterionAction.CREATE,
            actor=request.user,
            obj=obj,
            request=request,
            fields=list(form.changed_data),
        )


@admin.register(ReviewLimit)
class ReviewLimitAdmin(admin.ModelAdmin):
    """审核时限 per kind of application, edited by the organization department. A change
    applies to applications submitted from then on (each copies its limit when submitted)."""

    list_display = ["kind", "working_days", "updated_at", "updated_by"]
    fields = ["kind", "working_days"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # one limit per kind, always

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            action=ReviewLimitAction.CHANGE,
            actor=request.user,
            obj=obj,
            request=request,
            application_kind=obj.kind,
            working_days=obj.working_days,
        )


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    """Read-only view; cards change only through the portal's actions (with reasons)."""

    list_display = ["number", "tier", "status", "issued_at", "valid_until"]
    list_filter = ["status", "tier"]
    search_fields = ["number"]
    fields = ["number", "tier", "status", "status_reason", "issued_at", "valid_until"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CardScan)
class CardScanAdmin(admin.ModelAdmin):
    list_display = ["at", "card", "valid", "reason", "verifier", "ip"]
    list_filter = ["valid", "reason"]
    list_select_related = ["card", "verifier"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
