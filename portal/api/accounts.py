"""Accounts API: register, token, logout, me (API.md "Accounts")."""

from django.contrib.auth import logout as session_logout
from django.contrib.auth.signals import user_logged_out
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import account_register
from portal.identity import IdType
from portal.models import Role
from portal.signin import signin_attempt

ERROR = inline_serializer(
    "Error", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RegisterInput(serializers.Serializer):
    # Types only; every rule (GB 11643, phone, password strength, uniqueness) is checked by
    # account_register, which the register page calls too.
    # Blank values pass through so that account_register reports every field at once.
    username = serializers.CharField(max_length=150, allow_blank=True)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, allow_blank=True
    )
    real_name = serializers.CharField(max_length=50, allow_blank=True)
    id_type = serializers.ChoiceField(choices=IdType.choices, default=IdType.RESIDENT)
    id_number = serializers.CharField(max_length=40, write_only=True, allow_blank=True)
    phone = serializers.CharField(max_length=30, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")


class RegisterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    expiry = serializers.DateTimeField(allow_null=True)


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField(source="get_role_display")
    real_name = serializers.CharField()
    id_type = serializers.CharField()
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    email = serializers.CharField()
    department = DepartmentRefSerializer(allow_null=True)


@method_decorator(sensitive_post_parameters("password", "id_number", "phone"), name="dispatch")
class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="注册人才账户",
        request=RegisterInput,
        responses={
            201: RegisterOutput,
            400: OpenApiResponse(description="字段 → 错误信息列表"),
            429: OpenApiResponse(ERROR, description="注册过于频繁"),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = account_register(**data.validated_data, request=request)
        return Response(RegisterOutput(user).data, status=status.HTTP_201_CREATED)


@method_decorator(sensitive_post_parameters("password", "username"), name="dispatch")
class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="登录并获取令牌",
        request=TokenInput,
        responses={
            200: TokenOutput,
            400: OpenApiResponse(description="用户名或密码错误（不区分用户是否存在）"),
            429: OpenApiResponse(ERROR, description="失败次数过多，暂停登录"),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signin_attempt(request=request, **data.validated_data)
        instance, token = AuthToken.objects.create(user)
        return Response(
            TokenOutput({"token": token, "role": user.role, "expiry": instance.expiry}).data
        )


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="退出登录（令牌立即失效）", request=None, responses={204: None}, tags=["accounts"]
    )
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
            # Token sign-outs raise the same signal as session ones, so one receiver audits both.
            request._request.logout_via = "token"
            user_logged_out.send(
                sender=type(request.user), request=request._request, user=request.user
            )
        else:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="当前用户", responses={200: MeOutput}, tags=["accounts"])
    def get(self, request):
        return Response(MeOutput(request.user).data)
