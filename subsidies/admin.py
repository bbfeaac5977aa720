"""The policies, edited by the organization department: a policy with its instalment
schedule and rule table as inline tables, checked together (the amounts add up to the total,
each rule's operator and value suit its attribute); every change audited. Entitlements are
read-only here: they change only through the portal's transitions."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from portal.audit import audit_record, client_ip
from subsidies.actions import PolicyAction
from subsidies.models import Policy, PolicyInstalment, PolicyRule
from subsidies.models.policies import schedule_check
from subsidies.rules import rule_check


class InstalmentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.instance
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            schedule_check(self.instance, kept)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class InstalmentInline(admin.TabularInline):
    model = PolicyInstalment
    formset = InstalmentFormSet
    extra = 0
    min_num = 1
    fields = ["n", "months_after_start", "amount"]


class RuleForm(forms.ModelForm):
    class Meta:
        model = PolicyRule
        fields = ["attribute", "operator", "value"]
        help_texts = {
            "value": (
                '层次：["A", "B"]；学历、职称、单位：关键词列表，如 ["博士"]；来巴时间：日期 '
                '"2024-01-01" 或年数 3；年龄：周岁上限 45；未享受同类待遇：true'
            )
        }

    def clean(self):
        data = super().clean()
        if {"attribute", "operator", "value"} <= set(data):
            rule_check(data["attribute"], data["operator"], data["value"])
        return data


class RuleInline(admin.TabularInline):
    model = PolicyRule
    form = RuleForm
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """兑现政策: amounts, schedule and rules are data; a policy is deactivated, never deleted
    (entitlements keep pointing at it)."""

    list_display = ["code", "name", "kind", "department", "amount_total", "is_active"]
    list_filter = ["kind", "department", "is_active"]
    search_fields = ["code", "name", "name_en", "policy_ref"]
    inlines = [InstalmentInline, RuleInline]
    fields = [
        "code",
        "name",
        "name_en",
        "policy_ref",
        "kind",
        "department",
        "amount_total",
        "review_days",
        "description",
        "description_en",
        "effective_from",
        "effective_to",
        "is_active",
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=PolicyAction.CHANGE if change else PolicyAction.CREATE,
            actor=request.user,
            obj=obj,
            ip=client_ip(request),
            fields=list(form.changed_data),
        )
