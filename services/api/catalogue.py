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
    name_en = serializers.CharField(default="", help_text="英文名称（未填写时为空）")
    required = serializers.BooleanField(default=True)


class FieldOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField(default="", help_text="英文名称（未填写时为空）")
    datatype = serializers.CharField()
    required = serializers.BooleanField(default=False)
    values = serializers.ListField(child=serializers.CharField(), default=list)
    values_en = serializers.ListField(
        child=serializers.CharField(),
        default=list,
        help_text="可选值的英文，与 values 一一对应（未填写时为空列表）；提交时仍用 values 中的值",
    )


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
            "name_en",
            "guide",
            "guide_en",
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
