"""The audit log, for auditors only (API.md "Supervision" and "Finding things":
/api/v1/audit-events/)."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from portal.api.permissions import IsAuditor
from portal.audit import group_actions
from portal.auditlog import label_events
from portal.models import AuditEvent


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")
    # Set on each row of the page by label_events (one query per object type on the page).
    action_label = serializers.CharField(read_only=True, help_text="事件的中文名称")
    object_label = serializers.CharField(
        read_only=True, help_text="对象的名称，如申请编号 FW-…、卡号 BZYC-…、账户名"
    )
    detail_text = serializers.CharField(read_only=True, help_text="详情，写成一句话")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object_label",
            "ip",
            "detail",
            "detail_text",
        ]


def filter_action(queryset, name, value):
    """``auth.login`` is one action; ``service_request.`` (ending in a dot) a whole group.

    A known group is its list of actions, so that the (action, at) index serves it on every
    database (PostgreSQL uses a btree for LIKE 'x%' only under the C collation)."""
    if not value.endswith("."):
        return queryset.filter(action=value)
    actions = group_actions(value[:-1])
    if actions is None:
        return queryset.filter(action__startswith=value)
    return queryset.filter(action__in=actions)


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_username", lookup_expr="iexact")
    action = django_filters.CharFilter(method=filter_action)
    # Dates are whole days in Asia/Shanghai: from 2026-02-01 to 2026-02-28 includes the 28th.
    to = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", help_text="截止日期 YYYY-MM-DD（含当天）"
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action"]


# "from" is a Python keyword, so that filter joins the declared ones here: every instance
# copies base_filters, and the schema reads them from there too.
AuditEventFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="at", lookup_expr="date__gte", help_text="起始日期 YYYY-MM-DD（含当天）"
)


@extend_schema(
    summary="审计日志（审计员）",
    parameters=[
        OpenApiParameter(
            "action",
            str,
            description="事件代码，如 auth.login；以 . 结尾时为一组，如 service_request.",
        ),
        OpenApiParameter("actor", str, description="操作人用户名（不区分大小写）"),
    ],
    tags=["audit"],
)
class AuditEventList(generics.ListAPIView):
    permission_classes = [IsAuditor]
    serializer_class = AuditEventOutput
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return AuditEvent.objects.visible_to(self.request.user)

    def paginate_queryset(self, queryset):
        return label_events(super().paginate_queryset(queryset))
