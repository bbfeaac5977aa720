"""Requests API views: thin callers of services.filing, workflow, feedback and conversation."""

import django_filters
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.accounts import DepartmentRefSerializer
from portal.api.downloads import FileNegotiation
from portal.api.idempotency import idempotent
from portal.api.permissions import role_permission
from portal.api.responses import (
    CONFLICT,
    FIELD_ERRORS,
    UPLOAD_TYPES,
    error,
    field_errors,
    file_download,
)
from portal.audit import client_ip
from portal.models import Role
from portal.uploads import serve_upload
from services import conversation, dashboard, feedback, filing, workflow
from services.api import serializers as s
from services.models import (
    DepartmentStint,
    RequestAttachment,
    RequestComment,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
)
from services.permissions import FOLLOWUPS, allowed
from services.search import request_search

TAG = ["service-requests"]
# Roles that ever touch requests; the rest (auditor, verifier) get 403 on every endpoint.
RequestRoles = role_permission(Role.TALENT, Role.STAFF, Role.LEAD, Role.ADMIN)


def visible(user):
    return ServiceRequest.objects.visible_to(user).select_related(
        "service_type", "department", "assignee", "talent"
    )


def detail_queryset(user):
    return visible(user).prefetch_related(
        Prefetch(
            "events",
            queryset=RequestEvent.objects.select_related("actor__department"),
        ),
        Prefetch("comments", queryset=RequestComment.objects.select_related("author__department")),
        Prefetch(
            "attachments",
            queryset=RequestAttachment.objects.select_related("uploaded_by__department"),
        ),
        Prefetch("stints", queryset=DepartmentStint.objects.select_related("department")),
        "rating",
        "followup",
    )


def request_for(request, number: str) -> ServiceRequest:
    """The request ``number`` if the caller may see it, else 404."""
    return get_object_or_404(visible(request.user), number=number)


def render(request, number: str, code=status.HTTP_200_OK) -> Response:
    req = get_object_or_404(detail_queryset(request.user), number=number)
    return Response(s.RequestOutput(req, context={"request": request}).data, status=code)


class RequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    service_type = django_filters.CharFilter(field_name="service_type__code", lookup_expr="iexact")
    department = django_filters.CharFilter(field_name="department__code", lookup_expr="iexact")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    assignee = django_filters.CharFilter(method="filter_assignee")
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=50,
        help_text="申请编号（可只输入开头部分）、优才卡号或申请人的完整姓名",
    )

    class Meta:
        model = ServiceRequest
        fields = ["status", "service_type", "department", "overdue", "assignee", "q"]

    def filter_q(self, queryset, name, value):
        return request_search(queryset, value)

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.filter(due_at__lte=now)
        return queryset.exclude(due_at__lte=now)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        return queryset.filter(assignee__username__iexact=value)


# Query parameters that do not filter the list.
UNFILTERED = {"page", "page_size", "ordering", "format"}


class RequestListCreate(generics.ListAPIView):
    permission_classes = [RequestRoles]
    serializer_class = s.RequestSummary
    filterset_class = RequestFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceRequest.objects.none()
        queryset = visible(self.request.user)
        if self.request.query_params.get("ordering") == "due":
            # Nearest deadline first; requests with no running clock last (index: due_at).
            return queryset.order_by(F("due_at").asc(nulls_last=True), "submitted_at")
        return queryset.order_by("-submitted_at", "-id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def list_count(self, queryset):
        """An unfiltered list of staff, leads and admins is counted from the rollups; anything
        filtered is counted up to a cap (portal.paging); a talent's own list is small."""
        if not set(self.request.query_params) <= UNFILTERED:
            return None
        return dashboard.visible_count(self.request.user)

    @extend_schema(
        summary="服务申请列表",
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=["due"],
                description="due：按最近期限排序（无期限的在后）；默认按提交时间从新到旧",
            ),
            OpenApiParameter("assignee", str, description="经办人用户名；me 表示调用者本人承办的"),
            OpenApiParameter("department", str, description="当前承办部门代码"),
            OpenApiParameter("service_type", str, description="服务事项代码"),
            OpenApiParameter("overdue", bool, description="true：只列已超期的；false：未超期的"),
        ],
        tags=TAG,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="提交服务申请",
        request=s.FileInput,
        responses={
            201: s.RequestOutput,
            400: field_errors("事项不存在或已停用、表单字段不正确，或敏感事项未勾选同意"),
            403: error("只有持有效且等级符合的优才卡的人才可以申请"),
        },
        tags=TAG,
    )
    @idempotent
    def post(self, request):
        data = s.FileInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = filing.request_file(talent=request.user, ip=client_ip(request), **data.validated_data)
        return render(request, req.number, status.HTTP_201_CREATED)


class RequestDetail(APIView):
    permission_classes = [RequestRoles]

    @extend_schema(summary="服务申请详情", responses={200: s.RequestOutput}, tags=TAG)
    def get(self, request, number: str):
        return render(request, number)


class TransferredOutput(serializers.Serializer):
    """The answer to a transfer by a handler of the department that gave the request away
    (they may no longer read it)."""

    number = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    department = DepartmentRefSerializer(help_text="新的承办部门")
    detail = serializers.CharField(help_text="如“已转至…，本部门不再承办此申请。”")


TRANSFER_RESULT = PolymorphicProxySerializer(
    component_name="TransferResult",
    serializers=[s.RequestOutput, TransferredOutput],
    resource_type_field_name=None,
)


