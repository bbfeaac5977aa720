from django import forms
from django.contrib import admin

from cards.actions import CriterionAction, ReviewLimitAction
from cards.models import Card, CardScan, Criterion, DocumentKind, ReviewLimit
from cards.qr import REASON_LABELS
from portal.audit import audit_record, client_ip


class CriterionForm(forms.ModelForm):
    """The evidence a criterion needs, ticked by name (证件照 is asked of every application
    anyway) rather than typed as a list of codes."""

    evidence = forms.TypedMultipleChoiceField(
        label="所需证明材料",
        choices=[(k, label) for k, label in DocumentKind.choices if k != DocumentKind.PHOTO],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少勾选一种所需证明材料。"},
        help_text="申请人选择本条件时须上传的材料；证件照每份申请都须上传，无需勾选。",
    )

    class Meta:
        model = Criterion
        fields = [
            "code",
            "tier",
            "category",
            "title",
            "title_en",
            "evidence",
            "policy_ref",
            "policy_ref_en",
            "effective_from",
            "effective_to",
            "is_active",
            "sort_order",
        ]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """The criteria catalogue, edited by the organization department."""

    form = CriterionForm
    list_display = ["code", "tier", "category", "title", "policy_ref", "is_active"]
    list_filter = ["tier", "category", "is_active"]
    search_fields = ["code", "title", "title_en", "policy_ref"]

    def has_delete_permission(self, request, obj=None):
        return False  # Applications keep pointing at the criteria they claimed; deactivate.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=CriterionAction.CHANGE if change else CriterionAction.CREATE,
            actor=request.user,
            obj=obj,
            ip=client_ip(request),
            fields=list(form.changed_data),
        )


@admin.register(ReviewLimit)
class ReviewLimitAdmin(admin.ModelAdmin):
    """审核时限 per kind of application, edited by the organization department. A change
    applies to applications submitted from then on (each copies its limit when submitted)."""

    list_display = ["kind", "working_days", "updated_at", "editor"]
    fields = ["kind", "working_days"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if obj else []

    @admin.display(description="修改人")
    def editor(self, obj):
        return obj.updated_by.display_name if obj.updated_by_id else "—"

    def has_delete_permission(self, request, obj=None):
        return False  # one limit per kind, always

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            action=ReviewLimitAction.CHANGE,
            actor=request.user,
            obj=obj,
            ip=client_ip(request),
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


class ReasonFilter(admin.SimpleListFilter):
    """Invalid verifications by their reason, in words (cards.qr.REASON_LABELS)."""

    title = "无效原因"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in REASON_LABELS.items() if code]

    def queryset(self, request, queryset):
        return queryset.filter(reason=self.value()) if self.value() else queryset


@admin.register(CardScan)
class CardScanAdmin(admin.ModelAdmin):
    list_display = ["at", "card", "valid", "reason_label", "verifier", "ip"]
    list_filter = ["valid", ReasonFilter]
    list_select_related = ["card", "verifier"]

    @admin.display(description="结果说明", ordering="reason")
    def reason_label(self, obj):
        return REASON_LABELS.get(obj.reason or None, obj.reason)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
