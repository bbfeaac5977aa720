"""Keeping an account through the API: password change and reset, phone change, two-factor
sign-in (API.md "Accounts for daily use"). Thin views over portal.credentials and portal.otp."""

from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.responses import FIELD_ERRORS, LOCKED_OUT, error, field_errors, throttled
from portal.audit import client_ip
from portal.credentials import (
    password_change,
    password_reset_confirm,
    password_reset_request,
    phone_change_confirm,
    phone_change_request,
)
from portal.otp import otp_begin, otp_confirm, otp_disable


class ResetInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)

    def validate(self, data):
        if not (data.get("username") or "").strip() and not (data.get("phone") or "").strip():
            raise serializers.ValidationError({"username": [gettext("请填写用户名或手机号码。")]})
        return data


class ResetConfirmInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    code = serializers.CharField(max_length=12)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordInput(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False, allow_blank=True)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, allow_blank=True)


class PhoneInput(serializers.Serializer):
    phone = serializers.CharField(max_length=30)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, help_text="当前登录密码（再次核验）"
    )


class PasswordRecheckInput(serializers.Serializer):
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, help_text="当前登录密码（再次核验）"
    )


class CodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class PhoneOutput(serializers.Serializer):
    phone_masked = serializers.CharField()


class OtpBeginOutput(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="恢复码：开启后生效，每个只能用一次；只在此给出，请妥善保存",
    )


@method_decorator(sensitive_post_parameters("phone", "username"), name="dispatch")
class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="找回密码：向账户手机发送验证码",
        description="无论账户是否存在都回答 202。验证码 6 位，10 分钟内有效，可试 5 次，"
        "每个账户每小时最多 5 个。",
        request=ResetInput,
        responses={
            202: OpenApiResponse(description="已受理（无论账户是否存在）"),
            400: FIELD_ERRORS,
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = ResetInput(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_request(
            username=data.validated_data.get("username", ""),
            phone=data.validated_data.get("phone", ""),
            ip=client_ip(request),
        )
        return Response(status=status.HTTP_202_ACCEPTED)


@method_decorator(sensitive_post_parameters("code", "new_password"), name="dispatch")
class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="找回密码：凭验证码设置新密码",
        description="成功后该账户的全部令牌与会话失效。验证码错误与过期回答同一信息。",
        request=ResetConfirmInput,
        responses={
            204: OpenApiResponse(description="密码已重设"),
            400: FIELD_ERRORS,
            429: throttled("同一地址尝试过多（每小时 30 次，code: rate_limited）"),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = ResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_confirm(**data.validated_data, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters("old_password", "new_password"), name="dispatch")
class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="修改密码",
        description="成功后本账户的其他令牌全部失效（当前令牌保留）。",
        request=PasswordInput,
        responses={
            204: OpenApiResponse(description="密码已修改"),
            400: FIELD_ERRORS,
            429: LOCKED_OUT,
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = PasswordInput(data=request.data)
        data.is_valid(raise_exception=True)
        password_change(
            user=request.user,
            **data.validated_data,
            keep_token=request.auth if isinstance(request.auth, AuthToken) else None,
            ip=client_ip(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhoneChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="更换手机号码：向新号码发送验证码",
        description="须再次提供登录密码（错误次数计入登录锁定）；更换成功后原号码会收到通知短信。",
        request=PhoneInput,
        responses={
            202: OpenApiResponse(description="验证码已发往新号码"),
            400: FIELD_ERRORS,
            429: LOCKED_OUT,
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = PhoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        phone_change_request(user=request.user, **data.validated_data, ip=client_ip(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PhoneConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="更换手机号码：提交新号码收到的验证码",
        request=CodeInput,
        responses={200: PhoneOutput, 400: FIELD_ERRORS},
        tags=["accounts"],
    )
    def post(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = phone_change_confirm(
            user=request.user, code=data.validated_data["code"], ip=client_ip(request)
        )
        return Response(PhoneOutput(user).data)


class OtpView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="双因素认证：获取新的身份验证器密钥",
        description="须再次提供登录密码（错误次数计入登录锁定）。返回 TOTP 密钥、otpauth 地址与"
        " 10 个恢复码；用 /me/otp/confirm/ 提交第一个动态验证码后生效，此时该账户的其他令牌和会话"
        "全部失效。",
        request=PasswordRecheckInput,
        responses={
            200: OtpBeginOutput,
            400: FIELD_ERRORS,
            403: error("已开启双因素认证（须先关闭），或账户须先修改初始密码"),
            429: LOCKED_OUT,
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = PasswordRecheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = otp_begin(
            user=request.user, password=data.validated_data["password"], ip=client_ip(request)
        )
        return Response(OtpBeginOutput(enrolment).data)

    @extend_schema(
        summary="双因素认证：关闭（须提供动态验证码或恢复码）",
        request=CodeInput,
        responses={
            204: OpenApiResponse(description="已关闭"),
            400: field_errors("动态验证码不正确（code: otp_required）"),
            403: error("该角色必须使用双因素认证，不能关闭"),
        },
        tags=["accounts"],
    )
    def delete(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        otp_disable(user=request.user, code=data.validated_data["code"], ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OtpConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="双因素认证：提交第一个动态验证码以开启",
        request=CodeInput,
        responses={
            204: OpenApiResponse(description="已开启"),
            400: field_errors("动态验证码不正确（code: otp_required）"),
            403: error("尚未获取身份验证器密钥（先调用 POST /me/otp/）"),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        otp_confirm(
            user=request.user,
            code=data.validated_data["code"],
            keep_token=request.auth if isinstance(request.auth, AuthToken) else None,
            ip=client_ip(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
