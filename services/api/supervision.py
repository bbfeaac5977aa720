"""Supervision API (API.md "Supervision"): summary, overdue list, export."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.downloads import FileNegotiation
from portal.api.permissions import role_permission
from portal.api.responses import EXPORT_TYPES, field_errors, file_download
from portal.audit import audit_record, client_ip
from portal.models import Role
from services import dashboard, dashboard_sections, exports
from services.actions import SlaAction
from services.api.exports import PERIOD_ERROR
from services.api.serializers import RequestSummary
from services.models import ServiceRequest

TAG = ["supervision"]
PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="起始日期 YYYY-MM-DD，默认本月1日"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="截止日期 YYYY-MM-DD（含），默认今天"),
]
PERIOD_ERRORS = field_errors(
    "日期格式不正确、年份不在 1900 至 2200 之间、截止日期早于起始日期，或期间超过十年"
)


def period_from(request) -> dashboard.Period:
    try:
        return dashboard.Period.parse(
            request.query_params.get("from"), request.query_params.get("to")
        )
    except ValueError:
        raise ValidationError({"from": [PERIOD_ERROR]}) from None


class SummaryRow(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    resolved = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    open = serializers.IntegerField()
    open_overdue = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    avg_accept_hours = serializers.FloatField(allow_null=True)
    avg_resolve_working_days = serializers.FloatField(allow_null=True)
    bad_ratings = serializers.IntegerField()
    followups_open = serializers.IntegerField()
    followups_overdue = serializers.IntegerField()
    avg_hold_hours = serializers.FloatField(allow_null=True, required=False)
    transferred_out = serializers.IntegerField(required=False)


class CardReviewFigures(serializers.Serializer):
    """优才卡审核 (services.dashboard.card_reviews): the organization department's own clock."""

    received = serializers.IntegerField(help_text="期间内首次提交的申请")
    reviewed = serializers.IntegerField(help_text="期间内作出认定或不予认定决定的")
    reviewed_on_time = serializers.IntegerField(help_text="其中在审核时限内办结的")
    open = serializers.IntegerField(help_text="期间截止前已提交、当前未办结的（含退回补正）")
    open_overdue = serializers.IntegerField(help_text="其中当前已超过审核期限的")
    escalated = serializers.IntegerField(help_text="其中已超期满2个工作日（督办）的")
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text="reviewed_on_time ÷ (reviewed + open_overdue)，分母为0时为空"
    )


class SummaryOutput(serializers.Serializer):
    from_ = serializers.DateField(help_text="起始日期")
    to = serializers.DateField(help_text="截止日期（含）")
    rows = SummaryRow(many=True)
    card_reviews = CardReviewFigures(
        allow_null=True, help_text="优才卡审核（仅组织部人才办可见，部门负责人为空）"
    )

    def get_fields(self):
        # "from" is a Python keyword: declared as from_, written as "from" (first, as in API.md).
        fields = super().get_fields()
        return {"from": fields.pop("from_"), **fields}


# The groups of the layers above (services.dashboard_sections: group_by=policy from subsidies),
# registered in AppConfig.ready(), hence known when the URLconf imports this module.
GROUPS = dashboard_sections.groups()
GROUP_BY = ["department", "service_type", *GROUPS]


class SummaryDocument(SummaryOutput):
    """The answer as documented: a row is a department's or service type's (SummaryRow), or
    one of a registered group's (e.g. PolicySummaryRow for group_by=policy)."""

    rows = PolymorphicProxySerializer(
        component_name="SummaryRowByGroup",
        serializers=[SummaryRow, *(group.row_serializer for group in GROUPS.values())],
        resource_type_field_name=None,
        many=True,
    )


def _group_by_text() -> str:
    extra = "".join(f"、{group.choice}（{name}）" for name, group in GROUPS.items())
    return f"按部门（department，默认）、按服务事项（service_type）{extra}汇总"


