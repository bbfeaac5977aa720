"""Output and input shapes of the talents API (API.md "人才信息库 and 一对一联系服务").

Outputs read what the views selected and prefetched (card, talent, officer, concerns with
their service type and request): no serializer runs a query of its own. A talent appears
only by the masked name; officers by username and name (they are the portal's staff, named
to the talent on purpose).

The inputs only document the bodies: the domain functions (talents.profiles, liaisons,
visits) check every value and answer with their own Chinese messages, every field at once,
nested ones keyed ``outputs.0.year`` / ``concerns.0.fields.xxx``.
"""

from django.utils import timezone
from rest_framework import serializers

from portal.identity import mask_name
from portal.pages import actor_label
from talents.models import ConcernStatus, Dimension, IndustryChain, OutputKind, VisitMode
from talents.visits import concern_resolved

# --- profile ----------------------------------------------------------------------------------


class ResearchOutputOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutputKind.choices)
    kind_name = serializers.CharField(source="get_kind_display", help_text="类别名称，如“论文”")
    title = serializers.CharField()
    year = serializers.IntegerField()
    ref = serializers.CharField(help_text="出处或编号")


class ProfileOutput(serializers.Serializer):
    """The talent's own profile: what they keep, and what the card says (read-only here)."""

    industry_chain = serializers.CharField(
        help_text="所属产业链：culture_tourism_health、food_beverage、biomedicine、"
        "new_energy_materials、other；未填写时为空"
    )
    industry_chain_name = serializers.SerializerMethodField()
    specialties = serializers.ListField(child=serializers.CharField(), help_text="专业特长")
    outputs = ResearchOutputOutput(many=True, help_text="科研成果（按本人排列的顺序）")
    employer = serializers.CharField(help_text="工作单位（随优才卡，须通过信息变更申请修改）")
    position = serializers.CharField(help_text="职务/岗位（同上）")
    education = serializers.CharField(help_text="最高学历（同上）")
    professional_title = serializers.CharField(help_text="职称（同上）")
    tier = serializers.CharField(help_text="人才层次 A–D（随优才卡；未持卡时为空）")
    standing = serializers.CharField(
        help_text="active 持有效卡、suspended 卡已暂停、departed 已离开"
    )
    arrival_year = serializers.IntegerField(allow_null=True, help_text="来巴年份")
    card_number = serializers.SerializerMethodField()

    def get_industry_chain_name(self, obj) -> str:
        return str(IndustryChain(obj.industry_chain).label) if obj.industry_chain else ""

    def get_card_number(self, obj) -> str | None:
        """The holder's latest card (null before the first is issued)."""
        return obj.card.number if obj.card_id else None


class ResearchOutputInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutputKind.choices)
    title = serializers.CharField(max_length=200)
    year = serializers.IntegerField(min_value=1950)
    ref = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ProfileInput(serializers.Serializer):
    """Any of these; employer, position, education and title only unchanged (a changed one
    is refused: they change through the card's 信息变更 application)."""

    industry_chain = serializers.ChoiceField(
        choices=IndustryChain.choices, required=False, allow_blank=True, help_text="空为未填写"
    )
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=10,
        help_text="专业特长，至多 10 项，每项至多 30 字（整体替换）",
    )
    outputs = ResearchOutputInput(
        many=True, required=False, help_text="科研成果，至多 50 项（整体替换）"
    )
    employer = serializers.CharField(required=False, allow_blank=True)
    position = serializers.CharField(required=False, allow_blank=True)
    education = serializers.CharField(required=False, allow_blank=True)
    professional_title = serializers.CharField(required=False, allow_blank=True)


# --- 人才画像 -------------------------------------------------------------------------------------


class StatsRowOutput(serializers.Serializer):
    key = serializers.CharField(help_text="取值（如产业链代码、层次、年份；空为未填写）")
    name = serializers.CharField(help_text="取值的名称")
    talents = serializers.IntegerField(help_text="人数（持卡以来的所有人才）")
    active_cards = serializers.IntegerField(help_text="其中持有效卡的")
    arrived_this_year = serializers.IntegerField(help_text="其中今年来巴的")
    departed = serializers.IntegerField(help_text="其中已离开的（卡已注销或过期）")


class StatsTotalOutput(serializers.Serializer):
    talents = serializers.IntegerField()
    active_cards = serializers.IntegerField()
    arrived_this_year = serializers.IntegerField()
    departed = serializers.IntegerField()


class StatsOutput(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=Dimension.choices)
    year = serializers.IntegerField(help_text="“今年来巴”所指的年份")
    rows = StatsRowOutput(many=True)
    total = StatsTotalOutput()


# --- liaisons ---------------------------------------------------------------------------------


class HolderRef(serializers.Serializer):
    real_name_masked = serializers.SerializerMethodField()

    def get_real_name_masked(self, obj) -> str:
        return mask_name(obj.real_name)


