from django.contrib import admin, messages

from portal.audit import audit_record
from portal.models import Department, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    actions = ["deactivate", "activate"]

    def has_delete_permission(self, request, obj=None):
        return False  # Departments are deactivated, never deleted.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="department.change" if change else "department.create",
            actor=request.user,
            obj=obj,
            request=request,
            fields=list(form.changed_data),
        )

    @admin.action(description="停用所选部门")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="启用所选部门")
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    def _set_active(self, request, queryset, active: bool):
        for department in queryset.exclude(is_active=active):
            department.is_active = active
            department.save(update_fields=["is_active"])
            audit_record(
                action="department.activate" if active else "department.deactivate",
                actor=request.user,
                obj=department,
                request=request,
            )
        messages.success(request, "已更新。")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts, with identifiers masked. New staff accounts come from ``create_account``."""

    list_display = [
        "username",
        "real_name",
        "role",
        "department",
        "masked_id",
        "masked_phone",
        "is_active",
    ]
    list_filter = ["role", "department", "is_active"]
    search_fields = ["username", "real_name"]
    list_select_related = ["department"]
    fields = [
        "username",
        "real_name",
        "role",
        "department",
        "masked_id",
        "masked_phone",
        "email",
        "is_active",
        "last_login",
        "date_joined",
    ]
    readonly_fields = ["username", "masked_id", "masked_phone", "last_login", "date_joined"]

    @admin.display(description="证件号码")
    def masked_id(self, obj):
        return obj.id_number_masked

    @admin.display(description="手机号码")
    def masked_phone(self, obj):
        return obj.phone_masked

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # Accounts are deactivated; their history stays attributable.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="account.change",
            actor=request.user,
            obj=obj,
            request=request,
            fields=list(form.changed_data),
            role=obj.role,
            department=obj.department.code if obj.department else None,
        )
