"""Talents API views (API.md "人才信息库 and 一对一联系服务"): thin callers of
talents.profiles, talents.stats, talents.liaisons, talents.visits and talents.coverage.

Every liaison, visit and concern is found through its ``visible_to(user)`` queryset (404
otherwise); a card for the liaison's assignment through ``Card.objects.visible_to`` or the
caller's liaisons. Who may do what, and from which state, is the tables' (talents.permissions:
403 for the person, 409 for the state), asked by the domain functions.
"""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.models import Card
from portal.api.idempotency import idempotent
from portal.api.permissions import IsAdmin, role_permission
from portal.api.responses import CONFLICT, FIELD_ERRORS, conflict, error, field_errors
from portal.audit import client_ip
from portal.models import Role
from talents import coverage, liaisons, profiles, stats, visits
from talents.api import serializers as s
from talents.models import Concern, Dimension, Liaison, ResearchOutput, TalentProfile, Visit
from talents.permissions import CONCERNS

TAG = ["talents"]
TalentOnly = role_permission(Role.TALENT)
# Who may serve as an officer (and the organization department); talents have no lists here.
Officers = role_permission(Role.STAFF, Role.LEAD, Role.ADMIN)
# Roles a liaison can be visible to; auditors and verifiers get 403 on every endpoint.
LiaisonRoles = role_permission(Role.TALENT, Role.STAFF, Role.LEAD, Role.ADMIN)


def body(request) -> dict:
    """The request body as a dict (a JSON array or scalar is refused with a 400)."""
    data = request.data
    if isinstance(data, QueryDict):
        return data.dict()
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [gettext("请求内容应为一个对象。")]})
    return data


# --- profile ----------------------------------------------------------------------------------


def render_profile(request) -> Response:
    profile = (
        TalentProfile.objects.visible_to(request.user)
        .select_related("card")
        .prefetch_related(Prefetch("outputs", queryset=ResearchOutput.objects.order_by("n")))
        .get(holder=request.user)
    )
    return Response(s.ProfileOutput(profile).data)


class MyProfile(APIView):
    permission_classes = [TalentOnly]

    @extend_schema(
        summary="本人的人才信息",
        responses={200: s.ProfileOutput, 403: error("只有人才本人可以查看")},
        tags=TAG,
    )
    def get(self, request):
        """The caller's profile (made empty on first use)."""
        profiles.profile_of(request.user)
        return render_profile(request)

    @extend_schema(
        summary="维护本人的人才信息（产业链、专业特长、科研成果）",
        request=s.ProfileInput,
        responses={
            200: s.ProfileOutput,
            400: field_errors(
                "输入有误；工作单位、职务、学历、职称有改动时提示通过优才卡信息变更申请修改"
                "（科研成果的错误键如 outputs.0.year）"
            ),
            403: error("只有人才本人可以维护"),
        },
        tags=TAG,
    )
    def patch(self, request):
        """Change what the talent keeps; the card's facts only through a card change."""
        profiles.profile_update(user=request.user, data=body(request), ip=client_ip(request))
        return render_profile(request)


# --- 人才画像 -------------------------------------------------------------------------------------


class TalentStats(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="人才画像统计（按一个维度计数，不含个人信息）",
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                enum=Dimension.values,
                description="统计维度，默认 industry_chain",
            )
        ],
        responses={
            200: s.StatsOutput,
            400: field_errors("统计维度不正确"),
            403: error("只有组织部人才办可以查看"),
        },
        tags=TAG,
    )
    def get(self, request):
        """Counts by ``group_by`` from the rollup (one query whatever the number of talents)."""
        group_by = request.query_params.get("group_by") or Dimension.INDUSTRY_CHAIN
        if group_by not in Dimension.values:
            values = "、".join(Dimension.values)
            message = gettext("统计维度应为：%(values)s。") % {"values": values}
            raise ValidationError({"group_by": [message]})
        return Response(s.StatsOutput(stats.talent_stats(group_by)).data)


# --- liaisons ---------------------------------------------------------------------------------


def visible_liaisons(user):
    """The caller's liaisons with what the representation reads (one query for a page)."""
    return Liaison.objects.visible_to(user).select_related("card", "talent", "officer")


