"""Accounts API: register, token, logout, me (API.md "Accounts")."""

from django.contrib.auth import logout as session_logout
from django.contrib.auth.signals import user_logged_out
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import account_register
from portal.api.responses import FIELD_ERRORS, LOCKED_OUT, field_errors, throttled
from portal.audit import client_ip
from portal.credentials import email_update
from portal.gate import OTP_SETUP_REQUIRED, PASSWORD_CHANGE_REQUIRED, gate_reason
from portal.identity import IdType
from portal.models import Role
from portal.signin import signin_attempt


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


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
    consent = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="是否已阅读并同意当前版本的《个人信息处理规则》（/privacy/）。为 true 时记录同意"
        "及其版本；为 false 时拒绝注册；不传时（接口第 1 版的调用方）照常注册，但不记录同意，"
        "请调用方尽快改为传 true。",
    )


class RegisterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="双因素认证已开启时：身份验证器上的 6 位动态验证码，或一个恢复码",
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    expiry = serializers.DateTimeField(allow_null=True)
    password_change_required = serializers.BooleanField(
        help_text="初始密码须先修改：修改前其他接口一律 403"
    )
    otp_setup_required = serializers.BooleanField(
        help_text="该角色须绑定身份验证器：绑定前除 /me/otp/ 外其他接口一律 403"
    )


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
    must_change_password = serializers.BooleanField()
    otp_enabled = serializers.SerializerMethodField()

    def get_otp_enabled(self, user) -> bool:
        from portal.otp import otp_enabled

        return otp_enabled(user)


@method_decorator(sensitive_post_parameters("password", "id_number", "phone"), name="dispatch")
class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="注册人才账户",
        request=RegisterInput,
        responses={
            201: RegisterOutput,
            400: FIELD_ERRORS,
            429: throttled("注册过于频繁（同一地址，code: rate_limited）"),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = account_register(**data.validated_data, ip=client_ip(request))
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
            400: field_errors(
                "用户名或密码错误（不区分用户是否存在）；已开启双因素认证而未提供或"
                "提供了错误的动态验证码时 `code: otp_required`"
            ),
            429: LOCKED_OUT,
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user = signin_attempt(
            ip=client_ip(request),
            username=fields["username"],
            password=fields["password"],
            otp=fields.get("otp") or None,
        )
        instance, token = AuthToken.objects.create(user)
        reason = gate_reason(user)
        return Response(
            TokenOutput(
                {
                    "token": token,
                    "role": user.role,
                    "expiry": instance.expiry,
                    "password_change_required": reason == PASSWORD_CHANGE_REQUIRED,
                    "otp_setup_required": reason == OTP_SETUP_REQUIRED,
                }
            ).data
        )


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="退出登录（令牌立即失效）",
        request=None,
        responses={204: OpenApiResponse(description="已退出")},
        tags=["accounts"],
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


class MeInput(serializers.Serializer):
    email = serializers.CharField(max_length=254, allow_blank=True)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="当前用户", responses={200: MeOutput}, tags=["accounts"])
    def get(self, request):
        return Response(MeOutput(request.user).data)

    @extend_schema(
        summary="修改电子邮箱（姓名、证件号码、角色、部门在此只读）",
        request=MeInput,
        responses={200: MeOutput, 400: FIELD_ERRORS},
        tags=["accounts"],
    )
    def patch(self, request):
        data = MeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "email" in data.validated_data:
            email_update(
                user=request.user, email=data.validated_data["email"], ip=client_ip(request)
            )
        return Response(MeOutput(request.user).data)
