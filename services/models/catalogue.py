import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Sensitivity(models.TextChoices):
    NONE = "", _("无")
    MEDICAL = "medical", _("医疗健康信息（需本人单独同意）")
    MINOR = "minor", _("未成年人信息（需监护人同意）")


class Datatype(models.TextChoices):
    """Form field types, after Open311's service definitions."""

    STRING = "string", _("单行文本")
    TEXT = "text", _("多行文本")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    BOOLEAN = "boolean", _("是/否")
    SINGLE = "singlevaluelist", _("单选")
    MULTI = "multivaluelist", _("多选")


LIST_TYPES = (Datatype.SINGLE, Datatype.MULTI)
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ServiceTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, department__is_active=True)

    def for_tier(self, tier: str):
        return self.active().filter(eligible_tiers__contains=tier)


class ServiceType(models.Model):
    """A green-channel service of the catalogue (子女入学, 人才公寓 …), modelled on Open311
    service definitions: who handles it, who may ask, what to fill in, which materials to
    bring (一次告知), and its time limits in working days."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    name_en = models.CharField("英文名称", max_length=120, blank=True)
    guide = models.TextField("办事指南")
    guide_en = models.TextField("英文办事指南", blank=True)
    materials = models.JSONField(
        "材料清单",
        default=list,
        help_text='如 [{"name": "户口簿", "name_en": "Household register", "required": true}]',
    )
    department = models.ForeignKey(
        "portal.Department", verbose_name="承办部门", on_delete=models.PROTECT, related_name="+"
    )
    eligible_tiers = models.CharField("可享受的人才层次", max_length=4, help_text="如 ABCD 或 ABC")
    fields = models.JSONField(
        "表单字段",
        default=list,
        help_text='如 [{"code": "grade", "label": "入学年级", "label_en": "Grade", '
        '"datatype": "singlevaluelist", "required": true, "values": ["小学一年级"], '
        '"values_en": ["Primary year 1"]}]（label_en、values_en 为英文，可省略）',
    )
    sensitivity = models.CharField(
        "敏感类别", max_length=10, choices=Sensitivity.choices, default="", blank=True
    )
    accept_days = models.PositiveSmallIntegerField("受理时限（工作日）", default=1)
    promised_days = models.PositiveSmallIntegerField("承诺办结时限（工作日）")
    legal_days = models.PositiveSmallIntegerField("法定时限（工作日）", null=True, blank=True)
    # 办事指南 facts a talent needs before filing: whom to call and where to go in person.
    contact_phone = models.CharField(
        "咨询电话", max_length=40, blank=True, help_text="如 0827-5222001（工作日 9:00–17:00）"
    )
    address = models.CharField(
        "办理地点", max_length=200, blank=True, help_text="线下办理或提交材料的地址、窗口"
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    objects = ServiceTypeQuerySet.as_manager()

    class Meta:
        verbose_name = "服务事项"
        verbose_name_plural = "服务事项"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(eligible_tiers__regex=r"^A?B?C?D?$") & ~Q(eligible_tiers=""),
                name="servicetype_tiers_valid",
            ),
            models.CheckConstraint(
                condition=Q(promised_days__gte=1) & Q(accept_days__gte=1),
                name="servicetype_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(legal_days__isnull=True) | Q(legal_days__gte=models.F("promised_days")),
                name="servicetype_promise_within_legal_limit",
            ),
            models.CheckConstraint(
                condition=Q(sensitivity__in=Sensitivity.values),
                name="servicetype_sensitivity_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A service an active department does not stand behind cannot be offered (DESIGN.md).
        if self.is_active and self.department_id and not self.department.is_active:
            raise ValidationError({"is_active": "承办部门已停用，服务事项不能启用。"})
        super().save(*args, **kwargs)

    @property
    def tier_list(self) -> list[str]:
        return list(self.eligible_tiers)

    def clean(self):
        errors = {}
        if self.is_active and self.department_id and not self.department.is_active:
            errors["is_active"] = "承办部门已停用，服务事项不能启用。"
        try:
            check_field_definitions(self.fields)
        except ValidationError as exc:
            errors["fields"] = exc.messages
        if not isinstance(self.materials, list) or not all(
            isinstance(m, dict) and str(m.get("name", "")).strip() for m in self.materials
        ):
            errors["materials"] = '材料清单应为 [{"name": …, "required": true/false}] 列表。'
        if errors:
            raise ValidationError(errors)


def check_field_definitions(definitions) -> None:
    """Raise ValidationError unless ``definitions`` is a valid list of form fields."""
    if not isinstance(definitions, list):
        raise ValidationError("表单字段应为列表。")
    seen = set()
    for i, field in enumerate(definitions, start=1):
        where = f"第{i}个字段"
        if not isinstance(field, dict):
            raise ValidationError(f"{where}格式不正确。")
        code = field.get("code", "")
        if not _CODE.match(str(code)) or code in seen:
            raise ValidationError(f"{where}的代码“{code}”无效或重复（小写字母、数字、下划线）。")
        seen.add(code)
        if not str(field.get("label", "")).strip():
            raise ValidationError(f"{where}缺少名称。")
        if field.get("datatype") not in Datatype.values:
            raise ValidationError(f"{where}的类型无效，可选：{'、'.join(Datatype.values)}。")
        values = field.get("values", [])
        if field["datatype"] in LIST_TYPES and (not isinstance(values, list) or not values):
            raise ValidationError(f"{where}是选择题，须列出可选值。")
        # English labels of the choices, one per value and in the same order (the value
        # stored stays the Chinese one, whatever language the talent filed in).
        values_en = field.get("values_en")
        if values_en is not None and (
            not isinstance(values_en, list) or len(values_en) != len(values)
        ):
            raise ValidationError(f"{where}的英文可选值（values_en）须与可选值一一对应。")
