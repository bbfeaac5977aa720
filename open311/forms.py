"""Forms of the organization department's 合作系统 page (staff-only: Chinese literals)."""

from django import forms

from open311.models import Partner, Scope

SCOPES = [
    (Scope.READ.value, "只读（查询服务事项和办理状态）"),
    (Scope.FILE.value, "查询和提交申请"),
]


class PartnerForm(forms.Form):
    name = forms.CharField(
        label="系统名称",
        max_length=Partner._meta.get_field("name").max_length,
        help_text="例如：四川省一体化政务服务平台",
    )
    contact = forms.CharField(
        label="联系人和联系方式",
        max_length=Partner._meta.get_field("contact").max_length,
        required=False,
        help_text="合作方负责对接的人员和电话，页面上电话会打码显示。",
    )
    scope = forms.ChoiceField(
        label="权限", choices=SCOPES, initial=Scope.READ.value, widget=forms.RadioSelect
    )
    rate_limit = forms.IntegerField(
        label="每分钟调用上限",
        min_value=1,
        max_value=6000,
        initial=60,
        error_messages={
            "min_value": "每分钟调用上限最少为 1 次。",
            "max_value": "每分钟调用上限最多为 6000 次。",
            "invalid": "请填写整数。",
        },
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("请填写系统名称。")
        return name


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="停用原因",
        max_length=500,
        error_messages={"required": "请填写停用原因。"},
    )
