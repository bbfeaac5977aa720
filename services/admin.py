from django.contrib import admin

from portal.audit import audit_record, client_ip
from services.actions import ServiceTypeAction
from services.admin_fields import FieldRowsField, MaterialRowsField
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
            ip=client_ip(request),
        )


# The two lists are edited as tables (services.admin_fields), one row per material or field;
# what each column means is said here and in each column's tooltip.
FIELD_HELP = {
    "materials": (
        "每行一种材料。“必需”不勾选表示视情况提供。新增材料请填在空白行；删除请勾选该行的“删除”；"
        "“顺序”决定申请人看到的先后。保存后会再留出空白行。"
    ),
    "fields": (
        "每行一个申请表字段。字段代码用小写字母开头，可含数字和下划线，"
        "字段启用后请勿修改代码；类型为单选、多选时须在“可选值”中每行填写一个选项，"
        "“可选值英文”与之逐行对应（可不填，申请中保存的仍是中文可选值）。"
        "新增字段请填在空白行；删除请勾选该行的“删除”；“顺序”决定申请表中的先后。"
    ),
    "eligible_tiers": "可享受本服务的人才层次字母，按顺序连写，如 ABCD（全部）或 ABC。",
}


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    """The catalogue, edited by the organization department."""

    list_display = ["code", "name", "department", "eligible_tiers", "promised_days", "is_active"]
    list_filter = ["is_active", "department", "sensitivity"]
    list_select_related = ["department"]
    search_fields = ["code", "name", "name_en"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["help_texts"] = {**FIELD_HELP, **kwargs.get("help_texts", {})}
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The typed fields and the materials as tables with Chinese columns, not JSON.
        editors = {"fields": FieldRowsField, "materials": MaterialRowsField}
        if db_field.name in editors:
            return editors[db_field.name](
                label=db_field.verbose_name, help_text=kwargs.get("help_text", "")
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # Requests keep pointing at their service type; deactivate instead.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=ServiceTypeAction.CHANGE if change else ServiceTypeAction.CREATE,
            actor=request.user,
            obj=obj,
            ip=client_ip(request),
            fields=list(form.changed_data),
        )