def card_for(request, number: str) -> Card:
    """The card ``number`` if the caller may see it, or serves its holder, else 404."""
    user = request.user
    return get_object_or_404(
        Card.objects.filter(
            Q(pk__in=Card.objects.visible_to(user).values("pk"))
            | Q(liaison__in=Liaison.objects.visible_to(user))
        ),
        number=number,
    )


def render_liaison(request, number: str) -> Response:
    liaison = get_object_or_404(visible_liaisons(request.user), card__number=number)
    return Response(s.LiaisonOutput(liaison, context={"today": timezone.localdate()}).data)


class CardLiaison(APIView):
    permission_classes = [LiaisonRoles]

    @extend_schema(
        summary="优才卡持卡人的联系服务（联系领导、服务专员、走访周期）",
        responses={200: s.LiaisonOutput},
        tags=TAG,
    )
    def get(self, request, number: str):
        """The organization department, the holder's officer and the holder read it; 404
        for anyone else, and when no liaison is assigned yet."""
        return render_liaison(request, number)

    @extend_schema(
        summary="确定或调整联系领导和服务专员",
        request=s.LiaisonInput,
        responses={
            200: s.LiaisonOutput,
            400: FIELD_ERRORS,
            403: error("只有组织部人才办可以确定联系服务"),
            409: conflict("优才卡已注销或过期"),
        },
        tags=TAG,
    )
    def put(self, request, number: str):
        """Assign or change (the officer is told when newly named; the clock restarts)."""
        card = card_for(request, number)
        data = body(request)
        liaisons.liaison_assign(
            card=card,
            leader=data.get("leader"),
            officer=data.get("officer"),
            visit_every_days=data.get("visit_every_days"),
            actor=request.user,
            ip=client_ip(request),
        )
        return render_liaison(request, number)


