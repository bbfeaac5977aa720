"""The green-channel catalogue (API.md: GET /api/v1/service-types/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.accounts import DepartmentRefSerializer
from services.models import ServiceType


class MaterialOutput(serializers.Serializer):
    name = serializers.CharField()
    required = serializers.BooleanField(default=True)


class FieldOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    datatype = serializers.CharField()
    required = serializers.BooleanField(default=False)
    values = serializers.ListField(child=serializers.CharField(), default=list)


class ServiceTypeOutput(serializers.ModelSerializer):
    department = DepartmentRefSerializer()
    eligible_tiers = serializers.ListField(child=serializers.CharField(), source="tier_list")
    materials = MaterialOutput(many=True)
    fields = FieldOutput(many=True)

    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name",
            "guide",
            "department",
            "eligible_tiers",
            "materials",
            "fields",
            "sensitivity",
            "accept_days",
            "promised_days",
            "legal_days",
            "contact_phone",
            "address",
        ]


class ServiceTypeList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="绿色通道服务事项目录",
        responses={200: ServiceTypeOutput(many=True)},
        tags=["services"],
    )
    def get(self, request):
        types = ServiceType.objects.active().select_related("department")
        return Response(ServiceTypeOutput(types, many=True).data)
