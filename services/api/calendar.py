"""The working-day calendar (API.md "Supervision": /api/v1/calendar/)."""

import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.permissions import role_permission
from portal.audit import client_ip
from portal.models import Role
from services.calendar import calendar_set_day, year_days

CanReadCalendar = role_permission(Role.ADMIN, Role.LEAD, Role.STAFF)
IsAdmin = role_permission(Role.ADMIN)


class DayOutput(serializers.Serializer):
    date = serializers.DateField()
    is_workday = serializers.BooleanField()
    note = serializers.CharField()
    verified = serializers.BooleanField()


class DayInput(serializers.Serializer):
    is_workday = serializers.BooleanField()
    note = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CalendarYear(APIView):
    permission_classes = [CanReadCalendar]

    @extend_schema(
        summary="全年工作日历（未核实的日期按周一至周五推算）",
        parameters=[OpenApiParameter("year", int, description="年份（1900–2200），默认今年")],
        responses={200: DayOutput(many=True)},
        tags=["calendar"],
    )
    def get(self, request):
        raw = request.query_params.get("year") or str(timezone.localdate().year)
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        if not (raw.isascii() and raw.isdigit()) or not 1900 <= int(raw) <= 2200:
            raise ValidationError({"year": ["年份应为 1900 至 2200 之间的整数。"]})
        return Response(DayOutput(year_days(int(raw)), many=True).data)


class CalendarDayUpdate(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="修改某一天是否为工作日（重新计算未办结事项的期限）",
        parameters=[
            OpenApiParameter(
                "day", OpenApiTypes.DATE, OpenApiParameter.PATH, description="日期 YYYY-MM-DD"
            )
        ],
        request=DayInput,
        responses={200: DayOutput},
        tags=["calendar"],
    )
    def put(self, request, day: str):
        try:
            date = datetime.date.fromisoformat(day)
        except ValueError:
            raise ValidationError({"date": ["日期格式应为 年-月-日（如 2027-01-01）。"]}) from None
        data = DayInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = calendar_set_day(
            day=date, actor=request.user, ip=client_ip(request), **data.validated_data
        )
        body = {
            "date": entry.date,
            "is_workday": entry.is_workday,
            "note": entry.note,
            "verified": True,
        }
        return Response(DayOutput(body).data)
