"""Cards API views: thin callers of cards.applications, cards.issuance and cards.qr."""

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cards import applications as apps
from cards import issuance, qr
from cards.api import serializers as s
from cards.models import (
    ApplicationDocument,
    ApplicationEvent,
    ApplicationStatus,
    Card,
    CardApplication,
    CardStatus,
    Criterion,
    Tier,
)
from cards.permissions import APPLICATIONS
from cards.search import card_search
from portal.api.downloads import FileNegotiation
from portal.api.idempotency import idempotent
from portal.api.permissions import role_permission
from portal.api.responses import (
    CONFLICT,
    FIELD_ERRORS,
    UPLOAD_TYPES,
    conflict,
    error,
    field_errors,
    file_download,
)
from portal.audit import client_ip
from portal.models import Role
from portal.uploads import serve_upload

IsTalent = role_permission(Role.TALENT)
IsAdmin = role_permission(Role.ADMIN)
IsVerifier = role_permission(Role.VERIFIER)
TalentOrAdmin = role_permission(Role.TALENT, Role.ADMIN)

TAG = ["cards"]
INLINE = OpenApiParameter(
    "inline", str, enum=["1"], description="1：在浏览器中直接显示（默认作为附件下载）"
)


def visible_applications(user):
    return CardApplication.objects.visible_to(user).select_related("talent", "card")


def application_for(request, pk) -> CardApplication:
    """The application ``pk`` if the caller may see it, else 404."""
    return get_object_or_404(visible_applications(request.user), pk=pk)


def application_detail(user, pk) -> dict:
    queryset = visible_applications(user).prefetch_related(
        "criteria",
        "documents",
        Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
    )
    return s.ApplicationOutput(get_object_or_404(queryset, pk=pk)).data


class CriteriaList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="认定条件目录", responses={200: s.CriterionOutput(many=True)}, tags=TAG)
    def get(self, request):
        criteria = Criterion.objects.current()
        return Response(s.CriterionOutput(criteria, many=True).data)


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)

    class Meta:
        model = CardApplication
        fields = ["status", "kind"]


class ApplicationListCreate(generics.ListAPIView):
    permission_classes = [TalentOrAdmin]
    serializer_class = s.ApplicationSummary
    filterset_class = ApplicationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return CardApplication.objects.none()
        queryset = visible_applications(self.request.user).prefetch_related("criteria")
        # The review queue reads oldest first; a talent reads their newest first.
        if self.request.user.role == Role.ADMIN:
            return queryset.order_by("submitted_at", "id")
        return queryset.order_by("-created_at", "-id")

    @extend_schema(summary="优才卡申请列表", tags=TAG)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="新建申请（草稿）",
        request=s.ApplicationInput,
        responses={
            201: s.ApplicationOutput,
            400: FIELD_ERRORS,
            403: error("只有人才账户可以申请优才卡"),
            409: conflict(
                "已有一份未办结的申请：code 为 open_application_exists，id 为该申请的编号"
            ),
        },
        tags=TAG,
    )
    @idempotent
    def post(self, request):
        # Who may apply (cards.permissions), before the input is read.
        APPLICATIONS.require(request.user, "create", request.user)
        data = s.ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        app = apps.application_create(
            talent=request.user, ip=client_ip(request), **data.validated_data
        )
        return Response(application_detail(request.user, app.pk), status=status.HTTP_201_CREATED)


class ApplicationDetail(APIView):
    permission_classes = [TalentOrAdmin]

    @extend_schema(summary="申请详情", responses={200: s.ApplicationOutput}, tags=TAG)
    def get(self, request, pk: int):
        return Response(application_detail(request.user, pk))

    @extend_schema(
        summary="修改申请（草稿或退回补正时）",
        request=s.ApplicationInput,
        responses={200: s.ApplicationOutput, 409: CONFLICT},
        tags=TAG,
    )
    def patch(self, request, pk: int):
        app = application_for(request, pk)
        data = s.ApplicationInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("kind", None)  # the kind is chosen when the application is opened
        apps.application_update(
            application=app, actor=request.user, ip=client_ip(request), **fields
        )
        return Response(application_detail(request.user, pk))