class SlaSummary(APIView):
    permission_classes = [role_permission(Role.ADMIN, Role.LEAD)]

    @extend_schema(
        summary="时限督查汇总（按部门、事项或政策）",
        parameters=[
            *PERIOD,
            OpenApiParameter("group_by", str, enum=GROUP_BY, description=_group_by_text()),
        ],
        responses={200: SummaryDocument, 400: PERIOD_ERRORS},
        tags=TAG,
    )
    def get(self, request):
        period = period_from(request)
        group_by = request.query_params.get("group_by", "department")
        if group_by not in GROUP_BY:
            raise ValidationError({"group_by": [f"可选 {'、'.join(GROUP_BY)}。"]})
        # The department scope of the caller's request lists, as on the dashboard page.
        department = dashboard.figures_department(request.user)
        group = GROUPS.get(group_by)
        if group is not None:
            # A registered group reads its own scope (a lead: their department's).
            rows = group.rows(request.user, period, timezone.now())
            output = {
                "from": period.first,
                "to": period.last,
                "rows": group.row_serializer(rows, many=True).data,
                "card_reviews": None,
            }
            return Response(output)
        rows = dashboard.summary(period, group_by, department=department)
        # Card reviews are the organization department's own work, not a lead's department's.
        reviews = dashboard.card_reviews(period) if department is None else None
        output = {"from": period.first, "to": period.last, "rows": rows, "card_reviews": reviews}
        return Response(SummaryOutput(output).data)


class OverdueRow(RequestSummary):
    working_days_overdue = serializers.IntegerField()
    escalated = serializers.BooleanField()

    class Meta(RequestSummary.Meta):
        fields = [*RequestSummary.Meta.fields, "working_days_overdue", "escalated"]


@extend_schema(summary="超期未办结申请（督办清单）", tags=TAG)
class SlaOverdue(generics.ListAPIView):
    permission_classes = [role_permission(Role.ADMIN, Role.LEAD, Role.STAFF)]
    serializer_class = OverdueRow

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceRequest.objects.none()
        return dashboard.overdue_requests(ServiceRequest.objects.visible_to(self.request.user))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return dashboard.with_working_days_overdue(page) if page is not None else page


class SlaExport(APIView):
    """The period's requests or summary as a file, streamed: CSV line by line, XLSX through a
    temporary file (services.exports). Memory stays bounded whatever the period; long periods
    are better exported with POST /api/v1/exports/, which shows progress."""

    permission_classes = [role_permission(Role.ADMIN)]
    content_negotiation_class = FileNegotiation  # Accept: text/csv gets the file

    @extend_schema(
        summary="导出（CSV 或 XLSX，证件号码等已脱敏；流式输出，数据量大时建议使用后台导出）",
        parameters=[
            *PERIOD,
            OpenApiParameter(
                "format", str, enum=["csv", "xlsx"], description="文件格式，默认 xlsx"
            ),
            OpenApiParameter(
                "kind",
                str,
                enum=["requests", "summary"],
                description="CSV 的内容：requests 申请明细（默认）、summary 按部门汇总；"
                "XLSX 总是包含明细和两张汇总表",
            ),
        ],
        responses={
            **file_download(
                EXPORT_TYPES,
                "CSV（UTF-8，带 BOM）或 XLSX 文件，作为附件下载；证件号码等已脱敏",
            ),
            400: PERIOD_ERRORS,
        },
        tags=TAG,
    )
    def get(self, request):
        period = period_from(request)
        kind = request.query_params.get("kind", "requests")
        fmt = request.query_params.get("format", "xlsx")
        if fmt not in ("csv", "xlsx") or kind not in ("requests", "summary"):
            raise ValidationError(
                {"format": ["format 可选 csv、xlsx；kind 可选 requests、summary。"]}
            )
        queryset = ServiceRequest.objects.visible_to(request.user)
        if fmt == "xlsx":
            response = exports.xlsx_download(period, queryset)
        else:
            response = exports.csv_download(period, queryset, kind)
        audit_record(
            action=SlaAction.EXPORT,
            actor=request.user,
            ip=client_ip(request),
            format=fmt,
            kind=kind if fmt == "csv" else "all",
            period=f"{period.first}..{period.last}",
            at=timezone.now().isoformat(),
        )
        return response
