"""The audit log, for auditors only (API.md "Supervision": /api/v1/audit-events/)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from portal.api.permissions import IsAuditor
from portal.models import AuditEvent


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "object_type", "object_id", "ip", "detail"]


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_username", lookup_expr="iexact")
    action = django_filters.CharFilter(field_name="action")
    # Dates are whole days in Asia/Shanghai: from 2026-02-01 to 2026-02-28 includes the 28th.
    to = django_filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # "from" is a Python keyword, so the filter is declared here rather than as an attribute.
        self.filters["from"] = django_filters.DateFilter(field_name="at", lookup_expr="date__gte")


@extend_schema(summary="审计日志（审计员）", tags=["audit"])
class AuditEventList(generics.ListAPIView):
    permission_classes = [IsAuditor]
    serializer_class = AuditEventOutput
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return AuditEvent.objects.visible_to(self.request.user)
