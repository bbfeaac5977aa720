from django.contrib import admin

from portal.audit import audit_record, client_ip
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
            ip=client_ip(request),
        )


# The two JSON columns, explained for the person who edits them: the keys are the format's
# own (the API and Open311 read them), so they are named and translated, not hidden.
FIELD_HELP = {
    "materials": (
        "JSON 列表，每项一种材料：name 为材料名称，name_en 为英文名称（可省略），required 为"
        '是否必需（true 必需，false 视情况提供），如 [{"name": "户口簿", "name_en": "Household '
        'register", "required": true}]。'
    ),
    "fields": (
        "JSON 列表，每项一个申请表字段：code 为字段代码（小写字母开头，可含数字和下划线），label "
        "为字段名称，label_en 为英文名称（可省略），datatype 为类型（string 单行文本、"
        "text 多行文本、number 数字、date 日期、"
        "boolean 是/否、singlevaluelist 单选、multivaluelist 多选），required 为是否必填"
        "（true/false），values 为单选、多选的可选值列表，values_en 为可选值的英文（可省略，"
        "与 values 一一对应；申请中保存的仍是 values 中的值）。"
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
