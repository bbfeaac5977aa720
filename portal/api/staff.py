"""Accounts managed by the talent office (API.md "Accounts for daily use": /accounts/)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.accounts import DepartmentRefSerializer
from portal.api.pagination import PageNumberPagination
from portal.api.permissions import IsAdmin
from portal.api.responses import FIELD_ERRORS
from portal.audit import client_ip
from portal.models import Role
from portal.staff import (
    MANAGED_ROLES,
    accounts_filtered,
    managed_accounts,
    staff_account_create,
    staff_account_reset_password,
    staff_account_update,
)

ROLE_CHOICES = [(role.value, role.label) for role in MANAGED_ROLES]


class AccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    real_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField(source="get_role_display")
    department = DepartmentRefSerializer(allow_null=True)
    phone_masked = serializers.CharField()
    is_active = serializers.BooleanField()
    must_change_password = serializers.BooleanField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()


class CreatedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    department = DepartmentRefSerializer(allow_null=True)
    initial_password = serializers.CharField(help_text="初始密码，只显示这一次，首次登录须修改")


class CreateInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, allow_blank=True)
    real_name = serializers.CharField(max_length=50, allow_blank=True)
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    department = serializers.CharField(max_length=16, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class UpdateInput(serializers.Serializer):
    real_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    department = serializers.CharField(max_length=16, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class PasswordOutput(serializers.Serializer):
    initial_password = serializers.CharField()


class AccountList(APIView):
    permission_classes = [IsAdmin]
    pagination_class = PageNumberPagination  # documented as the paginated list it answers

    @extend_schema(
        summary="工作人员账户列表",
        parameters=[
            OpenApiParameter("role", str, enum=[r.value for r in MANAGED_ROLES]),
            OpenApiParameter("department", str, description="部门代码"),
            OpenApiParameter("is_active", str, enum=["true", "false"]),
            OpenApiParameter("q", str, description="用户名或姓名（包含即可）"),
        ],
        responses={200: AccountOutput(many=True)},
        tags=["accounts"],
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            accounts_filtered(request.user, request.query_params), request, view=self
        )
        return paginator.get_paginated_response(AccountOutput(page, many=True).data)

    @extend_schema(
        summary="开通工作人员账户（经办人、部门负责人、核验员）",
        description="管理员与审计员账户只能在服务器上用 create_account 命令创建（三权分立）。",
        request=CreateInput,
        responses={201: CreatedOutput, 400: FIELD_ERRORS},
        tags=["accounts"],
    )
    def post(self, request):
        data = CreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, password = staff_account_create(
            actor=request.user, **data.validated_data, ip=client_ip(request)
        )
        body = CreatedOutput(
            {
                "id": user.pk,
                "username": user.username,
                "role": user.role,
                "department": user.department,
                "initial_password": password,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


def _account(request, pk):
    return get_object_or_404(managed_accounts(request.user), pk=pk)


class AccountDetail(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(summary="工作人员账户", responses={200: AccountOutput}, tags=["accounts"])
    def get(self, request, pk):
        return Response(AccountOutput(_account(request, pk)).data)

    @extend_schema(
        summary="修改工作人员账户（姓名、部门、角色、停用）",
        description="停用后该账户的全部令牌立即失效，网页会话在下一次请求时结束。",
        request=UpdateInput,
        responses={200: AccountOutput, 400: FIELD_ERRORS},
        tags=["accounts"],
    )
    def patch(self, request, pk):
        account = _account(request, pk)
        data = UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = staff_account_update(
            actor=request.user, account=account, **data.validated_data, ip=client_ip(request)
        )
        return Response(AccountOutput(account).data)


class AccountResetPassword(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="重置工作人员密码",
        description="返回新的初始密码（只显示这一次），下次登录须修改；该账户的令牌与会话全部失效。",
        request=None,
        responses={200: PasswordOutput},
        tags=["accounts"],
    )
    def post(self, request, pk):
        account = _account(request, pk)
        password = staff_account_reset_password(
            actor=request.user, account=account, ip=client_ip(request)
        )
        return Response({"initial_password": password}, headers={"Cache-Control": "no-store"})
