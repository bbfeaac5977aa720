"""The policies, edited by the organization department: a policy with its instalment
schedule and rule table as inline tables, checked together (the amounts add up to the total,
each rule's operator and value suit its attribute); every change audited. Entitlements are
not in the admin at all: they change only through the portal's transitions (the desk, 政策兑现
and the talent's pages)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from portal import delivery
from portal.audit import audit_record, client_ip
from subsidies.actions import PolicyAction
from subsidies.models import Policy, PolicyInstalment, PolicyRule
from subsidies.models.policies import schedule_check
from subsidies.rules import rule_check
from subsidies.tasks import offer_policy_to_holders


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
    actions = ["offer_to_holders"]
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

    @admin.action(description="向现有持卡人推送该政策")
    def offer_to_holders(self, request, queryset):
        """A policy published after cards were issued: offer it to every current holder it
        matches (subsidies.tasks.offer_policy_to_holders, after commit and broker-safe: with
        the broker down the page still answers, and the action can simply be run again, as
        a policy is offered to a person once, ever). Policies not in force offer nothing."""
        chosen = list(queryset.order_by("code"))
        in_force = set(queryset.in_force().values_list("pk", flat=True))
        sent = [p for p in chosen if p.pk in in_force]
        for policy in sent:
            delivery.enqueue(offer_policy_to_holders, policy.pk, request.user.pk)
        if sent:
            codes = "、".join(p.code for p in sent)
            self.message_user(
                request,
                f"已开始向现有持卡人推送政策 {codes}：符合条件的持卡人将收到待遇通知（在后台进行，"
                "已推送过的不会重复推送）。",
                messages.SUCCESS,
            )
        skipped = [p.code for p in chosen if p.pk not in in_force]
        if skipped:
            self.message_user(
                request,
                f"政策 {'、'.join(skipped)} 未启用或不在有效期内，未推送。",
                messages.WARNING,
            )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=PolicyAction.CHANGE if change else PolicyAction.CREATE,
            actor=request.user,
            obj=obj,
            ip=client_ip(request),
            fields=list(form.changed_data),
        )
