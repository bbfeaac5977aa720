"""Subsidies API views (API.md "政策直达快享"): thin callers of subsidies.entitlements,
subsidies.payments and subsidies.reveal.

Every entitlement is found through ``Entitlement.objects.visible_to(user)`` (404 otherwise),
an instalment through its entitlement's visibility; who may do what, and from which state, is
the tables' (subsidies.permissions: 403 for the person, 409 for the state).
"""

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.access import REVEAL_ERRORS, RevealInput, reveal_input
from portal.api.permissions import role_permission
from portal.api.responses import CONFLICT, FIELD_ERRORS, conflict, error
from portal.audit import client_ip
from portal.models import Role
from subsidies import entitlements, payments
from subsidies.api import serializers as s
from subsidies.models import (
    Entitlement,
    EntitlementEvent,
    EntitlementStatus,
    Instalment,
    Policy,
    PolicyInstalment,
)
from subsidies.permissions import ENTITLEMENTS, INSTALMENTS
from subsidies.reveal import account_reveal

TAG = ["subsidies"]
# Roles that ever touch entitlements; the rest (auditor, verifier) get 403 on every endpoint.
EntitlementRoles = role_permission(Role.TALENT, Role.STAFF, Role.LEAD, Role.ADMIN)


# --- policies ---------------------------------------------------------------------------------


class PolicyList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="兑现政策目录（现行有效的政策、金额、分期计划和享受条件）",
        responses={200: s.PolicyOutput(many=True)},
        tags=TAG,
    )
    def get(self, request):
        """The policies in force today, by code; anyone may read them."""
        policies = (
            Policy.objects.in_force()
            .select_related("department")
            .prefetch_related(
                Prefetch("instalments", queryset=PolicyInstalment.objects.order_by("n")),
                "rules",
            )
            .order_by("code")
        )
        return Response(s.PolicyOutput(policies, many=True).data)


# --- entitlements -----------------------------------------------------------------------------


def visible(user):
    """The caller's entitlements with what every answer reads, in a fixed number of queries
    however many rows (the list's page or one entitlement)."""
    return (
        Entitlement.objects.visible_to(user)
        .select_related("policy", "talent", "department")
        .prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("n")),
            Prefetch(
                "events",
                queryset=EntitlementEvent.objects.select_related("instalment").order_by("at", "id"),
            ),
        )
    )


def entitlement_for(request, pk: int) -> Entitlement:
    """The entitlement ``pk`` if the caller may see it, else 404 (nothing prefetched: the
    domain functions lock and read the row themselves)."""
    return get_object_or_404(Entitlement.objects.visible_to(request.user), pk=pk)


def instalment_for(request, pk: int) -> Instalment:
    """The instalment ``pk`` if the caller may see its entitlement, else 404."""
    return get_object_or_404(
        Instalment.objects.filter(entitlement__in=Entitlement.objects.visible_to(request.user)),
        pk=pk,
    )


def render(request, pk: int) -> Response:
    """The entitlement as the caller now sees it."""
    ent = get_object_or_404(visible(request.user), pk=pk)
    return Response(s.EntitlementOutput(ent, context={"request": request}).data)


class EntitlementFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EntitlementStatus.choices)
    policy = django_filters.CharFilter(
        field_name="policy__code", lookup_expr="iexact", max_length=30, help_text="政策代码"
    )

    class Meta:
        model = Entitlement
        fields = ["status", "policy"]


class EntitlementList(generics.ListAPIView):
    permission_classes = [EntitlementRoles]
    serializer_class = s.EntitlementOutput
    filterset_class = EntitlementFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Entitlement.objects.none()
        # Newest offer first (indexes entitlement_talent_idx, entitlement_status_idx,
        # entitlement_department_idx by whose list it is).
        return visible(self.request.user).order_by("-offered_at", "-id")

    @extend_schema(
        summary="待遇列表（人才：本人的；兑现部门：本部门兑现的；组织部：全部）",
        parameters=[OpenApiParameter("policy", str, description="政策代码，如 SETTLE-ZG")],
        responses={200: s.EntitlementOutput(many=True), 403: error("审计员、核验员无权查看待遇")},
        tags=TAG,
    )
    def get(self, request, *args, **kwargs):
        """A page of the caller's entitlements, newest offer first."""
        return super().get(request, *args, **kwargs)


class EntitlementDetail(APIView):
    permission_classes = [EntitlementRoles]

    @extend_schema(summary="待遇详情", responses={200: s.EntitlementOutput}, tags=TAG)
    def get(self, request, pk: int):
        """One entitlement with its schedule, timeline and what the caller may do now."""
        return render(request, pk)