def action_view(func, input_class, summary: str, argument_names=(), result=s.RequestOutput):
    """One thin view per command: parse the input, call the domain function, answer with the
    request as the caller now sees it."""

    class ActionView(APIView):
        permission_classes = [RequestRoles]

        @extend_schema(
            summary=summary,
            request=input_class,
            responses={
                200: result,
                400: FIELD_ERRORS,
                403: error("调用者不是该操作的办理人（或角色无权办理）"),
                409: CONFLICT,
            },
            tags=TAG,
        )
        def post(self, request, number: str):
            req = request_for(request, number)
            arguments = {}
            if input_class is not None:
                data = input_class(data=request.data)
                data.is_valid(raise_exception=True)
                arguments = {name: data.validated_data[name] for name in argument_names}
            done = func(req=req, actor=request.user, ip=client_ip(request), **arguments)
            if not visible(request.user).filter(pk=req.pk).exists():
                # A handler who transferred the request away may no longer read it.
                return Response(
                    {
                        "number": done.number,
                        "status": done.status,
                        "department": {
                            "code": done.department.code,
                            "name": done.department.name,
                            "name_en": done.department.name_en,
                        },
                        "detail": f"已转至{done.department.name}，本部门不再承办此申请。",
                    }
                )
            return render(request, number)

    ActionView.__name__ = f"{func.__name__.title().replace('_', '')}View"
    return ActionView.as_view()


accept = action_view(workflow.request_accept, None, "受理")
assign = action_view(workflow.request_assign, s.AssignInput, "指派经办人", ["assignee"])
request_info = action_view(
    workflow.request_ask_info, s.ItemsInput, "要求补正（一次告知，暂停计时）", ["items", "note"]
)
supply_info = action_view(
    workflow.request_supply_info,
    s.SupplyInput,
    "提交补正（恢复计时；须填写说明或在要求补正后上传过附件）",
    ["note", "items"],
)
resolve = action_view(workflow.request_resolve, s.NoteInput, "办结", ["note"])
reject = action_view(workflow.request_reject, s.ReasonInput, "不予办理", ["reason"])
transfer = action_view(
    workflow.request_transfer,
    s.TransferInput,
    "转办",
    ["department", "reason"],
    result=TRANSFER_RESULT,
)
withdraw = action_view(workflow.request_withdraw, s.OptionalReasonInput, "撤回", ["reason"])
rate = action_view(feedback.request_rate, s.RateInput, "评价（好差评）", ["score", "comment"])


class FollowUpClose(APIView):
    permission_classes = [RequestRoles]

    @extend_schema(
        summary="办结差评回访",
        request=s.NoteInput,
        responses={
            200: s.RequestOutput,
            403: error("只有部门负责人或组织部人才办可以办结回访"),
            404: error("申请不存在、不可见，或没有待回访事项"),
            409: CONFLICT,
        },
        tags=TAG,
    )
    def post(self, request, number: str):
        req = request_for(request, number)
        followup = getattr(req, "followup", None)
        if followup is None:
            return Response(
                {"detail": gettext("该申请没有待回访事项。")}, status=status.HTTP_404_NOT_FOUND
            )
        # Who may close it: the follow-ups' table (services.permissions), before the input.
        FOLLOWUPS.require_who(request.user, "close", followup)
        data = s.NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        feedback.followup_close(
            followup=followup,
            actor=request.user,
            note=data.validated_data["note"],
            ip=client_ip(request),
        )
        return render(request, number)


class CommentCreate(APIView):
    permission_classes = [RequestRoles]

    @extend_schema(
        summary="留言（internal 为内部备注，申请人不可见）",
        request=s.CommentInput,
        responses={201: s.RequestCommentOutput, 400: FIELD_ERRORS, 409: CONFLICT},
        tags=TAG,
    )
    @idempotent
    def post(self, request, number: str):
        req = request_for(request, number)
        data = s.CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = conversation.request_comment(
            req=req, actor=request.user, ip=client_ip(request), **data.validated_data
        )
        return Response(s.RequestCommentOutput(comment).data, status=status.HTTP_201_CREATED)


class AttachmentCreate(APIView):
    permission_classes = [RequestRoles]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="上传附件（PDF/JPG/PNG）",
        request={"multipart/form-data": s.AttachmentInput},
        responses={
            201: s.RequestAttachmentOutput,
            400: field_errors("文件缺失、类型不符、过大或已损坏"),
            409: CONFLICT,
        },
        tags=TAG,
    )
    @idempotent
    def post(self, request, number: str):
        req = request_for(request, number)
        attachment = conversation.request_attach(
            req=req, actor=request.user, upload=request.FILES.get("file"), ip=client_ip(request)
        )
        return Response(s.RequestAttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownload(APIView):
    permission_classes = [RequestRoles]
    content_negotiation_class = FileNegotiation  # Accept: application/pdf gets the file

    @extend_schema(
        summary="下载附件（与申请相同的可见范围）",
        parameters=[
            OpenApiParameter(
                "inline", str, enum=["1"], description="1：在浏览器中直接显示（默认作为附件下载）"
            )
        ],
        responses=file_download(UPLOAD_TYPES, "附件文件（PDF、JPEG 或 PNG）"),
        tags=TAG,
    )
    def get(self, request, pk: int):
        attachment = get_object_or_404(
            RequestAttachment.objects.filter(
                request__in=ServiceRequest.objects.visible_to(request.user)
            ).select_related("request__service_type"),
            pk=pk,
        )
        if not allowed(request.user, "see_sensitive", attachment.request):
            raise Http404  # medical or minors' files: the talent and the routed department

        return serve_upload(
            attachment.storage_name,
            content_type=attachment.content_type,
            filename=attachment.name,
            inline=request.query_params.get("inline") == "1",
        )
