"""Personal-information access over the API (API.md "Reveal, with a reason" and
``GET /api/v1/me/access-log/``): the shapes every reveal endpoint shares, and the talent's
list of who read their details."""

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from portal.api.permissions import role_permission
from portal.api.responses import NOT_FOUND, error, field_errors, throttled
from portal.models import AccessLog, Role
from portal.models.access import FIELD_LABELS
from portal.reveal import access_log_for


class RevealInput(serializers.Serializer):
    # Blank passes here so that the domain function answers with its own Chinese message.
    purpose = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="查看目的（至少 4 个字）"
    )


class RevealOutput(serializers.Serializer):
    real_name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()


# The documented answers of every reveal endpoint besides 200.
REVEAL_ERRORS = {
    400: field_errors("查看目的缺失或少于 4 个字：{purpose: [...]}"),
    403: error("可以看到该对象，但无权查看完整信息（或账户须先修改初始密码等）"),
    404: NOT_FOUND,
    429: throttled("已达当日查看上限 REVEAL_DAILY_LIMIT（code: rate_limited）"),
}


def reveal_input(request) -> str:
    data = RevealInput(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["purpose"]


def revealed(values: dict) -> Response:
    """The full values, shown once: no cache on the way may keep them."""
    response = Response(RevealOutput(values).data)
    add_never_cache_headers(response)
    return response


class AccessLogOutput(serializers.ModelSerializer):
    who = serializers.CharField(source="actor_name", help_text="查看人姓名（查看时的记录）")
    department = serializers.CharField(source="department_name", help_text="查看人所在部门")
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=list(FIELD_LABELS)),
        help_text=(
            "查看的内容（代码）：real_name 姓名、phone 手机号码、id_number 证件号码、"
            "bank_account 银行账号（政策兑现部门查看收款账户）"
        ),
    )
    fields_label = serializers.CharField(help_text="查看的内容（中文），如“姓名、手机号码”")
    object_label = serializers.CharField(help_text="所涉业务，如“服务申请 FW-…”")

    class Meta:
        model = AccessLog
        fields = ["at", "who", "department", "purpose", "fields", "fields_label", "object_label"]


@extend_schema(
    summary="我的个人信息查看记录（谁在何时因何查看了我的完整信息）",
    responses={200: AccessLogOutput(many=True), 403: error("只有人才本人可以查看")},
    tags=["accounts"],
)
class AccessLogList(generics.ListAPIView):
    """Talents only: other roles have no personal information revealed to others (403)."""

    permission_classes = [role_permission(Role.TALENT)]
    serializer_class = AccessLogOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return AccessLog.objects.none()
        return access_log_for(self.request.user)