class LiaisonFilter(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true：下次走访日已过；false：未过"
    )
    officer = django_filters.CharFilter(
        field_name="officer__username", max_length=150, help_text="服务专员的用户名"
    )

    class Meta:
        model = Liaison
        fields = ["overdue", "officer"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        if value:
            return queryset.filter(due_on__lt=today)
        return queryset.filter(due_on__gte=today)


class LiaisonList(generics.ListAPIView):
    permission_classes = [Officers]
    serializer_class = s.LiaisonOutput
    filterset_class = LiaisonFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Liaison.objects.none()
        # The nearest due first (liaison_due_idx; an officer's: liaison_officer_due_idx).
        return visible_liaisons(self.request.user).order_by("due_on", "id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        summary="联系服务列表（组织部：全部；服务专员：本人联系的），下次走访日最近的在前",
        responses={200: s.LiaisonOutput(many=True), 403: error("人才、审计员、核验员无权查看")},
        tags=TAG,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- visits -----------------------------------------------------------------------------------


def visible_visits(user):
    """The caller's visits with their card, recorder and concerns (two queries a page)."""
    return (
        Visit.objects.visible_to(user)
        .select_related("liaison__card", "recorded_by__department")
        .prefetch_related(
            Prefetch(
                "concerns",
                queryset=Concern.objects.select_related("service_type", "request").order_by("n"),
            )
        )
    )


def render_visit(request, pk: int, code=status.HTTP_200_OK) -> Response:
    visit = get_object_or_404(visible_visits(request.user), pk=pk)
    return Response(s.VisitOutput(visit).data, status=code)


class VisitFilter(django_filters.FilterSet):
    card_number = django_filters.CharFilter(
        field_name="liaison__card__number", max_length=20, help_text="优才卡号"
    )

    class Meta:
        model = Visit
        fields = ["card_number"]


class VisitListCreate(generics.ListAPIView):
    serializer_class = s.VisitOutput
    filterset_class = VisitFilter

    def get_permissions(self):
        # Talents read their own visits; only officers and the organization department record.
        return [(Officers if self.request.method == "POST" else LiaisonRoles)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Visit.objects.none()
        # Latest first (visit_list_idx; one holder's: visit_liaison_idx).
        return visible_visits(self.request.user).order_by("-visited_on", "-id")

    @extend_schema(
        summary="走访记录（组织部：全部；服务专员：本人联系的；人才：本人的），最近的在前",
        responses={200: s.VisitOutput(many=True), 403: error("审计员、核验员无权查看")},
        tags=TAG,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="记录走访及反映的诉求（带服务事项的诉求为人才代办提交服务申请）",
        request=s.VisitInput,
        responses={
            201: s.VisitOutput,
            400: field_errors("输入有误（诉求的错误键如 concerns.0.fields.family_size）"),
            403: error("只有该人才的服务专员或组织部人才办可以记录；优才卡暂停时不能代办"),
            404: error("没有该优才卡的联系服务，或调用者不是其服务专员"),
            409: conflict("优才卡已注销或过期"),
        },
        tags=TAG,
    )
    @idempotent
    def post(self, request):
        """Record the visit; its concerns are filed for the talent in the same transaction."""
        data = body(request)
        number = data.get("card_number")
        if not isinstance(number, str) or not number.strip():
            raise ValidationError({"card_number": [gettext("请填写优才卡号。")]})
        liaison = get_object_or_404(
            Liaison.objects.visible_to(request.user).select_related("card"),
            card__number=number.strip(),
        )
        visit = visits.visit_record(
            liaison=liaison,
            actor=request.user,
            visited_on=data.get("visited_on"),
            mode=data.get("mode"),
            summary=data.get("summary"),
            concerns=data.get("concerns"),
            ip=client_ip(request),
        )
        return render_visit(request, visit.pk, status.HTTP_201_CREATED)


# --- concerns ---------------------------------------------------------------------------------


def concern_action(verb: str, func, input_class, summary: str, who: str, argument=None):
    """One thin view per command on a concern: find it (404), ask the table who may (403,
    before the body is read), parse the body, call the domain function, answer with the
    concern's visit as the caller now sees it."""

    class ConcernAction(APIView):
        permission_classes = [LiaisonRoles]

        @extend_schema(
            summary=summary,
            request=input_class,
            responses={200: s.VisitOutput, 400: FIELD_ERRORS, 403: error(who), 409: CONFLICT},
            tags=TAG,
        )
        def post(self, request, pk: int):
            """Run the command; 409 with ``status`` when the concern's state forbids it."""
            concern = get_object_or_404(
                Concern.objects.visible_to(request.user).select_related(
                    "visit__liaison__card", "service_type"
                ),
                pk=pk,
            )
            CONCERNS.require_who(request.user, verb, concern)
            extra = {}
            if input_class is not None:
                data = input_class(data=request.data)
                data.is_valid(raise_exception=True)
                extra = dict(data.validated_data)
            actor = {"talent" if argument == "talent" else "actor": request.user}
            func(concern=concern, ip=client_ip(request), **actor, **extra)
            return render_visit(request, concern.visit_id)

    ConcernAction.__name__ = f"Concern{verb.title()}View"
    return ConcernAction.as_view()


confirm = concern_action(
    "confirm",
    visits.concern_confirm,
    s.ConsentInput,
    "本人确认代办（同意《敏感个人信息处理告知》后提交服务申请）",
    "只有人才本人可以确认",
    argument="talent",
)
decline = concern_action(
    "decline",
    visits.concern_decline,
    None,
    "本人不同意代办",
    "只有人才本人可以确认",
    argument="talent",
)
resolve = concern_action(
    "resolve",
    visits.concern_resolve,
    s.ResolveInput,
    "诉求标记为已解决（未代办或本人未同意代办的诉求）",
    "只有该人才的服务专员或组织部人才办可以办理",
)


# --- coverage ---------------------------------------------------------------------------------


class LiaisonCoverage(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="联系服务覆盖情况（覆盖率、按期走访、诉求解决，及各服务专员）",
        responses={200: s.CoverageOutput, 403: error("只有组织部人才办可以查看")},
        tags=TAG,
    )
    def get(self, request):
        """A few aggregate queries, whatever the number of liaisons."""
        today = timezone.localdate()
        figures = coverage.report(today)
        return Response(s.CoverageOutput(figures).data)
