from contextlib import suppress

from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from portal.audit import DeliveryAction, DepartmentAction, audit_record, client_ip
from portal.models import Delivery, DeliveryStatus, Department, SmsOutbox, User

# Roles, not groups, say who may do what (portal.staff); API tokens end with a password change
# or deactivation, authenticators are removed with ``otp_reset``: the admin offers no second
# path to them (and their libraries' pages would be its only ones in English).
for _model in (Group, AuthToken, TOTPDevice, StaticDevice):
    with suppress(admin.sites.NotRegistered):
        admin.site.unregister(_model)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]
    actions = ["deactivate", "activate"]

    def has_delete_permission(self, request, obj=None):
        return False  # Departments are deactivated, never deleted.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=DepartmentAction.CHANGE if change else DepartmentAction.CREATE,
            actor=request.user,
            obj=obj,
            ip=client_ip(request),
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
                action=DepartmentAction.ACTIVATE if active else DepartmentAction.DEACTIVATE,
                actor=request.user,
                obj=department,
                ip=client_ip(request),
            )
        messages.success(request, "已更新。")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts, read-only and with identifiers masked.

    Accounts are kept in one place, with one table of who may do what (portal.staff): the
    portal's 账户管理 page (handlers, leads and verifiers), `create_account` on the command line
    (admins and auditors: 三权分立), self-registration (talents). Editing them here too would be
    a second path that skips those rules (ending tokens on deactivation, a new password to be
    changed at first sign-in).
    """

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
    readonly_fields = fields

    @admin.display(description="证件号码")
    def masked_id(self, obj):
        return obj.id_number_masked

    @admin.display(description="手机号码")
    def masked_phone(self, obj):
        return obj.phone_masked

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # Accounts are deactivated; their history stays attributable.

    def changelist_view(self, request, extra_context=None):
        messages.info(
            request,
            "开通、修改、停用工作人员账户和重置密码，请使用门户的“账户管理”页面（/manage/accounts/）。",
        )
        return super().changelist_view(request, extra_context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """E-mail and SMS deliveries; failed ones can be sent again."""

    list_display = ["created_at", "channel", "masked_address", "status", "attempts", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["notification"]
    fields = ["channel", "masked_address", "status", "attempts", "next_attempt_at", "last_error",
              "sent_at", "created_at", "address_erased_at"]  # fmt: skip
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description="地址")
    def masked_address(self, obj):
        return obj.address_masked

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="重新发送所选投递")
    def retry(self, request, queryset):
        from django.utils import timezone

        # A delivery whose address was erased (after the retention period) has nowhere to go.
        count = (
            queryset.exclude(status=DeliveryStatus.SENT)
            .filter(address_erased_at=None)
            .update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0)
        )
        audit_record(
            action=DeliveryAction.RETRY, actor=request.user, ip=client_ip(request), count=count
        )
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
        from portal.sms import mask_codes

        return mask_codes(obj.text)

    @admin.display(description="手机号码")
    def masked_phone(self, obj):
        return obj.phone_masked

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