class DocumentUpload(APIView):
    permission_classes = [TalentOrAdmin]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="上传证明材料（PDF/JPG/PNG）",
        description="kind 为 photo（证件照）时只收 JPG/PNG，不小于200×250像素，不超过 "
        "PHOTO_MAX_BYTES（默认5 MB）；保存的是去除全部元数据（EXIF 等）后重新编码的图片，"
        "并替换该申请原有的证件照。",
        request={"multipart/form-data": s.DocumentInput},
        responses={
            201: s.DocumentOutput,
            400: field_errors("文件缺失、类型不符、过大或已损坏，或材料种类不正确"),
            409: CONFLICT,
        },
        tags=TAG,
    )
    @idempotent
    def post(self, request, pk: int):
        app = application_for(request, pk)
        document = apps.application_add_document(
            application=app,
            actor=request.user,
            kind=request.data.get("kind", ""),
            upload=request.FILES.get("file"),
            ip=client_ip(request),
        )
        return Response(s.DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class DocumentDetail(APIView):
    permission_classes = [TalentOrAdmin]
    content_negotiation_class = FileNegotiation  # Accept: application/pdf gets the file

    def _document(self, request, pk, doc_pk) -> ApplicationDocument:
        app = application_for(request, pk)
        return get_object_or_404(app.documents, pk=doc_pk)

    @extend_schema(
        summary="下载证明材料",
        parameters=[INLINE],
        responses=file_download(UPLOAD_TYPES, "材料文件（PDF、JPEG 或 PNG）"),
        tags=TAG,
    )
    def get(self, request, pk: int, doc_pk: int):
        document = self._document(request, pk, doc_pk)
        return serve_upload(
            document.storage_name,
            content_type=document.content_type,
            filename=document.name,
            inline=request.query_params.get("inline") == "1",
        )

    @extend_schema(
        summary="删除证明材料",
        responses={204: OpenApiResponse(description="已删除"), 409: CONFLICT},
        tags=TAG,
    )
    def delete(self, request, pk: int, doc_pk: int):
        document = self._document(request, pk, doc_pk)
        apps.application_remove_document(
            document=document, actor=request.user, ip=client_ip(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationSubmit(APIView):
    permission_classes = [TalentOrAdmin]

    @extend_schema(
        summary="提交申请（退回补正后重新提交须填写说明或在退回后上传过材料）",
        request=s.SubmitInput,
        responses={
            200: s.ApplicationOutput,
            400: field_errors("缺少证明材料（逐项列出所缺材料种类），或重新提交时未作说明"),
            409: CONFLICT,
        },
        tags=TAG,
    )
    def post(self, request, pk: int):
        app = application_for(request, pk)
        data = s.SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        apps.application_submit(
            application=app, actor=request.user, ip=client_ip(request), **data.validated_data
        )
        return Response(application_detail(request.user, pk))


def review_action(func, input_class, summary: str):
    """One thin view per review command (return, approve, reject): admins only. The body's
    validated fields are passed to the domain function as they are named."""

    class ReviewAction(APIView):
        permission_classes = [IsAdmin]

        @extend_schema(
            summary=summary,
            request=input_class,
            responses={200: s.ApplicationOutput, 400: FIELD_ERRORS, 409: CONFLICT},
            tags=TAG,
        )
        def post(self, request, pk: int):
            app = application_for(request, pk)
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            func(
                application=app,
                actor=request.user,
                ip=client_ip(request),
                **data.validated_data,
            )
            return Response(application_detail(request.user, pk))

    ReviewAction.__name__ = f"Application{func.__name__.split('_')[-1].title()}View"
    return ReviewAction.as_view()


application_return = review_action(apps.application_return, s.ReturnInput, "退回补正（一次告知）")
application_approve = review_action(
    apps.application_approve, s.ApproveInput, "认定通过并发卡（就高原则）"
)
application_reject = review_action(apps.application_reject, s.ReasonInput, "不予认定")


class CardMine(APIView):
    permission_classes = [IsTalent]

    @extend_schema(
        summary="我的优才卡",
        responses={200: s.CardOutput, 404: error("您还没有优才卡")},
        tags=TAG,
    )
    def get(self, request):
        card = (
            Card.objects.visible_to(request.user)
            .select_related("holder")
            .order_by("-issued_at")
            .first()
        )
        if card is None:
            return Response(
                {"detail": gettext("您还没有优才卡。")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(s.CardOutput(card).data)


class CardMineQr(APIView):
    permission_classes = [IsTalent]

    @extend_schema(
        summary="获取核验二维码令牌（120秒有效，一次有效）",
        request=None,
        responses={
            200: s.QrOutput,
            404: error("您还没有优才卡"),
            409: conflict("优才卡未处于有效状态（暂停、注销或过期），不能出示二维码"),
        },
        tags=TAG,
    )
    def post(self, request):
        token, expires_at = qr.qr_issue(holder=request.user)
        return Response(s.QrOutput({"token": token, "expires_at": expires_at}).data)


class CardVerify(APIView):
    permission_classes = [IsVerifier]

    @extend_schema(
        summary="核验优才卡二维码",
        description="有效时 card.photo_url 为持卡人证件照的签名地址（120秒内有效）。",
        request=s.VerifyInput,
        responses={200: s.VerifyOutput},
        tags=TAG,
    )
    def post(self, request):
        # The hottest path (issue 12): the serializers describe it (schema above, tests pin
        # the answer to them) but run only for a body they would refuse, for their messages.
        token = _verify_token(request.data)
        result = qr.qr_verify(token=token, verifier=request.user, ip=client_ip(request))
        card = result.card
        if card is not None:
            card = {**card, "valid_until": card["valid_until"].isoformat()}
            if result.photo_token:
                url = reverse("cards:verify-photo", args=[result.photo_token])
                card["photo_url"] = request.build_absolute_uri(url)
        return Response(
            {
                "valid": result.valid,
                "reason": result.reason,
                "reason_label": result.label,
                "card": card,
            }
        )


def _verify_token(data) -> str:
    """The token of a verification body, as VerifyInput validates it: an ASCII string of at
    most 500 characters without NUL is taken as it is, whitespace trimmed; anything else (and
    so every body VerifyInput refuses) goes through VerifyInput, for its answer."""
    token = data.get("token") if hasattr(data, "get") else None
    if isinstance(token, str) and len(token) <= 500 and token.isascii() and "\x00" not in token:
        return token.strip()
    serializer = s.VerifyInput(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["token"]


class CardFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CardStatus.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=50,
        help_text="卡号（可只输入开头部分）或持卡人的完整姓名",
    )

    class Meta:
        model = Card
        fields = ["status", "tier", "q"]

    def filter_q(self, queryset, name, value):
        return card_search(queryset, value)


@extend_schema(summary="优才卡登记簿", tags=TAG)
class CardList(generics.ListAPIView):
    permission_classes = [IsAdmin]
    serializer_class = s.CardAdminOutput
    filterset_class = CardFilter

    def get_queryset(self):
        return Card.objects.visible_to(self.request.user).select_related("holder")


def card_for(request, number: str) -> Card:
    return get_object_or_404(Card.objects.visible_to(request.user), number=number)


def card_action(func, input_class, summary: str):
    """One thin view per card command (suspend, revoke, reinstate): admin only."""

    class CardAction(APIView):
        permission_classes = [IsAdmin]

        @extend_schema(
            summary=summary,
            request=input_class,
            responses={200: s.CardAdminOutput, 400: FIELD_ERRORS, 409: CONFLICT},
            tags=TAG,
        )
        def post(self, request, number: str):
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            card = func(
                card=card_for(request, number),
                actor=request.user,
                ip=client_ip(request),
                **data.validated_data,
            )
            return Response(s.CardAdminOutput(card).data)

    CardAction.__name__ = f"Card{func.__name__.split('_')[-1].title()}View"
    return CardAction.as_view()


card_suspend = card_action(issuance.card_suspend, s.ReasonInput, "暂停优才卡")
card_revoke = card_action(issuance.card_revoke, s.ReasonInput, "注销优才卡")
card_reinstate = card_action(issuance.card_reinstate, s.NoteInput, "恢复已暂停的优才卡")