def entitlement_action(verb: str, func, input_class, summary: str, who: str):
    """One thin view per command on an entitlement: find it (404), ask the table who may
    (403, before the body is read), parse the body, call the domain function, answer with the
    entitlement as the caller now sees it."""

    class EntitlementAction(APIView):
        permission_classes = [EntitlementRoles]

        @extend_schema(
            summary=summary,
            request=input_class,
            responses={200: s.EntitlementOutput, 400: FIELD_ERRORS, 403: error(who), 409: CONFLICT},
            tags=TAG,
        )
        def post(self, request, pk: int):
            """Run the command; 409 with ``status`` when the entitlement's state forbids it."""
            ent = entitlement_for(request, pk)
            ENTITLEMENTS.require_who(request.user, verb, ent)
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            func(entitlement=ent, actor=request.user, ip=client_ip(request), **data.validated_data)
            return render(request, pk)

    EntitlementAction.__name__ = f"Entitlement{verb.title()}View"
    return EntitlementAction.as_view()


OWNER = "只有本人可以办理"
PAYER = "只有兑现部门的经办人或负责人可以办理"

confirm = entitlement_action(
    "confirm",
    entitlements.entitlement_confirm,
    s.ConfirmInput,
    "确认收款账户（待确认、退回修改后；兑现中更正账户，失败的分期重新兑现）",
    OWNER,
)
decline = entitlement_action(
    "decline", entitlements.entitlement_decline, s.DeclineInput, "放弃待遇", OWNER
)
approve = entitlement_action(
    "approve",
    entitlements.entitlement_approve,
    s.EntitlementApproveInput,
    "审核通过（排定分期）",
    PAYER,
)
return_ = entitlement_action(
    "return",
    entitlements.entitlement_return,
    s.EntitlementReturnInput,
    "退回修改（一次告知）",
    PAYER,
)
suspend = entitlement_action(
    "suspend",
    entitlements.entitlement_suspend,
    s.SuspendInput,
    "中止待遇（如人才离开本地；未兑现的分期停发）",
    "只有组织部人才办可以中止待遇",
)


def instalment_action(verb: str, func, input_class, summary: str):
    """One thin view per command on an instalment (pay, fail): found through its
    entitlement's visibility (404), the paying department only (403), answered with the
    entitlement."""

    class InstalmentAction(APIView):
        permission_classes = [EntitlementRoles]

        @extend_schema(
            summary=summary,
            request=input_class,
            responses={
                200: s.EntitlementOutput,
                400: FIELD_ERRORS,
                403: error(PAYER),
                409: CONFLICT,
            },
            tags=TAG,
        )
        def post(self, request, pk: int):
            """Run the command; 409 with ``status`` when the instalment's state forbids it."""
            inst = instalment_for(request, pk)
            INSTALMENTS.require_who(request.user, verb, inst)
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            func(instalment=inst, actor=request.user, ip=client_ip(request), **data.validated_data)
            return render(request, inst.entitlement_id)

    InstalmentAction.__name__ = f"Instalment{verb.title()}View"
    return InstalmentAction.as_view()


pay = instalment_action("pay", payments.instalment_pay, s.PayInput, "登记分期已兑现（支付凭证号）")
fail = instalment_action("fail", payments.instalment_fail, s.FailInput, "登记分期兑现失败（原因）")


class EntitlementReveal(APIView):
    # Everyone an entitlement can be visible to: visibility answers 404 first, then the
    # domain's 403 (the talent and the organization department never read the full number).
    permission_classes = [EntitlementRoles]

    @extend_schema(
        summary="查看完整银行账号（兑现部门；须说明目的，留痕，人才本人可查）",
        request=RevealInput,
        responses={
            200: s.AccountRevealOutput,
            **REVEAL_ERRORS,
            403: error("可以看到该待遇，但不是兑现部门的经办人或负责人"),
            409: conflict("尚未确认收款账户（或已放弃）：没有可查看的账号"),
        },
        tags=TAG,
    )
    def post(self, request, pk: int):
        """The full account, shown once: never cached on the way."""
        ent = entitlement_for(request, pk)
        values = account_reveal(
            entitlement=ent,
            actor=request.user,
            purpose=reveal_input(request),
            ip=client_ip(request),
        )
        response = Response(s.AccountRevealOutput(values).data)
        add_never_cache_headers(response)
        return response