class OfficerRef(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class LiaisonOutput(serializers.Serializer):
    card_number = serializers.CharField(source="card.number")
    talent = HolderRef()
    tier = serializers.CharField(source="card.tier", help_text="人才层次")
    leader = serializers.CharField(help_text="联系领导（职务和姓名）")
    officer = OfficerRef(help_text="服务专员")
    visit_every_days = serializers.IntegerField(help_text="走访周期（天）")
    last_visit_on = serializers.DateField(allow_null=True)
    next_visit_due = serializers.DateField(source="due_on", help_text="下次走访应在此日前")
    overdue = serializers.SerializerMethodField()
    assigned_at = serializers.DateTimeField()

    def get_overdue(self, obj) -> bool:
        """The next visit's day has passed."""
        today = self.context.get("today") or timezone.localdate()
        return obj.due_on < today


class LiaisonInput(serializers.Serializer):
    leader = serializers.CharField(
        max_length=60, help_text="联系领导的职务和姓名，如“区委副书记 张某”"
    )
    officer = serializers.CharField(
        max_length=150, help_text="服务专员的用户名（部门经办人、负责人或组织部人才办账号）"
    )
    visit_every_days = serializers.IntegerField(
        min_value=7, max_value=366, help_text="走访周期（天），7 至 366"
    )


# --- visits -----------------------------------------------------------------------------------


class ConcernOutput(serializers.Serializer):
    id = serializers.IntegerField()
    n = serializers.IntegerField(help_text="序号")
    text = serializers.CharField(help_text="诉求")
    service_type = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ConcernStatus.choices)
    status_name = serializers.CharField(source="get_status_display")
    request_number = serializers.SerializerMethodField()
    resolved = serializers.SerializerMethodField()

    def get_service_type(self, obj) -> str | None:
        """The service type's code when the concern is (to be) filed as a request."""
        return obj.service_type.code if obj.service_type_id else None

    def get_request_number(self, obj) -> str | None:
        """The request filed for the talent (代办), once filed."""
        return obj.request.number if obj.request_id else None

    def get_resolved(self, obj) -> bool:
        """Resolved by the officer, or its request resolved or closed."""
        return concern_resolved(obj)


class VisitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    card_number = serializers.CharField(source="liaison.card.number")
    visited_on = serializers.DateField()
    mode = serializers.ChoiceField(choices=VisitMode.choices)
    mode_name = serializers.CharField(source="get_mode_display")
    summary = serializers.CharField(help_text="走访情况")
    recorded_by = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField()
    concerns = ConcernOutput(many=True)

    def get_recorded_by(self, obj) -> str:
        """Who recorded it, as a timeline names people (the officer with their office)."""
        return actor_label(obj.recorded_by)


class ConcernInput(serializers.Serializer):
    text = serializers.CharField(max_length=500, help_text="诉求内容")
    service_type = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=20,
        help_text="对应的服务事项代码（选填）：填写后为人才代办提交服务申请；"
        "医疗、未成年人事项须人才本人确认同意后提交",
    )
    fields = serializers.DictField(
        required=False, help_text="服务事项的表单内容（同提交服务申请的 fields）"
    )


class VisitInput(serializers.Serializer):
    card_number = serializers.CharField(max_length=20, help_text="优才卡号")
    visited_on = serializers.DateField(help_text="走访日期（不晚于今天）")
    mode = serializers.ChoiceField(choices=VisitMode.choices)
    summary = serializers.CharField(max_length=2000, help_text="走访情况")
    concerns = ConcernInput(many=True, required=False, help_text="反映的诉求，至多 20 项")


class ConsentInput(serializers.Serializer):
    consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text="本人已阅读并同意《敏感个人信息处理告知》（必须为 true）",
    )


class ResolveInput(serializers.Serializer):
    resolution = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, help_text="解决情况（必填）"
    )


# --- coverage ---------------------------------------------------------------------------------


class OfficerCoverageOutput(serializers.Serializer):
    officer = serializers.CharField(help_text="服务专员")
    holders = serializers.IntegerField(help_text="联系的持卡人数")
    overdue = serializers.IntegerField(help_text="其中走访已超期的")
    visits = serializers.IntegerField(help_text="统计期内走访次数")


class CoverageOutput(serializers.Serializer):
    today = serializers.DateField()
    since = serializers.DateField(help_text="走访和诉求的统计起始日（当年 1 月 1 日）")
    holders = serializers.IntegerField(help_text="持有效卡的人才")
    key_holders = serializers.IntegerField(help_text="其中 A、B、C 类")
    with_liaison = serializers.IntegerField(help_text="已确定联系服务的")
    key_with_liaison = serializers.IntegerField()
    coverage_rate = serializers.FloatField(allow_null=True)
    key_coverage_rate = serializers.FloatField(allow_null=True)
    liaisons = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    visits = serializers.IntegerField()
    visits_in_person = serializers.IntegerField()
    concerns_raised = serializers.IntegerField()
    concerns_filed = serializers.IntegerField()
    concerns_awaiting = serializers.IntegerField()
    concerns_resolved = serializers.IntegerField()
    resolved_rate = serializers.FloatField(allow_null=True)
    by_officer = OfficerCoverageOutput(many=True)
