from django import forms
from django.contrib import admin, messages

from portal.audit import audit_record
from portal.models import Delivery, DeliveryStatus, Department, Role, SmsOutbox, User

# Roles the organization department may give in the admin. Admin and auditor accounts are
# created by operators with `create_account`: under 等保 separation of duties an admin can
# neither make an auditor (who would then read the admin's own trail) nor another admin.
ASSIGNABLE_ROLES = (Role.TALENT, Role.STAFF, Role.LEAD, Role.VERIFIER)


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

    def get_readonly_fields(self, request, obj=None):
        fixed = list(self.readonly_fields)
        # Nobody changes their own role or activity, and admin/auditor accounts keep theirs.
        if obj is not None and (obj.pk == request.user.pk or obj.role not in ASSIGNABLE_ROLES):
            fixed += ["role", "is_active"]
        return fixed

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(r.value, r.label) for r in ASSIGNABLE_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class Checked(form):
            def clean(self):
                data = super().clean()
                role = data.get("role", obj.role if obj else None)
                if role in (Role.STAFF, Role.LEAD) and not data.get("department"):
                    raise forms.ValidationError("经办人和部门负责人必须指定所属部门。")
                return data

        return Checked

    def save_model(self, request, obj, form, change):
        before = (
            User.objects.filter(pk=obj.pk).values("role", "department__code", "is_active").first()
        )
        super().save_model(request, obj, form, change)
        audit_record(
            action="account.change",
            actor=request.user,
            obj=obj,
            request=request,
            fields=list(form.changed_data),
            before=before,
            after={
                "role": obj.role,
                "department__code": obj.department.code if obj.department else None,
                "is_active": obj.is_active,
            },
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """E-mail and SMS deliveries; failed ones can be sent again."""

    list_display = ["created_at", "channel", "masked_address", "status", "attempts", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["notification"]
    fields = ["channel", "masked_address", "status", "attempts", "next_attempt_at", "last_error",
              "sent_at", "created_at"]  # fmt: skip
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description="地址")
    def masked_address(self, obj):
        from portal.identity import mask_phone

        if obj.channel == "sms":
            return mask_phone(obj.address)
        name, _, domain = obj.address.partition("@")
        return f"{name[:2]}***@{domain}"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="重新发送所选投递")
    def retry(self, request, queryset):
        from django.utils import timezone

        count = queryset.exclude(status=DeliveryStatus.SENT).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        audit_record(action="delivery.retry", actor=request.user, request=request, count=count)
        messages.success(request, f"已重新排队 {count} 条，将在一分钟内发送。")


@admin.register(SmsOutbox)
class SmsOutboxAdmin(admin.ModelAdmin):
    list_display = ["created_at", "masked_phone", "masked_text"]
    fields = ["created_at", "masked_phone", "masked_text"]
    readonly_fields = fields

    @admin.display(description="内容")
    def masked_text(self, obj):
        # Verification codes are for the phone's holder only: an admin reading a talent's
        # reset code could take over the account.
        import re

        return re.sub(r"\d{6}", "******", obj.text)

    @admin.display(description="手机号码")
    def masked_phone(self, obj):
        from portal.identity import mask_phone

        return mask_phone(obj.phone)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
